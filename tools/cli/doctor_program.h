/*
 * doctor_program.h - `reconsume doctor PROGRAM`: can the shim wrap this
 * program? Read from its ELF file and the libraries the loader would load.
 */
#ifndef RECONSUME_CLI_DOCTOR_PROGRAM_H
#define RECONSUME_CLI_DOCTOR_PROGRAM_H

/* Says why on doctor's output; returns the exit status (cli.h). */
int doctor_program(const char *arg);

#endif
