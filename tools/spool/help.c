/*
 * help.c - reconsume-spool's usage text (see help.h). tests/tools checks
 * that each command's text starts with its usage line.
 */
#include "tools/spool/help.h"

#include <stdio.h>

static const char USAGE[] =
    "usage: reconsume-spool COMMAND [OPTIONS]\n"
    "\n"
    "Inspect and replay the messages reconsume diverted (libreconsume.so).\n"
    "\n"
    "commands:\n"
    "  list     one line per record: time, group, topic, msgId, reason, attempts, id\n"
    "  show     one record's headers and body\n"
    "  stats    counts by reason, topic and group\n"
    "  replay   send records back to their topic, --to TOPIC or --to-group GROUP\n"
    "  purge    remove records from the spool\n"
    "  help     this text; 'help COMMAND' or 'COMMAND --help' for a command's\n"
    "\n"
    "source (every command):\n"
    "  --spool DIR          a spool directory (default: the shim's, from\n"
    "                       RECONSUME_SPOOL_DIR, XDG_STATE_HOME or HOME)\n"
    "  --from-topic NAME    read a poison topic instead (needs --namesrv)\n"
    "  --namesrv ADDR       name server, host:port[;host:port]\n"
    "  --client-lib PATH    the RocketMQ C client (default: librocketmq.so from\n"
    "                       LD_LIBRARY_PATH and the system paths, like a consumer)\n"
    "\n"
    "exit status: 0 done; 1 done in part (damaged records, a failed send);\n"
    "2 bad command line; 3 spool, client library or name server unusable\n"
    "\n"
    "See reconsume-spool(1).\n";

static const char *const CMD_HELP[] = {
    [TS_LIST] =
        "usage: reconsume-spool list [SOURCE] [FILTERS] [--replayed] [--json]\n"
        "\n"
        "One line per record, oldest first: time diverted (UTC), group, original\n"
        "topic, msgId, reason, attempts, id. A record that cannot be read is named on\n"
        "stderr with the reason; the others are still listed (exit status 1). Copies\n"
        "of one message (same msgId, group and body) are one line, with (N copies).\n"
        "\n"
        "  --group GLOB, --topic GLOB   consumer group, original topic (fnmatch patterns)\n"
        "  --reason GLOB                outcome (reconsume, bad_status, exception, signal,\n"
        "                               crash_loop) or outcome:detail, e.g. 'exception:*Timeout*'\n"
        "  --since TIME, --until TIME   unix ms, 2024-05-06T07:08:09Z (UTC), or ago: 30m, 2h, 7d\n"
        "  --replayed                   include records already replayed\n"
        "  --json                       a JSON array instead\n",
    [TS_SHOW] =
        "usage: reconsume-spool show [SOURCE] ID... [--hex] [--json]\n"
        "\n"
        "A record's headers (decoded, as the record has them) and body. ID is what\n"
        "list prints, or a msgId, a key, or the start of either id, that names one\n"
        "record (tried in that order); put -- before an ID that starts with '-'.\n"
        "A record without a header that every record has is shown marked damaged\n"
        "(exit status 1). The body is text with every byte a terminal could act on\n"
        "written as \\xNN (and '\\' as \\\\); --hex gives a hex dump instead; --json\n"
        "an object with the headers, the body as text and as base64.\n",
    [TS_STATS] =
        "usage: reconsume-spool stats [SOURCE] [FILTERS] [--replayed] [--json]\n"
        "\n"
        "Counts of records by reason, by original topic and by group (filters as list).\n",
    [TS_REPLAY] =
        "usage: reconsume-spool replay --namesrv ADDR [SOURCE] [FILTERS] [ID...]\n"
        "                              [--to TOPIC | --to-group GROUP] [--rate N/s]\n"
        "                              [--limit N] [--dry-run] [--json] [--state FILE]\n"
        "\n"
        "Send records (those given by ID, else those matching the filters) back to\n"
        "their original topic through the client's producer: body, tags and keys as\n"
        "they were, plus the property RECONSUME_REPLAY_OF=<id>. Sent to the topic,\n"
        "a message reaches every group subscribed to it.\n"
        "\n"
        "  --to TOPIC        send to this topic instead (every group subscribed gets it)\n"
        "  --to-group GROUP  send to this group alone, as the dashboard's resend does:\n"
        "                    to %RETRY%GROUP with RETRY_TOPIC=<original topic>, which\n"
        "                    the client restores on delivery\n"
        "  --rate N/s        at most N sends a second (or N/m a minute), evenly spaced\n"
        "  --limit N         send at most N messages; the rest stay\n"
        "  --dry-run         say what would be sent and where; send nothing (no name\n"
        "                    server needed, no client loaded)\n"
        "  --json            one JSON result per message instead\n"
        "  --state FILE      a topic source's ledger (default\n"
        "                    <spool>/replayed/topic-NAME.ledger)\n"
        "\n"
        "Copies of one message (same msgId, group and body, left by a kill between\n"
        "record and ack) are sent once and all marked replayed. A record is marked\n"
        "replayed only after SendMessageSync reported SEND_OK: a spool record is\n"
        "moved to <spool>/replayed/ (fsync'ed); a topic record is added to the\n"
        "ledger. Records marked replayed are never sent again; a run killed between\n"
        "a send and its mark sends that one message again (at least once, never\n"
        "lost). The first failed send stops the run (exit status 1); what is left\n"
        "stays. On a terminal a progress line (done/total, rate, ETA) is kept on\n"
        "stderr; a summary line ends every run. The client's logs go to\n"
        "$XDG_STATE_HOME/reconsume/client-logs (else ~/.local/state/reconsume/\n"
        "client-logs), not ~/logs.\n",
    [TS_PURGE] =
        "usage: reconsume-spool purge [--spool DIR] (ID... | FILTERS | --replayed | --all)\n"
        "                             [--yes] [--dry-run] [--json]\n"
        "\n"
        "Remove records from the spool: those given by ID (or msgId); or those\n"
        "matching the filters; --replayed: the replayed ones (with filters: those\n"
        "among them); --all: every record not yet replayed (with --replayed: every\n"
        "record). A record never replayed holds the only copy of its message: if any\n"
        "is chosen, purge removes nothing without --yes (exit status 2). A topic\n"
        "cannot be purged: the broker drops old messages by its retention.\n",
};

void ts_help(enum ts_cmd c)
{
    fputs(c > TS_NONE && c < TS_HELP ? CMD_HELP[c] : USAGE, stdout);
}
