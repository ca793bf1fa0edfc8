/*
 * fuzz_config.c - libFuzzer target for rc_config_load_from (policy/config.c).
 *
 * The input is an environment table: lines "NAME=VALUE" separated by '\n'
 * (a line without '=' is ignored; for a repeated name the first wins, like
 * getenv). Values may hold any byte but '\n' and NUL; RECONSUME_CONFIG's
 * value is the text of the file it names, with '|' for a newline. The first input byte,
 * when it is not a letter, is not part of the table: it picks the size of the
 * error buffer (so truncation is exercised too).
 *
 * Properties checked (abort() on violation, so libFuzzer reports it):
 *  - success: every field is in its documented range, the paths are
 *    absolute and NUL-terminated inside their arrays, err is "";
 *    loading the same table again gives the same bytes (no hidden state);
 *    rc_catch_format(mask) parses back to the same mask.
 *  - failure: err is one non-empty line of printable ASCII (a value from the
 *    environment must not put a newline or a terminal escape on stderr),
 *    shorter than the buffer, and starts with the name of a variable that
 *    is set in the table.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/config.h"

#define MAX_VARS 64

static struct {
    char *name;
    char *value;
} vars[MAX_VARS];
static size_t nvars;

static const char *table_get(const char *name)
{
    for (size_t i = 0; i < nvars; i++)
        if (strcmp(vars[i].name, name) == 0)
            return vars[i].value;
    return NULL;
}

/*
 * RECONSUME_CONFIG's "file": the loader is handed its reader, so no path of
 * this machine is opened (a FIFO or a device could block the run). The
 * variable's value is the file's text, with '|' for a newline (the table's
 * lines are separated by newlines); so the file's grammar is fuzzed too.
 */
static int fuzz_read(const char *path, size_t max, char **text, size_t *len, char *err,
                     size_t errlen)
{
    size_t n = strlen(path);
    if (n > max) {
        snprintf(err, errlen, "file is over %zu bytes", max);
        return -1;
    }
    char *t = malloc(n + 1);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i <= n; i++)
        t[i] = path[i] == '|' ? '\n' : path[i];
    *text = t;
    *len = n;
    return 0;
}

static const struct rc_config_source source = {table_get, fuzz_read, NULL};

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_config: property violated: %s\n", what);
        abort();
    }
}

/* Does err start with name, followed by '=', ':' or ' '? */
static int names(const char *err, const char *name, size_t n)
{
    return n && strncmp(err, name, n) == 0 && (err[n] == '=' || err[n] == ':' || err[n] == ' ');
}

/* Is the variable err starts with set in the table, or in the file's text
 * (a "NAME=" at the start of one of its lines)? */
static int is_set(const char *err)
{
    for (size_t i = 0; i < nvars; i++)
        if (names(err, vars[i].name, strlen(vars[i].name)))
            return 1;
    for (const char *line = table_get("RECONSUME_CONFIG"); line;) {
        line += strspn(line, " \t");
        size_t n = strcspn(line, "= \t|");
        if (line[n] != '\0' && line[n] != '|' && names(err, line, n))
            return 1;
        line = strchr(line, '|');
        if (line)
            line++;
    }
    return 0;
}

/* The plain fields (the owned parts - inject, rules, non-retryable lists -
 * are pointers, compared by their effect elsewhere, not by address). */
static int same_plain(const struct rc_config *a, const struct rc_config *b)
{
    return a->enable == b->enable && a->strict == b->strict && a->observe == b->observe &&
           a->observe_record == b->observe_record && a->max_retries == b->max_retries &&
           a->catch_mask == b->catch_mask && a->log_level == b->log_level &&
           a->broadcast_backoff_ms == b->broadcast_backoff_ms && a->timeout_ms == b->timeout_ms &&
           a->track_max == b->track_max && a->signal_max == b->signal_max &&
           a->stats_interval_ms == b->stats_interval_ms && a->max_crashes == b->max_crashes &&
           !strcmp(a->spool_dir, b->spool_dir) && !strcmp(a->log_path, b->log_path) &&
           !strcmp(a->stats_path, b->stats_path) && !strcmp(a->journal_dir, b->journal_dir);
}

static void check_path(const char *p, int may_be_empty)
{
    check(strnlen(p, PATH_MAX) < PATH_MAX, "path NUL-terminated");
    if (may_be_empty && p[0] == '\0')
        return;
    check(p[0] == '/', "path absolute");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t errlens[] = {1, 2, 8, 40, 100, 256, 512, 4096 + 256};
    size_t errlen = sizeof(((struct rc_config *)0)->spool_dir) + 256;
    if (size > 0 && !((data[0] | 0x20) >= 'a' && (data[0] | 0x20) <= 'z')) {
        errlen = errlens[data[0] % (sizeof errlens / sizeof *errlens)];
        data++;
        size--;
    }

    /* Split into NAME=VALUE lines, in a private NUL-terminated copy. */
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    nvars = 0;
    for (char *line = buf; line && *line && nvars < MAX_VARS;) {
        char *nl = memchr(line, '\n', (size_t)(buf + size - line));
        if (nl)
            *nl = '\0';
        char *eq = strchr(line, '=');
        if (eq && strlen(line) == (size_t)(nl ? nl - line : buf + size - line)) {
            *eq = '\0';
            vars[nvars].name = line;
            vars[nvars].value = eq + 1;
            nvars++;
        }
        line = nl ? nl + 1 : NULL;
    }

    struct rc_config *c = malloc(sizeof *c), *c2 = malloc(sizeof *c2);
    char *err = malloc(errlen), *err2 = malloc(errlen);
    if (!c || !c2 || !err || !err2)
        goto out;
    memset(err, 'x', errlen);
    int rc = rc_config_load_from(c, &source, err, errlen);
    check(rc == 0 || rc == -1, "returns 0 or -1");
    check(strnlen(err, errlen) < errlen, "err NUL-terminated inside its buffer");
    if (rc == 0) {
        check(err[0] == '\0', "err empty on success");
        check(c->max_retries >= 0 && c->max_retries <= RC_MAX_RETRIES_LIMIT, "max_retries range");
        check((c->catch_mask & ~(unsigned)RC_CATCH_ALL) == 0, "catch mask bits");
        check(c->log_level >= RC_LOG_ERROR && c->log_level <= RC_LOG_DEBUG, "log level range");
        check(c->broadcast_backoff_ms >= 0 && c->broadcast_backoff_ms <= 60000, "backoff range");
        check(c->timeout_ms >= 0 && c->timeout_ms <= 86400000L, "timeout range");
        check(c->track_max >= 16 && c->track_max <= 10000000L, "track_max range");
        check(c->signal_max >= 0 && c->signal_max <= 1000000L, "signal_max range");
        check_path(c->spool_dir, 0);
        check_path(c->log_path, 1);
        check_path(c->stats_path, 1);

        memset(c2, 0x5a, sizeof *c2);
        check(rc_config_load_from(c2, &source, err2, errlen) == 0, "second load succeeds");
        check(same_plain(c, c2), "second load gives the same config");
        rc_config_free(c2);

        /* The catch mask round-trips through its printed form. */
        char kinds[128];
        rc_catch_format(c->catch_mask, kinds, sizeof kinds);
        nvars = 0;
        vars[0].name = "RECONSUME_CATCH";
        vars[0].value = kinds;
        nvars = 1;
        check(rc_config_load_from(c2, &source, err2, errlen) == 0, "formatted catch mask parses");
        check(c2->catch_mask == c->catch_mask, "catch mask round trip");
        rc_config_free(c2);
    } else if (errlen > 1) {
        check(err[0] != '\0', "err set on failure");
        for (const unsigned char *p = (const unsigned char *)err; *p; p++)
            check(*p >= 0x20 && *p < 0x7f, "err is one line of printable ASCII");
        /* the line names the variable; only checkable when the buffer held the name */
        if (errlen >= 64)
            check(is_set(err) || strncmp(err, "default spool", 13) == 0, "err names a variable that is set");
    }
    rc_config_free(c);
out:
    free(c);
    free(c2);
    free(err);
    free(err2);
    free(buf);
    return 0;
}
