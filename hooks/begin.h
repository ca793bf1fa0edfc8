/*
 * begin.h - the first stage of a delivery (see delivery.h).
 */
#ifndef RECONSUME_HOOKS_BEGIN_H
#define RECONSUME_HOOKS_BEGIN_H

#include "hooks/call.h"
#include "hooks/delivery.h"

/*
 * Fill d for a delivery of m to reg's callback by consumer c: the message's
 * id, the group, the mode, the client's reconsume times, the rule in force
 * and its settings (max retries, catch kinds, non-retryable list, sink
 * chain), the call kind, and the attempt as the client counts it.
 */
void rc_begin(struct rc_delivery *d, const struct rc_registration *reg, CPushConsumer *c,
              CMessageExt *m);

#endif
