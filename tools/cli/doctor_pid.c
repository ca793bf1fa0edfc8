/*
 * doctor_pid.c - the verdict on a running process (see doctor_pid.h).
 */
#include "tools/cli/doctor_pid.h"

#include "tools/cli/cli.h"
#include "tools/cli/doctor_client.h"
#include "tools/cli/doctor_out.h"
#include "tools/cli/elf.h"

#include "io/read_file.h"
#include "obs/shim_state.h"
#include "policy/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *proc_environ;
static size_t proc_environ_len;

static const char *proc_lookup(const char *name)
{
    size_t nl = strlen(name);
    for (size_t o = 0; o < proc_environ_len;) {
        const char *s = proc_environ + o;
        size_t l = strnlen(s, proc_environ_len - o);
        if (l > nl && strncmp(s, name, nl) == 0 && s[nl] == '=')
            return s + nl + 1;
        o += l + 1;
    }
    return NULL;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n < cap)
            break;
        char *g = realloc(buf, cap * 2 + 1);
        if (!g) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = g;
        cap *= 2;
    }
    if (ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

/* The value of "key=" in a file of key=value lines ("" if none). */
static void field(const char *text, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    out[0] = '\0';
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, key, kl) == 0 && l[kl] == '=') {
            const char *v = l + kl + 1, *e = strchr(v, '\n');
            size_t n = e ? (size_t)(e - v) : strlen(v);
            snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), v);
            return;
        }
    }
}

/* Field 22 of /proc/PID/stat, as text ("" if unreadable). */
static void start_time(const char *pid, char *out, size_t cap)
{
    char path[64];
    size_t n;
    out[0] = '\0';
    snprintf(path, sizeof path, "/proc/%s/stat", pid);
    char *st = slurp(path, &n);
    char *p = st ? strrchr(st, ')') : NULL;
    for (int f = 2; p && f < 22; f++)
        p = strchr(p + 1, ' ');
    if (p)
        snprintf(out, cap, "%.*s", (int)strcspn(p + 1, " "), p + 1);
    free(st);
}

/* The effective uid of pid (Uid: real effective saved fs), or -1. */
static long effective_uid(const char *pid)
{
    char path[64];
    size_t n;
    snprintf(path, sizeof path, "/proc/%s/status", pid);
    char *st = slurp(path, &n);
    char *u = st ? strstr(st, "\nUid:") : NULL;
    long r = -1, e = -1;
    if (u && sscanf(u + 5, "%ld %ld", &r, &e) != 2)
        e = -1;
    free(st);
    return e;
}

/*
 * What the shim itself published (obs/shim_state.h). Returns 1 when it said
 * active, 0 when it said pass-through (the reason in reason), -1 when there
 * is no state file of this process (not registered yet, a forked child, or
 * an older shim): then doctor judges from the environment.
 */
static int published_state(const char *pid, char *reason, size_t cap)
{
    char path[PATH_MAX], text[4096], v[64], mine[64];
    long euid = effective_uid(pid);
    if (euid < 0 || !rc_state_path(path, sizeof path, proc_lookup("XDG_RUNTIME_DIR"),
                                   (unsigned)euid, strtol(pid, NULL, 10), false))
        return -1;
    FILE *f = fopen(path, "re");
    if (!f) {
        say("  state: none published at %s (%s; the shim publishes it at the first "
            "registration)\n", path, strerror(errno));
        return -1;
    }
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    field(text, "start", v, sizeof v);
    start_time(pid, mine, sizeof mine);
    if (!v[0] || strcmp(v, mine) != 0) {
        say("  state: %s is an earlier process's (started at %s, this one at %s); ignored\n",
            path, v[0] ? v : "?", mine[0] ? mine : "?");
        return -1;
    }
    char state[32], why[64], detail[1100];
    field(text, "state", state, sizeof state);
    field(text, "reason", why, sizeof why);
    field(text, "detail", detail, sizeof detail);
    say("  state (published by the shim, %s): %s", path, state);
    if (strcmp(state, "active") == 0) {
        say("\n");
        return 1;
    }
    say(", reason %s%s%s\n", why, detail[0] ? ": " : "", detail);
    snprintf(reason, cap, "%s", why[0] ? why : "unknown");
    return 0;
}

int doctor_pid(const char *arg)
{
    char path[64], exe[PATH_MAX];
    snprintf(path, sizeof path, "/proc/%s/maps", arg);
    size_t maps_len;
    char *maps = slurp(path, &maps_len);
    if (!maps) {
        int e = errno;
        snprintf(path, sizeof path, "/proc/%s", arg);
        if (access(path, F_OK) != 0) {
            fprintf(stderr, "reconsume doctor: %s: no such process\n", arg);
            return CLI_EXIT_USAGE;
        }
        fprintf(stderr, "reconsume doctor: /proc/%s/maps: %s (another user's process? run "
                "doctor as that user)\n", arg, strerror(e));
        return CLI_EXIT_USAGE;
    }
    snprintf(path, sizeof path, "/proc/%s/exe", arg);
    ssize_t n = readlink(path, exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    say("process %s: %s\n", arg, n > 0 ? exe : "(executable unknown)");

    char shim[PATH_MAX] = "", client[PATH_MAX] = "";
    for (char *line = strtok(maps, "\n"); line; line = strtok(NULL, "\n")) {
        char *p = strchr(line, '/');
        if (!p)
            continue;
        const char *base = strrchr(p, '/') + 1;
        if (!shim[0] && strncmp(base, "libreconsume.so", 15) == 0)
            snprintf(shim, sizeof shim, "%s", p);
        if (!client[0] && strncmp(base, "librocketmq", 11) == 0)
            snprintf(client, sizeof client, "%s", p);
    }
    free(maps);
    if (client[0]) {
        say("  client: %s", client);
        struct elfx e;
        char err[PATH_MAX + 64];
        if (elfx_open(client, &e, err, sizeof err) == 0) {
            char gen[256];
            doctor_client_generation(&e, gen, sizeof gen);
            say(" (%s)", gen);
            elfx_close(&e);
        }
        say("\n");
    } else {
        say("  client: librocketmq is not loaded in this process (not a consumer, or not "
               "yet)\n");
    }
    if (!shim[0]) {
        say("  shim: not loaded (start it with `reconsume run -- ...`; LD_PRELOAD is read "
               "only when a program starts)\n");
        say("verdict: shim not loaded (exit %d)\n", CLI_EXIT_NOT_ACTIVE);
        return CLI_EXIT_NOT_ACTIVE;
    }
    say("  shim: loaded, %s\n", shim);

    snprintf(path, sizeof path, "/proc/%s/environ", arg);
    proc_environ = slurp(path, &proc_environ_len);
    if (!proc_environ) {
        say("  settings: /proc/%s/environ is not readable (%s); cannot say which\n", arg,
               strerror(errno));
    } else {
        say("  settings (the environment it started with, which the shim read at load):\n");
        int shown = 0;
        for (size_t o = 0; o < proc_environ_len;) {
            const char *s = proc_environ + o;
            size_t l = strnlen(s, proc_environ_len - o);
            if (strncmp(s, "RECONSUME_", 10) == 0 || strncmp(s, "LD_PRELOAD=", 11) == 0) {
                const char *eq = strchr(s, '=');
                say("    %.*s=", (int)(eq ? eq - s : (int)l), s);
                char *v = strndup(eq ? eq + 1 : "", l);
                for (char *c = v; c && *c; c++)
                    if (!isprint((unsigned char)*c))
                        *c = '?';
                cli_put_quoted(doctor_out, v ? v : "");
                free(v);
                say("\n");
                shown++;
            }
            o += l + 1;
        }
        if (shown == 0)
            say("    (none: every default)\n");
    }

    /* The same parser, on the same environment, from its directory
     * (relative paths and writability are judged as the shim judged them,
     * as far as this user can see). */
    enum { ENV_UNKNOWN, ENV_INVALID, ENV_DISABLED, ENV_ENABLED } judged = ENV_UNKNOWN;
    if (proc_environ) {
        snprintf(path, sizeof path, "/proc/%s/cwd", arg);
        if (chdir(path) != 0)
            say("  note: cannot enter its working directory; relative paths are judged from "
                   "here\n");
        struct rc_config cfg;
        char err[2048];
        if (rc_config_load(&cfg, proc_lookup, err, sizeof err) != 0) {
            say("  configuration: invalid: %s\n", err);
            judged = ENV_INVALID;
        } else {
            char catches[64];
            rc_catch_format(cfg.catch_mask, catches, sizeof catches);
            say("  configuration: valid: %s, %s mode, max retries %d, catch %s, spool %s%s%s\n",
                   cfg.enable ? "enabled" : "disabled", cfg.observe ? "observe" : "enforce",
                   cfg.max_retries, catches, cfg.spool_dir, cfg.stats_path[0] ? ", stats " : "",
                   cfg.stats_path);
            judged = cfg.enable ? ENV_ENABLED : ENV_DISABLED;
            rc_config_free(&cfg);
        }
    }

    /* What the shim says it does decides; the environment only when it has
     * said nothing yet. */
    char reason[64];
    int st = published_state(arg, reason, sizeof reason);
    if (st == 1) {
        say("verdict: shim loaded and active (exit 0)\n");
        return 0;
    }
    if (st == 0) {
        say("verdict: shim loaded but passing through: %s (exit %d)\n", reason, CLI_EXIT_PASSTHROUGH);
        return CLI_EXIT_PASSTHROUGH;
    }
    switch (judged) {
    case ENV_UNKNOWN:
        say("verdict: shim loaded; whether active is unknown (exit 0)\n");
        return 0;
    case ENV_INVALID:
        say("  the shim is passing through (or, with RECONSUME_STRICT, the process would "
               "have exited 78)\n");
        say("verdict: shim loaded but passing through: config-invalid, judged from its "
            "environment (exit %d)\n", CLI_EXIT_PASSTHROUGH);
        return CLI_EXIT_PASSTHROUGH;
    case ENV_DISABLED:
        say("verdict: shim loaded but disabled, pass-through, judged from its environment "
            "(exit %d)\n", CLI_EXIT_PASSTHROUGH);
        return CLI_EXIT_PASSTHROUGH;
    case ENV_ENABLED:
        break;
    }
    say("verdict: shim loaded; its settings are valid, but it has published no state yet "
        "(no registration so far), judged from its environment (exit 0)\n");
    return 0;
}
