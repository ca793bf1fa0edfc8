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

#endif
