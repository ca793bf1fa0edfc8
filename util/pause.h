/*
 * pause.h - sleep for a while, whatever signals arrive meanwhile.
 */
#ifndef RECONSUME_UTIL_PAUSE_H
#define RECONSUME_UTIL_PAUSE_H

/* Sleep ms milliseconds (nanosleep, resumed after EINTR); ms <= 0: none. */
void rc_pause_ms(long ms);

#endif
