/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target for the access unit assembler (lib/access_unit.c). The input is
 * byte 0 (bit 0: H.265) then records [flags:1][pts:1][len:1][data:len]:
 * flags bit 0 no timestamp, bits 1-2 a start code of 4 or 3 bytes before the
 * data, bit 3 reset before, bit 4 flush before, bit 5 an extreme timestamp.
 *
 * The harness keeps its own copy of the unit being built. Checked: each unit
 * handed out is byte for byte the packets pushed since the previous one, with
 * the timestamp of the first that had one; a timestamp change always ends a
 * unit, and only a packet opening with a start code ends one otherwise; all
 * bytes come out once, except those dropped by reset or as oversized units.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "lib/codec/access_unit.h"

#define NONE INT64_MIN

static void check(bool ok)
{
    if (!ok)
        abort();
}

struct shadow {
    uint8_t buf[1 << 16];
    size_t size;
    int64_t pts;
    uint64_t in, out, dropped;
};

static void same(const struct shadow *sh, const struct ls_au *au)
{
    check(au->size == sh->size && au->size > 0 && au->pts == sh->pts);
    check(memcmp(au->data, sh->buf, au->size) == 0);
}

static void add(struct shadow *sh, const uint8_t *d, size_t n, int64_t pts)
{
    memcpy(sh->buf + sh->size, d, n);
    sh->size += n;
    if (sh->pts == NONE)
        sh->pts = pts;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int64_t extremes[4] = {INT64_MIN + 1, -1, INT64_MAX, 0};
    static struct shadow sh;
    if (size < 1)
        return 0;
    struct ls_au_assembler a;
    ls_au_init(&a, data[0] & 1 ? LS_CODEC_H265 : LS_CODEC_H264);
    sh.size = 0;
    sh.pts = NONE;
    sh.in = sh.out = sh.dropped = 0;
    struct ls_au au;
    for (size_t pos = 1; pos + 3 <= size;) {
        uint8_t flags = data[pos], len = data[pos + 2];
        int64_t pts = flags & 1 ? NONE : flags & 0x20 ? extremes[data[pos + 1] & 3]
                                                      : (int64_t)data[pos + 1] * 3000;
        pos += 3;
        if (len > size - pos)
            len = (uint8_t)(size - pos);
        uint8_t pkt[4 + 255];
        size_t sc = flags & 2 ? 4 : flags & 4 ? 3 : 0;
        static const uint8_t code[4] = {0, 0, 0, 1};
        memcpy(pkt, code + 4 - sc, sc);
        memcpy(pkt + sc, data + pos, len);
        size_t n = sc + len;
        pos += len;
        if (flags & 8) {
            ls_au_reset(&a);
            sh.dropped += sh.size;
            sh.size = 0;
            sh.pts = NONE;
        }
        if (flags & 0x10) {
            int ret = ls_au_flush(&a, &au);
            check(ret == (sh.size > 0));
            if (ret == 1) {
                same(&sh, &au);
                sh.out += au.size;
            }
            sh.size = 0;
            sh.pts = NONE;
        }
        if (n == 0) {
            check(ls_au_push(&a, pkt, 0, pts, &au) == 0);
            continue;
        }
        sh.in += n;
        bool opens_sc = (n >= 3 && !pkt[0] && !pkt[1] && pkt[2] == 1) ||
                        (n >= 4 && !pkt[0] && !pkt[1] && !pkt[2] && pkt[3] == 1);
        bool new_time = pts != NONE && sh.pts != NONE && pts != sh.pts;
        int ret = ls_au_push(&a, pkt, n, pts, &au);
        check(ret == 0 || ret == 1 || ret == -EMSGSIZE);
        if (new_time && sh.size)
            check(ret != 0); /* a timestamp change ends the unit */
        if (ret != 0) {
            check(sh.size > 0 && (new_time || opens_sc));
            if (ret == 1) {
                same(&sh, &au);
                sh.out += au.size;
            } else {
                sh.dropped += sh.size;
            }
            sh.size = 0;
            sh.pts = NONE;
        }
        if (sh.size + n > sizeof(sh.buf)) { /* beyond what the harness follows: stop here */
            ls_au_finish(&a);
            return 0;
        }
        add(&sh, pkt, n, pts);
    }
    if (ls_au_flush(&a, &au) == 1) {
        same(&sh, &au);
        sh.out += au.size;
        sh.size = 0;
    }
    check(sh.size == 0);
    check(sh.out + sh.dropped == sh.in);
    ls_au_finish(&a);
    return 0;
}
