/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * File sink: recordings that never overwrite anything.
 *
 * The target path is a pattern: each run of the output (a start, or a
 * restart after an error) creates a new file beside it named with its UTC
 * start time (recording.h), with O_EXCL, so no earlier recording — of this
 * output, of an earlier process, of a relay made again — is ever truncated.
 * The file is created when the first bytes come (the stream's start is
 * known), so a camera that never answers leaves no empty files behind.
 *
 * Flushed at every keyframe so a reader following the file sees whole GOPs.
 * On close, every onMetaData written gets the file's duration and size in
 * its reserved slots (flv.h), overwritten in place: nothing moves, and a file
 * whose writer died (kill -9) keeps the zeros of a live stream and plays.
 *
 * An existing FIFO or character device is written as it is (no name, no
 * patching): that is how FLV is piped to another program.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/flv.h"
#include "lib/output.h"
#include "lib/recording.h"

struct file_sink {
    FILE *f;
    bool regular;        /**< a recording (not a FIFO/device): its metadata is patched */
    uint64_t *meta_at;   /**< file offsets of the totals slots of each onMetaData written */
    size_t n_meta, cap_meta;
    uint64_t pos;        /**< bytes handed to stdio so far */
    struct ls_span span;
};

static const char *path_of(const struct ls_output *o)
{
    return strncmp(o->target, "file:", 5) == 0 ? o->target + 5 : o->target;
}

static int file_open(struct ls_output *o)
{
    struct file_sink *fs = calloc(1, sizeof(*fs));
    if (!fs)
        return -ENOMEM;
    o->sink = fs;
    return 0;
}

/**
 * A FIFO or a device is written as named.
 * @return 1 with *fd set, 0 when the path is none of them, or -errno
 */
static int open_special(const char *path, int *fd)
{
    struct stat st;
    if (stat(path, &st) < 0 || !(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)))
        return 0;
    /* Non-blocking, so a FIFO without a reader fails (ENXIO) instead of hanging the thread. */
    *fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (*fd < 0)
        return -errno;
    int fl = fcntl(*fd, F_GETFL);
    if (fl < 0 || fcntl(*fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        int err = -errno;
        close(*fd);
        return err;
    }
    return 1;
}

/** A new file next to the pattern, never an existing one. @return its fd or -errno. */
static int create_recording(const char *pattern, char *name, size_t size)
{
    time_t now = time(NULL);
    for (unsigned n = 0; n <= LS_RECORDING_MAX_SUFFIX; n++) {
        int err = ls_recording_name(name, size, pattern, now, n);
        if (err < 0)
            return err;
        /* O_EXCL also refuses a symlink planted under that name. */
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd >= 0 ? fd : -errno;
    }
    return -EEXIST;
}

static int create_file(struct ls_output *o, struct file_sink *fs)
{
    char name[sizeof(o->st.file)];
    int fd = -1, special = open_special(path_of(o), &fd);
    if (special < 0)
        return special;
    if (special) {
        snprintf(name, sizeof(name), "%s", path_of(o));
    } else {
        fd = create_recording(path_of(o), name, sizeof(name));
        fs->regular = true;
        if (fd < 0)
            return fd;
    }
    fs->f = fdopen(fd, "wb");
    if (!fs->f) {
        int err = -errno;
        close(fd);
        return err;
    }
    ls_output_set_file(o, name);
    return 0;
}

/** Remember where a metadata tag's totals are, to fill them in at close. */
static void note_metadata(struct file_sink *fs, const struct ls_piece *pieces, int n)
{
    if (!fs->regular || n != 3 || !ls_flv_metadata_has_totals(pieces[1].data, pieces[1].size))
        return;
    if (fs->n_meta == fs->cap_meta) {
        size_t cap = fs->cap_meta ? fs->cap_meta * 2 : 4;
        uint64_t *p = realloc(fs->meta_at, cap * sizeof(*p));
        if (!p)
            return; /* that tag keeps its zeros: still a valid file */
        fs->meta_at = p;
        fs->cap_meta = cap;
    }
    fs->meta_at[fs->n_meta++] = fs->pos + pieces[0].size + LS_FLV_METADATA_TOTALS_OFFSET;
}

static void note_tag(struct file_sink *fs, const struct ls_piece *pieces, int n, unsigned flags,
                     uint32_t ts_ms)
{
    if (flags & LS_TAG_METADATA)
        note_metadata(fs, pieces, n);
    else if ((flags & (LS_TAG_VIDEO | LS_TAG_AUDIO)) && !(flags & LS_TAG_SEQUENCE_HEADER))
        ls_span_add(&fs->span, flags & LS_TAG_AUDIO, ts_ms);
}

static int file_write(struct ls_output *o, const struct ls_piece *pieces, int n, unsigned flags,
                      uint32_t ts_ms)
{
    struct file_sink *fs = o->sink;
    int err;
    if (!fs->f && (err = create_file(o, fs)) < 0)
        return err;
    note_tag(fs, pieces, n, flags, ts_ms);
    for (int i = 0; i < n; i++) {
        if (fwrite(pieces[i].data, 1, pieces[i].size, fs->f) != pieces[i].size)
            return errno ? -errno : -EIO;
        fs->pos += pieces[i].size;
    }
    if ((flags & (LS_TAG_KEYFRAME | LS_TAG_SEQUENCE_HEADER | LS_TAG_FILE_HEADER)) && fflush(fs->f))
        return -errno;
    return 0;
}

/** Write duration and filesize into every onMetaData of the finished file. */
static void fill_totals(struct file_sink *fs)
{
    struct stat st;
    int fd = fileno(fs->f);
    if (!fs->n_meta || fflush(fs->f) != 0 || fstat(fd, &st) < 0)
        return;
    uint8_t slots[LS_FLV_METADATA_TOTALS_SIZE];
    ls_flv_metadata_totals(slots, ls_span_seconds(&fs->span), (double)st.st_size);
    for (size_t i = 0; i < fs->n_meta; i++) {
        /* A tag cut short by a failed write has no slots to fill. */
        if (fs->meta_at[i] + sizeof(slots) > (uint64_t)st.st_size)
            continue;
        /* Should this fail, the tag keeps its zeros: the file stays valid. */
        if (pwrite(fd, slots, sizeof(slots), (off_t)fs->meta_at[i]) != (ssize_t)sizeof(slots))
            return;
    }
}

static void file_close(struct ls_output *o)
{
    struct file_sink *fs = o->sink;
    if (!fs)
        return;
    if (fs->f) {
        if (fs->regular)
            fill_totals(fs);
        fclose(fs->f);
    }
    free(fs->meta_at);
    free(fs);
    o->sink = NULL;
}

const struct ls_sink_ops ls_sink_file = {
    .open = file_open,
    .write = file_write,
    .close = file_close,
};
