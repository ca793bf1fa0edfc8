/*
 * help.h - reconsume-spool's usage text, whole and per command.
 */
#ifndef RECONSUME_TOOLS_SPOOL_HELP_H
#define RECONSUME_TOOLS_SPOOL_HELP_H

#include "tools/spool/args.h"

/* The text for c on stdout (the whole usage for TS_NONE and TS_HELP). */
void ts_help(enum ts_cmd c);

#endif
