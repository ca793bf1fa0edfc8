/*
 * catch.c - the catch list (see catch.h).
 */
#include "policy/catch.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)

static const struct { const char *name; unsigned bits; } catch_names[] = {
    {"status", RC_CATCH_STATUS},
    {"exception", RC_CATCH_EXCEPTION},
    {"signal", RC_CATCH_SIGNAL},
    {"abort", RC_CATCH_ABORT},
};

int rc_catch_parse(const char *name, const char *v, unsigned *out, char *err, size_t errlen)
{
    static const char accepted[] =
        "expected a comma-separated list of status, exception, signal, abort, or all, or none";
    if (strcasecmp(v, "all") == 0) { *out = RC_CATCH_ALL; return 0; }
    if (strcasecmp(v, "none") == 0) { *out = 0; return 0; }
    unsigned mask = 0;
    const char *p = v;
    for (;;) {
        size_t n = strcspn(p, ",");
        bool found = false;
        for (size_t i = 0; i < sizeof catch_names / sizeof *catch_names; i++) {
            if (n == strlen(catch_names[i].name) && strncasecmp(p, catch_names[i].name, n) == 0) {
                mask |= catch_names[i].bits;
                found = true;
            }
        }
        if (!found)
            return ERR("%s='%s': unknown kind '%.*s'; %s", name, v, (int)n, p, accepted);
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    *out = mask;
    return 0;
}

void rc_catch_format(unsigned mask, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof catch_names / sizeof *catch_names; i++) {
        if (!(mask & catch_names[i].bits))
            continue;
        int n = snprintf(buf + used, cap - used, "%s%s", used ? "," : "", catch_names[i].name);
        if (n < 0 || (size_t)n >= cap - used)
            return;
        used += (size_t)n;
    }
    if (used == 0)
        snprintf(buf, cap, "none");
}
