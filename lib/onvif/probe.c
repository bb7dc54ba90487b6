/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * WS-Discovery 2005/04 messages through the generated (de)serializers, in
 * memory: the socket lives in discovery.c.
 */
#include <stdio.h>
#include <string.h>

#include "lib/onvif/discovery.h"
#include "lib/onvif/text.h"

#define WSDD_TO "urn:schemas-xmlsoap-org:ws:2005:04:discovery"
#define WSDD_PROBE "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe"

int ls_onvif_probe_message(struct soap *soap, const char *message_id, char *out, size_t cap)
{
    struct SOAP_ENV__Header header = { .wsa__MessageID = (char *)message_id,
                                       .wsa__To = WSDD_TO,
                                       .wsa__Action = WSDD_PROBE };
    struct wsdd__ProbeType probe = { .Types = "dn:NetworkVideoTransmitter" };
    const char *xml = NULL;
    soap->header = &header;
    soap->os = &xml;
    soap->encodingStyle = NULL;
    soap_set_omode(soap, SOAP_ENC_PLAIN);
    int err = soap_begin_send(soap) || soap_envelope_begin_out(soap) || soap_putheader(soap) ||
              soap_body_begin_out(soap) ||
              soap_put__wsdd__Probe(soap, &probe, "wsdd:Probe", NULL) ||
              soap_body_end_out(soap) || soap_envelope_end_out(soap) || soap_end_send(soap);
    soap->os = NULL;
    soap->header = NULL;
    soap_clr_omode(soap, SOAP_ENC_PLAIN);
    if (err || !xml)
        return -ENOMEM;
    int n = snprintf(out, cap, "%s", xml);
    return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

/* Space-separated items of @p list, normalized to single spaces, cut at a
 * whole item. */
static void copy_list(char *dst, size_t cap, const char *list)
{
    size_t n = 0;
    dst[0] = '\0';
    for (const char *s = list ? list : ""; *s;) {
        while (ls_onvif_is_space(*s))
            s++;
        size_t len = 0;
        while (s[len] && !ls_onvif_is_space(s[len]))
            len++;
        if (!len || n + (n ? 1 : 0) + len >= cap)
            break;
        if (n)
            dst[n++] = ' ';
        memcpy(dst + n, s, len);
        n += len;
        dst[n] = '\0';
        s += len;
    }
}

static int hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* The percent-decoded rest of the first scope starting with @p prefix. */
static void scope_value(const char *scopes, const char *prefix, char *out, size_t cap)
{
    out[0] = '\0';
    const char *s = scopes;
    size_t plen = strlen(prefix);
    while ((s = strstr(s, prefix)) && s != scopes && s[-1] != ' ')
        s += plen;
    if (!s)
        return;
    size_t n = 0;
    for (s += plen; *s && *s != ' ' && n + 1 < cap; s++) {
        char c = *s;
        if (c == '%' && hex(s[1]) >= 0 && hex(s[2]) >= 0 && (s[1] != '0' || s[2] != '0')) {
            c = (char)(hex(s[1]) << 4 | hex(s[2]));
            s += 2;
        }
        out[n++] = c;
    }
    out[n] = '\0';
}

void ls_onvif_scope_fields(struct ls_onvif_discovered *d)
{
    scope_value(d->scopes, "onvif://www.onvif.org/name/", d->name, sizeof(d->name));
    scope_value(d->scopes, "onvif://www.onvif.org/hardware/", d->hardware, sizeof(d->hardware));
}

static bool seen(const struct ls_onvif_discovered *out, size_t n, const char *endpoint)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(out[i].endpoint, endpoint))
            return true;
    return false;
}

static int add_matches(const struct wsdd__ProbeMatchesType *m, struct ls_onvif_discovered *out,
                       size_t cap, size_t *count)
{
    int added = 0;
    for (int i = 0; i < m->__sizeProbeMatch; i++) {
        const struct wsdd__ProbeMatchType *pm = &m->ProbeMatch[i];
        struct ls_onvif_discovered d;
        memset(&d, 0, sizeof(d));
        if (pm->wsa__EndpointReference)
            ls_onvif_copy_trim(d.endpoint, sizeof(d.endpoint), pm->wsa__EndpointReference->Address);
        if (seen(out, *count < cap ? *count : cap, d.endpoint))
            continue;
        copy_list(d.xaddrs, sizeof(d.xaddrs), pm->XAddrs);
        copy_list(d.scopes, sizeof(d.scopes), pm->Scopes ? pm->Scopes->__item : NULL);
        copy_list(d.types, sizeof(d.types), pm->Types);
        ls_onvif_scope_fields(&d);
        if (*count < cap)
            out[*count] = d;
        (*count)++;
        added++;
    }
    return added;
}

int ls_onvif_read_probe_matches(struct soap *soap, const char *data, size_t len,
                                const char *message_id, struct ls_onvif_discovered *out,
                                size_t cap, size_t *count)
{
    struct wsdd__ProbeMatchesType matches;
    soap_default_wsdd__ProbeMatchesType(soap, &matches);
    soap->header = NULL;
    soap->is = data;
    soap->length = len; /* with SOAP_ENC_PLAIN: no HTTP header to read */
    soap_set_imode(soap, SOAP_ENC_PLAIN);
    int err = soap_begin_recv(soap) || soap_envelope_begin_in(soap) || soap_recv_header(soap) ||
              soap_body_begin_in(soap) ||
              !soap_get__wsdd__ProbeMatches(soap, &matches, "wsdd:ProbeMatches", NULL) ||
              soap_body_end_in(soap) || soap_envelope_end_in(soap) || soap_end_recv(soap);
    soap->is = NULL;
    soap_clr_imode(soap, SOAP_ENC_PLAIN);
    int ret = -EBADMSG;
    const char *relates = soap->header ? soap->header->wsa__RelatesTo : NULL;
    char rel[256];
    ls_onvif_copy_trim(rel, sizeof(rel), relates);
    if (!err && (!rel[0] || !message_id || !strcmp(rel, message_id)))
        ret = add_matches(&matches, out, cap, count);
    soap->header = NULL;
    soap_destroy(soap);
    soap_end(soap);
    return ret;
}
