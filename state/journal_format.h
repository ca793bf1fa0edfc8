/*
 * journal_format.h - the crash-loop journal's limits and its inflight.<pid>
 * file layout, shared by the journal (journal.c) and its crash counts
 * (crashes.c), which keys them the same way.
 */
#ifndef RECONSUME_STATE_JOURNAL_FORMAT_H
#define RECONSUME_STATE_JOURNAL_FORMAT_H

#include <stdint.h>

#define RC_JOURNAL_SLOTS 256
#define RC_JOURNAL_SLOT_SIZE 128
#define RC_JOURNAL_KEY_MAX 112    /* group and id bytes in one slot */
#define RC_JOURNAL_ID_MAX 64      /* at most this much of the id is kept */
#define RC_JOURNAL_MAX_ENTRIES 65536
#define RC_JOURNAL_MAX_AGE (30L * 24 * 3600)

/*
 * On-disk format of inflight.<pid> (native byte order; the file never leaves
 * the machine). The header fills the first RC_JOURNAL_SLOT_SIZE bytes, slot i
 * starts at RC_JOURNAL_SLOT_SIZE * (i + 1).
 */
#define RC_JOURNAL_MAGIC "RCJRNL\0\1"
#define RC_JOURNAL_VERSION 1u

struct rc_journal_header {
    char magic[8];          /* RC_JOURNAL_MAGIC */
    uint32_t version;       /* RC_JOURNAL_VERSION */
    uint32_t slot_size;     /* RC_JOURNAL_SLOT_SIZE */
    uint32_t nslots;        /* RC_JOURNAL_SLOTS */
    uint32_t reserved;
    int64_t pid;
    uint64_t start_ticks;   /* field 22 of /proc/<pid>/stat, 0 if unknown */
    int64_t opened_at;      /* unix seconds */
};

enum { RC_SLOT_EMPTY = 0, RC_SLOT_WRITING = 1, RC_SLOT_INFLIGHT = 2 };

struct rc_journal_slot {
    uint32_t state;         /* RC_SLOT_*; written last when entering */
    uint32_t seq;           /* bumped at each enter */
    uint16_t glen, ilen;    /* group bytes, then id bytes, in key */
    uint32_t check;         /* rc_journal_check(seq, glen, ilen, key) */
    char key[RC_JOURNAL_KEY_MAX];
};

/* The slot checksum: FNV-1a over seq, lengths and the glen + ilen key bytes. */
uint32_t rc_journal_check(uint32_t seq, uint16_t glen, uint16_t ilen, const char *key);

#endif
