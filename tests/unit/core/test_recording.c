/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * File outputs: the names of recordings, their span, and the file sink
 * itself driven without a relay in a temporary directory — it never
 * truncates or reuses a file, and a finished file carries its duration and
 * size in onMetaData.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/flv/flv.h"
#include "lib/output/output.h"
#include "lib/output/recording.h"
#include "tests/unit/test.h"

#define T0 ((time_t)1796664901) /* 2026-12-07T17:35:01Z */

static void test_names(void)
{
    static const struct {
        const char *target;
        unsigned n;
        const char *want;
    } cases[] = {
        {"/rec/cam1.flv", 0, "/rec/cam1-20261207T173501Z.flv"},
        {"/rec/cam1.flv", 2, "/rec/cam1-20261207T173501Z-2.flv"},
        {"cam1.flv", 0, "cam1-20261207T173501Z.flv"},
        {"/rec/cam1", 0, "/rec/cam1-20261207T173501Z"},
        {"/rec.d/cam1", 1, "/rec.d/cam1-20261207T173501Z-1"},
        {"/rec/.flv", 0, "/rec/.flv-20261207T173501Z"},
        {"/rec/a.b.flv", 99, "/rec/a.b-20261207T173501Z-99.flv"},
    };
    char out[256];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK_EQ_INT(ls_recording_name(out, sizeof(out), cases[i].target, T0, cases[i].n), 0);
        CHECK_EQ_STR(out, cases[i].want);
    }
    CHECK_EQ_INT(ls_recording_name(out, sizeof(out), "/rec/", T0, 0), -EINVAL);
    CHECK_EQ_INT(ls_recording_name(out, sizeof(out), "", T0, 0), -EINVAL);
    CHECK_EQ_INT(ls_recording_name(out, sizeof(out), NULL, T0, 0), -EINVAL);
    CHECK_EQ_INT(ls_recording_name(out, sizeof(out), "/rec/a.flv", T0, 100), -EINVAL);
    /* Exactly fitting, and one byte short. */
    size_t need = strlen("/rec/cam1-20261207T173501Z-2.flv") + 1;
    CHECK_EQ_INT(ls_recording_name(out, need, "/rec/cam1.flv", T0, 2), 0);
    CHECK_EQ_INT(ls_recording_name(out, need - 1, "/rec/cam1.flv", T0, 2), -ENAMETOOLONG);
    /* Names sort in time order as text. */
    char later[256];
    ls_recording_name(out, sizeof(out), "c.flv", T0, 0);
    ls_recording_name(later, sizeof(later), "c.flv", T0 + 3600 * 24 * 40 + 1, 0);
    CHECK(strcmp(out, later) < 0);
}

static void test_span(void)
{
    struct ls_span s = {0};
    CHECK(ls_span_seconds(&s) == 0);
    ls_span_add(&s, false, 0);
    CHECK(ls_span_seconds(&s) == 0); /* one frame: no known duration */
    /* 25 fps video to 80 ms, AAC at 48 kHz to 85 ms: video ends at 120, audio at 106. */
    ls_span_add(&s, true, 0);
    ls_span_add(&s, false, 40);
    ls_span_add(&s, true, 21);
    ls_span_add(&s, true, 43);
    ls_span_add(&s, false, 80);
    ls_span_add(&s, true, 64);
    ls_span_add(&s, true, 85);
    CHECK(test_near(ls_span_seconds(&s), 0.120));
    /* Audio running past the video wins. */
    ls_span_add(&s, true, 150);
    CHECK(test_near(ls_span_seconds(&s), 0.150 + 0.065));
    /* A first tag later than 0 (an output started from a late keyframe). */
    struct ls_span late = {0};
    ls_span_add(&late, false, 1000);
    ls_span_add(&late, false, 1500);
    CHECK(test_near(ls_span_seconds(&late), 1.0));
}

/* --- the sink ------------------------------------------------------------- */

static char dir[64];

/** Names in the test directory that start with @p prefix, sorted; @return how many. */
static int list(const char *prefix, char names[][128], int max)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && n < max)
            snprintf(names[n++], 128, "%s", e->d_name);
    if (d)
        closedir(d);
    qsort(names, (size_t)n, 128, (int (*)(const void *, const void *))strcmp);
    return n;
}

static int write_tag(struct ls_output *o, uint8_t type, const uint8_t *body, uint32_t size,
                     uint32_t ts, unsigned flags)
{
    uint8_t hdr[LS_FLV_TAG_HEADER_SIZE], prev[LS_FLV_PREV_SIZE];
    ls_flv_tag_header(hdr, type, size, ts);
    ls_flv_prev_size(prev, size);
    const struct ls_piece p[3] = {{hdr, sizeof(hdr)}, {body, size}, {prev, sizeof(prev)}};
    return o->ops->write(o, p, 3, flags, ts);
}

/** One run of the sink: header, onMetaData, 2 s of 25 fps video and AAC-timed audio. */
static int record(struct ls_output *o, int seconds)
{
    int err = o->ops->open(o);
    if (err < 0)
        return err;
    uint8_t fh[LS_FLV_FILE_HEADER_SIZE], meta[LS_FLV_METADATA_MAX], frame[300];
    ls_flv_file_header(fh, true, true);
    const struct ls_piece p = {fh, sizeof(fh)};
    const struct ls_flv_meta m = {.has_video = true, .width = 640, .height = 360,
                                  .has_audio = true, .audio_sample_rate = 48000};
    int n = ls_flv_metadata_body(meta, sizeof(meta), &m);
    memset(frame, 0x17, sizeof(frame));
    if ((err = o->ops->write(o, &p, 1, LS_TAG_FILE_HEADER, 0)) < 0 ||
        (err = write_tag(o, LS_FLV_TAG_SCRIPT, meta, (uint32_t)n, 0, LS_TAG_METADATA)) < 0)
        goto out;
    for (uint32_t v = 0, a = 0; v < (uint32_t)seconds * 1000 && !err; v += 40) {
        unsigned key = v % 1000 == 0 ? LS_TAG_KEYFRAME : 0;
        err = write_tag(o, LS_FLV_TAG_VIDEO, frame, sizeof(frame), v, LS_TAG_VIDEO | key);
        for (; !err && a * 64 / 3 <= v; a++) /* 1024 samples at 48 kHz: 21.33 ms */
            err = write_tag(o, LS_FLV_TAG_AUDIO, frame, 20, a * 64 / 3, LS_TAG_AUDIO);
    }
out:
    o->ops->close(o);
    return err;
}

static uint8_t *slurp(const char *name, size_t *size)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    uint8_t *buf = malloc(1 << 20);
    *size = f && buf ? fread(buf, 1, 1 << 20, f) : 0;
    if (f)
        fclose(f);
    return buf;
}

/** The finished file holds its duration and size in the onMetaData slots. */
static void check_totals(const char *name, double duration)
{
    size_t size;
    uint8_t *buf = slurp(name, &size);
    const size_t body = LS_FLV_FILE_HEADER_SIZE + LS_FLV_TAG_HEADER_SIZE;
    CHECK(size > body + LS_FLV_METADATA_MAX);
    CHECK(ls_flv_metadata_has_totals(buf + body, size - body));
    uint8_t want[LS_FLV_METADATA_TOTALS_SIZE];
    ls_flv_metadata_totals(want, duration, (double)size);
    CHECK_EQ_MEM(buf + body + LS_FLV_METADATA_TOTALS_OFFSET, want, sizeof(want));
    free(buf);
}

static struct ls_output *make(const char *target)
{
    struct ls_output_settings os;
    ls_output_default_settings(&os);
    struct ls_output *o = NULL;
    CHECK_EQ_INT(ls_output_create(&o, NULL, 1, target, NULL, NULL, &os), 0);
    return o;
}

static void test_sink_never_overwrites(void)
{
    char target[128], old[128], names[8][128];
    snprintf(target, sizeof(target), "file:%s/cam.flv", dir);
    /* A file at the very path given (an older recording) is left alone. */
    snprintf(old, sizeof(old), "%s/cam.flv", dir);
    FILE *f = fopen(old, "wb");
    fputs("older recording", f);
    fclose(f);

    struct ls_output *o = make(target);
    CHECK_EQ_INT(record(o, 2), 0);
    CHECK_EQ_INT(list("cam-", names, 8), 1);
    char first[128];
    snprintf(first, sizeof(first), "%s", names[0]);
    check_totals(first, 2.0); /* video to 1960 ms + 40 */
    /* The stats name the file. */
    char want[256];
    snprintf(want, sizeof(want), "%s/%s", dir, first);
    CHECK_EQ_STR(o->st.file, want);
    size_t size1;
    uint8_t *before = slurp(first, &size1);

    /* Started again at once (same second): a second file, the first unchanged. */
    CHECK_EQ_INT(record(o, 1), 0);
    CHECK_EQ_INT(list("cam-", names, 8), 2);
    const char *second = strcmp(names[0], first) ? names[0] : names[1];
    CHECK(strcmp(second, first) != 0);
    check_totals(second, 1.0);
    size_t size2;
    uint8_t *after = slurp(first, &size2);
    CHECK_EQ_INT(size2, size1);
    CHECK_EQ_MEM(after, before, size1);
    free(before);
    free(after);
    size_t n;
    uint8_t *buf = slurp("cam.flv", &n);
    CHECK_EQ_INT(n, strlen("older recording"));
    free(buf);

    /* A run that never got data leaves no file. */
    CHECK_EQ_INT(o->ops->open(o), 0);
    o->ops->close(o);
    CHECK_EQ_INT(list("cam-", names, 8), 2);
    ls_output_destroy(&o);
}

static void test_sink_no_slot_stealing(void)
{
    /* A name taken by a symlink is not followed: the next name is used. */
    char target[128], link[256], names[4][128];
    snprintf(target, sizeof(target), "%s/ln.flv", dir);
    struct ls_output *o = make(target);
    time_t now = time(NULL);
    for (int dt = 0; dt <= 2; dt++) { /* the second may turn while we record */
        char name[256];
        ls_recording_name(name, sizeof(name), target, now + dt, 0);
        snprintf(link, sizeof(link), "%s", name);
        CHECK_EQ_INT(symlink("/nonexistent-target", link), 0);
    }
    CHECK_EQ_INT(record(o, 1), 0);
    char st[512];
    snprintf(st, sizeof(st), "%s", o->st.file);
    struct stat sb;
    CHECK_EQ_INT(lstat(st, &sb), 0);
    CHECK(S_ISREG(sb.st_mode));
    CHECK(strstr(st, "Z-1.flv") != NULL);
    CHECK_EQ_INT(list("ln-", names, 4), 4);
    ls_output_destroy(&o);
}

static void test_sink_fifo(void)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/pipe", dir);
    CHECK_EQ_INT(mkfifo(path, 0600), 0);
    struct ls_output *o = make(path);
    /* No reader: the open fails at once rather than hanging the output thread. */
    CHECK_EQ_INT(record(o, 1), -ENXIO);
    int rd = open(path, O_RDONLY | O_NONBLOCK);
    CHECK(rd >= 0);
    CHECK_EQ_INT(o->ops->open(o), 0);
    uint8_t fh[LS_FLV_FILE_HEADER_SIZE];
    ls_flv_file_header(fh, false, true);
    const struct ls_piece p = {fh, sizeof(fh)};
    CHECK_EQ_INT(o->ops->write(o, &p, 1, LS_TAG_FILE_HEADER, 0), 0);
    o->ops->close(o);
    uint8_t got[32];
    CHECK_EQ_INT(read(rd, got, sizeof(got)), sizeof(fh));
    CHECK_EQ_MEM(got, fh, sizeof(fh));
    CHECK_EQ_STR(o->st.file, path);
    close(rd);
    ls_output_destroy(&o);
}

static void test_bad_targets(void)
{
    struct ls_output_settings os;
    ls_output_default_settings(&os);
    struct ls_output *o = NULL;
    CHECK_EQ_INT(ls_output_create(&o, NULL, 1, "/rec/", NULL, NULL, &os), -EINVAL);
    CHECK_EQ_INT(ls_output_create(&o, NULL, 1, "file:", NULL, NULL, &os), -EINVAL);
    char lng[600];
    memset(lng, 'a', sizeof(lng) - 1);
    lng[0] = '/';
    lng[sizeof(lng) - 1] = 0;
    CHECK_EQ_INT(ls_output_create(&o, NULL, 1, lng, NULL, NULL, &os), -ENAMETOOLONG);
    CHECK(o == NULL);
}

int main(void)
{
    test_names();
    test_span();
    snprintf(dir, sizeof(dir), "/tmp/ls-rec-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_sink_never_overwrites();
    test_sink_no_slot_stealing();
    test_sink_fifo();
    test_bad_targets();
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return test_done("recording");
}
