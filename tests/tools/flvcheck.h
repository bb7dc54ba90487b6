/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * flvcheck: an FLV reader written apart from lib/flv.c, used by the tests
 * as the oracle. It checks the byte stream against the Adobe FLV v10.1 spec
 * and Enhanced RTMP, rebuilds Annex B from avcC/hvcC and length-prefixed NAL
 * units and decodes everything with libavcodec. Every input is untrusted.
 */
#ifndef LS_TESTS_TOOLS_FLVCHECK_H
#define LS_TESTS_TOOLS_FLVCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>

#define FC_MAX_MESSAGES 100
#define FC_MAX_PROPS 64

/* Timestamps and counters shared by the audio and the video stream. */
struct fc_stream {
    uint64_t tags;
    uint64_t seq_headers;
    uint64_t frames;
    uint64_t decoded;
    uint64_t decode_errors;
    uint64_t non_monotonic;
    bool have_ts;
    uint32_t first_ts;
    uint32_t last_ts;
    uint32_t max_gap;
    AVCodecContext *dec;
};

enum fc_vkind { FC_V_NONE, FC_V_AVC, FC_V_CODEC12, FC_V_ENH_HVC1, FC_V_ENH_AVC1, FC_V_OTHER };

struct fc_video {
    struct fc_stream st;
    enum fc_vkind kind;
    uint64_t keyframes;
    uint64_t key_mismatch; /* FrameType disagrees with the NAL unit types */
    uint64_t seq_ends;
    bool seen_frame;
    bool first_is_key;
    int nal_length_size; /* 0 until a sequence header was read */
    uint8_t *params;     /* the parameter sets in Annex B */
    size_t params_size;
    bool params_pending; /* to be sent ahead of the next frame */
    int32_t cts_min, cts_max;
    int width, height;
};

struct fc_audio {
    struct fc_stream st;
    int format; /* SoundFormat, -1 until the first audio tag */
    bool have_config;
    uint8_t asc[64];
    size_t asc_size;
    int sample_rate;
    int channels;
};

enum fc_amf_type { FC_AMF_NUMBER, FC_AMF_BOOL, FC_AMF_STRING, FC_AMF_NULL };

struct fc_prop {
    char name[64];
    enum fc_amf_type type;
    double number;
    bool boolean;
    char string[256];
};

struct fc_meta {
    uint64_t tags;
    int nprops; /* of the last onMetaData; -1 when none was read */
    struct fc_prop props[FC_MAX_PROPS];
};

struct fc_messages {
    char *items[FC_MAX_MESSAGES];
    int n;
    uint64_t total;
};

struct fc {
    uint64_t offset; /* stream offset of the tag being checked */
    uint64_t tags;
    uint64_t script_tags;
    bool header_audio, header_video;
    struct fc_messages errors, warnings;
    struct fc_video v;
    struct fc_audio a;
    struct fc_meta meta;
    AVPacket *pkt;
    AVFrame *frame;
};

#ifdef __GNUC__
#define FC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define FC_PRINTF(a, b)
#endif

/* A structural violation: the stream breaks the spec. */
void fc_error(struct fc *c, const char *fmt, ...) FC_PRINTF(2, 3);
/* Legal but unsupported or unusual; repeated messages are kept once. */
void fc_warn(struct fc *c, const char *fmt, ...) FC_PRINTF(2, 3);

uint32_t fc_be(const uint8_t *p, int bytes);
int32_t fc_si24(const uint8_t *p);
void fc_track_ts(struct fc_stream *st, uint32_t ts);

/* Opens a decoder for @p id (extradata copied when given); NULL on failure. */
AVCodecContext *fc_open_decoder(enum AVCodecID id, const uint8_t *extradata, size_t size,
                                int sample_rate, int channels);
/* Sends @p pkt (NULL flushes) and counts what comes out. */
void fc_decode(struct fc *c, struct fc_stream *st, const AVPacket *pkt);

void fc_video_tag(struct fc *c, const uint8_t *b, size_t n, uint32_t ts);
void fc_video_finish(struct fc *c);
const char *fc_video_codec(const struct fc_video *v);
const char *fc_video_flavour(const struct fc_video *v);

void fc_audio_tag(struct fc *c, const uint8_t *b, size_t n, uint32_t ts);
void fc_audio_finish(struct fc *c);
const char *fc_audio_codec(const struct fc_audio *a);

void fc_script_tag(struct fc *c, const uint8_t *b, size_t n);

#endif
