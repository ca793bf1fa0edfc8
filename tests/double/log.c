/*
 * log.c - the test double's event log: RMQ_DOUBLE_LOG names a file that gets
 * one flushed line per event (appended), which is what the tests read:
 *
 *   start group=<g> model=<clustering|broadcasting> orderly=<0|1> threads=<n> topics=<t,...> messages=<n>
 *   start-failed group=<g> reason=<started|no-callback>
 *   call id=<id> attempt=<n> reconsume=<r> queue=<q> thread=<t>   (before each callback)
 *   deliver id=<id> attempt=<n> reconsume=<r> status=<int>        (after it returned)
 *               (both with " t_us=<CLOCK_MONOTONIC us>" at the end when RMQ_DOUBLE_CLOCK=1)
 *   fate id=<id> acked|dlq|dropped|stuck|blocked|undelivered
 *   shutdown group=<g> / destroy group=<g>
 *   send topic=<t> tags=<t> keys=<k> queue=<q> body=<escaped>     (producer)
 *   send-prop name=<n> value=<escaped>   (each property of a send, just before its send line)
 *   send-failed topic=<t> rc=<rc> status=<s>   (a failure asked for with RMQ_DOUBLE_SEND_FAIL)
 *   producer-start group=<g> namesrv=<a> timeout=<ms> instance=<i>
 *   producer-shutdown group=<g> / producer-destroy group=<g>
 *               (these three with RMQ_DOUBLE_PRODUCER_EVENTS=1)
 *
 * Without RMQ_DOUBLE_LOG nothing is written.
 */
#include "tests/double/double.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_file;
static int log_tried;

void rmqd_log(const char *fmt, ...)
{
    pthread_mutex_lock(&log_lock);
    if (!log_tried) {
        log_tried = 1;
        const char *path = getenv("RMQ_DOUBLE_LOG");
        if (path && *path) {
            log_file = fopen(path, "ae");
            if (!log_file)
                fprintf(stderr, "rocketmq double: cannot open %s: %s\n", path, strerror(errno));
        }
    }
    if (log_file) {
        va_list ap;
        va_start(ap, fmt);
        vfprintf(log_file, fmt, ap);
        va_end(ap);
        fputc('\n', log_file);
        fflush(log_file);
    }
    pthread_mutex_unlock(&log_lock);
}
