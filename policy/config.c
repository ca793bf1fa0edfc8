/*
 * config.c - strict parsing of RECONSUME_* variables.
 *
 * Rules, the same for every variable: unset means the default; set but empty
 * is an error (an empty value is almost always a templating mistake in a
 * service file, and silently defaulting would hide it); numbers are decimal,
 * parsed with strtol and an end pointer, with no junk suffix and a range.
 */
#include "policy/config.h"

#include "policy/conffile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)


static int parse_bool(const char *name, const char *v, bool *out, char *err, size_t errlen)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        if (strcasecmp(v, yes[i]) == 0) { *out = true; return 0; }
        if (strcasecmp(v, no[i]) == 0) { *out = false; return 0; }
    }
    return ERR("%s='%s': expected 1/0, true/false, yes/no or on/off", name, v);
}

static int parse_long(const char *name, const char *v, long lo, long hi, long *out,
                      char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    /* strtol accepts leading blanks and a '+'; a config value should not. */
    bool digits = (v[0] >= '0' && v[0] <= '9') || (v[0] == '-' && v[1] >= '0' && v[1] <= '9');
    if (!digits || *end != '\0' || errno == ERANGE || n < lo || n > hi)
        return ERR("%s='%s': expected an integer from %ld to %ld", name, v, lo, hi);
    *out = n;
    return 0;
}

static int parse_level(const char *name, const char *v, int *out, char *err, size_t errlen)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (strcasecmp(v, names[i]) == 0) { *out = i; return 0; }
    return ERR("%s='%s': expected one of error, warn, info, debug", name, v);
}

static const struct { const char *name; unsigned bits; } catch_names[] = {
    {"status", RC_CATCH_STATUS},
    {"exception", RC_CATCH_EXCEPTION},
    {"signal", RC_CATCH_SIGNAL},
    {"abort", RC_CATCH_ABORT},
};

int rc_catch_parse(const char *name, const char *v, unsigned *out, char *err, size_t errlen)
{
    static const char accepted[] =
        "expected a comma-separated list of status, exception, signal, abort, or all, or none";
    if (strcasecmp(v, "all") == 0) { *out = RC_CATCH_ALL; return 0; }
    if (strcasecmp(v, "none") == 0) { *out = 0; return 0; }
    unsigned mask = 0;
    const char *p = v;
    for (;;) {
        size_t n = strcspn(p, ",");
        bool found = false;
        for (size_t i = 0; i < sizeof catch_names / sizeof *catch_names; i++) {
            if (n == strlen(catch_names[i].name) && strncasecmp(p, catch_names[i].name, n) == 0) {
                mask |= catch_names[i].bits;
                found = true;
            }
        }
        if (!found)
            return ERR("%s='%s': unknown kind '%.*s'; %s", name, v, (int)n, p, accepted);
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    *out = mask;
    return 0;
}

void rc_catch_format(unsigned mask, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof catch_names / sizeof *catch_names; i++) {
        if (!(mask & catch_names[i].bits))
            continue;
        int n = snprintf(buf + used, cap - used, "%s%s", used ? "," : "", catch_names[i].name);
        if (n < 0 || (size_t)n >= cap - used)
            return;
        used += (size_t)n;
    }
    if (used == 0)
        snprintf(buf, cap, "none");
}

/*
 * A path variable: made absolute against the current directory now (the host
 * may chdir later), and checked without touching the file system beyond
 * stat(): the nearest existing ancestor must be a directory. Nothing is
 * created at load; a program that never consumes leaves no trace.
 */
static int parse_path(const char *name, const char *v, bool want_dir, char *out, size_t cap,
                      char *err, size_t errlen)
{
    char cwd[PATH_MAX];
    int n;
    if (v[0] == '/') {
        n = snprintf(out, cap, "%s", v);
    } else {
        if (!getcwd(cwd, sizeof cwd))
            return ERR("%s='%s': relative path, and the current directory is unknown (%s)",
                       name, v, strerror(errno));
        n = snprintf(out, cap, "%s/%s", cwd, v);
    }
    if (n < 0 || (size_t)n >= cap)
        return ERR("%s='%s': path longer than %zu bytes", name, v, cap - 1);

    /* Walk up to the nearest component that exists. */
    char probe[PATH_MAX];
    snprintf(probe, sizeof probe, "%s", out);
    struct stat st;
    bool self = true;
    for (;;) {
        if (stat(probe, &st) == 0) {
            if (self && !want_dir && S_ISDIR(st.st_mode))
                return ERR("%s='%s': is a directory; expected a file path", name, v);
            if ((!self || want_dir) && !S_ISDIR(st.st_mode))
                return ERR("%s='%s': %s is not a directory; expected a %s path", name, v,
                           probe, want_dir ? "directory" : "file");
            /* What will be created must be creatable (as far as access(2) knows). */
            if (S_ISDIR(st.st_mode) && access(probe, W_OK | X_OK) != 0)
                return ERR("%s='%s': %s is not writable (%s); expected a writable %s path", name,
                           v, probe, strerror(errno), want_dir ? "directory" : "file");
            return 0;
        }
        if (errno != ENOENT && errno != ENOTDIR)
            return ERR("%s='%s': cannot use %s: %s", name, v, probe, strerror(errno));
        char *slash = strrchr(probe, '/');
        if (!slash || slash == probe)
            return 0; /* reached "/" */
        *slash = '\0';
        self = false;
    }
}

/*
 * The default spool: $XDG_STATE_HOME/reconsume/spool, else
 * $HOME/.local/state/reconsume/spool, else /var/tmp/reconsume-<uid>/spool.
 * A base too long for PATH_MAX is an error naming it (it used to be cut
 * silently, which named some other directory).
 */
static int default_spool(rc_getenv_fn get, char *out, size_t cap, char *err, size_t errlen)
{
    const char *state = get("XDG_STATE_HOME");
    const char *home = get("HOME");
    int n;
    if (state && state[0] == '/') {
        n = snprintf(out, cap, "%s/reconsume/spool", state);
        if (n < 0 || (size_t)n >= cap)
            return ERR("XDG_STATE_HOME='%s': the default spool directory under it is longer "
                       "than %zu bytes; set RECONSUME_SPOOL_DIR", state, cap - 1);
    } else if (home && home[0] == '/') {
        n = snprintf(out, cap, "%s/.local/state/reconsume/spool", home);
        if (n < 0 || (size_t)n >= cap)
            return ERR("HOME='%s': the default spool directory under it is longer than %zu "
                       "bytes; set RECONSUME_SPOOL_DIR", home, cap - 1);
    } else {
        snprintf(out, cap, "/var/tmp/reconsume-%ld/spool", (long)getuid());
    }
    return 0;
}

/*
 * Make the error line safe to print: a value from the environment may hold
 * a newline or a terminal escape sequence, and the line goes to stderr or a
 * log. Bytes outside printable ASCII become \xNN (a line of printable ASCII
 * reads exactly as before; out of memory, they become '?'). Cut at an escape
 * boundary, never mid-escape.
 */
static void sanitize_err(char *err, size_t errlen)
{
    if (!err || errlen == 0)
        return;
    size_t n = strnlen(err, errlen - 1);
    char *copy = malloc(n + 1);
    if (!copy) {
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)err[i] < 0x20 || (unsigned char)err[i] >= 0x7f)
                err[i] = '?';
        err[n] = '\0';
        return;
    }
    memcpy(copy, err, n);
    copy[n] = '\0';
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)copy[i];
        char esc[5];
        size_t k;
        if (ch < 0x20 || ch >= 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", ch);
            k = 4;
        } else {
            esc[0] = (char)ch;
            k = 1;
        }
        if (o + k > errlen - 1)
            break;
        memcpy(err + o, esc, k);
        o += k;
    }
    err[o] = '\0';
    free(copy);
}

static int load(struct rc_config *c, rc_getenv_fn get, char *err, size_t errlen);

/* Every setting a RECONSUME_CONFIG file may hold (a typo there is an error). */
static const char *const known_names[] = {
    "RECONSUME_ENABLE", "RECONSUME_STRICT", "RECONSUME_MODE", "RECONSUME_OBSERVE_RECORD",
    "RECONSUME_MAX_RETRIES", "RECONSUME_CATCH", "RECONSUME_LOG_LEVEL", "RECONSUME_LOG",
    "RECONSUME_BROADCAST_BACKOFF_MS", "RECONSUME_TIMEOUT_MS", "RECONSUME_TRACK_MAX",
    "RECONSUME_SIGNAL_MAX", "RECONSUME_SPOOL_DIR", "RECONSUME_STATS",
    "RECONSUME_STATS_INTERVAL_MS", "RECONSUME_INJECT", "RECONSUME_INJECT_SEED",
    "RECONSUME_NON_RETRYABLE", "RECONSUME_RULES", "RECONSUME_JOURNAL", "RECONSUME_MAX_CRASHES",
    "RECONSUME_SINK",
    NULL,
};

void rc_config_free(struct rc_config *c)
{
    rc_inject_free(&c->inject);
    rc_nonretry_free(&c->non_retryable);
    rc_rules_free(&c->rules);
}

int rc_config_load(struct rc_config *c, rc_getenv_fn get, char *err, size_t errlen)
{
    /* RECONSUME_CONFIG names a file of the same settings (the environment
     * wins) and of rule lines; it is read from the environment only. */
    struct rc_config_file *file = NULL;
    const char *path = get("RECONSUME_CONFIG");
    int rc = 0;
    memset(c, 0, sizeof *c);
    if (path) {
        if (path[0] == '\0') {
            rc = ERR("RECONSUME_CONFIG='': empty value; unset it for no file");
            goto out;
        }
        if (rc_config_file_read(path, known_names, &file, err, errlen) != 0) {
            /* Strict mode still applies to a file that cannot be used. */
            const char *sv = get("RECONSUME_STRICT");
            char ignored[8];
            if (sv && parse_bool("RECONSUME_STRICT", sv, &c->strict, ignored, sizeof ignored) != 0)
                c->strict = false;
            char why[1024];
            snprintf(why, sizeof why, "%s", err);
            rc = ERR("RECONSUME_CONFIG='%s': %s", path, why);
            goto out;
        }
        rc_config_file_use(file, get);
        get = rc_config_lookup;
    }
    rc = load(c, get, err, errlen);
    if (rc == 0 && file)
        rc = rc_rules_append(&c->rules, rc_config_file_rules(file), err, errlen);
    /* A rule's sink= is kept as written (rules.c); it must parse like RECONSUME_SINK. */
    for (size_t i = 0; rc == 0 && i < c->rules.n; i++) {
        struct rc_sinkspec ignored;
        char why[512];
        if (c->rules.v[i].sink &&
            rc_sinkspec_parse("sink", c->rules.v[i].sink, &ignored, why, sizeof why) != 0)
            rc = ERR("%s: rule %d: %s", c->rules.v[i].origin, c->rules.v[i].index, why);
    }
out:
    if (file) {
        rc_config_file_use(NULL, NULL);
        rc_config_file_free(file);
    }
    if (rc != 0) {
        bool strict = c->strict;
        rc_config_free(c);
        c->strict = strict;
        sanitize_err(err, errlen);
    }
    return rc;
}

static int load(struct rc_config *c, rc_getenv_fn get, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->enable = true;
    c->strict = false;
    c->max_retries = 16; /* RocketMQ's own maxReconsumeTimes */
    c->catch_mask = RC_CATCH_STATUS | RC_CATCH_EXCEPTION;
    c->log_level = RC_LOG_INFO;
    c->broadcast_backoff_ms = 100;
    c->timeout_ms = 0;
    c->track_max = 65536;
    c->signal_max = 100;
    c->stats_interval_ms = 5000;
    c->max_crashes = 3;
    err[0] = '\0';

    const char *v;
    long n;
#define GET(name) ((v = get(name)) != NULL)
#define NONEMPTY(name) \
    if (v[0] == '\0') return ERR("%s='': empty value; unset it for the default", name)

    /* Strict first, so that the caller knows how to react to any later error. */
    if (GET("RECONSUME_STRICT")) {
        NONEMPTY("RECONSUME_STRICT");
        if (parse_bool("RECONSUME_STRICT", v, &c->strict, err, errlen)) return -1;
    }
    if (GET("RECONSUME_ENABLE")) {
        NONEMPTY("RECONSUME_ENABLE");
        if (parse_bool("RECONSUME_ENABLE", v, &c->enable, err, errlen)) return -1;
    }
    if (GET("RECONSUME_MODE")) {
        NONEMPTY("RECONSUME_MODE");
        if (strcasecmp(v, "observe") == 0)
            c->observe = true;
        else if (strcasecmp(v, "enforce") != 0)
            return ERR("%s='%s': expected enforce or observe", "RECONSUME_MODE", v);
    }
    if (GET("RECONSUME_OBSERVE_RECORD")) {
        NONEMPTY("RECONSUME_OBSERVE_RECORD");
        if (parse_bool("RECONSUME_OBSERVE_RECORD", v, &c->observe_record, err, errlen)) return -1;
    }
    if (GET("RECONSUME_MAX_RETRIES")) {
        NONEMPTY("RECONSUME_MAX_RETRIES");
        if (parse_long("RECONSUME_MAX_RETRIES", v, 0, RC_MAX_RETRIES_LIMIT, &n, err, errlen))
            return -1;
        c->max_retries = (int)n;
    }
    if (GET("RECONSUME_CATCH")) {
        NONEMPTY("RECONSUME_CATCH");
        if (rc_catch_parse("RECONSUME_CATCH", v, &c->catch_mask, err, errlen)) return -1;
    }
    if (GET("RECONSUME_LOG_LEVEL")) {
        NONEMPTY("RECONSUME_LOG_LEVEL");
        if (parse_level("RECONSUME_LOG_LEVEL", v, &c->log_level, err, errlen)) return -1;
    }
    if (GET("RECONSUME_BROADCAST_BACKOFF_MS")) {
        NONEMPTY("RECONSUME_BROADCAST_BACKOFF_MS");
        if (parse_long("RECONSUME_BROADCAST_BACKOFF_MS", v, 0, 60000, &n, err, errlen)) return -1;
        c->broadcast_backoff_ms = (int)n;
    }
    if (GET("RECONSUME_TIMEOUT_MS")) {
        NONEMPTY("RECONSUME_TIMEOUT_MS");
        if (parse_long("RECONSUME_TIMEOUT_MS", v, 0, 86400000L, &c->timeout_ms, err, errlen))
            return -1;
    }
    if (GET("RECONSUME_TRACK_MAX")) {
        NONEMPTY("RECONSUME_TRACK_MAX");
        if (parse_long("RECONSUME_TRACK_MAX", v, 16, 10000000L, &c->track_max, err, errlen))
            return -1;
    }
    if (GET("RECONSUME_SIGNAL_MAX")) {
        NONEMPTY("RECONSUME_SIGNAL_MAX");
        if (parse_long("RECONSUME_SIGNAL_MAX", v, 0, 1000000L, &c->signal_max, err, errlen))
            return -1;
    }
    if (GET("RECONSUME_SPOOL_DIR")) {
        NONEMPTY("RECONSUME_SPOOL_DIR");
        if (parse_path("RECONSUME_SPOOL_DIR", v, true, c->spool_dir, sizeof c->spool_dir, err,
                       errlen))
            return -1;
    } else if (default_spool(get, c->spool_dir, sizeof c->spool_dir, err, errlen)) {
        return -1;
    }
    rc_sinkspec_default(&c->sink);
    if (GET("RECONSUME_SINK")) {
        NONEMPTY("RECONSUME_SINK");
        if (rc_sinkspec_parse("RECONSUME_SINK", v, &c->sink, err, errlen) != 0)
            return -1;
    }
    if (GET("RECONSUME_STATS_INTERVAL_MS")) {
        NONEMPTY("RECONSUME_STATS_INTERVAL_MS");
        if (parse_long("RECONSUME_STATS_INTERVAL_MS", v, 100, 3600000L, &c->stats_interval_ms, err,
                       errlen))
            return -1;
    }
    if (GET("RECONSUME_MAX_CRASHES")) {
        NONEMPTY("RECONSUME_MAX_CRASHES");
        if (parse_long("RECONSUME_MAX_CRASHES", v, 1, 1000, &n, err, errlen))
            return -1;
        c->max_crashes = (int)n;
    }
    if (GET("RECONSUME_JOURNAL")) {
        NONEMPTY("RECONSUME_JOURNAL");
        if (parse_path("RECONSUME_JOURNAL", v, true, c->journal_dir, sizeof c->journal_dir, err,
                       errlen))
            return -1;
    }
    {
        uint64_t seed;
        const char *spec = get("RECONSUME_INJECT");
        if (rc_inject_seed_parse(get("RECONSUME_INJECT_SEED"), &seed, err, errlen) != 0)
            return -1;
        if (spec && spec[0] == '\0')
            return ERR("RECONSUME_INJECT='': empty value; unset it for no injection");
        if (rc_inject_parse(spec, seed, &c->inject, err, errlen) != 0)
            return -1;
    }
    if (GET("RECONSUME_NON_RETRYABLE")) {
        NONEMPTY("RECONSUME_NON_RETRYABLE");
        if (rc_nonretry_parse("RECONSUME_NON_RETRYABLE", v, &c->non_retryable, err, errlen) != 0)
            return -1;
    }
    if (GET("RECONSUME_RULES")) {
        NONEMPTY("RECONSUME_RULES");
        if (rc_rules_parse("RECONSUME_RULES", v, &c->rules, err, errlen) != 0)
            return -1;
    }
    if (GET("RECONSUME_LOG")) {
        NONEMPTY("RECONSUME_LOG");
        if (parse_path("RECONSUME_LOG", v, false, c->log_path, sizeof c->log_path, err, errlen))
            return -1;
    }
    if (GET("RECONSUME_STATS")) {
        NONEMPTY("RECONSUME_STATS");
        if (parse_path("RECONSUME_STATS", v, false, c->stats_path, sizeof c->stats_path, err,
                       errlen))
            return -1;
    }
#undef GET
#undef NONEMPTY
    return 0;
}
