/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * flvcheck [--max-seconds S] [--max-bytes N] [--json] <file.flv | URL | ->
 *
 * Reads an FLV byte stream (a file, anything avio_open2 opens such as
 * http://, or stdin), checks its structure, decodes its audio and video and
 * prints a summary (one JSON object with --json). Exit status: 0 when the
 * stream is well-formed and every frame of a codec it decodes came out of
 * the decoder undamaged, 1 otherwise, 2 on usage errors. This file: the
 * command line, the tag loop and the report.
 *
 * --json prints one object:
 *   ok                      no structural error (decode problems are counted apart)
 *   errors[], errors_count  structural violations, each "offset N: ..." (first 100 kept)
 *   warnings[], warnings_count  legal but unchecked or odd things, each kept once
 *   stopped                 "eof" | "time" | "bytes" | "error"
 *   bytes, tags, script_tags, header {audio, video} (the FLV header's flags)
 *   video  {codec "h264|hevc|other|none", flavour "avc|codec12|enhanced|other|none",
 *           tags, seq_headers, frames, decoded, undecoded, decode_errors, keyframes,
 *           key_mismatch, seq_ends, first_is_key, width, height, nal_length_size,
 *           cts_min, cts_max, first_ts, last_ts, non_monotonic, max_gap}
 *   audio  {codec "aac|pcma|pcmu|other|none", sound_format, tags, seq_headers, frames,
 *           decoded, undecoded, decode_errors, sample_rate, channels,
 *           first_ts, last_ts, non_monotonic, max_gap}
 *   metadata_tags, metadata {the scalar properties of the last onMetaData} | null
 * Timestamps are milliseconds (null without tags); non_monotonic counts tags whose
 * timestamp is below the previous one of the same stream; max_gap is the largest step.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <libavformat/avformat.h>
#include <libavutil/time.h>

#include "tests/tools/flvcheck.h"

/* ---- messages and small helpers shared by the other files ---- */

static void add_message(struct fc_messages *m, bool dedupe, const char *fmt, va_list ap)
{
    char text[512];
    vsnprintf(text, sizeof(text), fmt, ap);
    if (dedupe) {
        for (int i = 0; i < m->n; i++)
            if (!strcmp(m->items[i], text))
                return;
    }
    m->total++;
    if (m->n < FC_MAX_MESSAGES) {
        char *copy = strdup(text);
        if (copy)
            m->items[m->n++] = copy;
    }
}

void fc_error(struct fc *c, const char *fmt, ...)
{
    char located[600];
    va_list ap;
    /* Every structural error names the offset of the tag it was found in. */
    snprintf(located, sizeof(located), "offset %llu: %s", (unsigned long long)c->offset, fmt);
    va_start(ap, fmt);
    add_message(&c->errors, false, located, ap);
    va_end(ap);
}

void fc_warn(struct fc *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_message(&c->warnings, true, fmt, ap);
    va_end(ap);
}

uint32_t fc_be(const uint8_t *p, int bytes)
{
    uint32_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    return v;
}

int32_t fc_si24(const uint8_t *p)
{
    uint32_t v = fc_be(p, 3);
    return v & 0x800000 ? (int32_t)v - 0x1000000 : (int32_t)v;
}

void fc_track_ts(struct fc_stream *st, uint32_t ts)
{
    st->tags++;
    if (!st->have_ts) {
        st->have_ts = true;
        st->first_ts = ts;
    } else if (ts < st->last_ts) {
        st->non_monotonic++;
    } else if (ts - st->last_ts > st->max_gap) {
        st->max_gap = ts - st->last_ts;
    }
    st->last_ts = ts;
}

/* ---- decoding ---- */

AVCodecContext *fc_open_decoder(enum AVCodecID id, const uint8_t *extradata, size_t size,
                                int sample_rate, int channels)
{
    const AVCodec *codec = avcodec_find_decoder(id);
    AVCodecContext *dec = codec ? avcodec_alloc_context3(codec) : NULL;
    if (!dec)
        return NULL;
    dec->pkt_timebase = (AVRational){ 1, 1000 };
    /* Report damage rather than silently concealing it. */
    dec->err_recognition = AV_EF_CRCCHECK | AV_EF_BITSTREAM;
    dec->thread_count = 1;
    if (sample_rate)
        dec->sample_rate = sample_rate;
    if (channels)
        av_channel_layout_default(&dec->ch_layout, channels);
    if (size) {
        dec->extradata = av_mallocz(size + AV_INPUT_BUFFER_PADDING_SIZE);
        if (!dec->extradata)
            goto fail;
        memcpy(dec->extradata, extradata, size);
        dec->extradata_size = (int)size;
    }
    if (avcodec_open2(dec, codec, NULL) < 0)
        goto fail;
    return dec;
fail:
    avcodec_free_context(&dec);
    return NULL;
}

static void count_frame(struct fc *c, struct fc_stream *st, const AVFrame *f)
{
    st->decoded++;
    if (f->decode_error_flags || (f->flags & AV_FRAME_FLAG_CORRUPT))
        st->decode_errors++;
    if (st == &c->v.st) {
        c->v.width = f->width;
        c->v.height = f->height;
    } else {
        c->a.sample_rate = f->sample_rate;
        c->a.channels = f->ch_layout.nb_channels;
    }
}

static void drain(struct fc *c, struct fc_stream *st)
{
    for (;;) {
        int r = avcodec_receive_frame(st->dec, c->frame);
        if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
            return;
        if (r < 0) {
            st->decode_errors++;
            return;
        }
        count_frame(c, st, c->frame);
        av_frame_unref(c->frame);
    }
}

void fc_decode(struct fc *c, struct fc_stream *st, const AVPacket *pkt)
{
    if (!st->dec)
        return;
    int r = avcodec_send_packet(st->dec, pkt);
    if (r == AVERROR(EAGAIN)) {
        /* Output was pending: take it, then the packet goes in. */
        drain(c, st);
        r = avcodec_send_packet(st->dec, pkt);
    }
    if (r < 0 && r != AVERROR_EOF)
        st->decode_errors++;
    drain(c, st);
}

/* ---- input ---- */

struct input {
    AVIOContext *io;
    int64_t deadline; /* av_gettime_relative() microseconds; 0: none */
    uint64_t max_bytes;
    uint64_t bytes;
    const char *stopped; /* NULL while reading */
    int error;           /* the AVERROR that stopped it, when stopped is "error" */
};

static int interrupt_cb(void *opaque)
{
    const struct input *in = opaque;
    return in->deadline && av_gettime_relative() >= in->deadline;
}

static void on_alarm(int sig)
{
    (void)sig; /* only here to make a blocking read() return EINTR */
}

/* A blocking read on a pipe ignores the interrupt callback: a timer wakes it. */
static void arm_timer(double seconds)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm; /* no SA_RESTART: read() must fail with EINTR */
    sigaction(SIGALRM, &sa, NULL);
    long long us = (long long)(seconds * 1e6) + 1000;
    struct itimerval it = {
        .it_value = { (time_t)(us / 1000000), (suseconds_t)(us % 1000000) },
        .it_interval = { 0, 200000 },
    };
    setitimer(ITIMER_REAL, &it, NULL);
}

/* Stops the timer so that writing the report is never interrupted. */
static void disarm_timer(void)
{
    struct itimerval it = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &it, NULL);
}

/* Reads up to @p n bytes; fewer means the input stopped (in->stopped says why). */
static size_t read_bytes(struct input *in, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n && !in->stopped) {
        size_t want = n - got;
        if (in->max_bytes) {
            if (in->bytes >= in->max_bytes) {
                in->stopped = "bytes";
                break;
            }
            if (want > in->max_bytes - in->bytes)
                want = (size_t)(in->max_bytes - in->bytes);
        }
        if (want > INT_MAX)
            want = INT_MAX;
        int r = avio_read(in->io, buf + got, (int)want);
        if (r > 0) {
            got += (size_t)r;
            in->bytes += (uint64_t)r;
        } else if (interrupt_cb(in)) {
            in->stopped = "time";
        } else if (r == 0 || r == AVERROR_EOF) {
            in->stopped = "eof";
        } else {
            in->stopped = "error";
            in->error = r;
        }
    }
    return got;
}

/* ---- the tag loop ---- */

static bool truncated(const struct input *in)
{
    return !strcmp(in->stopped, "eof") || !strcmp(in->stopped, "error");
}

static bool check_file_header(struct fc *c, struct input *in)
{
    uint8_t h[9];
    if (read_bytes(in, h, 9) < 9) {
        if (truncated(in))
            fc_error(c, "truncated FLV header");
        return false;
    }
    if (memcmp(h, "FLV", 3)) {
        fc_error(c, "signature is not FLV");
        return false;
    }
    if (h[3] != 1)
        fc_error(c, "FLV version %u, want 1", h[3]);
    if (h[4] & 0xfa)
        fc_error(c, "TypeFlagsReserved bits set (flags 0x%02x)", h[4]);
    c->header_audio = h[4] & 4;
    c->header_video = h[4] & 1;
    uint32_t data_offset = fc_be(h + 5, 4);
    if (data_offset != 9) {
        fc_error(c, "DataOffset %u, want 9", data_offset);
        if (data_offset < 9 || data_offset > 4096)
            return false;
        for (uint32_t skip = data_offset - 9; skip; skip--) /* tolerate, after the error */
            if (read_bytes(in, h, 1) < 1)
                return false;
    }
    uint8_t prev0[4];
    c->offset = in->bytes;
    if (read_bytes(in, prev0, 4) < 4) {
        if (truncated(in))
            fc_error(c, "truncated PreviousTagSize0");
        return false;
    }
    if (fc_be(prev0, 4) != 0)
        fc_error(c, "PreviousTagSize0 is %u, want 0", fc_be(prev0, 4));
    return true;
}

static void dispatch(struct fc *c, int type, const uint8_t *body, size_t size, uint32_t ts)
{
    switch (type) {
    case 8:
        if (!c->header_audio)
            fc_warn(c, "audio tags present but the FLV header does not announce audio");
        fc_audio_tag(c, body, size, ts);
        break;
    case 9:
        if (!c->header_video)
            fc_warn(c, "video tags present but the FLV header does not announce video");
        fc_video_tag(c, body, size, ts);
        break;
    case 18:
        c->script_tags++;
        fc_script_tag(c, body, size);
        break;
    default:
        fc_error(c, "TagType %d is not 8, 9 or 18", type);
    }
}

/* @return false when the stream ended (cleanly or not). */
static bool check_tag(struct fc *c, struct input *in, uint8_t *body)
{
    uint8_t h[11];
    c->offset = in->bytes;
    size_t got = read_bytes(in, h, 11);
    if (got < 11) {
        if (got && truncated(in))
            fc_error(c, "truncated tag header (%zu of 11 bytes)", got);
        return false;
    }
    if (h[0] & 0xc0)
        fc_error(c, "Reserved bits of the tag header set (0x%02x)", h[0]);
    if (h[0] & 0x20)
        fc_error(c, "Filter bit set: encrypted tags are not supported");
    uint32_t size = fc_be(h + 1, 3);
    uint32_t ts = fc_be(h + 4, 3) | (uint32_t)h[7] << 24;
    if (fc_be(h + 8, 3) != 0)
        fc_error(c, "StreamID is %u, want 0", fc_be(h + 8, 3));
    if (read_bytes(in, body, size) < size) {
        if (truncated(in))
            fc_error(c, "truncated tag body (DataSize %u)", size);
        return false;
    }
    c->tags++;
    dispatch(c, h[0] & 0x1f, body, size, ts);

    uint8_t prev[4];
    if (read_bytes(in, prev, 4) < 4) {
        if (truncated(in))
            fc_error(c, "missing PreviousTagSize after the last tag");
        return false;
    }
    if (fc_be(prev, 4) != 11 + size)
        fc_error(c, "PreviousTagSize %u, want 11 + DataSize = %u", fc_be(prev, 4), 11 + size);
    return true;
}

static void check_stream(struct fc *c, struct input *in)
{
    /* The largest DataSize a UI24 can say. */
    uint8_t *body = malloc(0xffffff);
    if (!body) {
        fc_error(c, "out of memory");
        return;
    }
    if (check_file_header(c, in)) {
        while (check_tag(c, in, body)) {
            if (interrupt_cb(in)) {
                in->stopped = "time";
                break;
            }
        }
    }
    free(body);
    if (in->error) {
        char msg[AV_ERROR_MAX_STRING_SIZE];
        av_strerror(in->error, msg, sizeof(msg));
        fc_error(c, "read error: %s", msg);
    }
    fc_video_finish(c);
    fc_audio_finish(c);
    if (c->header_video && !c->v.st.tags)
        fc_warn(c, "the FLV header announces video but no video tag was read");
    if (c->header_audio && !c->a.st.tags)
        fc_warn(c, "the FLV header announces audio but no audio tag was read");
    if (c->v.key_mismatch)
        fc_warn(c, "%llu video frames have a FrameType that disagrees with their NAL unit types",
                (unsigned long long)c->v.key_mismatch);
}

/* ---- report ---- */

static void json_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            printf("\\u%04x", *p); /* bytes from the stream: always valid JSON */
        else
            putchar(*p);
    }
    putchar('"');
}

static void json_messages(const char *key, const struct fc_messages *m)
{
    printf("\"%s\":[", key);
    for (int i = 0; i < m->n; i++) {
        if (i)
            putchar(',');
        json_string(m->items[i]);
    }
    printf("],\"%s_count\":%llu", key, (unsigned long long)m->total);
}

static void json_number(double d)
{
    if (isfinite(d))
        printf("%.17g", d);
    else
        printf("null");
}

static void json_ts(const struct fc_stream *st)
{
    if (st->have_ts)
        printf("\"first_ts\":%u,\"last_ts\":%u,", st->first_ts, st->last_ts);
    else
        printf("\"first_ts\":null,\"last_ts\":null,");
    printf("\"non_monotonic\":%llu,\"max_gap\":%u", (unsigned long long)st->non_monotonic,
           st->max_gap);
}

/* Frames of a codec we decode that never came out of the decoder. */
static uint64_t undecoded(const struct fc_stream *st, bool decodable)
{
    return decodable && st->frames > st->decoded ? st->frames - st->decoded : 0;
}

static bool video_decodable(const struct fc_video *v)
{
    return v->kind != FC_V_NONE && v->kind != FC_V_OTHER;
}

static bool audio_decodable(const struct fc_audio *a)
{
    return a->format == 7 || a->format == 8 || a->format == 10;
}

static void json_counts(const struct fc_stream *st, bool decodable)
{
    printf("\"tags\":%llu,\"seq_headers\":%llu,\"frames\":%llu,\"decoded\":%llu,"
           "\"undecoded\":%llu,\"decode_errors\":%llu,",
           (unsigned long long)st->tags, (unsigned long long)st->seq_headers,
           (unsigned long long)st->frames, (unsigned long long)st->decoded,
           (unsigned long long)undecoded(st, decodable), (unsigned long long)st->decode_errors);
}

static void json_video(const struct fc_video *v)
{
    printf("\"video\":{\"codec\":\"%s\",\"flavour\":\"%s\",", fc_video_codec(v),
           fc_video_flavour(v));
    json_counts(&v->st, video_decodable(v));
    printf("\"keyframes\":%llu,\"key_mismatch\":%llu,\"seq_ends\":%llu,\"first_is_key\":%s,"
           "\"width\":%d,\"height\":%d,\"nal_length_size\":%d,",
           (unsigned long long)v->keyframes, (unsigned long long)v->key_mismatch,
           (unsigned long long)v->seq_ends, v->first_is_key ? "true" : "false", v->width,
           v->height, v->nal_length_size);
    if (v->seen_frame)
        printf("\"cts_min\":%d,\"cts_max\":%d,", (int)v->cts_min, (int)v->cts_max);
    else
        printf("\"cts_min\":null,\"cts_max\":null,");
    json_ts(&v->st);
    putchar('}');
}

static void json_audio(const struct fc_audio *a)
{
    printf("\"audio\":{\"codec\":\"%s\",\"sound_format\":%d,", fc_audio_codec(a), a->format);
    json_counts(&a->st, audio_decodable(a));
    printf("\"sample_rate\":%d,\"channels\":%d,", a->sample_rate, a->channels);
    json_ts(&a->st);
    putchar('}');
}

static void json_meta(const struct fc_meta *m)
{
    printf("\"metadata_tags\":%llu,\"metadata\":", (unsigned long long)m->tags);
    if (m->nprops < 0) {
        printf("null");
        return;
    }
    putchar('{');
    for (int i = 0; i < m->nprops; i++) {
        const struct fc_prop *p = &m->props[i];
        if (i)
            putchar(',');
        json_string(p->name);
        putchar(':');
        if (p->type == FC_AMF_NUMBER)
            json_number(p->number);
        else if (p->type == FC_AMF_BOOL)
            printf(p->boolean ? "true" : "false");
        else if (p->type == FC_AMF_STRING)
            json_string(p->string);
        else
            printf("null");
    }
    putchar('}');
}

/* Every frame of a decodable codec came out of its decoder, none flagged damaged. */
static bool decode_clean(const struct fc *c)
{
    return !c->v.st.decode_errors && !c->a.st.decode_errors &&
           !undecoded(&c->v.st, video_decodable(&c->v)) &&
           !undecoded(&c->a.st, audio_decodable(&c->a));
}

static void report_json(const struct fc *c, const struct input *in)
{
    printf("{\"ok\":%s,", c->errors.total ? "false" : "true");
    json_messages("errors", &c->errors);
    putchar(',');
    json_messages("warnings", &c->warnings);
    printf(",\"stopped\":\"%s\",\"bytes\":%llu,\"tags\":%llu,\"script_tags\":%llu,"
           "\"header\":{\"audio\":%s,\"video\":%s},",
           in->stopped ? in->stopped : "eof", (unsigned long long)in->bytes,
           (unsigned long long)c->tags, (unsigned long long)c->script_tags,
           c->header_audio ? "true" : "false", c->header_video ? "true" : "false");
    json_video(&c->v);
    putchar(',');
    json_audio(&c->a);
    putchar(',');
    json_meta(&c->meta);
    printf("}\n");
}

static void report_text(const struct fc *c, const struct input *in)
{
    const struct fc_video *v = &c->v;
    const struct fc_audio *a = &c->a;
    printf("%s: %llu tags, %llu bytes, stopped at %s\n", c->errors.total ? "INVALID" : "valid",
           (unsigned long long)c->tags, (unsigned long long)in->bytes,
           in->stopped ? in->stopped : "eof");
    printf("video: %s (%s) %dx%d, %llu frames (%llu key), %llu decoded, %llu undecoded, "
           "%llu decode errors\n",
           fc_video_codec(v), fc_video_flavour(v), v->width, v->height,
           (unsigned long long)v->st.frames, (unsigned long long)v->keyframes,
           (unsigned long long)v->st.decoded,
           (unsigned long long)undecoded(&v->st, video_decodable(v)),
           (unsigned long long)v->st.decode_errors);
    printf("audio: %s %d Hz %d ch, %llu frames, %llu decoded, %llu undecoded, "
           "%llu decode errors\n",
           fc_audio_codec(a), a->sample_rate, a->channels, (unsigned long long)a->st.frames,
           (unsigned long long)a->st.decoded,
           (unsigned long long)undecoded(&a->st, audio_decodable(a)),
           (unsigned long long)a->st.decode_errors);
    for (int i = 0; i < c->errors.n; i++)
        printf("error: %s\n", c->errors.items[i]);
    for (int i = 0; i < c->warnings.n; i++)
        printf("warning: %s\n", c->warnings.items[i]);
}

/* ---- main ---- */

struct options {
    double max_seconds;
    uint64_t max_bytes;
    bool json;
    const char *url;
};

static int usage(void)
{
    fprintf(stderr, "usage: flvcheck [--max-seconds S] [--max-bytes N] [--json] "
                    "<file.flv | http://... | ->\n");
    return 2;
}

static bool parse_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return !errno && end != s && !*end && *out >= 0 && isfinite(*out);
}

static int parse_options(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        double d;
        if (!strcmp(argv[i], "--json")) {
            o->json = true;
        } else if (!strcmp(argv[i], "--max-seconds") && i + 1 < argc) {
            if (!parse_number(argv[++i], &o->max_seconds) || o->max_seconds > 1e9)
                return -1;
        } else if (!strcmp(argv[i], "--max-bytes") && i + 1 < argc) {
            if (!parse_number(argv[++i], &d) || d > 1e18)
                return -1;
            o->max_bytes = (uint64_t)d;
        } else if (!o->url && (strcmp(argv[i], "-") == 0 || argv[i][0] != '-')) {
            o->url = argv[i];
        } else {
            return -1;
        }
    }
    return o->url ? 0 : -1;
}

static void free_state(struct fc *c)
{
    avcodec_free_context(&c->v.st.dec);
    avcodec_free_context(&c->a.st.dec);
    av_free(c->v.params);
    av_packet_free(&c->pkt);
    av_frame_free(&c->frame);
    for (int i = 0; i < c->errors.n; i++)
        free(c->errors.items[i]);
    for (int i = 0; i < c->warnings.n; i++)
        free(c->warnings.items[i]);
    free(c);
}

static struct fc *alloc_state(void)
{
    struct fc *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->a.format = -1;
    c->meta.nprops = -1;
    c->pkt = av_packet_alloc();
    c->frame = av_frame_alloc();
    if (!c->pkt || !c->frame) {
        free_state(c);
        return NULL;
    }
    return c;
}

static void open_and_check(struct fc *c, struct input *in, const char *arg)
{
    const char *url = strcmp(arg, "-") ? arg : "pipe:0";
    AVIOInterruptCB cb = { interrupt_cb, in };
    int r = avio_open2(&in->io, url, AVIO_FLAG_READ, &cb, NULL);
    if (r < 0) {
        char msg[AV_ERROR_MAX_STRING_SIZE];
        av_strerror(r, msg, sizeof(msg));
        fc_error(c, "cannot open the input: %s", msg);
        in->stopped = "error";
        return;
    }
    check_stream(c, in);
    avio_closep(&in->io);
}

int main(int argc, char **argv)
{
    struct options o = { 0 };
    if (parse_options(argc, argv, &o) < 0)
        return usage();

    av_log_set_level(AV_LOG_ERROR);
    avformat_network_init();
    struct fc *c = alloc_state();
    if (!c) {
        fprintf(stderr, "flvcheck: out of memory\n");
        return 1;
    }
    struct input in = { .max_bytes = o.max_bytes };
    if (o.max_seconds > 0) {
        in.deadline = av_gettime_relative() + (int64_t)(o.max_seconds * 1e6);
        arm_timer(o.max_seconds);
    }
    open_and_check(c, &in, o.url);
    disarm_timer();
    if (o.json)
        report_json(c, &in);
    else
        report_text(c, &in);
    int status = !c->errors.total && decode_clean(c) ? 0 : 1;
    free_state(c);
    avformat_network_deinit();
    return status;
}
