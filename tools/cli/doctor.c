/*
 * doctor.c - `reconsume doctor PROGRAM|PID`: can the shim wrap this
 * consumer, and if not, why not.
 *
 * For a program, the ELF file is read here (tools/cli/elf.c; no binutils at
 * run time): its DT_NEEDED libraries are found the way the dynamic loader
 * would (DT_RPATH, LD_LIBRARY_PATH, DT_RUNPATH, the ld.so cache through
 * `ldconfig -p`, the default directories; $ORIGIN expanded), each of those
 * read in turn, and the client's functions looked up in their symbol
 * tables. For a running process, /proc/PID/maps says what is loaded,
 * /proc/PID/environ which settings the shim read at start, and the state
 * file the shim publishes (obs/shim_state.h) whether it is active.
 *
 * The parts: doctor_out.c (terminal-safe output), doctor_loader.c (the
 * loader's search), doctor_client.c (the client's generation),
 * doctor_program.c and doctor_pid.c (the two verdicts).
 *
 * Exit status: 0 wrappable (or, for a pid, the shim is loaded and active),
 * 2 usage, 3 client linked statically, 4 client loaded with dlopen,
 * 5 not a RocketMQ consumer, 6 (pid) shim not loaded or passing through,
 * 7 not a file doctor can read (a script other than a Python one naming
 * rocketmq, a 32-bit or foreign ELF file).
 */
#include "tools/cli/cli.h"
#include "tools/cli/doctor_out.h"
#include "tools/cli/doctor_pid.h"
#include "tools/cli/doctor_program.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: reconsume doctor PROGRAM|PID\n"
          "\n"
          "Says whether the shim can wrap a consumer program, and why not if it cannot;\n"
          "for a running process, whether the shim is loaded and with which settings.\n"
          "\n"
          "Exit status:\n"
          "  0  wrappable: the client is linked dynamically and the program (or a library\n"
          "     it loads) imports RegisterMessageCallback(Orderly); for a PID, the shim is\n"
          "     loaded and active\n"
          "  2  usage error, or no such program or process\n"
          "  3  the client is linked in statically: its calls cannot be interposed\n"
          "  4  the client is loaded at run time with dlopen (works only through the\n"
          "     shim's dlsym interposition; the output says whether it is present)\n"
          "  5  not a RocketMQ consumer\n"
          "  6  PID: the shim is not loaded\n"
          "  7  cannot tell: another script, or not a native 64-bit ELF file\n"
          "  8  PID: the shim is loaded but passing through (the reason is printed)\n"
          "  9  wrappable, but the loader does not find librocketmq.so with this\n"
          "     environment: the program will not start like this\n", f);
}

int cli_doctor(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc != 2 || argv[1][0] == '\0' || (argv[1][0] == '-' && argv[1][1] != '\0')) {
        fprintf(stderr, "reconsume doctor: expected one PROGRAM or PID\n");
        fputs("Try 'reconsume doctor --help' for more information.\n", stderr);
        return CLI_EXIT_USAGE;
    }
    const char *a = argv[1];
    if (doctor_out_open() != 0) {
        perror("reconsume doctor");
        return 1;
    }
    int status = strspn(a, "0123456789") == strlen(a) ? doctor_pid(a) : doctor_program(a);
    return doctor_out_flush(status);
}
