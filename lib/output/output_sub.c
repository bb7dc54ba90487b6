/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Subscriber sink: hands each FLV piece to the user's callback on the
 * output's own thread, so a slow callback delays only its own queue.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/output/output.h"

static int sub_open(struct ls_output *o)
{
    (void)o;
    return 0;
}

/** The callback gets each tag in one piece: gather it into the subscriber's scratch buffer. */
static int gather(struct ls_output *o, const struct ls_piece *pieces, int n, size_t *size)
{
    *size = 0;
    for (int i = 0; i < n; i++)
        *size += pieces[i].size;
    if (*size > o->scratch_cap) {
        size_t cap = *size + *size / 2 + 1024;
        uint8_t *p = realloc(o->scratch, cap);
        if (!p)
            return -ENOMEM;
        o->scratch = p;
        o->scratch_cap = cap;
    }
    uint8_t *dst = o->scratch;
    for (int i = 0; i < n; i++) {
        memcpy(dst, pieces[i].data, pieces[i].size);
        dst += pieces[i].size;
    }
    return 0;
}

static int sub_write(struct ls_output *o, const struct ls_piece *pieces, int n, unsigned flags,
                     uint32_t ts_ms)
{
    (void)ts_ms;
    const uint8_t *data = pieces[0].data;
    size_t size = pieces[0].size;
    if (n > 1) {
        int err = gather(o, pieces, n, &size);
        if (err < 0)
            return err;
        data = o->scratch;
    }
    int ret = o->sub_fn(o->sub_cookie, data, size, flags);
    return ret < 0 ? -ECANCELED : 0;
}

static void sub_close(struct ls_output *o)
{
    (void)o;
}

const struct ls_sink_ops ls_sink_subscriber = {
    .open = sub_open,
    .write = sub_write,
    .close = sub_close,
};
