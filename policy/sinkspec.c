/*
 * sinkspec.c - parsing RECONSUME_SINK and expanding a topic name (see
 * sinkspec.h). Pure: no I/O, no global state.
 */
#include "util/scan.h"
#include "policy/sinkspec.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>


static const char ACCEPTED[] =
    "expected spool, topic or topic:NAME, or a comma list of them such as topic:NAME,spool";

void rc_sinkspec_default(struct rc_sinkspec *out)
{
    memset(out, 0, sizeof *out);
    out->n = 1;
    out->v[0].kind = RC_SINK_SPOOL;
}

/* A byte of a topic name as the broker accepts it ('%' only in system topics). */
static int topic_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '|';
}

int rc_topic_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > RC_TOPIC_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!topic_byte((unsigned char)s[i]) && s[i] != '%')
            return 0;
    return 1;
}

static const char *const placeholders[] = {"%GROUP%", "%TOPIC%"};

/* Check a NAME template of n bytes at p; 0, or -1 with why. */
static int check_template(const char *p, size_t n, const char **why)
{
    if (n == 0) {
        *why = "empty topic name";
        return -1;
    }
    if (n > RC_TOPIC_NAME_MAX) {
        *why = "topic name longer than 127 bytes";
        return -1;
    }
    for (size_t i = 0; i < n;) {
        if (p[i] == '%') {
            size_t k = 0;
            for (; k < 2; k++) {
                size_t pl = strlen(placeholders[k]);
                if (n - i >= pl && memcmp(p + i, placeholders[k], pl) == 0) {
                    i += pl;
                    break;
                }
            }
            if (k == 2) {
                *why = "unknown placeholder in topic name (only %GROUP% and %TOPIC%)";
                return -1;
            }
            continue;
        }
        if (!topic_byte((unsigned char)p[i])) {
            *why = "topic name may hold only A-Z a-z 0-9 _ - | and %GROUP% %TOPIC%";
            return -1;
        }
        i++;
    }
    return 0;
}

int rc_sinkspec_parse(const char *name, const char *v, struct rc_sinkspec *out, char *err,
                      size_t errlen)
{
    struct rc_sinkspec s;
    memset(&s, 0, sizeof s);
    if (!v || !v[0])
        return rc_errf(err, errlen, "%s='': empty value; %s", name, ACCEPTED);
    const char *p = v;
    for (;;) {
        size_t n = strcspn(p, ",");
        const char *why;
        if (s.n == RC_SINKS_MAX)
            return rc_errf(err, errlen, "%s='%s': more than %d sinks; %s", name, v, RC_SINKS_MAX, ACCEPTED);
        struct rc_sink *k = &s.v[s.n];
        if (n == 5 && strncasecmp(p, "spool", 5) == 0) {
            k->kind = RC_SINK_SPOOL;
        } else if (n >= 5 && strncasecmp(p, "topic", 5) == 0 && (n == 5 || p[5] == ':')) {
            k->kind = RC_SINK_TOPIC;
            if (n == 5) {
                snprintf(k->topic, sizeof k->topic, "%s", RC_SINK_DEFAULT_TOPIC);
            } else {
                if (check_template(p + 6, n - 6, &why) != 0)
                    return rc_errf(err, errlen, "%s='%s': sink '%.*s': %s; %s", name, v, (int)n, p, why, ACCEPTED);
                memcpy(k->topic, p + 6, n - 6);
                k->topic[n - 6] = '\0';
            }
        } else {
            return rc_errf(err, errlen, "%s='%s': unknown sink '%.*s'; %s", name, v, (int)n, p, ACCEPTED);
        }
        for (int i = 0; i < s.n; i++)
            if (s.v[i].kind == k->kind)
                return rc_errf(err, errlen, "%s='%s': sink '%.*s' given twice; %s", name, v, (int)n, p, ACCEPTED);
        s.n++;
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    *out = s;
    return 0;
}

int rc_sinkspec_has(const struct rc_sinkspec *s, enum rc_sink_kind kind)
{
    for (int i = 0; i < s->n; i++)
        if (s->v[i].kind == kind)
            return 1;
    return s->n == 0 && kind == RC_SINK_SPOOL;
}

int rc_sink_topic_expand(const char *tmpl, const char *group, const char *topic, char *out,
                         size_t cap, char *err, size_t errlen)
{
    size_t o = 0;
    const char *vals[2] = {group ? group : "", topic ? topic : ""};
    for (const char *p = tmpl; *p;) {
        const char *add = p;
        size_t n = 1;
        for (int k = 0; k < 2; k++) {
            size_t pl = strlen(placeholders[k]);
            if (strncmp(p, placeholders[k], pl) == 0) {
                add = vals[k];
                n = strlen(vals[k]);
                p += pl - 1;
                break;
            }
        }
        p++;
        if (o + n >= cap || o + n > RC_TOPIC_NAME_MAX)
            return rc_errf(err, errlen, "topic '%s' expands to more than %d bytes", tmpl, RC_TOPIC_NAME_MAX);
        memcpy(out + o, add, n);
        o += n;
    }
    out[o] = '\0';
    if (!rc_topic_name_valid(out))
        return rc_errf(err, errlen, "topic '%s' expands to '%s', not a valid topic name", tmpl, out);
    return 0;
}

void rc_sinkspec_format(const struct rc_sinkspec *s, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    if (s->n == 0) {
        snprintf(buf, cap, "spool");
        return;
    }
    for (int i = 0; i < s->n; i++) {
        int n = s->v[i].kind == RC_SINK_SPOOL
                    ? snprintf(buf + used, cap - used, "%sspool", i ? "," : "")
                    : snprintf(buf + used, cap - used, "%stopic:%s", i ? "," : "", s->v[i].topic);
        if (n < 0 || (size_t)n >= cap - used)
            return;
        used += (size_t)n;
    }
}
