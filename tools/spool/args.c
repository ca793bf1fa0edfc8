/*
 * args.c - reconsume-spool's command line (see args.h). Every option is
 * checked here; a bad one is one line naming it, its value and what is
 * accepted.
 */
#include "tools/spool/args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)

static const char *const names[] = {"", "list", "show", "stats", "replay", "purge", "help"};

const char *ts_cmd_name(enum ts_cmd c)
{
    return names[c];
}

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return n > 0;
}

static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

int ts_parse_time(const char *v, long long now_ms, long long *out)
{
    size_t n = strlen(v);
    if (n == 0)
        return -1;
    /* A duration ago: N{s,m,h,d}. */
    char unit = v[n - 1];
    if (n >= 2 && digits(v, n - 1) && n - 1 <= 9 && strchr("smhd", unit)) {
        long long k = atoll(v), mul = unit == 's' ? 1000LL : unit == 'm' ? 60000LL
                                         : unit == 'h' ? 3600000LL : 86400000LL;
        *out = now_ms - k * mul;
        return 0;
    }
    /* Unix ms. */
    if (digits(v, n)) {
        if (n > 15)
            return -1;
        *out = atoll(v);
        return 0;
    }
    /* ISO 8601, UTC: YYYY-MM-DD[Thh:mm[:ss[.mmm]]][Z] */
    if (n < 10 || !digits(v, 4) || v[4] != '-' || !digits(v + 5, 2) || v[7] != '-' ||
        !digits(v + 8, 2))
        return -1;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = num(v, 4) - 1900;
    tm.tm_mon = num(v + 5, 2) - 1;
    tm.tm_mday = num(v + 8, 2);
    int ms = 0;
    const char *p = v + 10;
    if (*p == 'T' || *p == ' ') {
        if (!digits(p + 1, 2) || p[3] != ':' || !digits(p + 4, 2))
            return -1;
        tm.tm_hour = num(p + 1, 2);
        tm.tm_min = num(p + 4, 2);
        p += 6;
        if (*p == ':') {
            if (!digits(p + 1, 2))
                return -1;
            tm.tm_sec = num(p + 1, 2);
            p += 3;
            if (*p == '.') {
                if (!digits(p + 1, 3))
                    return -1;
                ms = num(p + 1, 3);
                p += 4;
            }
        }
    }
    if (*p == 'Z')
        p++;
    if (*p || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    int mday = tm.tm_mday;
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || tm.tm_mday != mday) /* 2024-02-30 normalises: refuse it */
        return -1;
    *out = (long long)t * 1000 + ms;
    return 0;
}

/* Which options each command takes (a bit per option). */
enum {
    O_SPOOL = 1 << 0, O_FROM = 1 << 1, O_NAMESRV = 1 << 2, O_LIB = 1 << 3, O_TO = 1 << 4,
    O_STATE = 1 << 5, O_FILTER = 1 << 6, O_JSON = 1 << 7, O_HEX = 1 << 8, O_REPLAYED = 1 << 9,
    O_ALL = 1 << 10, O_DRY = 1 << 11, O_LIMIT = 1 << 12, O_IDS = 1 << 13,
};
static const unsigned allowed[] = {
    [TS_LIST] = O_SPOOL | O_FROM | O_NAMESRV | O_LIB | O_FILTER | O_JSON | O_REPLAYED,
    [TS_SHOW] = O_SPOOL | O_FROM | O_NAMESRV | O_LIB | O_JSON | O_HEX | O_IDS,
    [TS_STATS] = O_SPOOL | O_FROM | O_NAMESRV | O_LIB | O_FILTER | O_JSON | O_REPLAYED,
    [TS_REPLAY] = O_SPOOL | O_FROM | O_NAMESRV | O_LIB | O_TO | O_STATE | O_FILTER | O_JSON |
                  O_DRY | O_LIMIT | O_IDS,
    [TS_PURGE] = O_SPOOL | O_FILTER | O_JSON | O_REPLAYED | O_ALL | O_DRY | O_IDS,
};

static const struct opt {
    const char *name;
    unsigned bit;
    int has_arg;
} opts[] = {
    {"--spool", O_SPOOL, 1},     {"--from-topic", O_FROM, 1}, {"--namesrv", O_NAMESRV, 1},
    {"--client-lib", O_LIB, 1},  {"--to", O_TO, 1},           {"--state", O_STATE, 1},
    {"--group", O_FILTER, 1},    {"--topic", O_FILTER, 1},    {"--reason", O_FILTER, 1},
    {"--since", O_FILTER, 1},    {"--until", O_FILTER, 1},    {"--json", O_JSON, 0},
    {"--hex", O_HEX, 0},         {"--replayed", O_REPLAYED, 0}, {"--all", O_ALL, 0},
    {"--dry-run", O_DRY, 0},     {"--limit", O_LIMIT, 1},
};

int ts_parse_args(int argc, char **argv, long long now_ms, struct ts_opts *o, char *err,
                  size_t errlen)
{
    memset(o, 0, sizeof *o);
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            o->help = true;
            continue;
        }
        break;
    }
    if (i == argc) {
        if (o->help) {
            o->cmd = TS_HELP;
            return 0;
        }
        return ERR("no command; expected list, show, stats, replay, purge or help");
    }
    for (int c = TS_LIST; c <= TS_HELP; c++)
        if (strcmp(argv[i], names[c]) == 0)
            o->cmd = (enum ts_cmd)c;
    if (o->cmd == TS_NONE)
        return ERR("unknown command '%s'; expected list, show, stats, replay, purge or help",
                   argv[i]);
    const char *cmd = argv[i++];
    if (o->cmd == TS_HELP) {
        /* "help CMD" is "CMD --help". */
        o->help = true;
        if (i < argc) {
            for (int c = TS_LIST; c < TS_HELP; c++)
                if (strcmp(argv[i], names[c]) == 0)
                    o->cmd = (enum ts_cmd)c;
            if (o->cmd == TS_HELP)
                return ERR("help '%s': unknown command; expected list, show, stats, replay or purge",
                           argv[i]);
        }
        return 0;
    }
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            o->help = true;
            continue;
        }
        if (a[0] != '-' || a[1] == '\0') {
            if (!(allowed[o->cmd] & O_IDS))
                return ERR("%s: unexpected argument '%s'", cmd, a);
            if (o->nids == TS_IDS_MAX)
                return ERR("%s: more than %d record ids", cmd, TS_IDS_MAX);
            o->ids[o->nids++] = a;
            continue;
        }
        const struct opt *op = NULL;
        const char *val = NULL;
        size_t alen = strcspn(a, "=");
        for (size_t k = 0; k < sizeof opts / sizeof *opts; k++)
            if (strlen(opts[k].name) == alen && strncmp(a, opts[k].name, alen) == 0)
                op = &opts[k];
        if (!op)
            return ERR("%s: unknown option '%s' (see %s --help)", cmd, a, cmd);
        if (!(allowed[o->cmd] & op->bit))
            return ERR("%s: option %.*s does not apply to %s (see %s --help)", cmd, (int)alen, a,
                       cmd, cmd);
        if (op->has_arg) {
            if (a[alen] == '=')
                val = a + alen + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            else
                return ERR("%s: option %s needs a value", cmd, op->name);
            if (!val[0])
                return ERR("%s: option %s: empty value", cmd, op->name);
        } else if (a[alen] == '=') {
            return ERR("%s: option %s takes no value", cmd, op->name);
        }
        const char *n = op->name;
        if (!strcmp(n, "--spool")) o->spool = val;
        else if (!strcmp(n, "--from-topic")) o->from_topic = val;
        else if (!strcmp(n, "--namesrv")) o->namesrv = val;
        else if (!strcmp(n, "--client-lib")) o->client_lib = val;
        else if (!strcmp(n, "--to")) o->to = val;
        else if (!strcmp(n, "--state")) o->state = val;
        else if (!strcmp(n, "--group")) o->group = val;
        else if (!strcmp(n, "--topic")) o->topic = val;
        else if (!strcmp(n, "--reason")) o->reason = val;
        else if (!strcmp(n, "--json")) o->json = true;
        else if (!strcmp(n, "--hex")) o->hex = true;
        else if (!strcmp(n, "--replayed")) o->replayed = true;
        else if (!strcmp(n, "--all")) o->all = true;
        else if (!strcmp(n, "--dry-run")) o->dry_run = true;
        else if (!strcmp(n, "--since") || !strcmp(n, "--until")) {
            long long t;
            if (ts_parse_time(val, now_ms, &t) != 0)
                return ERR("%s: %s='%s': expected unix ms, an ISO 8601 UTC time such as "
                           "2024-05-06T07:08:09Z, or a duration ago such as 30m, 2h, 7d",
                           cmd, n, val);
            if (n[2] == 's') { o->since_ms = t; o->has_since = true; }
            else { o->until_ms = t; o->has_until = true; }
        } else if (!strcmp(n, "--limit")) {
            char *end;
            errno = 0;
            long k = strtol(val, &end, 10);
            if (val[0] < '0' || val[0] > '9' || *end || errno || k < 1 || k > 100000000)
                return ERR("%s: --limit='%s': expected an integer from 1 to 100000000", cmd, val);
            o->limit = k;
        }
    }
    if (o->help)
        return 0;
    if (o->from_topic && !o->namesrv)
        return ERR("%s: --from-topic needs --namesrv ADDR (the name server to read it from)", cmd);
    if (o->cmd == TS_REPLAY && !o->namesrv)
        return ERR("replay: --namesrv ADDR is needed (the name server to send through)");
    if (o->cmd == TS_SHOW && o->nids == 0)
        return ERR("show: which record? expected one or more record ids (as list prints them)");
    if (o->to && (o->to[strspn(o->to, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789_-|%")] != '\0' || strlen(o->to) > 127))
        return ERR("replay: --to='%s': not a topic name; expected A-Z a-z 0-9 _ - |", o->to);
    if (o->cmd == TS_PURGE && !o->all && !o->replayed && o->nids == 0 && !o->group && !o->topic &&
        !o->reason && !o->has_since && !o->has_until)
        return ERR("purge: nothing chosen; give record ids, filters, --replayed, or --all");
    return 0;
}
