/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reconnect schedule. The delay doubles from initial_delay_ms up to
 * max_delay_ms, then varies by ± jitter_percent so that many relays cut off
 * together do not reconnect in lockstep. The random source lives in the
 * object: no global state, reproducible from a seed in tests.
 */
#include "lib/util/backoff.h"

/* Any non-zero constant works; xorshift64 stays at 0 forever from 0. */
#define BACKOFF_SEED_DEFAULT UINT64_C(0x9e3779b97f4a7c15)

void ls_backoff_init(struct ls_backoff *b, const struct ls_reconnect_policy *p, uint64_t seed)
{
    *b = (struct ls_backoff){ 0 };
    if (p)
        b->policy = *p;
    b->rng = seed ? seed : BACKOFF_SEED_DEFAULT;
}

void ls_backoff_reset(struct ls_backoff *b)
{
    b->failures = 0;
}

static uint64_t xorshift64(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

/* min(cap, initial * 2^(failures - 1)), doubling only while below the cap,
 * so a huge failure count costs at most ~33 steps and never overflows. */
static uint64_t base_delay(const struct ls_reconnect_policy *p, uint32_t failures)
{
    uint64_t d = p->initial_delay_ms, cap = p->max_delay_ms;
    for (uint32_t i = 1; i < failures && d && d < cap; i++)
        d *= 2;
    return d < cap ? d : cap;
}

static uint64_t add_jitter(struct ls_backoff *b, uint64_t d)
{
    uint64_t pct = b->policy.jitter_percent < 100 ? b->policy.jitter_percent : 100;
    uint64_t span = d * pct / 100; /* d < 2^32: no overflow */
    if (!span)
        return d;
    return d - span + xorshift64(&b->rng) % (2 * span + 1);
}

int64_t ls_backoff_next(struct ls_backoff *b, bool auth_failure)
{
    if (b->failures < UINT32_MAX)
        b->failures++;
    if (b->policy.max_attempts && b->failures >= b->policy.max_attempts)
        return -1;
    uint64_t d = add_jitter(b, base_delay(&b->policy, b->failures));
    /* Cameras lock accounts after repeated failed logins: go slow. */
    if (auth_failure && d < b->policy.auth_delay_ms)
        d = b->policy.auth_delay_ms;
    return (int64_t)d;
}
