/*
 * editdist.h - how far apart two words are, and the nearest of a list (for
 * "did you mean RECONSUME_MAX_RETRIES?").
 *
 * Pure, no allocation, no I/O.
 */
#ifndef RECONSUME_UTIL_EDITDIST_H
#define RECONSUME_UTIL_EDITDIST_H

#include <stddef.h>

/* The longest word compared; a longer one is at distance SIZE_MAX from all. */
#define RC_EDIT_MAX 64

/*
 * The optimal string alignment distance of a and b: the fewest insertions,
 * deletions, substitutions and swaps of two adjacent bytes that turn one into
 * the other (each edited once), so "MAXRETRIES" is 1 from "MAX_RETRIES" and
 * "RETIRES" 1 from "RETRIES". Case-sensitive. SIZE_MAX when either is longer
 * than RC_EDIT_MAX bytes.
 */
size_t rc_edit_distance(const char *a, const char *b);

/*
 * The word of words[0..n) nearest to w, the first of those at the same
 * distance, or NULL when none is at most max away. *dist (if not NULL) gets
 * the distance found.
 */
const char *rc_edit_nearest(const char *w, const char *const *words, size_t n, size_t max,
                            size_t *dist);

#endif
