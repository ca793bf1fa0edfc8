/*
 * signal_name.c - see signal_name.h.
 */
#include "util/signal_name.h"

#include <signal.h>
#include <string.h>
#include <strings.h>

static const struct { const char *name; int signo; } signals[] = {
    {"SIGSEGV", SIGSEGV}, {"SIGBUS", SIGBUS}, {"SIGFPE", SIGFPE},
    {"SIGILL", SIGILL},   {"SIGABRT", SIGABRT},
};

const char *rc_signal_name(int signo)
{
    for (size_t i = 0; i < sizeof signals / sizeof *signals; i++)
        if (signals[i].signo == signo)
            return signals[i].name;
    return NULL;
}

int rc_signal_by_name(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof signals / sizeof *signals; i++)
        if (n == strlen(signals[i].name) && strncasecmp(s, signals[i].name, n) == 0)
            return signals[i].signo;
    return 0;
}
