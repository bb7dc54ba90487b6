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
 * Each tag goes to the kernel in one writev() (no stdio buffer): nothing
 * handed to the sink dies with a killed process, its file ends after a whole
 * tag (unless the kill lands inside that very write), and a reader following
 * the file sees each tag as soon as it is written. One syscall a tag (~75/s
 * at 25 fps with AAC) is nothing next to the disk.
 *
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
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "lib/flv/flv.h"
#include "lib/output/output.h"
#include "lib/output/recording.h"

struct file_sink {
    int fd;              /**< -1 until the first bytes come */
    bool regular;        /**< a recording (not a FIFO/device): its metadata is patched */
    uint64_t *meta_at;   /**< file offsets of the totals slots of each onMetaData written */
    size_t n_meta, cap_meta;
    uint64_t pos;        /**< bytes written so far */
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
    fs->fd = -1;
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

static int create_file(struct ls_output *o, struct file_sink *fs)
{
    char name[sizeof(o->st.file)];
    int fd = -1, special = open_special(path_of(o), &fd);
    if (special < 0)
        return special;
    if (special) {
        snprintf(name, sizeof(name), "%s", path_of(o));
    } else {
        fd = ls_recording_create(path_of(o), name, sizeof(name));
        fs->regular = true;
        if (fd < 0)
            return fd;
    }
    fs->fd = fd;
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

/** All the pieces, in as few writev() calls as the kernel allows. */
static int write_all(struct file_sink *fs, const struct ls_piece *pieces, int n)
{
    struct iovec iov[4];
    if (n < 1 || n > 4)
        return -EINVAL;
    for (int i = 0; i < n; i++)
        iov[i] = (struct iovec){.iov_base = (void *)pieces[i].data, .iov_len = pieces[i].size};
    struct iovec *v = iov;
    while (n > 0) {
        ssize_t w = writev(fs->fd, v, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        fs->pos += (uint64_t)w;
        for (; n > 0 && (size_t)w >= v->iov_len; v++, n--)
            w -= (ssize_t)v->iov_len;
        if (n > 0) {
            v->iov_base = (uint8_t *)v->iov_base + w;
            v->iov_len -= (size_t)w;
        }
    }
    return 0;
}

static int file_write(struct ls_output *o, const struct ls_piece *pieces, int n, unsigned flags,
                      uint32_t ts_ms)
{
    struct file_sink *fs = o->sink;
    int err;
    if (fs->fd < 0 && (err = create_file(o, fs)) < 0)
        return err;
    note_tag(fs, pieces, n, flags, ts_ms);
    return write_all(fs, pieces, n);
}

/** Write duration and filesize into every onMetaData of the finished file. */
static void fill_totals(struct file_sink *fs)
{
    struct stat st;
    int fd = fs->fd;
    if (!fs->n_meta || fstat(fd, &st) < 0)
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
    if (fs->fd >= 0) {
        if (fs->regular)
            fill_totals(fs);
        close(fs->fd);
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
