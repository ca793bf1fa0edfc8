/*
 * doctor_client.h - which generation of the RocketMQ C client a library
 * is, from the functions it exports (used for programs and for pids).
 */
#ifndef RECONSUME_CLI_DOCTOR_CLIENT_H
#define RECONSUME_CLI_DOCTOR_CLIENT_H

#include <stddef.h>

#include "tools/cli/elf.h"

/* One line into buf: "1.2.x: ...", "2.x: exports ...", "master (unreleased): ...". */
void doctor_client_generation(const struct elfx *e, char *buf, size_t cap);

#endif
