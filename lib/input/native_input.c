/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The native input engine: the library's own RTSP client over TCP
 * interleaved. Placeholder until the client lands: it reads nothing yet.
 */
#include <errno.h>
#include <string.h>

#include "lib/input/input.h"

static bool native_supports(const struct ls_input_settings *s)
{
    return !strncmp(s->url, "rtsp://", 7) && s->transport == LS_TRANSPORT_TCP;
}

static int native_open(struct ls_input **out, const struct ls_input_settings *s)
{
    (void)s;
    *out = NULL;
    return -ENOSYS;
}

const struct ls_input_ops ls_input_native_ops = {
    .name = "native",
    .supports = native_supports,
    .open = native_open,
};
