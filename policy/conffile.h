/*
 * conffile.h - the small settings file named by RECONSUME_CONFIG.
 *
 * Format, one item per line:
 *   RECONSUME_NAME=value        a setting, as the variable would be set; blanks
 *                               around the value are dropped, and one pair of
 *                               matching quotes ("..." or '...') around it too
 *   rule MATCH => SETTINGS      a rule (policy/rules.h); one per line, no ';'
 *   # comment                   '#' as the first non-blank character
 *   (blank line)
 * The environment wins over the file: a variable set in both takes the
 * environment's value. Rules from the file come after RECONSUME_RULES's
 * (first match wins). Strict like the variables: an unknown line, an unknown
 * or repeated name, an empty value, a control character (but tab), a line
 * over 4095 bytes or a file over 1 MiB is an error naming "<path>:<line>".
 * RECONSUME_CONFIG itself cannot be set in the file.
 *
 * Pure: the text is handed in (the file is read by io/read_file.c), and
 * rule lines are not parsed here: each is handed back, as text, to the
 * caller's function (policy/config.c gives them to policy/rules.c).
 */
#ifndef RECONSUME_POLICY_CONFFILE_H
#define RECONSUME_POLICY_CONFFILE_H

#include <stddef.h>


#define RC_CONFFILE_MAX_BYTES (1024 * 1024)
#define RC_CONFFILE_MAX_LINE 4095

struct rc_config_file;

/*
 * A rule line's text (what follows "rule ") and its origin "<path>:<line>",
 * in file order, as they are met. Returns 0, or -1 with one line in err,
 * which ends the reading with that line.
 */
typedef int (*rc_conffile_rule_fn)(void *ctx, const char *text, const char *origin, char *err,
                                   size_t errlen);

/*
 * Parse and check text (len bytes), the contents of the file at path (which
 * the messages name). known, when not NULL, is a NULL-terminated list of the
 * accepted setting names (a name outside it is an error: a typo must not be
 * ignored); NULL accepts any RECONSUME_[A-Z0-9_]+. Each rule line goes to
 * on_rule(ctx, ...) (NULL: rule lines are accepted unread). Returns 0 and
 * *out (free with rc_config_file_free), or -1 with one line in err, e.g.
 *   /etc/rc.conf:3: unknown line 'MAX_RETRIES=3'; expected RECONSUME_NAME=value,
 *   rule MATCH => SETTINGS, a # comment or a blank line
 * or, about the whole text, "NUL byte in the file; expected text" (the
 * caller names the variable).
 */
int rc_config_file_parse(const char *path, const char *text, size_t len,
                         const char *const *known, rc_conffile_rule_fn on_rule, void *ctx,
                         struct rc_config_file **out, char *err, size_t errlen);

void rc_config_file_free(struct rc_config_file *f);

/* A setting's value in the file, or NULL (f may be NULL: no file). */
const char *rc_config_file_get(const struct rc_config_file *f, const char *name);

/* The line a setting is on (for "set at <path>:<line>" in a message), or 0. */
int rc_config_file_line(const struct rc_config_file *f, const char *name);

/* The path as given to rc_config_file_parse. */
const char *rc_config_file_path(const struct rc_config_file *f);

#endif
