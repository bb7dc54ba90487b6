/*
 * The recordings directory: file outputs are resolved into it, or refused.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "daemon/recordings.h"

bool lsd_output_is_file(const char *url)
{
    return strncasecmp(url, "rtmp://", 7) != 0 && strncasecmp(url, "rtmps://", 8) != 0;
}

static int make_one(const char *path)
{
    if (mkdir(path, 0750) == 0 || errno == EEXIST)
        return 0;
    return -errno;
}

int lsd_recordings_prepare(const char *dir)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path) || !path[0])
        return -ENAMETOOLONG;
    int ret;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        ret = make_one(path);
        *p = '/';
        if (ret < 0)
            return ret;
    }
    if ((ret = make_one(path)) < 0)
        return ret;
    struct stat st;
    if (stat(path, &st) < 0)
        return -errno;
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static bool inside(const char *real, const char *root)
{
    size_t n = strlen(root);
    if (n == 1) /* the recordings directory is "/" */
        return true;
    return strncmp(real, root, n) == 0 && (real[n] == '\0' || real[n] == '/');
}

static int refuse(char *why, size_t size, const char *target, const char *dir)
{
    snprintf(why, size,
             "'%.128s' is outside the recordings directory %s: file outputs are written there "
             "only (a name relative to it, or an absolute path inside it; no '..', no symlink "
             "leading out)", target, dir);
    return -EXDEV;
}

int lsd_recordings_resolve(const char *dir, const char *target, char *out, size_t size,
                           char *why, size_t why_size)
{
    char root[PATH_MAX], full[PATH_MAX], real[PATH_MAX];
    if (!realpath(dir, root)) {
        int err = -errno;
        snprintf(why, why_size, "the recordings directory %s is not available: %s", dir,
                 strerror(-err));
        return err;
    }
    int n = target[0] == '/' ? snprintf(full, sizeof(full), "%s", target)
                             : snprintf(full, sizeof(full), "%s/%s", root, target);
    if (n < 0 || (size_t)n >= sizeof(full)) {
        snprintf(why, why_size, "'%.64s…' is too long", target);
        return -ENAMETOOLONG;
    }
    char *slash = strrchr(full, '/');
    const char *name = slash + 1;
    *slash = '\0';
    /* Every symlink on the way is followed: where the file really goes is what counts. */
    if (!realpath(full[0] ? full : "/", real)) {
        int err = -errno;
        if (err == -ENOENT || err == -ENOTDIR)
            snprintf(why, why_size, "the directory of '%.128s' does not exist (create it in the "
                     "recordings directory %s)", target, dir);
        else
            snprintf(why, why_size, "'%.128s': %s", target, strerror(-err));
        return err == -ENOTDIR ? -ENOENT : err;
    }
    if (!inside(real, root))
        return refuse(why, why_size, target, dir);
    n = snprintf(out, size, "%s/%s", real, name);
    if (n < 0 || (size_t)n >= size) {
        snprintf(why, why_size, "'%.64s…' is too long", target);
        return -ENAMETOOLONG;
    }
    /* The library never opens that name (each recording gets a new one), but a FIFO or a
     * device there would be written as it is: not in a recordings directory. */
    struct stat st;
    if (lstat(out, &st) == 0 && !S_ISREG(st.st_mode))
        return refuse(why, why_size, target, dir);
    return 0;
}

int lsd_recordings_check_spec(const char *dir, const struct lsd_relay_spec *spec, char *err,
                              size_t err_size)
{
    for (size_t i = 0; i < spec->output_count; i++) {
        const char *url = spec->outputs[i].url;
        char path[PATH_MAX], why[PATH_MAX + 256];
        if (lsd_output_is_file(url) &&
            lsd_recordings_resolve(dir, url, path, sizeof(path), why, sizeof(why)) < 0) {
            snprintf(err, err_size, "outputs[%zu]: %s", i, why);
            return -EINVAL;
        }
    }
    return 0;
}
