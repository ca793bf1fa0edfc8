/*
 * rules.h - RECONSUME_RULES: settings that differ per consumer group, topic
 * and tag. The first rule whose MATCH fits a delivery decides its settings;
 * a setting the rule leaves out keeps the global value (RECONSUME_*).
 *
 * Grammar
 * -------
 *   RECONSUME_RULES = RULE [ ';' RULE ]...
 *   RULE      = MATCH '=>' SETTINGS
 *   MATCH     = '*' | [ FIELD ]...        blank-separated; empty or '*' matches all
 *   FIELD     = 'group=' GLOB | 'topic=' GLOB | 'tag=' GLOB
 *   SETTINGS  = SETTING [ SETTING ]...    blank-separated, at least one
 *   SETTING   = 'max_retries=' N          0 to 1000
 *             | 'catch=' KINDS            as RECONSUME_CATCH: status, exception,
 *                                         signal, abort (comma list), all, none
 *             | 'non_retryable=' LIST     as RECONSUME_NON_RETRYABLE (policy/
 *                                         nonretry.h), without blanks
 *             | 'sink=' TEXT              kept as written, for the sinks to come
 *             | 'backoff=' SCHEDULE       as RECONSUME_BACKOFF (policy/backoff.h);
 *                                         'off' undoes the global one
 *             | 'name=' LABEL             1 to 63 of A-Z a-z 0-9 _ . -
 *
 * GLOB is an fnmatch(3) pattern (no flags: '*', '?', '[...]'), at most 255
 * bytes; a field the message lacks counts as "". Each field and setting may
 * appear once per rule. Blanks are spaces and tabs; control characters are
 * refused. At most 256 rules in all.
 *
 *   RECONSUME_RULES='topic=Orders* => max_retries=3 name=orders;
 *                    group=billing tag=import => catch=all non_retryable=app::*'
 *
 * In a file (RECONSUME_CONFIG, policy/conffile.h) the same rule is a line
 * "rule MATCH => SETTINGS"; file rules come after those of RECONSUME_RULES.
 *
 * Thread-safety: a loaded rule list is immutable; rc_rules_match may be
 * called from any number of threads at once.
 */
#ifndef RECONSUME_POLICY_RULES_H
#define RECONSUME_POLICY_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/backoff.h"
#include "policy/nonretry.h"

#define RC_RULES_MAX 256
#define RC_RULE_GLOB_MAX 255
#define RC_RULE_NAME_MAX 63
#define RC_RULE_SINK_MAX 255

struct rc_rule {
    int index;                       /* 1-based position in the whole list */
    char *name;                      /* name=, or NULL */
    char *group, *topic, *tag;       /* patterns; NULL = any */
    bool has_max_retries;
    int max_retries;
    bool has_catch;
    unsigned catch_mask;             /* RC_CATCH_* (policy/catch.h) */
    bool has_non_retryable;
    struct rc_nonretry non_retryable;
    char *sink;                      /* sink= as written, or NULL */
    bool has_backoff;
    struct rc_backoff backoff;       /* backoff= (RC_BACKOFF_NONE for 'off') */
    char *origin;                    /* "RECONSUME_RULES" or "<file>:<line>" */
};

struct rc_rules {
    struct rc_rule *v;
    size_t n;
};

/*
 * Parse v, the value of the variable called name ("RECONSUME_RULES"), and
 * append its rules to *rules (zero it first for a new list). v NULL adds
 * nothing. Returns 0, or -1 with one line in err and *rules as it was, e.g.
 *   RECONSUME_RULES='topic=A => retries=3': rule 1 'topic=A => retries=3':
 *   unknown setting 'retries=3'; expected max_retries=N, catch=KINDS,
 *   non_retryable=LIST, sink=TEXT, backoff=SCHEDULE or name=LABEL
 */
int rc_rules_parse(const char *name, const char *v, struct rc_rules *rules, char *err,
                   size_t errlen);

/*
 * Parse one rule (no ';' allowed) and append it, with origin (e.g.
 * "/etc/reconsume.conf:7") for the error prefix "<origin>: rule '<text>': ".
 */
int rc_rules_add(struct rc_rules *rules, const char *text, const char *origin, char *err,
                 size_t errlen);

/* Append deep copies of src's rules to *dst (renumbered); 0, or -1 with err. */
int rc_rules_append(struct rc_rules *dst, const struct rc_rules *src, char *err, size_t errlen);

void rc_rules_free(struct rc_rules *rules);

/* The first rule whose MATCH fits, or NULL (global settings). Any argument may be NULL. */
const struct rc_rule *rc_rules_match(const struct rc_rules *rules, const char *group,
                                     const char *topic, const char *tag);

/*
 * One line for debug logs and a record header, e.g.
 *   rule 2 (orders): topic=Orders* => max_retries=3 catch=status,exception
 * Settings in a fixed order: max_retries, catch, non_retryable, sink, backoff. r NULL
 * gives "no rule". Truncated to cap.
 */
void rc_rule_describe(const struct rc_rule *r, char *buf, size_t cap);

#endif
