/*
 * inject.h - fault injection: RECONSUME_INJECT and RECONSUME_INJECT_SEED.
 *
 * In the spirit of libfiu's FIU_ENABLE / fiu-run: a list of rules, each an
 * action and the conditions under which a delivery gets it instead of (or,
 * for a delay, before) the application's callback.
 *
 * Grammar
 * -------
 *   RECONSUME_INJECT = RULE [ ';' RULE ]...
 *   RULE             = ACTION [ ',' COND ]...
 *   ACTION           = 'reconsume'          the delivery returns 1 (reconsume later)
 *                                           instead of calling the application
 *                    | 'status:' N          returns N instead of calling the
 *                                           application; N is an integer from
 *                                           -2147483648 to 2147483647, not 0
 *                                           (0 would acknowledge a message the
 *                                           application never saw)
 *                    | 'throw' [ ':' TEXT ] throws std::runtime_error(TEXT) instead
 *                                           of calling the application; TEXT is
 *                                           1 to 512 bytes, default
 *                                           "reconsume: injected failure"
 *                    | 'delay:' MS          sleeps MS milliseconds (0 to 600000),
 *                                           then calls the application as usual
 *   COND             = 'p=' P               probability, a decimal from 0 to 1
 *                                           (e.g. 1, 0.25, .5); default 1
 *                    | 'topic=' GLOB        the message's topic matches
 *                    | 'tag=' GLOB          its tag matches
 *                    | 'key=' GLOB          one of its space-separated keys matches
 *                    | 'group=' GLOB        the consumer group matches
 *                    | 'body=' MARKER       its body contains MARKER (a byte
 *                                           substring; the body may hold NULs)
 *                    | 'first=' K           only attempts 1..K of a message
 *                                           (1 to 1000000), so it can recover
 *                    | 'attempt=' K         only attempt K (1 to 1000000)
 *
 * All conditions of a rule must hold; each may be given once. GLOB is an
 * fnmatch(3) pattern (no flags: '*', '?', '[...]'); without metacharacters it
 * is an exact match. A missing field of the message counts as "", and a key
 * longer than 511 bytes matches no pattern. Rules are tried in order; the
 * first rule whose conditions hold *and* whose probability draw fires
 * decides; when none does, the application is called normally.
 *
 * Blanks (space, tab) around rules and items are ignored. A backslash takes
 * the next character literally, so '\,' '\;' '\\' and a kept leading or
 * trailing blank ('\ ') can appear in TEXT, GLOB and MARKER (in a GLOB, a
 * backslash that should reach fnmatch is written '\\'). Control characters
 * (bytes below 0x20, and 0x7f) are refused everywhere but in MARKER. key=
 * never matches a message without keys. At most 64 rules.
 *
 * Examples:
 *   reconsume,p=0.1                       10% of all deliveries fail
 *   throw:boom,topic=Orders,first=2       Orders messages throw twice, then pass
 *   status:7,key=poison-*;delay:250,p=0.5 a bad status for some keys, and a
 *                                         quarter-second stall for half the rest
 *
 * Determinism
 * -----------
 * The probability draw is a pure function of (RECONSUME_INJECT_SEED, the
 * rule's number, the message id, the attempt number): two runs with the same
 * seed and the same messages inject exactly the same deliveries, whatever the
 * thread interleaving. RECONSUME_INJECT_SEED is a decimal integer from 0 to
 * 18446744073709551615, default 1.
 *
 * Thread-safety: a parsed struct rc_inject is immutable; rc_inject_pick may
 * be called from any number of threads at once.
 */
#ifndef RECONSUME_POLICY_INJECT_H
#define RECONSUME_POLICY_INJECT_H

#include <stddef.h>
#include <stdint.h>

#include "policy/msgview.h"

#define RC_INJECT_MAX_RULES 64
#define RC_INJECT_TEXT_MAX 512
#define RC_INJECT_DELAY_MAX 600000L
#define RC_INJECT_ATTEMPT_MAX 1000000L
#define RC_INJECT_DEFAULT_SEED 1u
#define RC_INJECT_DEFAULT_TEXT "reconsume: injected failure"

enum rc_inject_action {
    RC_INJ_RECONSUME, /* return 1 instead of calling the application */
    RC_INJ_STATUS,    /* return .status instead of calling the application */
    RC_INJ_THROW,     /* throw std::runtime_error(.text) instead */
    RC_INJ_DELAY,     /* sleep .delay_ms, then call the application */
};

struct rc_inject_rule {
    int index;                    /* 1-based position in the variable */
    enum rc_inject_action action;
    int status;                   /* RC_INJ_RECONSUME: 1; RC_INJ_STATUS: N */
    long delay_ms;                /* RC_INJ_DELAY */
    char *text;                   /* RC_INJ_THROW: what(); else NULL */
    double p;                     /* probability, 0..1 */
    char *topic, *tag, *key, *group; /* patterns; NULL = any */
    char *body;                   /* marker bytes; NULL = any */
    size_t body_len;
    int first;                    /* 0 = any attempt */
    int attempt;                  /* 0 = any attempt */
    char *spec;                   /* the rule as written (trimmed), for logs and records */
};

struct rc_inject {
    struct rc_inject_rule *rules;
    size_t n;
    uint64_t seed;
};

/*
 * Parse RECONSUME_INJECT. spec NULL (unset) gives an empty, valid table.
 * Returns 0, or -1 with one line in err naming the variable, the value, the
 * rule and what is accepted, e.g.
 *   RECONSUME_INJECT='foo': rule 1 'foo': unknown action 'foo'; expected
 *   reconsume, status:N, throw[:TEXT] or delay:MS
 * On failure *out is left empty (nothing to free, though freeing is harmless).
 */
int rc_inject_parse(const char *spec, uint64_t seed, struct rc_inject *out, char *err,
                    size_t errlen);

/*
 * Parse RECONSUME_INJECT_SEED: v NULL (unset) gives RC_INJECT_DEFAULT_SEED.
 * Returns 0, or -1 with the one-line reason in err.
 */
int rc_inject_seed_parse(const char *v, uint64_t *out, char *err, size_t errlen);

void rc_inject_free(struct rc_inject *inj);

/*
 * The rule that applies to attempt `attempt` (1 for the first delivery) of
 * message m, or NULL: call the application normally. Pure and lock-free; no
 * allocation.
 */
const struct rc_inject_rule *rc_inject_pick(const struct rc_inject *inj,
                                            const struct rc_msgview *m, int attempt);

/*
 * The draw behind p: a 64-bit hash of (seed, rule number, message id,
 * attempt), stable across builds and platforms (it is part of what makes a
 * run repeatable). A rule with probability p fires when
 * (hash >> 11) * 2^-53 < p.
 */
uint64_t rc_inject_hash(uint64_t seed, int rule, const char *msg_id, int attempt);

/* "reconsume", "status", "throw", "delay". */
const char *rc_inject_action_name(enum rc_inject_action a);

#endif
