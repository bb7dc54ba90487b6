/*
 * lightstreamd: the web page. `/` is <web_dir>/index.html; `/web/<name>` is a
 * file of <web_dir> (the page's script, style and icon) or mpegts.js or
 * hls.js's light build from <web_dir>/node_modules (installed by npm ci or
 * tests/harness/deps.sh, see daemon/web/package.json).
 *
 * Only plain names of known types are served: no path separators, no "..",
 * no hidden files, nothing whose type is not in the table below (so neither
 * package.json nor the lock file leaves the machine). The files are small and
 * read whole on the loop thread; a bounded size keeps a mistake in web_dir
 * (say, a video dropped there) from stalling the loop or eating memory.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "daemon/http.h"
#include "daemon/log.h"
#include "daemon/server.h"

#define WEB_MAX_FILE_BYTES (4u << 20)
#define WEB_MAX_NAME 128

/* The page's own files change with the daemon: always revalidate. mpegts.js
 * and hls.js are pinned by the lock file and changes only with an upgrade. */
#define CACHE_PAGE "no-cache"
#define CACHE_VENDOR "public, max-age=86400"

/* The page loads scripts, styles and icons from the daemon only; the stream
 * may come from another origin when public_url points elsewhere, and
 * mpegts.js feeds the <video> through a blob: MediaSource URL. */
#define PAGE_CSP "default-src 'self'; script-src 'self'; style-src 'self'; " \
                 "img-src 'self' data:; media-src 'self' blob:; connect-src *; " \
                 "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; " \
                 "form-action 'self'; frame-ancestors 'none'"

struct web_type {
    const char *ext;
    const char *content_type;
};

static const struct web_type web_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {NULL, NULL},
};

/* Names under /web/ that live in the npm package rather than in web_dir. */
struct web_vendored {
    const char *name;
    const char *rel_path;
};

static const struct web_vendored web_vendored[] = {
    {"mpegts.js", "node_modules/mpegts.js/dist/mpegts.js"},
    {"mpegts.js.map", "node_modules/mpegts.js/dist/mpegts.js.map"},
    {"mpegts.js.LICENSE.txt", "node_modules/mpegts.js/dist/mpegts.js.LICENSE.txt"},
    {"hls.light.min.js", "node_modules/hls.js/dist/hls.light.min.js"},
    {"hls.light.min.js.map", "node_modules/hls.js/dist/hls.light.min.js.map"},
    {NULL, NULL},
};

static const char *web_content_type(const char *name)
{
    size_t len = strlen(name);
    for (const struct web_type *t = web_types; t->ext; t++) {
        size_t elen = strlen(t->ext);
        if (len > elen && strcmp(name + len - elen, t->ext) == 0)
            return t->content_type;
    }
    return NULL;
}

/* A plain file name: [A-Za-z0-9._-], not hidden (which also rules out "." and ".."). */
static bool web_name_ok(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > WEB_MAX_NAME || name[0] == '.' || strstr(name, ".."))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

/*
 * Read a whole regular file of at most WEB_MAX_FILE_BYTES.
 * @return 0 with *out (malloc'd, or NULL when empty) and *size; -ENOENT, -EISDIR, -EFBIG, -ENOMEM, -errno
 */
static int web_read_file(const char *path, uint8_t **out, size_t *size)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int ret = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;

    struct stat st;
    if (fstat(fd, &st) < 0) {
        ret = -errno;
        goto cleanup;
    }
    if (!S_ISREG(st.st_mode)) {
        ret = -EISDIR;
        goto cleanup;
    }
    if (st.st_size > (off_t)WEB_MAX_FILE_BYTES) {
        ret = -EFBIG;
        goto cleanup;
    }
    len = (size_t)st.st_size;
    if (len > 0) {
        buf = malloc(len);
        if (!buf) {
            ret = -ENOMEM;
            goto cleanup;
        }
    }
    /* Read what fstat promised; a file that shrank meanwhile is served short. */
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ret = -errno;
            goto cleanup;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    *out = buf;
    *size = got;
    buf = NULL;

cleanup:
    free(buf);
    close(fd);
    return ret;
}

/* Serve <web_dir>/<rel_path>; false (nothing sent) when the file is not there. */
static bool web_try_send(struct lsd_server *s, struct evhttp_request *req, const char *rel_path,
                         const char *content_type, const char *cache)
{
    char path[1024];
    int n = snprintf(path, sizeof(path), "%s/%s", s->config.web_dir, rel_path);
    if (n < 0 || (size_t)n >= sizeof(path))
        return false;

    uint8_t *data = NULL;
    size_t size = 0;
    int ret = web_read_file(path, &data, &size);
    if (ret == -ENOENT || ret == -ENOTDIR)
        return false;
    if (ret < 0) {
        lsd_logf(s->log, LS_LOG_WARN, "web: cannot serve %s: %s", path, strerror(-ret));
        lsd_reply_error(req, 500, "internal", "the file cannot be served");
        return true;
    }

    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Cache-Control", cache);
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    if (strncmp(content_type, "text/html", 9) == 0) {
        evhttp_add_header(h, "Content-Security-Policy", PAGE_CSP);
        evhttp_add_header(h, "Referrer-Policy", "no-referrer");
    }
    if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
        /* lsd_reply_bytes sends no body to a HEAD, and evhttp then adds no
         * Content-Length: say what a GET would get. */
        char len[32];
        snprintf(len, sizeof(len), "%zu", size);
        evhttp_add_header(h, "Content-Length", len);
    }
    lsd_reply_bytes(req, 200, content_type, data, size);
    free(data);
    return true;
}

static void web_not_found(struct evhttp_request *req, const char *name)
{
    lsd_reply_error(req, 404, "not_found", "no such file: %s", name);
}

static void web_index(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    (void)m;
    if (!web_try_send(s, req, "index.html", "text/html; charset=utf-8", CACHE_PAGE)) {
        lsd_logf(s->log, LS_LOG_WARN, "web: %s/index.html is missing (--web-dir?)", s->config.web_dir);
        web_not_found(req, "index.html (the page is not installed: see --web-dir)");
    }
}

static void web_file(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m)
{
    const char *name = m->count > 0 ? m->params[0] : "";
    const char *type = web_name_ok(name) ? web_content_type(name) : NULL;
    if (!type) {
        /* not echoed: it may be anything the client sent */
        lsd_reply_error(req, 404, "not_found", "no such file");
        return;
    }
    /* An installed daemon may ship mpegts.js flat in web_dir: try the npm
     * layout first, then the plain name. */
    for (const struct web_vendored *v = web_vendored; v->name; v++) {
        if (strcmp(v->name, name) == 0) {
            if (web_try_send(s, req, v->rel_path, type, CACHE_VENDOR))
                return;
            break;
        }
    }
    if (!web_try_send(s, req, name, type, CACHE_PAGE)) {
        if (strncmp(name, "mpegts.js", 9) == 0)
            lsd_logf(s->log, LS_LOG_WARN,
                     "web: mpegts.js is missing: run `npm ci` in %s (tests/harness/deps.sh does)",
                     s->config.web_dir);
        web_not_found(req, name);
    }
}

const struct lsd_route lsd_routes_web[] = {
    {LSD_GET | LSD_HEAD, "/", LSD_PUBLIC, web_index},
    {LSD_GET | LSD_HEAD, "/web/*", LSD_PUBLIC, web_file},
    {0, NULL, 0, NULL},
};
