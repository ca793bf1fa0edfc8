/*
 * message.h - reading a delivered message through the client's accessors.
 */
#ifndef RECONSUME_HOOKS_MESSAGE_H
#define RECONSUME_HOOKS_MESSAGE_H

#include "client/api.h"
#include "policy/record.h"

/*
 * Fill the message half of r from m. Strings point into the client's message
 * and stay valid while the delivery lasts. Accessors the loaded client lacks
 * leave their fields empty (NULL, or -1 for numbers). Without
 * GetMessageBodyLength (every released client), the body is what
 * GetMessageBody gives up to its first NUL: the C API cannot say more.
 */
void rc_message_read(CMessageExt *m, struct rc_record *r);

/*
 * The topic the delivered copy is stored in, from r's topic, group and
 * kept properties: the group's %RETRY% topic for a redelivery, else the
 * topic. May return buf (cap bytes) or a string of r.
 */
const char *rc_message_delivered_topic(const struct rc_record *r, char *buf, size_t cap);

#endif
