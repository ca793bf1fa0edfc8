/*
 * run.c - `reconsume run [options] -- program [args...]`.
 *
 * Options become RECONSUME_* variables; the environment the program would
 * get is checked by the library's own parser (rc_config_load_from, linked
 * from policy/, with io/'s reader) before anything runs, so a mistake is reported here, naming the
 * option, with exit status 2. Then LD_PRELOAD gets the shim appended (once)
 * and the program is exec'ed in place: same pid, and its exit status and
 * signals are the caller's to see, unchanged.
 */
#include "tools/cli/cli.h"

#include "io/read_file.h"
#include "policy/config.h"
#include "sink/spool.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum kind { VALUE, PATHV, SWITCH };

struct opt {
    const char *flag;
    const char *arg;   /* metavariable, NULL for a switch */
    const char *var;
    const char *fixed; /* the value a switch sets */
    enum kind kind;
    enum rc_setting_kind setting;
    const char *help;
};

/* How each kind of setting is given on the command line. */
#define RUN_KIND_BOOL SWITCH
#define RUN_KIND_MODE SWITCH
#define RUN_KIND_RETRY VALUE
#define RUN_KIND_LONG VALUE
#define RUN_KIND_LEVEL VALUE
#define RUN_KIND_CATCH VALUE
#define RUN_KIND_SINK VALUE
#define RUN_KIND_INJECT VALUE
#define RUN_KIND_INJECT_SEED VALUE
#define RUN_KIND_NON_RETRYABLE VALUE
#define RUN_KIND_RULES VALUE
#define RUN_KIND_BACKOFF VALUE
#define RUN_KIND_LABELS VALUE
#define RUN_KIND_PATH_FILE PATHV
#define RUN_KIND_PATH_DIR PATHV
#define RUN_KIND_SPOOL_DIR PATHV
#define RUN_KIND_CONFIG PATHV

/* Every RECONSUME_* variable of the library has an option here: the rows of
 * policy/settings.def, in its order. */
static const struct opt opts[] = {
#define RC_SETTING(id, kind, field, lo, hi, def, flag, meta, fixed, help) \
    {flag, meta, "RECONSUME_" #id, fixed, RUN_KIND_##kind, RC_KIND_##kind, help},
#include "policy/settings.def"
};
#define N_OPTS (sizeof opts / sizeof *opts)

/* The variables set from the command line, in the table's order. */
static const char *set_value[N_OPTS];
static char path_buf[N_OPTS][PATH_MAX];
static bool for_print; /* --print-env: the environment is not the program's */

static size_t opt_of_var(const char *var)
{
    size_t i = 0;
    while (i < N_OPTS - 1 && strcmp(opts[i].var, var) != 0)
        i++;
    return i;
}

static int opt_index_of_var(const char *var)
{
    for (size_t i = 0; i < N_OPTS; i++)
        if (set_value[i] && strcmp(opts[i].var, var) == 0)
            return (int)i;
    return -1;
}

/* The lookup the loader sees: the options first, then the environment
 * (with --print-env, RECONSUME_* only from the options: the output is meant
 * for another environment). */
static bool print_paths; /* --print-env was given a path */

static const char *lookup(const char *name)
{
    int i = opt_index_of_var(name);
    if (i >= 0 && for_print && opts[i].kind == PATHV) {
        /* Paths printed for a service file or a container belong to that
         * environment: they are made absolute but not looked up here (a
         * stand-in that passes is checked instead; the file of --config is
         * not read). */
        print_paths = true;
        if (opts[i].setting == RC_KIND_CONFIG)
            return NULL;
        if (opts[i].setting == RC_KIND_SPOOL_DIR || opts[i].setting == RC_KIND_PATH_DIR)
            return P_tmpdir;
        return P_tmpdir "/reconsume-print-env-stand-in";
    }
    if (i >= 0)
        return set_value[i];
    if (for_print && strncmp(name, "RECONSUME_", 10) == 0)
        return NULL;
    return getenv(name);
}

static void usage(FILE *f)
{
    fputs("usage: reconsume run [options] [--] program [args...]\n"
          "       reconsume run [options] --print-env\n"
          "\n"
          "Runs program with libreconsume.so preloaded and RECONSUME_* set from the\n"
          "options; every value is checked first (exit status 2 on a mistake), then\n"
          "the program replaces this process (same pid, its own exit status).\n"
          "\n"
          "Options (each sets the variable named):\n", f);
    for (size_t i = 0; i < N_OPTS; i++) {
        char left[64];
        snprintf(left, sizeof left, "%s%s%s", opts[i].flag, opts[i].arg ? " " : "",
                 opts[i].arg ? opts[i].arg : "");
        fprintf(f, "  %-28s %s", left, opts[i].var);
        if (opts[i].fixed)
            fprintf(f, "=%s", opts[i].fixed);
        fprintf(f, "\n  %-28s   %s\n", "", opts[i].help);
    }
    fputs("\nOther options:\n"
          "  --lib PATH                   the shim to preload (default: $RECONSUME_LIB,\n"
          "                               else the installed one, else next to this binary)\n"
          "  --print-env                  print the variables it would set, KEY=VALUE lines\n"
          "                               (shell-quoted where needed), and exit 0\n"
          "  -h, --help                   this help\n"
          "\n"
          "Exit status: the program's own; 2 for a bad option or value; 126 if the\n"
          "program cannot be executed, 127 if it is not found.\n", f);
}

static int fail(const char *fmt, const char *a, const char *b)
{
    fputs("reconsume run: ", stderr);
    fprintf(stderr, fmt, a, b);
    fputs("\nTry 'reconsume run --help' for more information.\n", stderr);
    return CLI_EXIT_USAGE;
}

/*
 * Report a configuration error from the loader, naming the option
 * that set the variable: "RECONSUME_MAX_RETRIES='abc': expected ..."
 * becomes "--max-retries abc: expected ...".
 */
static int config_error(const char *err)
{
    size_t n = strspn(err, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");
    char var[64];
    if (n > 0 && n < sizeof var && strncmp(err, "RECONSUME_", 10) == 0) {
        memcpy(var, err, n);
        var[n] = '\0';
        int i = opt_index_of_var(var);
        const char *rest = err + n;
        if (i >= 0) {
            fprintf(stderr, "reconsume run: %s", opts[i].flag);
            if (opts[i].kind == SWITCH) {
                fprintf(stderr, ": %s\n", err); /* a fixed value: show the variable */
            } else {
                /* Skip the ='value' the parser quoted, if it is the one given. */
                const char *v = set_value[i];
                size_t vl = strlen(v);
                if (rest[0] == '=' && rest[1] == '\'' && strncmp(rest + 2, v, vl) == 0 &&
                    rest[2 + vl] == '\'') {
                    rest += 3 + vl;
                    fputc(' ', stderr);
                    cli_put_quoted(stderr, opts[i].kind == PATHV ? path_buf[i] : v);
                    fprintf(stderr, "%s\n", rest);
                } else {
                    fprintf(stderr, ": %s\n", err);
                }
            }
            fputs("Try 'reconsume run --help' for more information.\n", stderr);
            return CLI_EXIT_USAGE;
        }
        const char *conf = lookup("RECONSUME_CONFIG");
        if (!(for_print && strncmp(var, "RECONSUME_", 10) == 0) && !getenv(var) && conf) {
            int ci = opt_index_of_var("RECONSUME_CONFIG");
            fprintf(stderr, "reconsume run: in %s%s", ci >= 0 ? "--config " : "RECONSUME_CONFIG=",
                    "");
            cli_put_quoted(stderr, conf);
            fprintf(stderr, ": %s\n", err);
            fputs("Try 'reconsume run --help' for more information.\n", stderr);
            return CLI_EXIT_USAGE;
        }
        if (getenv(var)) {
            fprintf(stderr, "reconsume run: in the environment: %s\n", err);
            fputs("Unset it, or override it with an option (see 'reconsume run --help').\n",
                  stderr);
            return CLI_EXIT_USAGE;
        }
    }
    fprintf(stderr, "reconsume run: %s\n", err);
    fputs("Try 'reconsume run --help' for more information.\n", stderr);
    return CLI_EXIT_USAGE;
}

static bool is_shim(const char *entry, const char *lib)
{
    const char *base = strrchr(entry, '/');
    base = base ? base + 1 : entry;
    return strcmp(entry, lib) == 0 || strcmp(base, "libreconsume.so") == 0;
}

/* The existing LD_PRELOAD (space- or colon-separated) with any shim taken
 * out, then lib appended: sanitizer runtimes and other preloads keep their
 * place in front, and the shim is never there twice. */
static char *compose_preload(const char *old, const char *lib)
{
    size_t cap = (old ? strlen(old) : 0) + strlen(lib) + 2;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    out[0] = '\0';
    if (old) {
        const char *p = old;
        while (*p) {
            size_t k = strcspn(p, ": ");
            if (k > 0) {
                char item[PATH_MAX];
                if (k < sizeof item) {
                    memcpy(item, p, k);
                    item[k] = '\0';
                    if (!is_shim(item, lib)) {
                        if (out[0])
                            strcat(out, ":");
                        strcat(out, item);
                    } else if (strcmp(item, lib) != 0) {
                        fprintf(stderr, "reconsume run: note: replacing %s in LD_PRELOAD with %s\n",
                                item, lib);
                    }
                }
            }
            p += k;
            if (*p)
                p++;
        }
    }
    if (out[0])
        strcat(out, ":");
    strcat(out, lib);
    return out;
}

int cli_run(int argc, char **argv)
{
    const char *lib_opt = NULL;
    bool print_env = false;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0')
            break; /* the program */
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--print-env") == 0) {
            print_env = true;
            continue;
        }
        /* --flag VALUE or --flag=VALUE */
        const char *eq = strchr(a, '=');
        size_t fl = eq ? (size_t)(eq - a) : strlen(a);
        const char *val = NULL;
        if (fl == 5 && strncmp(a, "--lib", 5) == 0) {
            if (eq)
                val = eq + 1;
            else if (i + 1 < argc && strcmp(argv[i + 1], "--") != 0)
                val = argv[++i];
            else
                return fail("%s: expected a value (%s)", "--lib", "PATH");
            if (!val[0])
                return fail("%s: empty value; expected %s", "--lib", "PATH");
            lib_opt = val;
            continue;
        }
        size_t k = 0;
        for (; k < N_OPTS; k++)
            if (strlen(opts[k].flag) == fl && strncmp(opts[k].flag, a, fl) == 0)
                break;
        if (k == N_OPTS)
            return fail("unknown option %s%s", a, "");
        const struct opt *o = &opts[k];
        if (o->kind == SWITCH) {
            if (eq)
                return fail("%s takes no value (given '%s')", o->flag, eq + 1);
            set_value[k] = o->fixed;
            if (strcmp(o->flag, "--observe-record") == 0) /* implies --observe */
                set_value[opt_of_var("RECONSUME_MODE")] = "observe";
            continue;
        }
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc && strcmp(argv[i + 1], "--") != 0)
            val = argv[++i];
        else
            return fail("%s: expected a value (%s)", o->flag, o->arg);
        if (val[0] == '\0')
            return fail("%s: empty value; expected %s (leave the option out for the default)",
                        o->flag, o->arg);
        if (o->kind == PATHV) {
            if (cli_absolute(val, path_buf[k], sizeof path_buf[k]) != 0)
                return fail("%s %s: cannot make the path absolute", o->flag, val);
            set_value[k] = path_buf[k];
        } else {
            set_value[k] = val;
        }
    }
    char **prog = argv + i;
    if (!print_env && i >= argc)
        return fail("no program given%s%s", "", "");

    /* Check everything the library will check, as it will. A misspelt
     * RECONSUME_* name, only a warning for the shim (an error in its strict
     * mode), is an error here: nothing has run yet, and it is the moment to
     * fix it. Not with --print-env, whose output is for another environment. */
    for_print = print_env;
    struct rc_config cfg;
    char err[2048];
    if (!print_env && rc_config_unknown_name((const char *const *)environ, err, sizeof err)) {
        fprintf(stderr, "reconsume run: in the environment: %s\n", err);
        fputs("Unset it (the settings are listed in reconsume(7) and 'reconsume run --help').\n",
              stderr);
        return CLI_EXIT_USAGE;
    }
    const struct rc_config_source src = {lookup, rc_read_file, NULL};
    if (rc_config_load_from(&cfg, &src, err, sizeof err) != 0)
        return config_error(err);
    /* The spool as the shim will check it at the first registration (where
     * it stores anything); a missing one it creates. */
    bool stores = !cfg.observe || cfg.observe_record;
    if (!print_env && stores && rc_spool_check(cfg.spool_dir, err, sizeof err) != 0) {
        fprintf(stderr, "reconsume run: RECONSUME_SPOOL_DIR='%s': %s; the shim would refuse it "
                "and pass through\n", cfg.spool_dir, err);
        rc_config_free(&cfg);
        return CLI_EXIT_USAGE;
    }
    rc_config_free(&cfg);

    char lib[PATH_MAX];
    const char *how = "";
    if (cli_find_lib(lib_opt, lib, sizeof lib, &how, err, sizeof err) != 0)
        return fail("%s%s", err, "");
    if (strpbrk(lib, ": ") != NULL)
        return fail("%s: a path with ':' or ' ' cannot go into LD_PRELOAD%s", lib, "");
    if (access(lib, R_OK) != 0) {
        if (!print_env)
            return fail("%s (%s): not found; use --lib PATH or RECONSUME_LIB", lib, how);
        fprintf(stderr, "reconsume run: warning: %s (%s) does not exist here\n", lib, how);
    }
    char *preload = compose_preload(getenv("LD_PRELOAD"), lib);
    if (!preload)
        return fail("%s%s", "out of memory", "");

    if (print_env) {
        if (print_paths)
            fputs("reconsume run: note: with --print-env, paths are made absolute but not "
                  "checked here (nor the --config file read): they are for the target "
                  "environment\n", stderr);
        printf("LD_PRELOAD=");
        cli_put_quoted(stdout, preload);
        putchar('\n');
        for (size_t k = 0; k < N_OPTS; k++) {
            if (!set_value[k])
                continue;
            printf("%s=", opts[k].var);
            cli_put_quoted(stdout, set_value[k]);
            putchar('\n');
        }
        free(preload);
        return fflush(stdout) == 0 ? 0 : 1;
    }

    if (setenv("LD_PRELOAD", preload, 1) != 0)
        return fail("setenv: %s%s", strerror(errno), "");
    free(preload);
    for (size_t k = 0; k < N_OPTS; k++)
        if (set_value[k] && setenv(opts[k].var, set_value[k], 1) != 0)
            return fail("setenv: %s%s", strerror(errno), "");
    execvp(prog[0], prog);
    int e = errno;
    fprintf(stderr, "reconsume run: %s: %s\n", prog[0], strerror(e));
    return e == ENOENT ? CLI_EXIT_NOTFOUND : CLI_EXIT_NOEXEC;
}
