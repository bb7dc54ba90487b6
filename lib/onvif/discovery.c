/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ls_onvif_discover: one UDP Probe, then ProbeMatches until the deadline.
 * Its own socket and gSOAP context per call: no shared state.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/onvif/auth.h"
#include "lib/onvif/discovery.h"
#include "lib/onvif/transport.h"

#define DATAGRAM_MAX 65536

void ls_onvif_default_discover_settings(struct ls_onvif_discover_settings *s)
{
    if (!s)
        return;
    *s = (struct ls_onvif_discover_settings){
        .address = "239.255.255.250",
        .port = 3702,
        .timeout_ms = 3000,
        .logger = { .level = LS_LOG_INFO },
    };
}

static void make_uuid(char *out, size_t cap)
{
    uint8_t b[16];
    ls_onvif_random(b, sizeof(b));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, cap,
             "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int send_probe(int fd, const struct sockaddr_in *to, const char *msg, size_t len)
{
    ssize_t n = sendto(fd, msg, len, MSG_NOSIGNAL, (const struct sockaddr *)to, sizeof(*to));
    return n == (ssize_t)len ? 0 : -EIO;
}

/* Read datagrams until the deadline. */
static void collect(int fd, struct soap *soap, const char *id, int timeout_ms,
                    const struct ls_log_ctx *log, struct ls_onvif_discovered *out, size_t cap,
                    size_t *count)
{
    char *data = malloc(DATAGRAM_MAX + 1);
    if (!data)
        return;
    int64_t deadline = now_ms() + timeout_ms;
    for (int64_t left; (left = deadline - now_ms()) > 0;) {
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        ssize_t n = recv(fd, data, DATAGRAM_MAX, 0);
        if (n <= 0)
            continue;
        data[n] = '\0'; /* gSOAP reads a C string */
        int added = ls_onvif_read_probe_matches(soap, data, (size_t)n, id, out, cap, count);
        ls_log_debug(log, "%zd-byte answer, %d new device(s)", n, added);
    }
    free(data);
}

int ls_onvif_discover(const struct ls_onvif_discover_settings *s,
                      struct ls_onvif_discovered *out, size_t cap, size_t *count)
{
    size_t dummy;
    if (!count)
        count = &dummy;
    *count = 0;
    struct sockaddr_in to = { .sin_family = AF_INET };
    if (!s || !s->address || !s->port || s->timeout_ms <= 0 || s->timeout_ms > 600000 ||
        (!out && cap) || inet_pton(AF_INET, s->address, &to.sin_addr) != 1)
        return -EINVAL;
    to.sin_port = htons(s->port);
    struct ls_log_ctx log = { s->logger, NULL, "discovery" };
    char id[64], msg[4096];
    make_uuid(id, sizeof(id));
    struct soap *soap = soap_new1(SOAP_C_UTFSTRING);
    struct Namespace *ns = ls_onvif_namespaces(false);
    int ret = -ENOMEM, fd = -1;
    if (!soap || !ns)
        goto out;
    soap_set_namespaces(soap, ns);
    ret = ls_onvif_probe_message(soap, id, msg, sizeof(msg));
    if (ret < 0)
        goto out;
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ret = fd < 0 ? -EIO : send_probe(fd, &to, msg, (size_t)ret);
    if (ret < 0) {
        ls_log_error(&log, "cannot send the Probe to %s:%u: %s", s->address, s->port,
                     strerror(errno));
        goto out;
    }
    ls_log_debug(&log, "Probe %s sent to %s:%u", id, s->address, s->port);
    collect(fd, soap, id, s->timeout_ms, &log, out, cap, count);
    ls_log_info(&log, "%zu device(s) answered", *count);
out:
    if (fd >= 0)
        close(fd);
    if (soap) {
        soap_destroy(soap);
        soap_end(soap);
        soap_free(soap);
    }
    free(ns);
    return ret < 0 ? ret : 0;
}
