/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reconnect backoff: the exact schedule without jitter, jitter bounds over
 * many draws, the authentication floor, the attempt limit and reset.
 */
#include <stdint.h>

#include "lib/util/backoff.h"
#include "tests/unit/test.h"

static struct ls_reconnect_policy policy(uint32_t jitter, uint32_t attempts)
{
    return (struct ls_reconnect_policy){
        .initial_delay_ms = 500,
        .max_delay_ms = 30000,
        .jitter_percent = jitter,
        .max_attempts = attempts,
        .auth_delay_ms = 30000,
    };
}

static void test_schedule(void)
{
    struct ls_reconnect_policy p = policy(0, 0);
    struct ls_backoff b;
    ls_backoff_init(&b, &p, 1);
    static const int64_t want[] = { 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000 };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        CHECK_EQ_INT(ls_backoff_next(&b, false), want[i]);
    CHECK_EQ_INT(b.failures, 9);

    /* A success starts over. */
    ls_backoff_reset(&b);
    CHECK_EQ_INT(ls_backoff_next(&b, false), 500);
    CHECK_EQ_INT(ls_backoff_next(&b, false), 1000);

    /* A huge failure count neither overflows nor wraps to a short delay. */
    b.failures = UINT32_MAX - 1;
    CHECK_EQ_INT(ls_backoff_next(&b, false), 30000);
    CHECK_EQ_INT(ls_backoff_next(&b, false), 30000);
    CHECK_EQ_INT(b.failures, UINT32_MAX);

    /* A cap below the first delay wins; 0 ms stays 0 ms. */
    p.initial_delay_ms = 5000;
    p.max_delay_ms = 2000;
    ls_backoff_init(&b, &p, 1);
    CHECK_EQ_INT(ls_backoff_next(&b, false), 2000);
    p.initial_delay_ms = 0;
    ls_backoff_init(&b, &p, 1);
    b.failures = UINT32_MAX - 1;
    CHECK_EQ_INT(ls_backoff_next(&b, false), 0);

    /* Largest values. */
    p = (struct ls_reconnect_policy){ UINT32_MAX, UINT32_MAX, 100, 0, UINT32_MAX };
    ls_backoff_init(&b, &p, 1);
    for (int i = 0; i < 100; i++) {
        int64_t d = ls_backoff_next(&b, i & 1);
        CHECK(d >= (i & 1 ? (int64_t)UINT32_MAX : 0) && d <= 2 * (int64_t)UINT32_MAX);
    }

    /* No policy: all zero, no crash. */
    ls_backoff_init(&b, NULL, 0);
    CHECK_EQ_INT(ls_backoff_next(&b, false), 0);
}

static void test_jitter(void)
{
    struct ls_reconnect_policy p = policy(20, 0);
    struct ls_backoff b;
    ls_backoff_init(&b, &p, 12345);
    int64_t lo = INT64_MAX, hi = 0, sum = 0;
    const int n = 20000;
    for (int i = 0; i < n; i++) {
        ls_backoff_reset(&b);
        ls_backoff_next(&b, false); /* 500 */
        int64_t d = ls_backoff_next(&b, false); /* 1000 ± 20% */
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
        sum += d;
    }
    CHECK(lo >= 800 && lo <= 805);
    CHECK(hi <= 1200 && hi >= 1195);
    CHECK(sum / n >= 990 && sum / n <= 1010);

    /* At the cap the jitter still applies, around the cap. */
    b.failures = 10;
    for (int i = 0; i < 1000; i++) {
        int64_t d = ls_backoff_next(&b, false);
        CHECK(d >= 24000 && d <= 36000);
    }

    /* Over 100% is taken as 100%: never negative. */
    p.jitter_percent = 250;
    ls_backoff_init(&b, &p, 7);
    for (int i = 0; i < 1000; i++) {
        ls_backoff_reset(&b);
        int64_t d = ls_backoff_next(&b, false);
        CHECK(d >= 0 && d <= 1000);
    }
}

static void test_seed(void)
{
    struct ls_reconnect_policy p = policy(20, 0);
    struct ls_backoff a, b, c;
    ls_backoff_init(&a, &p, 0);
    ls_backoff_init(&b, &p, 0);
    ls_backoff_init(&c, &p, 99);
    CHECK(a.rng != 0);
    int same_ab = 0, same_ac = 0;
    for (int i = 0; i < 50; i++) {
        ls_backoff_reset(&a);
        ls_backoff_reset(&b);
        ls_backoff_reset(&c);
        int64_t da = ls_backoff_next(&a, false);
        same_ab += da == ls_backoff_next(&b, false);
        same_ac += da == ls_backoff_next(&c, false);
    }
    CHECK_EQ_INT(same_ab, 50); /* the same seed gives the same delays */
    CHECK(same_ac < 10);       /* another seed does not */
}

static void test_auth_floor(void)
{
    struct ls_reconnect_policy p = policy(20, 0);
    struct ls_backoff b;
    ls_backoff_init(&b, &p, 3);
    /* Even the first retry after a refused login waits the floor. */
    CHECK_EQ_INT(ls_backoff_next(&b, true), 30000);
    CHECK(ls_backoff_next(&b, false) < 30000 * 2 / 10);
    for (int i = 0; i < 100; i++)
        CHECK(ls_backoff_next(&b, true) >= 30000);
}

static void test_attempts(void)
{
    struct ls_reconnect_policy p = policy(0, 3);
    struct ls_backoff b;
    ls_backoff_init(&b, &p, 1);
    CHECK_EQ_INT(ls_backoff_next(&b, false), 500);
    CHECK_EQ_INT(ls_backoff_next(&b, false), 1000);
    CHECK_EQ_INT(ls_backoff_next(&b, false), -1); /* third failure: give up */
    CHECK_EQ_INT(ls_backoff_next(&b, true), -1);
    ls_backoff_reset(&b);
    CHECK_EQ_INT(ls_backoff_next(&b, false), 500);

    /* One attempt: the first failure is final. */
    p.max_attempts = 1;
    ls_backoff_init(&b, &p, 1);
    CHECK_EQ_INT(ls_backoff_next(&b, false), -1);
}

int main(void)
{
    test_schedule();
    test_jitter();
    test_seed();
    test_auth_floor();
    test_attempts();
    return test_done("test_backoff");
}
