/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target for the RTSP message parser (lib/input/rtsp_msg.c). The input
 * is what a server sends. Checked: parsing the whole input message by message
 * gives the same messages as feeding it in pieces of a size taken from byte 0
 * (a split never changes a result); every pointer handed out stays inside the
 * input; the header and parameter lookups stay in bounds.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "lib/input/rtsp_msg.h"

static void check(bool ok)
{
    if (!ok)
        abort();
}

static void inside(const uint8_t *buf, size_t size, const void *p, size_t n)
{
    if (n)
        check((const uint8_t *)p >= buf && (const uint8_t *)p + n <= buf + size);
}

static void look_up(const uint8_t *buf, size_t size, const struct ls_rtsp_msg *m)
{
    for (size_t i = 0; i < m->n_headers; i++) {
        inside(buf, size, m->headers[i].name.p, m->headers[i].name.n);
        inside(buf, size, m->headers[i].value.p, m->headers[i].value.n);
        char v[32];
        ls_rtsp_param(&m->headers[i].value, "", v, sizeof(v));
        ls_rtsp_param(&m->headers[i].value, "timeout", v, sizeof(v));
    }
    inside(buf, size, m->body, m->body_size);
    char v[16];
    ls_rtsp_header_copy(m, "Session", v, sizeof(v));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = data[0] % 17 + 1;
    const uint8_t *buf = data + 1;
    size = size - 1;
    size_t at = 0, have = 0;
    for (;;) {
        struct ls_rtsp_msg whole, piece;
        int w = ls_rtsp_parse(buf + at, size - at, &whole);
        int p;
        /* The same message, fed in pieces. */
        while ((p = ls_rtsp_parse(buf + at, have - at, &piece)) == 0 && have < size)
            have = have + step > size ? size : have + step;
        check(p == w);
        if (w <= 0)
            break;
        check((size_t)w <= size - at);
        check(whole.kind == piece.kind && whole.status == piece.status &&
              whole.body_size == piece.body_size && whole.n_headers == piece.n_headers);
        look_up(buf, size, &whole);
        at += (size_t)w;
    }
    return 0;
}
