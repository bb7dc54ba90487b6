/*
 * The wall clock and random bytes (os.c): small calls on the system that
 * many files need, kept apart so that using them ties a file to nothing else.
 *
 * Thread-safety: safe from any thread.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_OS_H
#define LSD_OS_H

#include <stddef.h>
#include <stdint.h>

/** Wall clock, ms since 1970. */
int64_t lsd_wall_ms(void);
/** Random bytes from the kernel. @return 0 or -EIO */
int lsd_random(void *buf, size_t size);

#endif
