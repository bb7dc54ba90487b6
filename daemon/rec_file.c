/*
 * Serving one recorded segment file, whole or a byte range (RFC 9110 14.2:
 * one range per request, what players and HLS's EXT-X-BYTERANGE ask for).
 * The bytes go from the file to the socket by libevent's sendfile path.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "daemon/http.h"
#include "daemon/rec_file.h"
#include "daemon/rec_list.h"
#include "daemon/rec_output.h"
#include "daemon/relay.h"

int lsd_parse_range(const char *h, uint64_t size, uint64_t *first, uint64_t *last)
{
    char *end;
    if (strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
        return -EINVAL;
    h += 6;
    if (*h == '-') { /* the last n bytes */
        unsigned long long n = strtoull(h + 1, &end, 10);
        if (end == h + 1 || *end || n == 0 || size == 0)
            return -ERANGE;
        *first = n >= size ? 0 : size - n;
        *last = size - 1;
        return 0;
    }
    if (*h < '0' || *h > '9')
        return -EINVAL;
    unsigned long long a = strtoull(h, &end, 10), b = UINT64_MAX;
    if (*end != '-')
        return -EINVAL;
    const char *z = end + 1;
    if (*z) {
        if (*z < '0' || *z > '9')
            return -EINVAL;
        b = strtoull(z, &end, 10);
        if (*end || b < a)
            return -EINVAL;
    }
    if (a >= size)
        return -ERANGE;
    *first = a;
    *last = b >= size ? size - 1 : b;
    return 0;
}

static int open_segment(struct lsd_server *s, const struct lsd_relay *r, const char *name,
                        struct stat *st)
{
    char dir[PATH_MAX], path[PATH_MAX + 160];
    int64_t start;
    if (strchr(name, '/') || !lsd_rec_name_start(r->spec.id, name, &start) ||
        lsd_rec_dir(s, r->spec.id, dir, sizeof(dir)) < 0)
        return -ENOENT;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -errno;
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return -ENOENT;
    }
    return fd;
}

void lsd_rec_serve_file(struct lsd_server *s, struct evhttp_request *req,
                        const struct lsd_relay *r, const char *name)
{
    struct stat st;
    int fd = open_segment(s, r, name, &st);
    if (fd < 0) {
        lsd_reply_error(req, 404, "not_found", "no recording '%.128s'", name);
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    const char *range = evhttp_find_header(evhttp_request_get_input_headers(req), "Range");
    uint64_t size = (uint64_t)st.st_size, first = 0, last = size ? size - 1 : 0;
    int status = 200;
    if (range) {
        int ret = lsd_parse_range(range, size, &first, &last);
        if (ret == -ERANGE) {
            char cr[48];
            snprintf(cr, sizeof(cr), "bytes */%" PRIu64, size);
            evhttp_add_header(h, "Content-Range", cr);
            close(fd);
            lsd_reply_error(req, 416, "range", "the range is outside the file (%" PRIu64
                            " bytes)", size);
            return;
        }
        status = ret == 0 ? 206 : 200; /* a range we do not read: the whole file */
        if (ret < 0)
            first = 0, last = size ? size - 1 : 0;
    }
    char cr[80];
    if (status == 206) {
        snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first, last, size);
        evhttp_add_header(h, "Content-Range", cr);
    }
    lsd_add_cors(req);
    evhttp_add_header(h, "Content-Type", "video/mp4");
    evhttp_add_header(h, "Accept-Ranges", "bytes");
    struct evbuffer *b = evbuffer_new();
    uint64_t len = size ? last - first + 1 : 0;
    bool head = evhttp_request_get_command(req) == EVHTTP_REQ_HEAD;
    if (b && len && !head && evbuffer_add_file(b, fd, (ev_off_t)first, (ev_off_t)len) == 0)
        fd = -1; /* the buffer owns it now */
    if (fd >= 0)
        close(fd);
    if (head) {
        snprintf(cr, sizeof(cr), "%" PRIu64, len);
        evhttp_add_header(h, "Content-Length", cr);
    }
    evhttp_send_reply(req, status, NULL, b);
    if (b)
        evbuffer_free(b);
}
