/*
 * labels.c - see labels.h.
 */
#include "policy/labels.h"

#include "util/escape.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)

static const char *const reserved[] = {"group", "topic", "outcome", "injected",
                                       "action", "reason", "version", "le"};

static bool name_char(char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

#define ACCEPTED "expected NAME=VALUE[,NAME=VALUE]..., NAME a Prometheus label name " \
                 "([a-zA-Z_][a-zA-Z0-9_]*, not __*), VALUE printable UTF-8 without ','"

int rc_labels_parse(const char *setting, const char *text, struct rc_labels *out, char *err,
                    size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *p = text;
    for (int pair = 1;; pair++) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (!eq)
            return ERR("%s: pair %d has no '=': %s", setting, pair, ACCEPTED);
        size_t nl = (size_t)(eq - p), vl = len - nl - 1;
        if (nl == 0)
            return ERR("%s: pair %d has an empty name: %s", setting, pair, ACCEPTED);
        for (size_t i = 0; i < nl; i++)
            if (!name_char(p[i], i == 0))
                return ERR("%s: '%.*s' is not a label name: %s", setting, (int)(nl < 64 ? nl : 64),
                           p, ACCEPTED);
        if (nl >= RC_LABEL_NAME_MAX)
            return ERR("%s: label name '%.20s...' is longer than %d bytes", setting, p,
                       RC_LABEL_NAME_MAX - 1);
        if (nl >= 2 && p[0] == '_' && p[1] == '_')
            return ERR("%s: '%.*s': names starting with __ are reserved by Prometheus; %s",
                       setting, (int)nl, p, ACCEPTED);
        for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
            if (strlen(reserved[i]) == nl && memcmp(reserved[i], p, nl) == 0)
                return ERR("%s: '%s' is a label the shim sets itself (group, topic, outcome, "
                           "injected, action, reason, version, le); choose another name",
                           setting, reserved[i]);
        for (int i = 0; i < out->n; i++)
            if (strlen(out->v[i].name) == nl && memcmp(out->v[i].name, p, nl) == 0)
                return ERR("%s: label '%.*s' is given twice", setting, (int)nl, p);
        if (vl == 0)
            return ERR("%s: label '%.*s' has an empty value (an empty value is no label in "
                       "Prometheus): %s", setting, (int)nl, p, ACCEPTED);
        if (vl >= RC_LABEL_VALUE_MAX)
            return ERR("%s: the value of '%.*s' is longer than %d bytes", setting, (int)nl, p,
                       RC_LABEL_VALUE_MAX - 1);
        const unsigned char *v = (const unsigned char *)eq + 1;
        for (size_t i = 0; i < vl;) {
            size_t k = rc_printable_len(v + i, vl - i);
            if (k == 0)
                return ERR("%s: the value of '%.*s' has a control character or invalid UTF-8 "
                           "at byte %zu: %s", setting, (int)nl, p, i + 1, ACCEPTED);
            i += k;
        }
        if (out->n == RC_LABELS_MAX)
            return ERR("%s: more than %d labels", setting, RC_LABELS_MAX);
        memcpy(out->v[out->n].name, p, nl);
        memcpy(out->v[out->n].value, v, vl);
        out->n++;
        if (!end)
            return 0;
        p = end + 1;
    }
}
