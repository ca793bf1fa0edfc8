#include "io/xfsz.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

void rc_xfsz_hold(struct rc_xfsz *h)
{
    sigset_t xfsz, pending;
    sigemptyset(&xfsz);
    sigaddset(&xfsz, SIGXFSZ);
    pthread_sigmask(SIG_BLOCK, &xfsz, &h->old);
    h->was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGXFSZ);
}

void rc_xfsz_release(struct rc_xfsz *h)
{
    int saved = errno;
    if (!h->was_pending && !sigismember(&h->old, SIGXFSZ)) {
        sigset_t xfsz;
        sigemptyset(&xfsz);
        sigaddset(&xfsz, SIGXFSZ);
        struct timespec zero = {0, 0};
        sigtimedwait(&xfsz, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &h->old, NULL);
    errno = saved;
}
