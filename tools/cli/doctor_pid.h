/*
 * doctor_pid.h - `reconsume doctor PID`: is the shim loaded in this
 * running process, with which settings, and is it active? From
 * /proc/PID/maps (what is loaded), /proc/PID/environ (the settings the shim
 * read at start) and the state file the shim publishes (obs/shim_state.h),
 * which decides the verdict when there is one.
 */
#ifndef RECONSUME_CLI_DOCTOR_PID_H
#define RECONSUME_CLI_DOCTOR_PID_H

/* arg is all digits. Says why on doctor's output; returns the exit status. */
int doctor_pid(const char *arg);

#endif
