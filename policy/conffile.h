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
 * Reading is the only I/O (open, fstat, read); nothing is written.
 */
#ifndef RECONSUME_POLICY_CONFFILE_H
#define RECONSUME_POLICY_CONFFILE_H

#include <stddef.h>

#include "policy/config.h"
#include "policy/rules.h"

#define RC_CONFFILE_MAX_BYTES (1024 * 1024)
#define RC_CONFFILE_MAX_LINE 4095

struct rc_config_file;

/*
 * Read and check the file at path. known, when not NULL, is a NULL-terminated
 * list of the accepted setting names (a name outside it is an error: a typo
 * must not be ignored); NULL accepts any RECONSUME_[A-Z0-9_]+. Returns 0 and
 * *out (free with rc_config_file_free), or -1 with one line in err, e.g.
 *   /etc/rc.conf:3: unknown line 'MAX_RETRIES=3'; expected RECONSUME_NAME=value,
 *   rule MATCH => SETTINGS, a # comment or a blank line
 */
int rc_config_file_read(const char *path, const char *const *known,
                        struct rc_config_file **out, char *err, size_t errlen);

void rc_config_file_free(struct rc_config_file *f);

/* A setting's value in the file, or NULL. */
const char *rc_config_file_get(const struct rc_config_file *f, const char *name);

/* The line a setting is on (for "set at <path>:<line>" in a message), or 0. */
int rc_config_file_line(const struct rc_config_file *f, const char *name);

/* The path as given to rc_config_file_read. */
const char *rc_config_file_path(const struct rc_config_file *f);

/* The file's rule lines, parsed, with origin "<path>:<line>". */
const struct rc_rules *rc_config_file_rules(const struct rc_config_file *f);

/*
 * The lookup the rest of the configuration reads through, of the shape of
 * rc_getenv_fn: env(name) if it is set (not NULL), else the value in the
 * file installed by rc_config_file_use, else NULL. Install once, at load,
 * before any thread reads through it (plain globals, no lock); f may be NULL
 * (no file), env NULL means no environment.
 */
void rc_config_file_use(const struct rc_config_file *f, rc_getenv_fn env);
const char *rc_config_lookup(const char *name);

#endif
