/*
 * stats_writer.h - the statistics file (obs/stats_writer.c): rewritten
 * atomically (temporary file, fsync, rename), so that node_exporter's
 * textfile collector, or a test, never reads half a file; one CSV row
 * appended to <path>.csv per write; and the thread that does it every
 * RECONSUME_STATS_INTERVAL_MS.
 */
#ifndef RECONSUME_OBS_STATS_WRITER_H
#define RECONSUME_OBS_STATS_WRITER_H

/* Write the counters to path atomically (temp + rename), and append a line
 * to <path>.csv. Returns 0 or -errno. */
int rc_stats_write(const char *path);

/* Start the thread that rewrites path every interval_ms (once). */
void rc_stats_start_writer(const char *path, long interval_ms);

#endif
