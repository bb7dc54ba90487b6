/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * XML namespace tables. The generated table (Device.nsmap) also defines the
 * global `namespaces` that Debian's libgsoap.so refers to; we never use that
 * global: each handle gets its own copy, in which
 * - SOAP-ENV/SOAP-ENC are SOAP 1.2 (default) or 1.1, and accept the other
 *   version on input;
 * - "ter" (ONVIF errors) is added so fault subcodes read "ter:InvalidArgVal",
 *   and "dn" so a Probe can name dn:NetworkVideoTransmitter.
 */
/* `namespaces` must be visible to libgsoap.so (see lightstream-onvif.sym). */
#define SOAP_NMAC __attribute__((visibility("default")))

#include <stdlib.h>
#include <string.h>

#include "lib/onvif/transport.h"

#include "Device.nsmap"

#define SOAP11_ENV "http://schemas.xmlsoap.org/soap/envelope/"
#define SOAP11_ENC "http://schemas.xmlsoap.org/soap/encoding/"
#define SOAP12_ENV "http://www.w3.org/2003/05/soap-envelope"
#define SOAP12_ENC "http://www.w3.org/2003/05/soap-encoding"

static const struct Namespace extra[] = {
    { "ter", "http://www.onvif.org/ver10/error", NULL, NULL },
    { "dn", "http://www.onvif.org/ver10/network/wsdl", NULL, NULL },
};

struct Namespace *ls_onvif_namespaces(bool soap11)
{
    size_t n = 0;
    while (namespaces[n].id)
        n++;
    size_t n_extra = sizeof(extra) / sizeof(extra[0]);
    struct Namespace *t = calloc(n + n_extra + 1, sizeof(*t));
    if (!t)
        return NULL;
    memcpy(t, namespaces, n * sizeof(*t));
    memcpy(t + n, extra, sizeof(extra));
    /* Entry 0 is SOAP-ENV, entry 1 SOAP-ENC (soapcpp2 always puts them first);
     * the third field is the pattern accepted on input. */
    t[0].ns = soap11 ? SOAP11_ENV : SOAP12_ENV;
    t[0].in = soap11 ? "http://www.w3.org/*/soap-envelope" : SOAP11_ENV;
    t[1].ns = soap11 ? SOAP11_ENC : SOAP12_ENC;
    t[1].in = soap11 ? "http://www.w3.org/*/soap-encoding" : SOAP11_ENC;
    return t;
}
