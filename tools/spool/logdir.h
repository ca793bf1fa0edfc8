/*
 * logdir.h - where the RocketMQ client loaded by reconsume-spool writes its
 * logs: a directory of the tool's own, not the user's ~/logs.
 */
#ifndef RECONSUME_TOOLS_SPOOL_LOGDIR_H
#define RECONSUME_TOOLS_SPOOL_LOGDIR_H

#include <stddef.h>

/*
 * $XDG_STATE_HOME/reconsume/client-logs, else
 * $HOME/.local/state/reconsume/client-logs, created (parents too) mode 0700;
 * refused when it is a symlink or not the user's own directory. 0 with the
 * path in out, or -1 with err.
 */
int ts_log_dir(char *out, size_t cap, char *err, size_t errlen);

/*
 * Point the client at dir before it is loaded: 1.2.x logs under
 * $HOME/logs/rocketmq-cpp (its SetProducerLogPath does nothing), so HOME
 * becomes dir for this process (its own paths are resolved before); 2.x
 * logs in $ROCKETMQ_CLIENT_LOG_DIR, set to dir unless the user set it.
 */
void ts_log_dir_apply(const char *dir);

#endif
