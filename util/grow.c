#include "util/grow.h"

#include <stdint.h>
#include <stdlib.h>

bool rc_grow(void **v, size_t *cap, size_t n, size_t elem, size_t first)
{
    if (n < *cap)
        return true;
    size_t want = *cap ? *cap * 2 : first;
    if (want < *cap || (elem && want > SIZE_MAX / elem))
        return false;
    void *g = realloc(*v, want * elem);
    if (!g)
        return false;
    *v = g;
    *cap = want;
    return true;
}
