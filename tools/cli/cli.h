/*
 * cli.h - the parts of the `reconsume` command shared by its subcommands.
 */
#ifndef RECONSUME_CLI_CLI_H
#define RECONSUME_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CLI_VERSION "0.9"

/* Exit statuses of `reconsume run` itself (before the exec) and of doctor. */
enum {
    CLI_EXIT_USAGE = 2,         /* bad command line or option value */
    CLI_EXIT_STATIC = 3,        /* doctor: client linked in statically */
    CLI_EXIT_DLOPEN = 4,        /* doctor: client loaded with dlopen */
    CLI_EXIT_NOT_CONSUMER = 5,  /* doctor: not a RocketMQ consumer */
    CLI_EXIT_NOT_ACTIVE = 6,    /* doctor PID: shim not loaded */
    CLI_EXIT_CANNOT_TELL = 7,   /* doctor: not an ELF file it can read (script, 32-bit, ...) */
    CLI_EXIT_PASSTHROUGH = 8,   /* doctor PID: shim loaded but passing through */
    CLI_EXIT_NOEXEC = 126,      /* run: the program cannot be executed */
    CLI_EXIT_NOTFOUND = 127,    /* run: the program is not found */
};

int cli_run(int argc, char **argv);
int cli_doctor(int argc, char **argv);

/*
 * The shim library run would preload: opt (--lib) if given, else
 * $RECONSUME_LIB, else the installed path compiled in (RECONSUME_LIBDIR),
 * else next to this binary (../lib/libreconsume.so, then
 * ./libreconsume.so: the build tree). out is absolute; it may not exist
 * for the first three (the caller says so). *how names the source.
 * Returns 0, or -1 with the reason in err when nothing was found.
 */
int cli_find_lib(const char *opt, char *out, size_t cap, const char **how, char *err,
                 size_t errlen);

/* The compiled-in installed library path, or NULL in a build-tree binary. */
const char *cli_installed_lib(void);

/* path made absolute against the current directory (lexically). */
int cli_absolute(const char *path, char *out, size_t cap);

/* Write s to f, single-quoted for a POSIX shell if it needs quoting. */
void cli_put_quoted(FILE *f, const char *s);

#endif
