#ifndef RC_UTIL_GROW_H
#define RC_UTIL_GROW_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Room for one more element in a doubling array: *v holds n elements of
 * elem bytes in room for *cap. When n == *cap the room doubles (first: the
 * room of an empty array). False when out of memory or the size would
 * overflow; *v and *cap are then unchanged.
 */
bool rc_grow(void **v, size_t *cap, size_t n, size_t elem, size_t first);

#endif
