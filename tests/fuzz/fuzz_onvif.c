/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for the ONVIF client's parsers of device answers: the input
 * is split at "\n--8<--\n" into answers; each one that does not start with
 * "HTTP/" gets a 200 header. A replay handle (no network) then runs open
 * (clock + services/capabilities), info, profiles, stream and snapshot URIs
 * and the PTZ reads against them, through the generated gSOAP
 * deserializers and the client code; the whole input is also read as a
 * WS-Discovery ProbeMatches datagram. Seeds: tests/fuzz/corpus/onvif.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "lib/onvif/discovery.h"
#include "lib/onvif/transport.h"

#define SEP "\n--8<--\n"
#define MAX_ANSWERS 12

static size_t split(const char *in, size_t size, char **answers, size_t *lengths)
{
    size_t n = 0;
    const char *p = in, *end = in + size;
    while (n < MAX_ANSWERS && p <= end) {
        const char *q = memmem(p, (size_t)(end - p), SEP, strlen(SEP));
        size_t len = q ? (size_t)(q - p) : (size_t)(end - p);
        bool raw = len >= 5 && !memcmp(p, "HTTP/", 5);
        char head[128] = "";
        if (!raw)
            snprintf(head, sizeof(head),
                     "HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\n"
                     "Content-Length: %zu\r\n\r\n", len);
        size_t hl = strlen(head);
        answers[n] = malloc(hl + len + 1);
        if (!answers[n])
            break;
        memcpy(answers[n], head, hl);
        memcpy(answers[n] + hl, p, len);
        answers[n][hl + len] = '\0';
        lengths[n++] = hl + len;
        if (!q)
            break;
        p = q + strlen(SEP);
    }
    return n;
}

static void run_client(char **answers, size_t *lengths, size_t n)
{
    struct ls_onvif_replay replay = { (const char *const *)answers, lengths, n, 0, 0, NULL, 0 };
    struct ls_onvif_settings s;
    ls_onvif_default_settings(&s);
    s.host = "127.0.0.1";
    s.user = "admin";
    s.password = "pw";
    struct ls_onvif *dev = NULL;
    if (ls_onvif_open_replay(&dev, &s, &replay) == 0) {
        struct ls_onvif_info info;
        struct ls_onvif_profile p[4];
        struct ls_onvif_preset pr[4];
        struct ls_onvif_ptz_status st;
        struct ls_onvif_ptz_node node;
        char uri[LS_ONVIF_URI_MAX];
        size_t count;
        ls_onvif_get_info(dev, &info);
        ls_onvif_get_profiles(dev, p, 4, &count);
        ls_onvif_get_stream_uri(dev, NULL, uri, sizeof(uri));
        ls_onvif_get_snapshot_uri(dev, "t", uri, 16);
        ls_onvif_ptz_get_status(dev, "t", &st);
        ls_onvif_ptz_get_presets(dev, "t", pr, 4, &count);
        ls_onvif_ptz_get_node(dev, &node);
        ls_onvif_close(&dev);
    }
    free(replay.sent);
}

static void run_probe(const char *xml, size_t len)
{
    struct soap *soap = soap_new1(SOAP_C_UTFSTRING);
    struct Namespace *ns = ls_onvif_namespaces(false);
    if (soap && ns) {
        struct ls_onvif_discovered d[2];
        size_t count = 0;
        soap_set_namespaces(soap, ns);
        ls_onvif_read_probe_matches(soap, xml, len, NULL, d, 2, &count);
    }
    if (soap)
        soap_free(soap);
    free(ns);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1);
    if (!in)
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';
    char *answers[MAX_ANSWERS];
    size_t lengths[MAX_ANSWERS];
    size_t n = split(in, size, answers, lengths);
    run_client(answers, lengths, n);
    for (size_t i = 0; i < n; i++)
        free(answers[i]);
    run_probe(in, size);
    free(in);
    return 0;
}
