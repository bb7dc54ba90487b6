/*
 * lightstreamd's connection limits, the pure parts: where a request head
 * ends, and the key a client address is counted under.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_CONN_UTIL_H
#define LSD_CONN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr;

/**
 * Finds the end of an HTTP/1.x request head (the empty line after the
 * header lines, CRLF or bare LF as evhttp accepts them) in bytes fed as they
 * arrive. Zero-initialise to start a head.
 */
struct lsd_head_scan {
    uint32_t line_len;  /**< bytes of the current line so far */
    uint32_t lines;     /**< non-empty lines seen */
    bool prev_cr;       /**< the last byte was CR */
};

/** Feed @p n bytes. @return true once the head is complete (then stop feeding). */
bool lsd_head_scan_feed(struct lsd_head_scan *scan, const uint8_t *p, size_t n);

#define LSD_PEER_KEY_SIZE 17

/**
 * The key a client is counted under: its IPv4 address, or the /64 prefix of
 * its IPv6 address (one host usually holds a whole /64); IPv4-mapped IPv6
 * addresses count as IPv4. @p text gets the address shown in logs (at least
 * 64 bytes). @return false for another address family.
 */
bool lsd_peer_key(const struct sockaddr *sa, uint8_t key[LSD_PEER_KEY_SIZE], char *text,
                  size_t text_size);

#endif
