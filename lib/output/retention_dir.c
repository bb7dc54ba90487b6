/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One recording's retention on disk (see retention_dir.h). Only names made
 * by ls_recording_name() from the recording's own pattern are ever listed,
 * so no other file of the directory can be deleted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/output/retention_dir.h"

#define STAMP_LEN 17 /* "-20261207T173501Z" */

static bool stamp_ok(const char *p)
{
    static const char shape[] = "-ddddddddTddddddZ";
    for (int i = 0; i < STAMP_LEN; i++) {
        char want = shape[i];
        if (want == 'd' ? (p[i] < '0' || p[i] > '9') : p[i] != want)
            return false;
    }
    return true;
}

bool ls_retention_name_matches(const char *base, const char *name)
{
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    const char *ext = base + stem;
    size_t len = strlen(name), ext_len = strlen(ext);
    if (len < stem + STAMP_LEN + ext_len || strncmp(name, base, stem) != 0 ||
        !stamp_ok(name + stem) || strcmp(name + len - ext_len, ext) != 0)
        return false;
    const char *rest = name + stem + STAMP_LEN, *end = name + len - ext_len;
    if (rest == end)
        return true;
    /* "-n", n in 1..99, as ls_recording_name() adds for a name taken. */
    if (*rest != '-' || end - rest < 2 || end - rest > 3 || rest[1] == '0')
        return false;
    for (const char *p = rest + 1; p < end; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

struct listing {
    char **names;
    struct ls_segment_entry *entries;
    size_t n, cap;
};

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_name(struct listing *l, const char *name)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **names = realloc(l->names, cap * sizeof(*names));
        if (!names)
            return -ENOMEM;
        l->names = names;
        l->cap = cap;
    }
    if (!(l->names[l->n] = strdup(name)))
        return -ENOMEM;
    l->n++;
    return 0;
}

/** The pattern's segments in @p dir, by name: their time order. */
static int list_segments(DIR *d, const char *base, struct listing *l)
{
    struct dirent *e;
    while ((e = readdir(d)))
        if (ls_retention_name_matches(base, e->d_name) && add_name(l, e->d_name) < 0)
            return -ENOMEM;
    if (l->n)
        qsort(l->names, l->n, sizeof(*l->names), cmp_names);
    l->entries = calloc(l->n ? l->n : 1, sizeof(*l->entries));
    return l->entries ? 0 : -ENOMEM;
}

static void stat_segments(int dfd, const char *in_use_base, struct listing *l)
{
    for (size_t i = 0; i < l->n; i++) {
        struct stat st;
        struct ls_segment_entry *e = &l->entries[i];
        if (fstatat(dfd, l->names[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
            e->end_s = st.st_mtime;
            e->bytes = (uint64_t)st.st_size;
        } else {
            e->in_use = true; /* gone or not a file: leave it alone */
        }
        if (in_use_base && strcmp(l->names[i], in_use_base) == 0)
            e->in_use = true;
    }
}

static void delete_planned(int dfd, const struct listing *l, const bool *del, uint64_t *segments,
                           uint64_t *bytes)
{
    for (size_t i = 0; i < l->n; i++) {
        if (!del[i] || unlinkat(dfd, l->names[i], 0) < 0)
            continue;
        (*segments)++;
        *bytes += l->entries[i].bytes;
    }
}

static int split_pattern(const char *pattern, char *dir, size_t size, const char **base)
{
    const char *slash = strrchr(pattern, '/');
    *base = slash ? slash + 1 : pattern;
    int w = slash ? snprintf(dir, size, "%.*s", (int)(slash - pattern + 1), pattern)
                  : snprintf(dir, size, ".");
    return w < 0 || (size_t)w >= size ? -ENAMETOOLONG : 0;
}

int ls_retention_apply(const char *pattern, const char *in_use,
                       const struct ls_retention_policy *policy, uint64_t *segments,
                       uint64_t *bytes)
{
    if (!policy->max_age_s && !policy->max_bytes)
        return 0;
    char dir[4096];
    const char *base;
    int err = split_pattern(pattern, dir, sizeof(dir), &base);
    if (err < 0)
        return err;
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    struct listing l = {0};
    bool *del = NULL;
    err = list_segments(d, base, &l);
    if (err < 0)
        goto out;
    const char *slash = in_use ? strrchr(in_use, '/') : NULL;
    stat_segments(dirfd(d), slash ? slash + 1 : in_use, &l);
    err = -ENOMEM;
    if (!(del = calloc(l.n ? l.n : 1, sizeof(*del))))
        goto out;
    err = ls_retention_plan(l.entries, l.n, policy, (int64_t)time(NULL), del);
    if (err > 0)
        delete_planned(dirfd(d), &l, del, segments, bytes);
    err = err < 0 ? err : 0;
out:
    for (size_t i = 0; i < l.n; i++)
        free(l.names[i]);
    free(l.names);
    free(l.entries);
    free(del);
    closedir(d);
    return err;
}
