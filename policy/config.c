/*
 * config.c - strict parsing of RECONSUME_* variables: one loop over the table
 * of policy/settings.def, with a small parser per kind of setting.
 *
 * Rules, the same for every variable: unset means the default; set but empty
 * is an error (an empty value is almost always a templating mistake in a
 * service file, and silently defaulting would hide it); numbers are decimal,
 * parsed with strtol and an end pointer, with no junk suffix and a range.
 */
#include "policy/config.h"

#include "policy/conffile.h"
#include "util/escape.h"
#include "util/editdist.h"
#include "util/scan.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)

/*
 * Where the settings are looked up: the environment, then the
 * RECONSUME_CONFIG file (NULL: none). The environment wins.
 */
struct view {
    rc_getenv_fn env;
    const struct rc_config_file *file;
};

static const char *value(const struct view *vw, const char *name)
{
    const char *v = vw->env(name);
    return v ? v : rc_config_file_get(vw->file, name);
}

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
static int default_spool(const struct view *vw, char *out, size_t cap, char *err, size_t errlen)
{
    const char *state = value(vw, "XDG_STATE_HOME");
    const char *home = value(vw, "HOME");
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
    if (!copy) { /* out of memory: every byte to escape becomes '?' */
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)err[i] < 0x20 || (unsigned char)err[i] >= 0x7f)
                err[i] = '?';
        err[n] = '\0';
        return;
    }
    memcpy(copy, err, n);
    rc_escape(err, errlen, copy, n, RC_ESC_ASCII, NULL);
    free(copy);
}

/*
 * The table (policy/settings.def) as the parser sees it. A row's field is
 * reached by offset; its size tells an int from a long, a path's capacity.
 */
struct setting {
    const char *name;
    enum rc_setting_kind kind;
    size_t off, size;
    long lo, hi, def;
};

#define SLOT(f) offsetof(struct rc_config, f), sizeof(((struct rc_config *)0)->f)
#define NOSLOT(f) 0, 0
#define SLOT_BOOL SLOT
#define SLOT_LONG SLOT
#define SLOT_LEVEL SLOT
#define SLOT_CATCH SLOT
#define SLOT_MODE SLOT
#define SLOT_RETRY SLOT
#define SLOT_PATH_FILE SLOT
#define SLOT_PATH_DIR SLOT
#define SLOT_SPOOL_DIR SLOT
#define SLOT_SINK SLOT
#define SLOT_INJECT SLOT
#define SLOT_NON_RETRYABLE SLOT
#define SLOT_RULES SLOT
#define SLOT_BACKOFF SLOT
#define SLOT_LABELS SLOT
#define SLOT_INJECT_SEED NOSLOT /* parsed with INJECT */
#define SLOT_CONFIG NOSLOT      /* read before the table */

static const struct setting settings[] = {
#define RC_SETTING(id, kind, field, lo, hi, def, ...) \
    {"RECONSUME_" #id, RC_KIND_##kind, SLOT_##kind(field), lo, hi, def},
#include "policy/settings.def"
};
#define N_SETTINGS (sizeof settings / sizeof *settings)

/* The rows' positions: settings[ROW_STRICT] is RECONSUME_STRICT. */
enum {
#define RC_SETTING(id, ...) ROW_##id,
#include "policy/settings.def"
};

/* Every setting a RECONSUME_CONFIG file may hold (a typo there is an error;
 * RECONSUME_CONFIG itself is refused by conffile.c before this list). */
static const char *const known_names[] = {
#define RC_SETTING(id, ...) "RECONSUME_" #id,
#include "policy/settings.def"
    NULL,
};

/* Names with the prefix that are the project's own, not settings. */
static const char *const not_settings[] = {
#define RC_NOT_SETTING(pattern, why) pattern,
#include "policy/settings.def"
};

static bool not_a_setting(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof not_settings / sizeof *not_settings; i++) {
        const char *p = not_settings[i];
        size_t k = strlen(p);
        if (p[k - 1] == '*' ? n >= k - 1 && memcmp(name, p, k - 1) == 0 : rc_scan_is(name, n, p))
            return true;
    }
    return false;
}

/* An int or a long field, as its size says. */
static void store_long(void *slot, size_t size, long n)
{
    if (size == sizeof(int))
        *(int *)slot = (int)n;
    else
        *(long *)slot = n;
}

/* One setting's value v (set, not empty) into its field. */
static int parse_value(const struct setting *s, const char *v, void *slot, char *err,
                       size_t errlen)
{
    long n;
    switch (s->kind) {
    case RC_KIND_BOOL:
        return parse_bool(s->name, v, slot, err, errlen);
    case RC_KIND_LONG:
        if (parse_long(s->name, v, s->lo, s->hi, &n, err, errlen))
            return -1;
        store_long(slot, s->size, n);
        return 0;
    case RC_KIND_LEVEL:
        return parse_level(s->name, v, slot, err, errlen);
    case RC_KIND_CATCH:
        return rc_catch_parse(s->name, v, slot, err, errlen);
    case RC_KIND_MODE:
        if (strcasecmp(v, "observe") == 0)
            *(bool *)slot = true;
        else if (strcasecmp(v, "enforce") != 0)
            return ERR("%s='%s': expected enforce or observe", s->name, v);
        return 0;
    case RC_KIND_RETRY:
        if (strcasecmp(v, "batch") == 0)
            *(bool *)slot = true;
        else if (strcasecmp(v, "copy") == 0)
            *(bool *)slot = false;
        else
            return ERR("%s='%s': expected copy or batch", s->name, v);
        return 0;
    case RC_KIND_PATH_FILE:
        return parse_path(s->name, v, false, slot, s->size, err, errlen);
    case RC_KIND_PATH_DIR:
    case RC_KIND_SPOOL_DIR:
        return parse_path(s->name, v, true, slot, s->size, err, errlen);
    case RC_KIND_SINK:
        return rc_sinkspec_parse(s->name, v, slot, err, errlen);
    case RC_KIND_NON_RETRYABLE:
        return rc_nonretry_parse(s->name, v, slot, err, errlen);
    case RC_KIND_RULES:
        return rc_rules_parse(s->name, v, slot, err, errlen);
    case RC_KIND_BACKOFF:
        return rc_backoff_parse(s->name, v, slot, err, errlen);
    case RC_KIND_LABELS:
        return rc_labels_parse(s->name, v, slot, err, errlen);
    case RC_KIND_INJECT:      /* parse_inject */
    case RC_KIND_INJECT_SEED: /* parse_inject */
    case RC_KIND_CONFIG:      /* rc_config_load */
        break;
    }
    return 0;
}

/* An unset setting: its default. */
static int set_default(const struct setting *s, void *slot, const struct view *vw, char *err,
                       size_t errlen)
{
    switch (s->kind) {
    case RC_KIND_BOOL:
    case RC_KIND_MODE:
    case RC_KIND_RETRY:
        *(bool *)slot = s->def != 0;
        return 0;
    case RC_KIND_LONG:
    case RC_KIND_LEVEL:
        store_long(slot, s->size, s->def);
        return 0;
    case RC_KIND_CATCH:
        *(unsigned *)slot = (unsigned)s->def;
        return 0;
    case RC_KIND_SPOOL_DIR:
        return default_spool(vw, slot, s->size, err, errlen);
    case RC_KIND_SINK:
        rc_sinkspec_default(slot);
        return 0;
    default: /* empty paths and lists: the zeroed config */
        return 0;
    }
}

/*
 * RECONSUME_INJECT with RECONSUME_INJECT_SEED (the draws depend on the seed),
 * parsed whether either is set or not: a bad seed is an error even with no
 * injection.
 */
static int parse_inject(struct rc_inject *out, const struct view *vw, char *err, size_t errlen)
{
    uint64_t seed;
    const char *spec = value(vw, "RECONSUME_INJECT");
    if (rc_inject_seed_parse(value(vw, "RECONSUME_INJECT_SEED"), &seed, err, errlen) != 0)
        return -1;
    if (spec && spec[0] == '\0')
        return ERR("RECONSUME_INJECT='': empty value; unset it for no injection");
    return rc_inject_parse(spec, seed, out, err, errlen);
}

static int load_one(struct rc_config *c, const struct setting *s, const struct view *vw, char *err,
                    size_t errlen)
{
    void *slot = (char *)c + s->off;
    if (s->kind == RC_KIND_CONFIG || s->kind == RC_KIND_INJECT_SEED)
        return 0;
    if (s->kind == RC_KIND_INJECT)
        return parse_inject(slot, vw, err, errlen);
    const char *v = value(vw, s->name);
    if (!v)
        return set_default(s, slot, vw, err, errlen);
    if (v[0] == '\0')
        return ERR("%s='': empty value; unset it for the default", s->name);
    return parse_value(s, v, slot, err, errlen);
}

static int load(struct rc_config *c, const struct view *vw, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    err[0] = '\0';
    /* Strict first, so that the caller knows how to react to any later error. */
    const struct setting *strict = &settings[ROW_STRICT];
    if (load_one(c, strict, vw, err, errlen))
        return -1;
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (&settings[i] != strict && load_one(c, &settings[i], vw, err, errlen))
            return -1;
    return 0;
}

int rc_config_unknown_name(const char *const *envp, char *msg, size_t cap)
{
    static const size_t n_known = sizeof known_names / sizeof *known_names - 1;
    if (cap)
        msg[0] = '\0';
    for (; envp && *envp; envp++) {
        const char *e = *envp;
        size_t n = strcspn(e, "=");
        if (strncmp(e, "RECONSUME_", 10) != 0 || not_a_setting(e, n))
            continue;
        bool known = false;
        for (size_t i = 0; i < n_known && !known; i++)
            known = rc_scan_is(e, n, known_names[i]);
        if (known)
            continue;
        char echo[RC_ECHO_CAP], word[RC_EDIT_MAX + 1];
        rc_scan_echo(e, n, echo, sizeof echo);
        /* How near a suggestion must be grows with the name: 1 edit for up
         * to 3 bytes after the prefix, 2 for up to 7, then 3 (RECONSUME_FOO
         * is no misspelt RECONSUME_LOG; RECONSUME_MAXRETRIES is one). */
        const char *near = NULL;
        if (n <= RC_EDIT_MAX) {
            memcpy(word, e, n);
            word[n] = '\0';
            size_t rest = n - 10, most = rest < 4 ? 1 : rest < 8 ? 2 : 3;
            near = rc_edit_nearest(word, known_names, n_known, most, NULL);
        }
        if (near)
            snprintf(msg, cap, "%s: unknown variable (did you mean %s?)", echo, near);
        else
            snprintf(msg, cap, "%s: unknown variable (not a setting; see reconsume(7))", echo);
        return 1;
    }
    return 0;
}

void rc_config_free(struct rc_config *c)
{
    rc_inject_free(&c->inject);
    rc_nonretry_free(&c->non_retryable);
    rc_rules_free(&c->rules);
}

/* A RECONSUME_CONFIG rule line, parsed as it is met (so the first bad line
 * of the file is the one reported). */
static int file_rule(void *rules, const char *text, const char *origin, char *err, size_t errlen)
{
    return rc_rules_add(rules, text, origin, err, errlen);
}

/*
 * RECONSUME_CONFIG's file, read by src->read and parsed into *file, its rule
 * lines into *rules. Returns 0, or -1 with the reason in err, without the
 * variable (the caller names it once): "not a regular file", or
 * "<path>:<line>: ..." for a line of the file.
 */
static int config_file(const char *path, const struct rc_config_source *src,
                       struct rc_config_file **file, struct rc_rules *rules, char *err,
                       size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    if (!src->read)
        return ERR("cannot be read here");
    if (src->read(path, RC_CONFFILE_MAX_BYTES, &text, &len, err, errlen) != 0)
        return -1;
    int rc = rc_config_file_parse(path, text, len, known_names, file_rule, rules, file, err,
                                  errlen);
    free(text);
    return rc;
}

int rc_config_load_from(struct rc_config *c, const struct rc_config_source *src, char *err,
                        size_t errlen)
{
    /* RECONSUME_CONFIG names a file of the same settings (the environment
     * wins) and of rule lines; it is read from the environment only. */
    rc_getenv_fn get = src->get;
    struct rc_config_file *file = NULL;
    struct rc_rules file_rules = {0};
    struct view vw = {get, NULL};
    const char *path = get("RECONSUME_CONFIG");
    int rc = 0;
    memset(c, 0, sizeof *c);
    if (path) {
        if (path[0] == '\0') {
            rc = ERR("RECONSUME_CONFIG='': empty value; unset it for no file");
            goto out;
        }
        if (config_file(path, src, &file, &file_rules, err, errlen) != 0) {
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
        vw.file = file;
    }
    rc = load(c, &vw, err, errlen);
    /* The file's rules come after RECONSUME_RULES's (first match wins). */
    if (rc == 0)
        rc = rc_rules_append(&c->rules, &file_rules, err, errlen);
    /* A rule's sink= is kept as written (rules.c); it must parse like RECONSUME_SINK. */
    for (size_t i = 0; rc == 0 && i < c->rules.n; i++) {
        struct rc_sinkspec ignored;
        char why[512];
        if (c->rules.v[i].sink &&
            rc_sinkspec_parse("sink", c->rules.v[i].sink, &ignored, why, sizeof why) != 0)
            rc = ERR("%s: rule %d: %s", c->rules.v[i].origin, c->rules.v[i].index, why);
    }
    /* Last, so that a bad value is reported before a misspelt name. */
    if (rc == 0 && src->envp) {
        char line[sizeof c->warning];
        if (rc_config_unknown_name(src->envp, line, sizeof line) && c->strict)
            rc = ERR("%s", line);
        else
            memcpy(c->warning, line, sizeof line);
    }
out:
    rc_config_file_free(file);
    rc_rules_free(&file_rules);
    if (rc != 0) {
        bool strict = c->strict;
        rc_config_free(c);
        c->strict = strict;
        sanitize_err(err, errlen);
    }
    return rc;
}
