/*
 * stats.h - process-wide counters, and their export: what callers (hooks/,
 * shim/) include. Each part has a file of its own:
 *
 *   obs/counters.{c,h}      the hot counters: rc_count, rc_count_success, sums
 *   obs/thread_slot.{c,h}   single-writer per-thread counters (no lock prefix),
 *                           under rc_count_success and the histograms
 *   obs/stats_detail.{c,h}  with RECONSUME_STATS set, every delivery also feeds
 *                           a per group/topic table, a callback-latency
 *                           histogram and an attempts histogram (the full path);
 *                           rc_detail_cache finds a registration's slot once
 *   obs/stats_export.{c,h}  the Prometheus text format, the CSV row, the
 *                           one-line summary for the log
 *   obs/stats_writer.{c,h}  the file: rewritten by rename at the first
 *                           registration, at the first delivery, every
 *                           RECONSUME_STATS_INTERVAL_MS, when a consumer is
 *                           destroyed and at exit (node_exporter's textfile
 *                           collector, or a test, never reads half a file),
 *                           plus one CSV line per write in <path>.csv
 *   obs/shim_state.{c,h}    active or pass-through and why: the state file
 *                           (reconsume doctor PID) and reconsume_up
 */
#ifndef RECONSUME_OBS_STATS_H
#define RECONSUME_OBS_STATS_H

#include "obs/counters.h"
#include "obs/stats_detail.h"
#include "obs/stats_export.h"
#include "obs/stats_writer.h"

#endif
