/*
 * doctor_out.h - what `reconsume doctor` prints, made safe for a terminal.
 *
 * Names and paths come from the examined file or process and may hold
 * control bytes or broken UTF-8, so everything doctor says is collected in
 * memory and filtered on the way to stdout.
 */
#ifndef RECONSUME_CLI_DOCTOR_OUT_H
#define RECONSUME_CLI_DOCTOR_OUT_H

#include <stdio.h>

/* The stream doctor writes to (valid between open and flush). */
extern FILE *doctor_out;

/* Start collecting; 0, or -1 with errno. */
int doctor_out_open(void);

/* printf to the collected output. */
__attribute__((format(printf, 1, 2))) void say(const char *fmt, ...);

/*
 * Write what was collected to stdout: newlines, printable ASCII and valid
 * printable UTF-8 pass, every other byte becomes '?'. Returns status, or 1
 * when stdout could not be written.
 */
int doctor_out_flush(int status);

#endif
