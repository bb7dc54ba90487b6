/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * File sink: a plain .flv file, truncated on open. Flushed at every
 * keyframe so a reader following the file sees whole GOPs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/output.h"

static const char *path_of(const struct ls_output *o)
{
    return strncmp(o->target, "file:", 5) == 0 ? o->target + 5 : o->target;
}

static int file_open(struct ls_output *o)
{
    FILE *f = fopen(path_of(o), "wbe");
    if (!f)
        return -errno;
    o->sink = f;
    return 0;
}

static int file_write(struct ls_output *o, const struct ls_piece *pieces, int n, unsigned flags)
{
    FILE *f = o->sink;
    for (int i = 0; i < n; i++)
        if (fwrite(pieces[i].data, 1, pieces[i].size, f) != pieces[i].size)
            return errno ? -errno : -EIO;
    if ((flags & (LS_TAG_KEYFRAME | LS_TAG_SEQUENCE_HEADER | LS_TAG_FILE_HEADER)) && fflush(f))
        return -errno;
    return 0;
}

static void file_close(struct ls_output *o)
{
    if (o->sink)
        fclose(o->sink);
    o->sink = NULL;
}

const struct ls_sink_ops ls_sink_file = {
    .open = file_open,
    .write = file_write,
    .close = file_close,
};
