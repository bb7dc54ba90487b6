/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What every fuzz target shares: libFuzzer's entry point, and REQUIRE(),
 * which aborts rather than assert()s so the checks hold in release builds too.
 */
#ifndef LS_TESTS_FUZZ_H
#define LS_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond)   \
    do {                \
        if (!(cond))    \
            abort();    \
    } while (0)

#endif
