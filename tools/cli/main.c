/*
 * main.c - `reconsume`: the front door of libreconsume.so.
 *
 *   reconsume run [options] [--] program [args...]   (tools/cli/run.c)
 *   reconsume doctor PROGRAM|PID                     (tools/cli/doctor.c)
 */
#include "tools/cli/cli.h"

#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: reconsume run [options] [--] program [args...]\n"
          "       reconsume run [options] --print-env\n"
          "       reconsume doctor PROGRAM|PID\n"
          "       reconsume --version | --help\n"
          "\n"
          "'reconsume run --help' lists the options; man reconsume(1), reconsume(7).\n"
          "Tools: reconsume-spool(1) (diverted messages), reconsume-report(1) (statistics).\n", f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0)
        return cli_run(argc - 1, argv + 1);
    if (strcmp(cmd, "doctor") == 0)
        return cli_doctor(argc - 1, argv + 1);
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        const char *lib = cli_installed_lib();
        printf("reconsume %s%s%s\n", CLI_VERSION, lib ? ", library " : " (build tree)",
               lib ? lib : "");
        return 0;
    }
    fprintf(stderr, "reconsume: unknown command '%s'\n", cmd);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
