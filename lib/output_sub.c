/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Subscriber sink: hands each FLV piece to the user's callback on the
 * output's own thread, so a slow callback delays only its own queue.
 */
#include <errno.h>

#include "lib/output.h"

static int sub_open(struct ls_output *o)
{
    (void)o;
    return 0;
}

static int sub_write(struct ls_output *o, const uint8_t *data, size_t size, unsigned flags)
{
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
