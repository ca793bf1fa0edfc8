/*
 * args.c - reconsume-spool's command line (see args.h), read with
 * getopt_long. Every option is checked here; a bad one is one line naming
 * it, its value and what is accepted.
 */
#include "tools/spool/args.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
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

int ts_parse_rate(const char *v, double *per_s)
{
    size_t n = strspn(v, "0123456789");
    if (n == 0 || n > 6 || v[n] != '/' || (strcmp(v + n + 1, "s") && strcmp(v + n + 1, "m")))
        return -1;
    long k = atol(v);
    if (k < 1 || k > 100000)
        return -1;
    *per_s = v[n + 1] == 's' ? (double)k : k / 60.0;
    return 0;
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
    O_ALL = 1 << 10, O_DRY = 1 << 11, O_LIMIT = 1 << 12, O_IDS = 1 << 13, O_YES = 1 << 14,
    O_RATE = 1 << 15, O_TOGROUP = 1 << 16,
};
static const unsigned allowed[] = {
    [TS_LIST] = O_SPOOL | O_FROM | O_NAMESRV | O_LIB | O_FILTER | O_JSON | O_REPLAYED,
    [TS_SHOW] = O_SPOOL | O_FROM | O_NAMESRV | O_LIB | O_JSON | O_HEX | O_IDS,
    [TS_STATS] = O_SPOOL | O_FROM | O_NAMESRV | O_LIB | O_FILTER | O_JSON | O_REPLAYED,
    [TS_REPLAY] = O_SPOOL | O_FROM | O_NAMESRV | O_LIB | O_TO | O_STATE | O_FILTER | O_JSON |
                  O_DRY | O_LIMIT | O_IDS | O_RATE | O_TOGROUP,
    [TS_PURGE] = O_SPOOL | O_FILTER | O_JSON | O_REPLAYED | O_ALL | O_DRY | O_IDS | O_YES,
};

/* The long options: getopt_long's table, and which bit each one is. */
enum { OPT_HELP = 'h', OPT_FIRST = 0x100 };
static const struct option longopts[] = {
    {"spool", required_argument, NULL, OPT_FIRST + 0},
    {"from-topic", required_argument, NULL, OPT_FIRST + 1},
    {"namesrv", required_argument, NULL, OPT_FIRST + 2},
    {"client-lib", required_argument, NULL, OPT_FIRST + 3},
    {"to", required_argument, NULL, OPT_FIRST + 4},
    {"state", required_argument, NULL, OPT_FIRST + 5},
    {"group", required_argument, NULL, OPT_FIRST + 6},
    {"topic", required_argument, NULL, OPT_FIRST + 7},
    {"reason", required_argument, NULL, OPT_FIRST + 8},
    {"since", required_argument, NULL, OPT_FIRST + 9},
    {"until", required_argument, NULL, OPT_FIRST + 10},
    {"json", no_argument, NULL, OPT_FIRST + 11},
    {"hex", no_argument, NULL, OPT_FIRST + 12},
    {"replayed", no_argument, NULL, OPT_FIRST + 13},
    {"all", no_argument, NULL, OPT_FIRST + 14},
    {"dry-run", no_argument, NULL, OPT_FIRST + 15},
    {"limit", required_argument, NULL, OPT_FIRST + 16},
    {"yes", no_argument, NULL, OPT_FIRST + 17},
    {"rate", required_argument, NULL, OPT_FIRST + 18},
    {"to-group", required_argument, NULL, OPT_FIRST + 19},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};
static const unsigned bits[] = {
    O_SPOOL, O_FROM, O_NAMESRV, O_LIB, O_TO, O_STATE, O_FILTER, O_FILTER, O_FILTER,
    O_FILTER, O_FILTER, O_JSON, O_HEX, O_REPLAYED, O_ALL, O_DRY, O_LIMIT, O_YES, O_RATE, O_TOGROUP,
};

/* The long option whose whole name is the n bytes at s (no abbreviation:
 * --to and --topic, --replayed and --reason must never be guessed), or NULL. */
static const struct option *exact(const char *s, size_t n)
{
    for (const struct option *op = longopts; op->name; op++)
        if (strlen(op->name) == n && strncmp(s, op->name, n) == 0)
            return op;
    return NULL;
}

/*
 * What is wrong with the option element a (getopt_long refused it, or it
 * was an abbreviation): one line in err, and -1. The checks come in the
 * order a reader expects: unknown, not for this command, then its value.
 */
static int bad_option(const char *cmd, enum ts_cmd c, const char *a, char *err, size_t errlen)
{
    size_t alen = strcspn(a, "=");
    const struct option *op = strncmp(a, "--", 2) == 0 ? exact(a + 2, alen - 2) : NULL;
    if (!op || op->val == OPT_HELP)
        return ERR("%s: unknown option '%s' (see %s --help)", cmd, a, cmd);
    if (!(allowed[c] & bits[op->val - OPT_FIRST]))
        return ERR("%s: option %.*s does not apply to %s (see %s --help)", cmd, (int)alen, a,
                   cmd, cmd);
    if (op->has_arg)
        return ERR("%s: option --%s needs a value", cmd, op->name);
    return ERR("%s: option --%s takes no value", cmd, op->name);
}

/* One option with its value (NULL for a flag) into o. */
static int set_option(struct ts_opts *o, const char *cmd, const char *n, const char *val,
                      long long now_ms, char *err, size_t errlen)
{
    if (val && !val[0])
        return ERR("%s: option --%s: empty value", cmd, n);
    if (!strcmp(n, "spool")) o->spool = val;
    else if (!strcmp(n, "from-topic")) o->from_topic = val;
    else if (!strcmp(n, "namesrv")) o->namesrv = val;
    else if (!strcmp(n, "client-lib")) o->client_lib = val;
    else if (!strcmp(n, "to")) o->to = val;
    else if (!strcmp(n, "to-group")) o->to_group = val;
    else if (!strcmp(n, "state")) o->state = val;
    else if (!strcmp(n, "group")) o->group = val;
    else if (!strcmp(n, "topic")) o->topic = val;
    else if (!strcmp(n, "reason")) o->reason = val;
    else if (!strcmp(n, "json")) o->json = true;
    else if (!strcmp(n, "hex")) o->hex = true;
    else if (!strcmp(n, "replayed")) o->replayed = true;
    else if (!strcmp(n, "all")) o->all = true;
    else if (!strcmp(n, "dry-run")) o->dry_run = true;
    else if (!strcmp(n, "yes")) o->yes = true;
    else if (!strcmp(n, "since") || !strcmp(n, "until")) {
        long long t;
        if (ts_parse_time(val, now_ms, &t) != 0)
            return ERR("%s: --%s='%s': expected unix ms, an ISO 8601 UTC time such as "
                       "2024-05-06T07:08:09Z, or a duration ago such as 30m, 2h, 7d",
                       cmd, n, val);
        if (n[1] == 'i') { o->since_ms = t; o->has_since = true; }
        else { o->until_ms = t; o->has_until = true; }
    } else if (!strcmp(n, "rate")) {
        if (ts_parse_rate(val, &o->rate) != 0)
            return ERR("%s: --rate='%s': expected N/s or N/m, N from 1 to 100000", cmd, val);
    } else if (!strcmp(n, "limit")) {
        char *end;
        errno = 0;
        long k = strtol(val, &end, 10);
        if (val[0] < '0' || val[0] > '9' || *end || errno || k < 1 || k > 100000000)
            return ERR("%s: --limit='%s': expected an integer from 1 to 100000000", cmd, val);
        o->limit = k;
    }
    return 0;
}

static int add_id(struct ts_opts *o, const char *cmd, const char *a, char *err, size_t errlen)
{
    if (!(allowed[o->cmd] & O_IDS))
        return ERR("%s: unexpected argument '%s'", cmd, a);
    if (o->nids == TS_IDS_MAX)
        return ERR("%s: more than %d record ids", cmd, TS_IDS_MAX);
    o->ids[o->nids++] = a;
    return 0;
}

/*
 * The command's own arguments, argv[0] being the command: options (any
 * order, --name VALUE or --name=VALUE, -h), record ids among them, and
 * after "--" ids only. getopt_long returns them in order ("-" first in its
 * option string), reports a missing value as ':' (the ':' after it), and
 * writes nothing to stderr (opterr = 0): the errors are said here.
 */
static int parse_command_args(int argc, char **argv, long long now_ms, struct ts_opts *o,
                              char *err, size_t errlen)
{
    const char *cmd = argv[0];
    opterr = 0;
    optind = 0; /* glibc: start afresh (the unit tests parse many command lines) */
    for (;;) {
        int at = optind ? optind : 1, idx = -1;
        int c = getopt_long(argc, argv, "-:h", longopts, &idx);
        if (c == -1)
            break;
        if (c == 1) {
            if (add_id(o, cmd, optarg, err, errlen) != 0)
                return -1;
            continue;
        }
        if (c == '?' || c == ':')
            return bad_option(cmd, o->cmd, argv[at], err, errlen);
        if (c == OPT_HELP) {
            o->help = true;
            continue;
        }
        const struct option *op = &longopts[c - OPT_FIRST];
        /* getopt_long takes an unambiguous abbreviation; this tool does not. */
        if (strncmp(argv[at], "--", 2) != 0 ||
            strcspn(argv[at] + 2, "=") != strlen(op->name) ||
            !(allowed[o->cmd] & bits[c - OPT_FIRST]))
            return bad_option(cmd, o->cmd, argv[at], err, errlen);
        if (set_option(o, cmd, op->name, optarg, now_ms, err, errlen) != 0)
            return -1;
    }
    for (int i = optind; i < argc; i++) /* after "--" */
        if (add_id(o, cmd, argv[i], err, errlen) != 0)
            return -1;
    return 0;
}

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
    const char *cmd = argv[i];
    if (o->cmd == TS_HELP) {
        /* "help CMD" is "CMD --help". */
        o->help = true;
        if (i + 1 < argc) {
            for (int c = TS_LIST; c < TS_HELP; c++)
                if (strcmp(argv[i + 1], names[c]) == 0)
                    o->cmd = (enum ts_cmd)c;
            if (o->cmd == TS_HELP)
                return ERR("help '%s': unknown command; expected list, show, stats, replay or purge",
                           argv[i + 1]);
        }
        return 0;
    }
    if (parse_command_args(argc - i, argv + i, now_ms, o, err, errlen) != 0)
        return -1;
    if (o->help)
        return 0;
    if (o->from_topic && !o->namesrv)
        return ERR("%s: --from-topic needs --namesrv ADDR (the name server to read it from)", cmd);
    if (o->cmd == TS_REPLAY && !o->namesrv && !o->dry_run)
        return ERR("replay: --namesrv ADDR is needed (the name server to send through)");
    if (o->to && o->to_group)
        return ERR("replay: --to and --to-group: give one (a topic, or one group's retry topic)");
    if (o->to_group && (o->to_group[strspn(o->to_group, "abcdefghijklmnopqrstuvwxyz"
                                                        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-|%")] ||
                        strlen(o->to_group) > 120))
        return ERR("replay: --to-group='%s': not a group name; expected A-Z a-z 0-9 _ - |",
                   o->to_group);
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
