/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A minimal check harness for unit tests: CHECK() counts, a failed check
 * prints where and why, and test_done() returns the exit status meson reads.
 */
#ifndef LS_TESTS_TEST_H
#define LS_TESTS_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_checks, test_failures;

#define CHECK(cond)                                                              \
    do {                                                                         \
        test_checks++;                                                           \
        if (!(cond)) {                                                           \
            test_failures++;                                                     \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                        \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                       \
    do {                                                                         \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);          \
        test_checks++;                                                           \
        if (check_a_ != check_b_) {                                              \
            test_failures++;                                                     \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__,   \
                    __LINE__, #a, #b, check_a_, check_b_);                       \
        }                                                                        \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                       \
    do {                                                                         \
        const char *check_a_ = (a), *check_b_ = (b);                             \
        test_checks++;                                                           \
        if (strcmp(check_a_, check_b_) != 0) {                                   \
            test_failures++;                                                     \
            fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n",         \
                    __FILE__, __LINE__, #a, #b, check_a_, check_b_);             \
        }                                                                        \
    } while (0)

#define CHECK_EQ_MEM(a, b, n)                                                    \
    do {                                                                         \
        test_checks++;                                                           \
        if (memcmp((a), (b), (n)) != 0) {                                        \
            test_failures++;                                                     \
            fprintf(stderr, "%s:%d: %s and %s differ in %zu bytes\n", __FILE__,   \
                    __LINE__, #a, #b, (size_t)(n));                              \
            test_hexdump("got", (const unsigned char *)(a), (size_t)(n));        \
            test_hexdump("want", (const unsigned char *)(b), (size_t)(n));       \
        }                                                                        \
    } while (0)

static inline void test_hexdump(const char *what, const unsigned char *p, size_t n)
{
    fprintf(stderr, "  %-4s:", what);
    for (size_t i = 0; i < n && i < 64; i++)
        fprintf(stderr, " %02x", p[i]);
    fprintf(stderr, n > 64 ? " …\n" : "\n");
}

/** Parse a hex string into @p out (at most @p cap bytes). @return the bytes written. */
static inline size_t test_unhex(const char *hex, unsigned char *out, size_t cap)
{
    size_t n = 0;
    for (; hex[0] && hex[1] && n < cap; hex += 2) {
        char byte[3] = {hex[0], hex[1], 0};
        out[n++] = (unsigned char)strtoul(byte, NULL, 16);
    }
    return n;
}

/** Equal within 1e-6. */
static inline int test_near(double a, double b)
{
    return a > b - 1e-6 && a < b + 1e-6;
}

/** Print the tally; the return value is the process exit status. */
static inline int test_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, test_checks, test_failures);
    if (test_checks == 0) {
        fprintf(stderr, "%s: no check ran\n", name);
        return 1;
    }
    return test_failures ? 1 : 0;
}

#endif
