/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Access units from RTP payloads. With its parser off, libavformat's RTP
 * depacketiser returns H.264/H.265 data one RTP packet at a time (Annex B,
 * FU fragments after the first without a start code), each with the RTP
 * timestamp of its access unit. This joins them into whole access units:
 * a unit ends when the timestamp changes, or when a packet opens a new
 * picture (a first slice, or an AUD/parameter set after a slice), so two
 * frames with the same timestamp stay two frames. Pure: no I/O.
 *
 * Why not libavformat's parser: it drops the timestamp of the first access
 * unit and spends a third of the input's CPU finding what RTP already says.
 */
#ifndef LS_LIB_ACCESS_UNIT_H
#define LS_LIB_ACCESS_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/codec/packet.h"

/** An access unit larger than this is dropped (counted by the caller). */
#define LS_AU_MAX_BYTES (32u << 20)

struct ls_au_buf {
    uint8_t *data;
    size_t size;
    size_t cap;
};

struct ls_au_assembler {
    enum ls_codec codec;      /**< H.264 or H.265 */
    struct ls_au_buf buf[2];  /**< the unit being built, and the one last returned */
    int cur;                  /**< index of the unit being built */
    int64_t pts;              /**< its timestamp (LS_TS_NONE-like INT64_MIN when none) */
    bool has_vcl;             /**< it holds a slice already */
    bool oversized;           /**< it grew past LS_AU_MAX_BYTES: dropped when done */
};

/** A finished access unit: valid until the next push, reset or finish. */
struct ls_au {
    const uint8_t *data;
    size_t size;
    int64_t pts;
};

void ls_au_init(struct ls_au_assembler *a, enum ls_codec codec);
/** Free the buffers; the assembler may be initialised again. */
void ls_au_finish(struct ls_au_assembler *a);
/** Forget the unit being built (a new session). */
void ls_au_reset(struct ls_au_assembler *a);

/**
 * Add one depacketised RTP payload with its timestamp (INT64_MIN: none, taken
 * as the current unit's).
 *
 * @return 1 with @p out set when this packet completed the previous unit,
 *         0 when nothing is complete yet, -EMSGSIZE when the completed unit
 *         was too large and was dropped, -ENOMEM (the packet is lost).
 */
int ls_au_push(struct ls_au_assembler *a, const uint8_t *data, size_t size, int64_t pts,
               struct ls_au *out);

/** Hand out the unit being built, if any (end of stream). @return 1 or 0. */
int ls_au_flush(struct ls_au_assembler *a, struct ls_au *out);

#endif
