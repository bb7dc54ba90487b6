/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Reconnect schedule: exponential backoff with a cap, jitter, a slow floor
 * after authentication failures and an optional attempt limit. Pure: the
 * caller sleeps. The random source is per object (xorshift), never global.
 */
#ifndef LS_LIB_BACKOFF_H
#define LS_LIB_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

#include "lightstream/relay.h" /* struct ls_reconnect_policy */

struct ls_backoff {
    struct ls_reconnect_policy policy;
    uint32_t failures;  /**< consecutive failures so far */
    uint64_t rng;       /**< xorshift64 state, never 0 */
};

/** @p seed may be anything (0 is replaced by a constant). */
void ls_backoff_init(struct ls_backoff *b, const struct ls_reconnect_policy *p, uint64_t seed);

/**
 * Record a failure and return the delay before the next attempt, in ms:
 * min(max_delay, initial_delay * 2^(failures-1)), varied by ± jitter_percent,
 * never below auth_delay_ms when @p auth_failure.
 * @return the delay, or -1 when max_attempts consecutive failures are reached.
 */
int64_t ls_backoff_next(struct ls_backoff *b, bool auth_failure);

/** Record a success: the next failure starts from initial_delay again. */
void ls_backoff_reset(struct ls_backoff *b);

#endif
