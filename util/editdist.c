/*
 * editdist.c - see editdist.h.
 */
#include "util/editdist.h"

#include <stdint.h>
#include <string.h>

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

size_t rc_edit_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > RC_EDIT_MAX || nb > RC_EDIT_MAX)
        return SIZE_MAX;
    /* Three rows of the usual table: the one before the previous is needed
     * for a swap. d[i][j] is the distance of a[0..i) and b[0..j). */
    size_t rows[3][RC_EDIT_MAX + 1];
    size_t *two = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= nb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= na; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                two[j - 2] + 1 < cur[j])
                cur[j] = two[j - 2] + 1;
        }
        size_t *t = two;
        two = prev;
        prev = cur;
        cur = t;
    }
    return prev[nb];
}

const char *rc_edit_nearest(const char *w, const char *const *words, size_t n, size_t max,
                            size_t *dist)
{
    const char *best = NULL;
    size_t bd = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t d = rc_edit_distance(w, words[i]);
        if (d < bd) {
            bd = d;
            best = words[i];
        }
    }
    if (dist)
        *dist = bd;
    return bd <= max ? best : NULL;
}
