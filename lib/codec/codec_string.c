/*
 * RFC 6381 codec strings from avcC / hvcC records (lightstream/codec.h).
 * Pure. The relay's stats use it for the live stream, lightstreamd for its
 * recorded segments' sample entries: one spelling for both.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lightstream/codec.h"

/* avcC: version, AVCProfileIndication, profile_compatibility, AVCLevelIndication */
#define AVCC_MIN 4
/* hvcC: version, space/tier/profile, 4 compat bytes, 6 constraint bytes, level */
#define HVCC_MIN 13

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t reverse_bits(uint32_t v)
{
    uint32_t r = 0;
    for (int i = 0; i < 32; i++, v >>= 1)
        r = r << 1 | (v & 1);
    return r;
}

/* hvc1.<space><profile>.<compat, bit-reversed hex>.<tier><level>[.<constraint bytes>] */
static int hevc_string(const char *fourcc, const uint8_t *c, char *out, size_t cap)
{
    static const char *const spaces[] = {"", "A", "B", "C"};
    unsigned space = c[1] >> 6, tier = c[1] >> 5 & 1, profile = c[1] & 31;
    int n = snprintf(out, cap, "%s.%s%u.%x.%c%u", fourcc, spaces[space], profile,
                     reverse_bits(be32(c + 2)), tier ? 'H' : 'L', c[12]);
    int last = 5; /* trailing zero bytes of the constraint flags are left out */
    while (last >= 0 && c[6 + last] == 0)
        last--;
    for (int i = 0; i <= last && n >= 0; i++)
        n += snprintf((size_t)n < cap ? out + n : NULL, (size_t)n < cap ? cap - (size_t)n : 0,
                      ".%x", c[6 + i]);
    return n;
}

int ls_codec_string(const char *fourcc, const uint8_t *record, size_t size, char *out, size_t cap)
{
    bool avc = fourcc && (strcmp(fourcc, "avc1") == 0 || strcmp(fourcc, "avc3") == 0);
    bool hevc = fourcc && (strcmp(fourcc, "hvc1") == 0 || strcmp(fourcc, "hev1") == 0);
    if (!avc && !hevc) {
        if (cap)
            out[0] = '\0';
        return -EINVAL;
    }
    if (!record || size < (avc ? AVCC_MIN : HVCC_MIN)) {
        snprintf(out, cap, "%s", fourcc);
        return -EINVAL;
    }
    if (avc)
        return snprintf(out, cap, "%s.%02x%02x%02x", fourcc, record[1], record[2], record[3]);
    return hevc_string(fourcc, record, out, cap);
}
