/*
 * Listing a relay's recorded segments (rec_list.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/rec_list.h"
#include "daemon/rec_output.h"
#include "daemon/relay.h"

bool lsd_rec_name_start(const char *id, const char *name, int64_t *start_ms)
{
    size_t n = strlen(id), len = strlen(name);
    if (len < n + 21 || strncmp(name, id, n) != 0 || name[n] != '-' ||
        strcmp(name + len - 4, ".mp4") != 0)
        return false;
    struct tm tm = {0};
    const char *end = strptime(name + n + 1, "%Y%m%dT%H%M%SZ", &tm);
    if (!end || (*end != '.' && *end != '-'))
        return false;
    *start_ms = (int64_t)timegm(&tm) * 1000;
    return true;
}

double lsd_rec_seconds(const struct lsd_mp4_index *idx, uint64_t ticks)
{
    return idx->timescale ? (double)ticks / idx->timescale : 0;
}

static long fd_read(void *opaque, uint64_t offset, void *buf, size_t n)
{
    ssize_t got = pread(*(int *)opaque, buf, n, (off_t)offset);
    return got < 0 ? -errno : (long)got;
}

/* Index one segment; its end is its start plus the fragments' span. */
static void index_one(const char *dir, struct lsd_rec_segment *seg, enum lsd_rec_detail detail)
{
    char path[PATH_MAX];
    seg->end_ms = seg->start_ms;
    if (snprintf(path, sizeof(path), "%s/%s", dir, seg->name) >= (int)sizeof(path))
        return;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return;
    if (fstat(fd, &st) == 0) {
        seg->bytes = (uint64_t)st.st_size;
        struct lsd_mp4_source src = {fd_read, &fd, (uint64_t)st.st_size};
        if (detail != LSD_REC_SIZES && lsd_mp4_index_read(&src, &seg->idx) == 0 &&
            seg->idx.count) {
            const struct lsd_mp4_fragment *a = &seg->idx.frags[0];
            const struct lsd_mp4_fragment *z = &seg->idx.frags[seg->idx.count - 1];
            seg->end_ms += (int64_t)(lsd_rec_seconds(&seg->idx, z->start + z->duration - a->start)
                                     * 1000 + 0.5);
        }
    }
    close(fd);
}

/* Names say the second a segment started; one timeline runs on across segments (their
 * decode times continue). A segment that continues the one before it starts where that
 * one's timeline puts it, so the boundaries of a run agree to the millisecond. */
#define CHAIN_SLACK_MS 2000

static void chain(struct lsd_rec_list *l)
{
    for (size_t i = 1; i < l->count; i++) {
        struct lsd_rec_segment *a = &l->seg[i - 1], *b = &l->seg[i];
        if (!a->idx.count || !b->idx.count || a->idx.timescale != b->idx.timescale ||
            b->idx.frags[0].start < a->idx.frags[0].start)
            continue;
        int64_t at = a->start_ms + (int64_t)(lsd_rec_seconds(&a->idx, b->idx.frags[0].start -
                                                             a->idx.frags[0].start) * 1000 + 0.5);
        if (at - b->start_ms > CHAIN_SLACK_MS || b->start_ms - at > CHAIN_SLACK_MS)
            continue;
        b->end_ms += at - b->start_ms;
        b->start_ms = at;
    }
}

/* Drop the segments outside [from_ms, to_ms]; without @p with_index, every fragment list. */
static void keep_range(struct lsd_rec_list *l, int64_t from_ms, int64_t to_ms, bool with_index)
{
    size_t k = 0;
    for (size_t i = 0; i < l->count; i++) {
        struct lsd_rec_segment *seg = &l->seg[i];
        if (!with_index) {
            free(seg->idx.frags);
            seg->idx.frags = NULL;
        }
        if (seg->end_ms < from_ms || seg->start_ms > to_ms) {
            lsd_mp4_index_free(&seg->idx);
            continue;
        }
        l->seg[k++] = *seg;
    }
    l->count = k;
}

static int by_start(const void *a, const void *b)
{
    const struct lsd_rec_segment *x = a, *y = b;
    return x->start_ms != y->start_ms ? (x->start_ms < y->start_ms ? -1 : 1)
                                      : strcmp(x->name, y->name);
}

static int grow(struct lsd_rec_list *l, size_t *cap)
{
    if (l->count < *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 32;
    struct lsd_rec_segment *p = realloc(l->seg, n * sizeof(*p));
    if (!p)
        return -ENOMEM;
    l->seg = p;
    *cap = n;
    return 0;
}

int lsd_rec_list(struct lsd_server *s, const struct lsd_relay *r, int64_t from_ms, int64_t to_ms,
                 enum lsd_rec_detail detail, struct lsd_rec_list *out)
{
    char dir[PATH_MAX];
    memset(out, 0, sizeof(*out));
    int ret = lsd_rec_dir(s, r->spec.id, dir, sizeof(dir));
    DIR *d = ret == 0 ? opendir(dir) : NULL;
    if (!d)
        return ret < 0 ? ret : errno == ENOENT ? 0 : -errno;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        int64_t start;
        if (strlen(e->d_name) >= sizeof(out->seg->name) ||
            !lsd_rec_name_start(r->spec.id, e->d_name, &start))
            continue;
        if ((ret = grow(out, &cap)) < 0)
            break;
        struct lsd_rec_segment *seg = &out->seg[out->count];
        memset(seg, 0, sizeof(*seg));
        snprintf(seg->name, sizeof(seg->name), "%s", e->d_name);
        seg->start_ms = start;
        seg->writing = strcmp(seg->name, r->rec_writing) == 0;
        index_one(dir, seg, detail);
        out->count++;
    }
    closedir(d);
    if (ret < 0) {
        lsd_rec_list_free(out);
        return ret;
    }
    if (out->count) /* an empty folder leaves seg NULL, which qsort must not see */
        qsort(out->seg, out->count, sizeof(*out->seg), by_start);
    chain(out);
    keep_range(out, from_ms, to_ms, detail == LSD_REC_FRAGMENTS);
    return 0;
}

void lsd_rec_list_free(struct lsd_rec_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        lsd_mp4_index_free(&l->seg[i].idx);
    free(l->seg);
    memset(l, 0, sizeof(*l));
}

/* "+01:00", "-0530", "Z" after the seconds: the offset east of UTC in seconds. */
static int zone(const char *p, long *offset)
{
    if (*p == 'Z' || *p == 'z')
        return p[1] ? -EINVAL : (*offset = 0, 0);
    if ((*p != '+' && *p != '-') || strlen(p) < 5)
        return -EINVAL;
    int h, m;
    char c;
    if (sscanf(p + 1, "%2d:%2d%c", &h, &m, &c) != 2 && sscanf(p + 1, "%2d%2d%c", &h, &m, &c) != 2)
        return -EINVAL;
    *offset = (*p == '-' ? -1 : 1) * (h * 3600L + m * 60L);
    return 0;
}

int lsd_rec_parse_time(const char *text, int64_t *ms)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (*text && !*end && !errno && v >= 0 && v < 1e13 &&
        strspn(text, "0123456789.") == strlen(text)) {
        *ms = (int64_t)(v * 1000);
        return 0;
    }
    struct tm tm = {0};
    const char *p = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return -EINVAL;
    long frac_ms = 0, offset;
    if (*p == '.') {
        long scale = 100;
        for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
            frac_ms += (*p - '0') * scale;
    }
    if (zone(p, &offset) < 0)
        return -EINVAL;
    *ms = ((int64_t)timegm(&tm) - offset) * 1000 + frac_ms;
    return 0;
}
