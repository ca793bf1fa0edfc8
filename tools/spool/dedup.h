/*
 * dedup.h - copies of one message in the spool. At-least-once leaves several
 * records of one message when a consumer is killed between writing a record
 * and acking; they are one message to list and to replay. Two records are
 * copies when their msgId, their group and a 64-bit FNV-1a hash of their
 * body are equal (the group too: two groups' failures of one message are
 * two failures). Unit-tested in tests/unit/test_spooltool_dedup.c.
 */
#ifndef RECONSUME_TOOLS_SPOOL_DEDUP_H
#define RECONSUME_TOOLS_SPOOL_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "tools/spool/store.h"

/* 64-bit FNV-1a of n bytes. */
uint64_t ts_fnv1a64(const void *p, size_t n);

/* Set every entry's copy_of: the index of the first entry (in set order)
 * that is a copy of it, itself when none is earlier; an entry that is not
 * ok, or has no msgId, is its own. 0, or -1 when out of memory (then every
 * entry is its own). */
int ts_set_dedup(struct ts_set *s);

#endif
