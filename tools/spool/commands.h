/*
 * commands.h - reconsume-spool's commands, one file each (cmd_*.c). Each
 * works on the records already loaded in x and returns the exit status.
 */
#ifndef RECONSUME_TOOLS_SPOOL_COMMANDS_H
#define RECONSUME_TOOLS_SPOOL_COMMANDS_H

#include "tools/spool/source.h"

int ts_cmd_list(struct ts_ctx *x);
int ts_cmd_show(struct ts_ctx *x);
int ts_cmd_stats(struct ts_ctx *x);
int ts_cmd_replay(struct ts_ctx *x);
int ts_cmd_purge(struct ts_ctx *x);

#endif
