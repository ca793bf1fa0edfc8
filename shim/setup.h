/*
 * setup.h - switching the shim on (at load, and at the first registration)
 * and off for good.
 */
#ifndef RECONSUME_SHIM_SETUP_H
#define RECONSUME_SHIM_SETUP_H

#include "obs/shim_state.h"

/*
 * The parts of set-up with side effects (creating the spool, installing
 * signal handlers, opening the journal, starting the statistics writer),
 * once, at the first registration, so that a process that never consumes is
 * left exactly as it was. On failure the shim is disabled (rc_setup_disable).
 */
void rc_setup_first_registration(void);

/*
 * Parse each rule's sink= into rc_rt.rule_sinks, once, at load (the text was
 * validated with the rest of the configuration). 0, or -1 when out of memory.
 */
int rc_setup_rule_sinks(void);

/*
 * Give up wrapping new registrations for good (said once); with
 * RECONSUME_STRICT the process stops instead. Callbacks wrapped already keep
 * their wrappers: taking them away under a running consumer would race.
 */
void rc_setup_disable(enum rc_state_reason reason, const char *why);

#endif
