/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Timestamp repair: each camera misbehaviour with its exact expected output,
 * then long random sequences checked against the invariants.
 */
#include <limits.h>
#include <stdint.h>

#include "lib/stream/timestamp.h"
#include "tests/unit/test.h"

#define V LS_TS_VIDEO
#define A LS_TS_AUDIO
#define VTB 1, 90000
#define ATB 1, 48000
#define SEC_V(s) ((int64_t)(s) * 90000)
#define SEC_A(s) ((int64_t)(s) * 48000)

static int64_t video(struct ls_ts *ts, int64_t ticks)
{
    return ls_ts_map(ts, V, ticks, VTB);
}

static int64_t audio(struct ls_ts *ts, int64_t ticks)
{
    return ls_ts_map(ts, A, ticks, ATB);
}

static uint64_t repairs_total(const struct ls_ts_repairs *r)
{
    return r->backward + r->jump + r->equal + r->wrap + r->missing + r->reconnect;
}

/* Video 25 fps and AAC 48 kHz interleaved in time order for @p ms, from
 * input ticks @p v0 and @p a0, checking out = @p base + ms since the start
 * (rounded down). Returns the number of mismatches. */
static int run_av(struct ls_ts *ts, int64_t v0, int64_t a0, int64_t ms, int64_t base)
{
    int bad = 0;
    int64_t i = 0, j = 0;
    while (i * 40 < ms || j * 1024 * 1000 / 48000 < ms) {
        bool take_video = i * 40 * 48 <= j * 1024; /* compare times exactly */
        if (take_video && i * 40 < ms) {
            bad += video(ts, v0 + i * 3600) != base + i * 40;
            i++;
        } else {
            bad += audio(ts, a0 + j * 1024) != base + j * 1024 / 48;
            j++;
        }
    }
    return bad;
}

static void test_normal_av(void)
{
    struct ls_ts ts;
    ls_ts_init(&ts, 1000);
    /* 1000 s into the camera's clock: the output still starts at 0. */
    CHECK_EQ_INT(run_av(&ts, SEC_V(1000), SEC_A(1000), 10000, 0), 0);
    CHECK_EQ_INT(repairs_total(&ts.repairs), 0);
    CHECK_EQ_INT(ts.st[V].delta, 40);
    CHECK_EQ_INT(ts.st[A].delta, 21);

    /* Audio first: it gets 0, the video joins on the same clock. */
    ls_ts_init(&ts, 1000);
    CHECK_EQ_INT(audio(&ts, SEC_A(50)), 0);
    CHECK_EQ_INT(video(&ts, SEC_V(50)), 0);
    CHECK_EQ_INT(audio(&ts, SEC_A(50) + 1024), 21);
    CHECK_EQ_INT(video(&ts, SEC_V(50) + 3600), 40);
    CHECK_EQ_INT(repairs_total(&ts.repairs), 0);
}

static void test_backward(void)
{
    struct ls_ts ts;
    ls_ts_init(&ts, 1000);
    int64_t t = 123456789;
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(video(&ts, t + i * 3600), i * 40);
    /* 10 s back: continue one frame after the last output, on the new base. */
    t -= SEC_V(10);
    CHECK_EQ_INT(video(&ts, t + 4 * 3600), 160);
    CHECK_EQ_INT(video(&ts, t + 5 * 3600), 200);
    CHECK_EQ_INT(video(&ts, t + 6 * 3600), 240);
    CHECK_EQ_INT(ts.repairs.backward, 1);
    CHECK_EQ_INT(repairs_total(&ts.repairs), 1);

    /* Audio, 10 s back: rebased too, one audio frame on. */
    CHECK_EQ_INT(audio(&ts, SEC_A(7)), 240);
    CHECK_EQ_INT(audio(&ts, SEC_A(7) + 1024), 261);
    CHECK_EQ_INT(audio(&ts, SEC_A(7) - SEC_A(10)), 282);
    CHECK_EQ_INT(ts.repairs.backward, 2);
    CHECK_EQ_INT(repairs_total(&ts.repairs), 2);
}

/* A step back within the threshold keeps the mapping: the frames are
 * squeezed 1 ms apart until the input passes its previous high. */
static void test_small_backward(void)
{
    struct ls_ts ts;
    ls_ts_init(&ts, 1000);
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(video(&ts, i * 3600), i * 40);
    static const int64_t want[] = { 121, 122, 123, 124, 125, 160, 200 };
    for (int i = 4; i < 11; i++)
        CHECK_EQ_INT(video(&ts, i * 3600 - 18000), want[i - 4]); /* 200 ms back */
    CHECK_EQ_INT(ts.repairs.backward, 1);
    CHECK_EQ_INT(ts.repairs.equal, 4);

    /* Audio: the same, 1 ms apart. */
    int64_t a0 = SEC_A(1) / 5; /* 200 ms: on the video's mapping */
    CHECK_EQ_INT(audio(&ts, a0), 200);
    CHECK_EQ_INT(audio(&ts, a0 + 1024), 221);
    CHECK_EQ_INT(audio(&ts, a0 + 2048 - 4800), 222); /* 100 ms back */
    CHECK_EQ_INT(audio(&ts, a0 + 3072 - 4800), 223);
    CHECK_EQ_INT(audio(&ts, a0 + 8192 - 4800), 270);
    CHECK_EQ_INT(ts.repairs.backward, 2);
    CHECK_EQ_INT(ts.repairs.equal, 5);
}

/* One video frame 600 ms late amid good audio: the frames after it are
 * squeezed until the input catches up, then video is exactly where it was:
 * no lasting offset against the audio. */
static void test_glitch_within_threshold(void)
{
    struct ls_ts ts;
    ls_ts_init(&ts, 1000);
    int64_t v0 = SEC_V(50), a0 = SEC_A(50);
    CHECK_EQ_INT(run_av(&ts, v0, a0, 120, 0), 0); /* v 0 40 80 */
    CHECK_EQ_INT(video(&ts, v0 + 3 * 3600 + SEC_V(6) / 10), 720);
    for (int i = 4; i <= 18; i++)
        CHECK_EQ_INT(video(&ts, v0 + i * 3600), 717 + i);
    CHECK_EQ_INT(video(&ts, v0 + 19 * 3600), 760);
    CHECK_EQ_INT(audio(&ts, a0 + 6 * 1024), 128);
    CHECK_EQ_INT(ts.st[V].offset, ts.st[A].offset);
    CHECK_EQ_INT(ts.repairs.backward, 1);
    CHECK_EQ_INT(ts.repairs.equal, 14);
}

/* One bad video DTS amid good audio and video: the video is rebased on the
 * bad one, then snaps back onto the audio's mapping (exact alignment). */
static void test_single_bad_dts(void)
{
    struct ls_ts ts;
    ls_ts_init(&ts, 1000);
    int64_t v0 = SEC_V(300), a0 = SEC_A(300);
    CHECK_EQ_INT(run_av(&ts, v0, a0, 120, 0), 0); /* v 0 40 80, a 0 21 .. 106 */
    CHECK_EQ_INT(video(&ts, v0 - SEC_V(10)), 120); /* backward: last + 40 */
    CHECK_EQ_INT(video(&ts, v0 + 4 * 3600), 160);  /* jump back: aligned */
    CHECK_EQ_INT(audio(&ts, a0 + 6 * 1024), 128);
    CHECK_EQ_INT(video(&ts, v0 + 5 * 3600), 200);
    CHECK_EQ_INT(ts.repairs.backward, 1);
    CHECK_EQ_INT(ts.repairs.jump, 1);
    CHECK_EQ_INT(repairs_total(&ts.repairs), 2);
}

static void test_forward_jump(void)
{
    struct ls_ts ts;
    ls_ts_init(&ts, 1000);
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT(video(&ts, i * 3600), i * 40);
    CHECK_EQ_INT(video(&ts, SEC_V(3600) + 3 * 3600), 120); /* +1 hour */
    CHECK_EQ_INT(video(&ts, SEC_V(3600) + 4 * 3600), 160);
    CHECK_EQ_INT(ts.repairs.jump, 1);
    for (int i = 5; i < 10; i++)
        CHECK_EQ_INT(video(&ts, SEC_V(3600) + i * 3600), i * 40);
    /* A step of exactly the threshold is normal, one more ms is a jump. */
    CHECK_EQ_INT(video(&ts, SEC_V(3601) + 9 * 3600), 1360);
    CHECK_EQ_INT(video(&ts, SEC_V(3602) + 9 * 3600 + 90), 1400);
    CHECK_EQ_INT(ts.repairs.jump, 2);
    CHECK_EQ_INT(repairs_total(&ts.repairs), 2);
}

static void test_wrap(void)
{
    struct ls_ts ts;
    ls_ts_init(&ts, 1000);
    /* 32-bit 90 kHz RTP ticks, not unwrapped by the demuxer. */
    uint32_t t = UINT32_MAX - 3 * 3600 + 1;
    for (int i = 0; i < 8; i++, t += 3600)
        CHECK_EQ_INT(video(&ts, t), i * 40);
    CHECK_EQ_INT(ts.repairs.wrap, 1);
    CHECK_EQ_INT(repairs_total(&ts.repairs), 1);
    CHECK_EQ_INT(ts.st[V].wrap_add, (int64_t)1 << 32);

    /* Audio at 48 kHz wraps the same way. */
    uint32_t a = UINT32_MAX - 1023;
    CHECK_EQ_INT(audio(&ts, a), 280);
    CHECK_EQ_INT(audio(&ts, (uint32_t)(a + 1024)), 301);
    CHECK_EQ_INT(audio(&ts, (uint32_t)(a + 2048)), 322);
    CHECK_EQ_INT(ts.repairs.wrap, 2);

    /* A step back by 2^32 - 20 s is not a wrap (20 s > threshold): backward. */
    ls_ts_init(&ts, 1000);
    CHECK_EQ_INT(video(&ts, (int64_t)1 << 32), 0);
    CHECK_EQ_INT(video(&ts, SEC_V(20)), 40);
    CHECK_EQ_INT(ts.repairs.wrap, 0);
    CHECK_EQ_INT(ts.repairs.backward, 1);
}

static void test_equal(void)
{
    struct ls_ts ts;
    ls_ts_init(&ts, 1000);
    CHECK_EQ_INT(video(&ts, 0), 0);
    CHECK_EQ_INT(video(&ts, 3600), 40);
    CHECK_EQ_INT(video(&ts, 3600), 41);
    CHECK_EQ_INT(video(&ts, 3600), 42);
    CHECK_EQ_INT(video(&ts, 7200), 80); /* back on the grid: no drift */
    CHECK_EQ_INT(ts.repairs.equal, 2);

    /* Equal audio timestamps too: FLV allows them, FFmpeg's muxers do not. */
    CHECK_EQ_INT(audio(&ts, 0), 0);
    CHECK_EQ_INT(audio(&ts, 1024), 21);
    CHECK_EQ_INT(audio(&ts, 1024), 22);
    CHECK_EQ_INT(audio(&ts, 2048), 42);
    CHECK_EQ_INT(ts.repairs.equal, 3);
    CHECK_EQ_INT(repairs_total(&ts.repairs), 3);
}

static void test_start_skew(void)
{
    struct ls_ts ts;
    /* Audio's origin 5 s after the video's: it starts on the video's clock. */
    ls_ts_init(&ts, 1000);
    CHECK_EQ_INT(run_av(&ts, SEC_V(10), SEC_A(15), 5000, 0), 0);
    CHECK_EQ_INT(repairs_total(&ts.repairs), 0);

    /* ... and 5 s before: the same. */
    ls_ts_init(&ts, 1000);
    CHECK_EQ_INT(run_av(&ts, SEC_V(10), SEC_A(5), 5000, 0), 0);

    /* A plausible offset (within the threshold) is kept. */
    ls_ts_init(&ts, 1000);
    CHECK_EQ_INT(video(&ts, SEC_V(10)), 0);
    CHECK_EQ_INT(video(&ts, SEC_V(10) + 3600), 40);
    CHECK_EQ_INT(audio(&ts, SEC_A(10) + 960), 20);
    CHECK_EQ_INT(audio(&ts, SEC_A(10) + 1984), 41);

    /* Audio 300 ms before the first video frame: clamped to 0, not negative. */
    ls_ts_init(&ts, 1000);
    CHECK_EQ_INT(video(&ts, SEC_V(10)), 0);
    CHECK_EQ_INT(audio(&ts, SEC_A(10) - 14400), 0);
    CHECK_EQ_INT(audio(&ts, SEC_A(10) - 14400 + 1024), 21);
    CHECK_EQ_INT(repairs_total(&ts.repairs), 0);
}

static void test_missing(void)
{
    struct ls_ts ts;
    ls_ts_init(&ts, 1000);
    CHECK_EQ_INT(video(&ts, 0), 0);
    CHECK_EQ_INT(video(&ts, 3600), 40);
    CHECK_EQ_INT(video(&ts, LS_TS_NONE), 80);
    CHECK_EQ_INT(video(&ts, 3 * 3600), 120);
    CHECK_EQ_INT(video(&ts, LS_TS_NONE), 160);
    CHECK_EQ_INT(video(&ts, LS_TS_NONE), 200);
    CHECK_EQ_INT(video(&ts, 6 * 3600), 240);
    CHECK_EQ_INT(ts.repairs.missing, 3);
    CHECK_EQ_INT(repairs_total(&ts.repairs), 3);

    /* Before any step is learned, audio uses 21 ms. */
    CHECK_EQ_INT(audio(&ts, 6 * 48000 / 25), 240);
    CHECK_EQ_INT(audio(&ts, LS_TS_NONE), 261);

    /* 30 fps: steps 33, 33, 34, 33 ms teach a typical step of 33 ms. */
    ls_ts_init(&ts, 1000);
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(video(&ts, i * 3000), i * 100 / 3);
    CHECK_EQ_INT(ts.st[V].delta, 33);
    CHECK_EQ_INT(video(&ts, LS_TS_NONE), 166);

    /* No timestamp at all on the first packet: 0, then one step on. */
    ls_ts_init(&ts, 1000);
    CHECK_EQ_INT(video(&ts, LS_TS_NONE), 0);
    CHECK_EQ_INT(video(&ts, 987654321), 40);
    CHECK_EQ_INT(video(&ts, 987654321 + 3600), 80);
    CHECK_EQ_INT(ts.repairs.missing, 1);
}

static void test_splice(void)
{
    struct ls_ts ts;
    ls_ts_init(&ts, 1000);
    CHECK_EQ_INT(run_av(&ts, SEC_V(1000), SEC_A(1000), 2000, 0), 0);
    CHECK_EQ_INT(ts.st[V].last_out, 1960);
    CHECK_EQ_INT(ts.st[A].last_out, 1984);
    ls_ts_splice(&ts);
    CHECK(ts.splice_pending);
    /* New session, origin 995 s earlier: video goes on one frame later, the
     * audio joins on its mapping: both still aligned. */
    CHECK_EQ_INT(run_av(&ts, SEC_V(5), SEC_A(5), 2000, 2000), 0);
    CHECK(!ts.splice_pending);
    CHECK_EQ_INT(ts.repairs.reconnect, 1);
    CHECK_EQ_INT(repairs_total(&ts.repairs), 1);

    /* Audio first after the splice, origin far ahead. */
    ls_ts_splice(&ts);
    CHECK_EQ_INT(audio(&ts, SEC_A(86400)), 4005);
    CHECK_EQ_INT(video(&ts, SEC_V(86400)), 4005);
    CHECK_EQ_INT(video(&ts, SEC_V(86400) + 3600), 4045);
    CHECK_EQ_INT(audio(&ts, SEC_A(86400) + 1024), 4026);
    CHECK_EQ_INT(ts.repairs.reconnect, 2);
    CHECK_EQ_INT(repairs_total(&ts.repairs), 2);

    /* A splice before anything was mapped changes nothing. */
    ls_ts_init(&ts, 1000);
    ls_ts_splice(&ts);
    CHECK_EQ_INT(ts.repairs.reconnect, 0);
    CHECK_EQ_INT(video(&ts, 42), 0);
}

static void test_absurd(void)
{
    struct ls_ts ts;
    ls_ts_init(&ts, 0); /* 0: the default threshold */
    CHECK_EQ_INT(ts.jump_threshold_ms, 1000);
    /* A time base of 0 or below is taken as 1/1000. */
    CHECK_EQ_INT(ls_ts_map(&ts, V, 5000, 0, 0), 0);
    CHECK_EQ_INT(ls_ts_map(&ts, V, 5040, -1, 90000), 40);
    CHECK_EQ_INT(ls_ts_map(&ts, V, 5080, 1, -90000), 80);
    CHECK_EQ_INT(ls_ts_map(&ts, V, INT64_MAX, INT_MAX, 1), 120);
    CHECK_EQ_INT(ls_ts_map(&ts, V, INT64_MIN + 1, INT_MAX, 1), 160);
    CHECK_EQ_INT(ls_ts_map(&ts, V, INT64_MAX, 1, INT_MAX), 200);
    CHECK_EQ_INT(ls_ts_map(&ts, V, INT64_MIN + 1, 1, 1), 240);
    CHECK_EQ_INT(ls_ts_map(&ts, A, INT64_MAX, 1, 48000), 240);
    /* Both saturate where the video's last input did: its mapping fits (1 ms on: each
     * stream's timestamps strictly increase). */
    CHECK_EQ_INT(ls_ts_map(&ts, A, INT64_MIN + 1, 1, 48000), 241);
    /* Back to where the audio started: its first (established) mapping fits. */
    CHECK_EQ_INT(ls_ts_map(&ts, A, INT64_MAX - 5, INT_MAX, INT_MAX), 242);
    CHECK_EQ_INT(ls_ts_map(&ts, A, LS_TS_NONE, 1, 48000), 263);
    /* Misuse is harmless. */
    CHECK_EQ_INT(ls_ts_map(NULL, V, 0, VTB), 0);
    CHECK_EQ_INT(ls_ts_map(&ts, (enum ls_ts_stream)7, 0, VTB), 0);
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* The invariants of one mapped packet; returns false on a violation. */
static bool check_packet(const struct ls_ts *ts, enum ls_ts_stream s, int64_t out, int64_t prev,
                         bool had_prev)
{
    int64_t thr = ts->jump_threshold_ms;
    const struct ls_ts_stream_state *o = &ts->st[s ^ 1];
    if (out < 0)
        return false;
    if (had_prev && (s == V ? out <= prev : out < prev))
        return false;
    /* The stream just mapped is never far behind the other one. */
    return !o->started || out >= o->last_out - 2 * thr;
}

static int64_t garbage_dts(uint64_t *rng, int64_t prev)
{
    switch (rng_next(rng) % 10) {
    case 0:
        return LS_TS_NONE;
    case 1:
        return (int64_t)rng_next(rng);
    case 2:
        return rng_next(rng) & 1 ? INT64_MAX : INT64_MIN + 1;
    case 3:
        return (int64_t)((uint64_t)prev - rng_next(rng) % 100000);
    case 4:
        return (int64_t)((uint64_t)prev - ((uint64_t)1 << 32) + rng_next(rng) % 5000);
    case 5:
        return prev;
    default:
        return (int64_t)((uint64_t)prev + rng_next(rng) % 200000);
    }
}

static void garbage_tb(uint64_t *rng, int *num, int *den)
{
    static const int nums[] = { 1, 1, 1, 0, -1, 1001, INT_MAX };
    static const int dens[] = { 90000, 48000, 8000, 1000, 0, -7, 1, INT_MAX };
    *num = nums[rng_next(rng) % (sizeof(nums) / sizeof(nums[0]))];
    *den = dens[rng_next(rng) % (sizeof(dens) / sizeof(dens[0]))];
}

/* Pure garbage: random stream, DTS, time base, splices. */
static void test_garbage(uint32_t thr, uint64_t seed)
{
    struct ls_ts ts;
    ls_ts_init(&ts, thr);
    uint64_t rng = seed;
    int64_t prev_in[2] = { 0, 0 }, prev_out[2] = { 0, 0 };
    bool had[2] = { false, false };
    int bad = 0;
    for (int n = 0; n < 20000; n++) {
        enum ls_ts_stream s = rng_next(&rng) & 1 ? V : A;
        int num, den;
        garbage_tb(&rng, &num, &den);
        int64_t dts = garbage_dts(&rng, prev_in[s]);
        if (dts != LS_TS_NONE)
            prev_in[s] = dts;
        if (rng_next(&rng) % 1000 == 0)
            ls_ts_splice(&ts);
        int64_t out = ls_ts_map(&ts, s, dts, num, den);
        bad += !check_packet(&ts, s, out, prev_out[s], had[s]);
        prev_out[s] = out;
        had[s] = true;
    }
    CHECK_EQ_INT(bad, 0);
}

/* A real camera's streams (audio 10 ms after video) with 5% of the packets
 * damaged, damaged packets at least @p spacing packets apart. The invariants
 * hold and the clocks stay close; with isolated damage (one event every
 * ~1.3 s at most), audio and video are exactly aligned again afterwards. */
static void test_damaged_camera(uint64_t seed, int spacing)
{
    struct ls_ts ts;
    ls_ts_init(&ts, 1000);
    uint64_t rng = seed;
    int64_t vi = 0, aj = 0, v0 = SEC_V(77777), a0 = SEC_A(77777) + 480;
    int64_t prev_out[2] = { 0, 0 }, max_skew = 0;
    int bad = 0, last_damage = -spacing - 1;
    for (int n = 0; n < 30000; n++) {
        bool take_video = vi * 40 * 48 <= aj * 1024;
        enum ls_ts_stream s = take_video ? V : A;
        int64_t dts = take_video ? v0 + vi++ * 3600 : a0 + aj++ * 1024;
        if (n < 25000 && n - last_damage > spacing && rng_next(&rng) % 20 == 0) {
            dts = garbage_dts(&rng, dts);
            last_damage = n;
        }
        int64_t out = ls_ts_map(&ts, s, dts, 1, take_video ? 90000 : 48000);
        bad += !check_packet(&ts, s, out, prev_out[s], n > 1);
        prev_out[s] = out;
        if (n > 0) {
            int64_t skew = ts.st[V].last_out - ts.st[A].last_out;
            skew = skew < 0 ? -skew : skew;
            max_skew = skew > max_skew ? skew : max_skew;
        }
    }
    CHECK_EQ_INT(bad, 0);
    /* 2 thresholds behind at most after its own packet, plus what the other
     * stream may add before the next one. */
    CHECK(max_skew <= 4 * 1000);
    if (spacing < 100)
        return;
    /* The output's audio/video offset equals the input's again. */
    int64_t rel_v = ts.st[V].last_out - (v0 + (vi - 1) * 3600) / 90;
    int64_t rel_a = ts.st[A].last_out - (a0 + (aj - 1) * 1024) / 48;
    CHECK_EQ_INT(rel_a - rel_v, 0);
}

int main(void)
{
    test_normal_av();
    test_backward();
    test_small_backward();
    test_glitch_within_threshold();
    test_single_bad_dts();
    test_forward_jump();
    test_wrap();
    test_equal();
    test_start_skew();
    test_missing();
    test_splice();
    test_absurd();
    const uint32_t thresholds[] = { 1000, 1, 40, 0, 5000, UINT32_MAX };
    for (size_t i = 0; i < sizeof(thresholds) / sizeof(thresholds[0]); i++)
        for (uint64_t seed = 1; seed <= 8; seed++)
            test_garbage(thresholds[i], seed * 0x9e3779b97f4a7c15u);
    for (uint64_t seed = 1; seed <= 16; seed++) {
        test_damaged_camera(seed * 0x2545f4914f6cdd1du, 0);
        test_damaged_camera(seed * 0x2545f4914f6cdd1du, 100);
    }
    return test_done("test_timestamp");
}
