/*
 * What the daemon asks of the system beyond its loop: the wall clock and
 * random bytes (os.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <sys/random.h>
#include <time.h>

#include "daemon/os.h"

int64_t lsd_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int lsd_random(void *buf, size_t size)
{
    ssize_t n = getrandom(buf, size, 0);
    return n == (ssize_t)size ? 0 : -EIO;
}
