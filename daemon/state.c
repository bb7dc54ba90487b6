/*
 * The state file: {"version": 1, "relays": [spec...], "compat": {...}}.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/state.h"

#define STATE_VERSION 1
#define STATE_MAX_BYTES (64u << 20)

static void note(char *err, size_t size, const char *what, const char *why)
{
    size_t n = strlen(err);
    if (n + 1 < size)
        snprintf(err + n, size - n, "%s%s: %s", n ? "; " : "", what, why);
}

static bool duplicate(const struct lsd_state *st, const char *id)
{
    for (size_t i = 0; i < st->count; i++)
        if (strcmp(st->relays[i].id, id) == 0)
            return true;
    return false;
}

static int parse_relays(struct lsd_state *st, const json_t *relays, char *err, size_t err_size)
{
    size_t n = json_array_size(relays);
    st->relays = calloc(n ? n : 1, sizeof(*st->relays));
    if (!st->relays)
        return -ENOMEM;
    size_t i;
    const json_t *obj;
    json_array_foreach(relays, i, obj) {
        struct lsd_relay_spec *spec = &st->relays[st->count];
        char why[256] = "";
        lsd_spec_init(spec);
        int e = lsd_spec_from_json(spec, obj, LSD_SPEC_STATE, why, sizeof(why));
        if (e == 0 && duplicate(st, spec->id)) {
            snprintf(why, sizeof(why), "duplicate id");
            e = -EINVAL;
        }
        if (e == -ENOMEM) {
            lsd_spec_finish(spec);
            return e;
        }
        if (e < 0) {
            char what[64];
            snprintf(what, sizeof(what), "relays[%zu] skipped", i);
            note(err, err_size, what, why);
            lsd_spec_finish(spec);
            continue;
        }
        st->count++;
    }
    return 0;
}

int lsd_state_parse(struct lsd_state *st, const char *data, size_t size, char *err, size_t err_size)
{
    memset(st, 0, sizeof(*st));
    if (err_size)
        err[0] = '\0';
    json_error_t je;
    json_t *root = json_loadb(data, size, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        /* Not je.text: it quotes the file, which holds passwords. */
        snprintf(err, err_size, "not JSON (line %d, column %d)", je.line, je.column);
        return -EINVAL;
    }
    int ret = -EINVAL;
    const json_t *version = json_object_get(root, "version");
    const json_t *relays = json_object_get(root, "relays");
    const json_t *compat = json_object_get(root, "compat");
    if (!json_is_object(root) || !json_is_integer(version) ||
        json_integer_value(version) != STATE_VERSION || !json_is_array(relays) ||
        (compat && !json_is_object(compat))) {
        snprintf(err, err_size, "not a version %d state object", STATE_VERSION);
        goto out;
    }
    st->compat = compat ? json_deep_copy(compat) : json_object();
    if (!st->compat) {
        ret = -ENOMEM;
        goto out;
    }
    ret = parse_relays(st, relays, err, err_size);
out:
    json_decref(root);
    if (ret < 0)
        lsd_state_finish(st);
    return ret;
}

void lsd_state_finish(struct lsd_state *st)
{
    for (size_t i = 0; i < st->count; i++)
        lsd_spec_finish(&st->relays[i]);
    free(st->relays);
    if (st->compat)
        json_decref(st->compat);
    memset(st, 0, sizeof(*st));
}

static int read_all(const char *path, char **out, size_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat sb;
    char *buf = NULL;
    int ret = 0;
    if (fstat(fd, &sb) < 0) {
        ret = -errno;
        goto out;
    }
    if ((uint64_t)sb.st_size > STATE_MAX_BYTES) {
        ret = -EFBIG;
        goto out;
    }
    buf = malloc((size_t)sb.st_size + 1);
    if (!buf) {
        ret = -ENOMEM;
        goto out;
    }
    size_t got = 0;
    while (got < (size_t)sb.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ret = n < 0 ? -errno : -EIO;
            goto out;
        }
        got += (size_t)n;
    }
    *out = buf;
    *size = got;
    buf = NULL;
out:
    free(buf);
    close(fd);
    return ret;
}

int lsd_state_load(struct lsd_state *st, const char *dir, char *err, size_t err_size)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/state.json", dir);
    char *data = NULL;
    size_t size = 0;
    int ret = read_all(path, &data, &size);
    if (ret == -ENOENT) {
        memset(st, 0, sizeof(*st));
        st->compat = json_object();
        return st->compat ? 0 : -ENOMEM;
    }
    if (ret < 0) {
        snprintf(err, err_size, "%s: %s", path, strerror(-ret));
        return ret;
    }
    ret = lsd_state_parse(st, data, size, err, err_size);
    free(data);
    return ret;
}

static int write_all(int fd, const char *data, size_t size)
{
    while (size) {
        ssize_t n = write(fd, data, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        data += n;
        size -= (size_t)n;
    }
    return 0;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int ret = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return ret;
}

static char *dump(const struct lsd_relay_spec *const *relays, size_t count, const json_t *compat)
{
    json_t *list = json_array();
    json_t *extra = compat ? json_deep_copy(compat) : json_object();
    json_t *root = json_pack("{s:i, s:o, s:o}", "version", STATE_VERSION, "relays", list,
                             "compat", extra);
    if (!root)
        return NULL;
    for (size_t i = 0; i < count; i++) {
        if (json_array_append_new(list, lsd_spec_to_json(relays[i], true)) < 0) {
            json_decref(root);
            return NULL;
        }
    }
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
    json_decref(root);
    return text;
}

int lsd_state_save(const char *dir, const struct lsd_relay_spec *const *relays, size_t count,
                   const json_t *compat)
{
    char path[1024], tmp[1100];
    snprintf(path, sizeof(path), "%s/state.json", dir);
    snprintf(tmp, sizeof(tmp), "%s/.state.json.tmp", dir);
    char *text = dump(relays, count, compat);
    if (!text)
        return -ENOMEM;
    int ret = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        ret = -errno;
        goto out;
    }
    ret = write_all(fd, text, strlen(text));
    if (!ret)
        ret = write_all(fd, "\n", 1);
    if (!ret && fsync(fd) < 0)
        ret = -errno;
    if (close(fd) < 0 && !ret)
        ret = -errno;
    if (!ret && rename(tmp, path) < 0)
        ret = -errno;
    if (!ret)
        ret = fsync_dir(dir);
    if (ret)
        unlink(tmp);
out:
    free(text);
    return ret;
}
