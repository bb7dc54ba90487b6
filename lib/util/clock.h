/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Monotonic time and deadlines for condition waits.
 */
#ifndef LS_LIB_CLOCK_H
#define LS_LIB_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/** Monotonic milliseconds. */
static inline int64_t ls_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/** Monotonic microseconds. */
static inline int64_t ls_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/** Monotonic microseconds from the coarse clock (a few ms resolution, no syscall cost):
 *  for deadlines polled many times a second. */
static inline int64_t ls_now_coarse_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/** A condition variable that waits on CLOCK_MONOTONIC (wall-clock jumps must not shorten a backoff). */
static inline int ls_cond_init(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    int err = pthread_condattr_init(&attr);
    if (err)
        return -err;
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    err = pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
    return -err;
}

/** Wait on @p cond until the monotonic time @p deadline_ms at the latest. */
static inline void ls_cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock,
                                      int64_t deadline_ms)
{
    struct timespec ts = {
        .tv_sec = deadline_ms / 1000,
        .tv_nsec = (deadline_ms % 1000) * 1000000,
    };
    pthread_cond_timedwait(cond, lock, &ts);
}

#endif
