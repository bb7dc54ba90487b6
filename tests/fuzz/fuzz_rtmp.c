/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for what an RTMP server sends our publisher: the bytes after
 * the handshake go through the chunk reader in pieces whose sizes the input's
 * first byte picks, and every complete message through the publisher's
 * message handler (window sizes, pings, _result/_error/onStatus and their
 * AMF0), with a publisher state that is waiting for a command's answer.
 * Invariants: no crash or read past the input; the reader's total counts
 * every byte fed up to an error; errors are sticky; an error status maps to
 * a negative errno.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "lib/output/rtmp_publish_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = 1 + data[0] % 64;
    data++;
    size--;
    struct ls_rtmp_pub pub;
    memset(&pub, 0, sizeof(pub));
    pub.fd = -1;
    pub.want_txn = 1;
    ls_rtmp_reader_init(&pub.rd);
    size_t fed = 0;
    int err = 0;
    while (fed < size) {
        size_t k = size - fed < step ? size - fed : step;
        /* A copy of exactly k bytes: ASan sees any read past a piece. */
        uint8_t *piece = malloc(k);
        REQUIRE(piece);
        memcpy(piece, data + fed, k);
        err = ls_rtmp_reader_feed(&pub.rd, piece, k, ls_rtmp_pub_on_msg, &pub);
        free(piece);
        fed += k;
        if (err < 0)
            break;
    }
    REQUIRE(pub.rd.total == fed);
    if (err < 0)
        REQUIRE(ls_rtmp_reader_feed(&pub.rd, data, 0, ls_rtmp_pub_on_msg, &pub) == err);
    REQUIRE(pub.status <= 1);
    REQUIRE(pub.result <= 0);
    ls_rtmp_reader_finish(&pub.rd);
    return 0;
}
