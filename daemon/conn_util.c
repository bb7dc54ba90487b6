/*
 * Connection limits, the pure parts (see conn_util.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/conn_util.h"

bool lsd_head_scan_feed(struct lsd_head_scan *scan, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '\n') {
            if (scan->line_len < UINT32_MAX)
                scan->line_len++;
            scan->prev_cr = p[i] == '\r';
            continue;
        }
        /* A CR before the LF belongs to the line end, not to the line. */
        uint32_t len = scan->line_len - (scan->prev_cr ? 1 : 0);
        if (len == 0 && scan->lines > 0)
            return true;
        if (len > 0 && scan->lines < UINT32_MAX)
            scan->lines++;
        scan->line_len = 0;
        scan->prev_cr = false;
    }
    return false;
}

bool lsd_peer_key(const struct sockaddr *sa, uint8_t key[LSD_PEER_KEY_SIZE], char *text,
                  size_t text_size)
{
    static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    const uint8_t *v4 = NULL;
    memset(key, 0, LSD_PEER_KEY_SIZE);
    if (sa->sa_family == AF_INET) {
        v4 = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    } else if (sa->sa_family == AF_INET6) {
        const uint8_t *a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
        if (memcmp(a, v4_mapped, sizeof(v4_mapped)) == 0) {
            v4 = a + 12;
        } else {
            key[0] = 6;
            memcpy(key + 1, a, 8);
            uint8_t prefix[16] = {0};
            memcpy(prefix, a, 8);
            char buf[INET6_ADDRSTRLEN];
            inet_ntop(AF_INET6, prefix, buf, sizeof(buf));
            snprintf(text, text_size, "%s/64", buf);
            return true;
        }
    } else {
        return false;
    }
    key[0] = 4;
    memcpy(key + 1, v4, 4);
    inet_ntop(AF_INET, v4, text, (socklen_t)text_size);
    return true;
}
