/*
 * stats_export.h - the counters as text (obs/stats_export.c): the Prometheus
 * text format, one CSV row of the time series, and the one-line summary for
 * the log. Formatting only: no file is opened here (obs/stats_writer.c).
 */
#ifndef RECONSUME_OBS_STATS_EXPORT_H
#define RECONSUME_OBS_STATS_EXPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "policy/backoff.h"
#include "policy/rules.h"
#include "policy/labels.h"

/* The operator's labels (RECONSUME_STATS_LABELS, copied) and the cap in
 * force (RECONSUME_MAX_RETRIES; -1: unknown, the series is left out): on
 * every series from now on. At load. */
void rc_stats_set_labels(const struct rc_labels *labels, int cap);

/* A consumer group of this process: the series carry group="g1,g2", the
 * groups sorted and joined by ','. At a registration (takes a lock). */
void rc_stats_note_group(const char *group);

/* Every counter, and the detail once RECONSUME_STATS has seen deliveries, in
 * the Prometheus text exposition format; first reconsume_up{reason} (the
 * state, obs/shim_state.h), reconsume_build_info{version} and
 * reconsume_max_retries, written in pass-through too. Every series has the
 * labels above. */
void rc_stats_prometheus(FILE *f);

/* One row of the series at unix_ms, preceded by the header line when
 * with_header. Returns the length written to buf (always NUL-terminated),
 * or -1 when it did not fit. */
int rc_stats_csv_row(char *buf, size_t cap, bool with_header, long long unix_ms);

/*
 * The backoff schedules in force, for the reconsume_backoff_info series:
 * the global one and each rule's backoff= (both read at every export, so
 * they must outlive the writer: the loaded config does). NULL: none.
 */
void rc_stats_backoff_source(const struct rc_backoff *global, const struct rc_rules *rules);

/* One-line summary for the log, e.g. "7 success, 2 reconsume, ... 1 diverted". */
void rc_stats_summary(char *buf, unsigned long cap);

#endif
