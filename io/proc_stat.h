#ifndef RC_IO_PROC_STAT_H
#define RC_IO_PROC_STAT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Field 22 (starttime, clock ticks after boot) of /proc/<pid>/stat, and
 * whether the process is a zombie (or dead); 0 when unknown. With pid and
 * its start time a process is told from a later one given the same pid.
 * zombie may be NULL.
 */
uint64_t rc_proc_start_ticks(pid_t pid, bool *zombie);

#endif
