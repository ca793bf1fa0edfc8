/*
 * doctor_pid.c - the verdict on a running process (see doctor_pid.h).
 */
#include "tools/cli/doctor_pid.h"

#include "tools/cli/cli.h"
#include "tools/cli/doctor_client.h"
#include "tools/cli/doctor_out.h"
#include "tools/cli/elf.h"

#include "io/read_file.h"
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
        say("verdict: shim loaded (exit 0)\n");
        return 0;
    }
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

    /* The same parser, on the same environment, from its directory
     * (relative paths and writability are judged as the shim judged them,
     * as far as this user can see). */
    snprintf(path, sizeof path, "/proc/%s/cwd", arg);
    if (chdir(path) != 0)
        say("  note: cannot enter its working directory; relative paths are judged from "
               "here\n");
    struct rc_config cfg;
    char err[2048];
    if (rc_config_load(&cfg, proc_lookup, err, sizeof err) != 0) {
        say("  configuration: invalid: %s\n", err);
        say("  the shim is passing through (or, with RECONSUME_STRICT, the process would "
               "have exited 78)\n");
        say("verdict: shim loaded but passing through (exit %d)\n", CLI_EXIT_NOT_ACTIVE);
        return CLI_EXIT_NOT_ACTIVE;
    }
    char catches[64];
    rc_catch_format(cfg.catch_mask, catches, sizeof catches);
    say("  configuration: valid: %s, %s mode, max retries %d, catch %s, spool %s%s%s\n",
           cfg.enable ? "enabled" : "disabled", cfg.observe ? "observe" : "enforce",
           cfg.max_retries, catches, cfg.spool_dir, cfg.stats_path[0] ? ", stats " : "",
           cfg.stats_path);
    bool enabled = cfg.enable;
    rc_config_free(&cfg);
    if (!enabled) {
        say("verdict: shim loaded but disabled, pass-through (exit %d)\n", CLI_EXIT_NOT_ACTIVE);
        return CLI_EXIT_NOT_ACTIVE;
    }
    say("verdict: shim loaded and active (exit 0)\n");
    return 0;
}
