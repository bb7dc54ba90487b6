/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target for the SDP parser (lib/input/sdp.c) and the control URL
 * resolution. Checked: strings come out NUL-terminated within their arrays,
 * sizes within their bounds, and every medium's control URL resolves within
 * the buffer or says it does not fit.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "lib/input/sdp.h"

static void check(bool ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ls_sdp sdp; /* 20 KiB: not on the fuzzer's stack */
    if (ls_sdp_parse((const char *)data, size, &sdp) < 0)
        return 0;
    check(sdp.n_media >= 1 && sdp.n_media <= LS_SDP_MAX_MEDIA);
    check(memchr(sdp.control, 0, sizeof(sdp.control)) != NULL);
    for (size_t i = 0; i < sdp.n_media; i++) {
        const struct ls_sdp_media *m = &sdp.media[i];
        check(m->extradata_size <= sizeof(m->extradata));
        check(memchr(m->control, 0, sizeof(m->control)) != NULL);
        check(m->channels >= 1 && m->channels <= 8);
        char url[256];
        int err = ls_sdp_control_url("rtsp://127.0.0.1:554/stream", m->control, url, sizeof(url));
        check(err == 0 ? strlen(url) < sizeof(url) : err == -36 /* ENAMETOOLONG */);
    }
    return 0;
}
