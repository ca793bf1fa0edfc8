/*
 * labels.h - RECONSUME_STATS_LABELS: labels the operator adds to every series
 * of the statistics file, so that the files of several processes in one
 * node_exporter textfile directory (or one Prometheus job) stay apart.
 *
 * Grammar
 * -------
 *   RECONSUME_STATS_LABELS = NAME '=' VALUE [ ',' NAME '=' VALUE ]...
 *   NAME   a Prometheus label name: [a-zA-Z_][a-zA-Z0-9_]*, at most 63 bytes,
 *          not starting with "__" (reserved), and none of the names the
 *          shim sets itself (group, topic, outcome, injected, action, reason,
 *          version, le); each name once
 *   VALUE  1 to 127 bytes of printable UTF-8 without ',' (it ends the pair);
 *          '"' and '\' are allowed and escaped in the file
 *
 * Blanks around names and values are kept as written (a label value is
 * exact). At most 8 pairs. Pure: no allocation, no I/O.
 */
#ifndef RECONSUME_POLICY_LABELS_H
#define RECONSUME_POLICY_LABELS_H

#include <stddef.h>

#define RC_LABELS_MAX 8
#define RC_LABEL_NAME_MAX 64
#define RC_LABEL_VALUE_MAX 128

struct rc_labels {
    int n;
    struct {
        char name[RC_LABEL_NAME_MAX];
        char value[RC_LABEL_VALUE_MAX];
    } v[RC_LABELS_MAX];
};

/* Parse text (the value of the variable named setting) into *out. Returns
 * 0, or -1 with one line in err naming the variable and what is accepted. */
int rc_labels_parse(const char *setting, const char *text, struct rc_labels *out, char *err,
                    size_t errlen);

#endif
