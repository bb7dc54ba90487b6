/*
 * One recorded segment over HTTP, with Range (rec_file.c).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_REC_FILE_H
#define LSD_REC_FILE_H

#include <stdint.h>

struct evhttp_request;
struct lsd_relay;
struct lsd_server;

/**
 * A Range header's single byte range over a file of @p size bytes, into
 * [@p first, @p last]. @return 0; -ERANGE when it is unsatisfiable (416);
 *         -EINVAL when it is not one we read (the whole file is sent)
 */
int lsd_parse_range(const char *h, uint64_t size, uint64_t *first, uint64_t *last);

/** Reply with segment @p name of relay @p r (GET or HEAD), whole or the asked range. */
void lsd_rec_serve_file(struct lsd_server *s, struct evhttp_request *req,
                        const struct lsd_relay *r, const char *name);

#endif
