/*
 * config.c - strict parsing of RECONSUME_* variables.
 *
 * Rules, the same for every variable: unset means the default; set but empty
 * is an error (an empty value is almost always a templating mistake in a
 * service file, and silently defaulting would hide it); numbers are decimal,
 * parsed with strtol and an end pointer, with no junk suffix and a range.
 */
#include "policy/config.h"

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

static int parse_catch(const char *name, const char *v, unsigned *out, char *err, size_t errlen)
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

static void default_spool(rc_getenv_fn get, char *out, size_t cap)
{
    const char *state = get("XDG_STATE_HOME");
    const char *home = get("HOME");
    if (state && state[0] == '/')
        snprintf(out, cap, "%s/reconsume/spool", state);
    else if (home && home[0] == '/')
        snprintf(out, cap, "%s/.local/state/reconsume/spool", home);
    else
        snprintf(out, cap, "/var/tmp/reconsume-%ld/spool", (long)getuid());
}

int rc_config_load(struct rc_config *c, rc_getenv_fn get, char *err, size_t errlen)
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
    if (GET("RECONSUME_MAX_RETRIES")) {
        NONEMPTY("RECONSUME_MAX_RETRIES");
        if (parse_long("RECONSUME_MAX_RETRIES", v, 0, RC_MAX_RETRIES_LIMIT, &n, err, errlen))
            return -1;
        c->max_retries = (int)n;
    }
    if (GET("RECONSUME_CATCH")) {
        NONEMPTY("RECONSUME_CATCH");
        if (parse_catch("RECONSUME_CATCH", v, &c->catch_mask, err, errlen)) return -1;
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
    } else {
        default_spool(get, c->spool_dir, sizeof c->spool_dir);
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
