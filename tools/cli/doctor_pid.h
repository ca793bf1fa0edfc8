/*
 * doctor_pid.h - `reconsume doctor PID`: is the shim loaded in this
 * running process, and with which settings? From /proc/PID/maps (what is
 * loaded) and /proc/PID/environ (the settings the shim read at start).
 */
#ifndef RECONSUME_CLI_DOCTOR_PID_H
#define RECONSUME_CLI_DOCTOR_PID_H

/* arg is all digits. Says why on doctor's output; returns the exit status. */
int doctor_pid(const char *arg);

#endif
