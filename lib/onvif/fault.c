/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every way an operation fails, as a negative errno and a message: SOAP
 * faults by their subcodes, HTTP statuses, socket errors and timeouts,
 * unparsable answers, answers with a header we must but cannot understand.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/onvif/text.h"
#include "lib/onvif/transport.h"

/* Case-insensitive substring. */
static bool has(const char *s, const char *needle)
{
    return s && strcasestr(s, needle) != NULL;
}

/* "code ter:Sub1/ter:Sub2" of a SOAP 1.2 fault, or the SOAP 1.1 faultcode. */
static void fault_codes(const struct SOAP_ENV__Fault *f, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    const struct SOAP_ENV__Code *c = f->SOAP_ENV__Code;
    for (int depth = 0; c && depth < 8; c = c->SOAP_ENV__Subcode, depth++) {
        char v[128];
        ls_onvif_copy_trim(v, sizeof(v), c->SOAP_ENV__Value);
        int w = snprintf(out + n, cap - n, "%s%s", depth > 1 ? "/" : depth ? " " : "", v);
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
    }
    if (!f->SOAP_ENV__Code)
        ls_onvif_copy_trim(out, cap, f->faultcode);
}

static const char *fault_reason(const struct SOAP_ENV__Fault *f)
{
    if (f->SOAP_ENV__Reason && f->SOAP_ENV__Reason->SOAP_ENV__Text)
        return f->SOAP_ENV__Reason->SOAP_ENV__Text;
    return f->faultstring ? f->faultstring : "";
}

static int fault_error(struct ls_onvif *dev, const char *what)
{
    const struct SOAP_ENV__Fault *f = dev->soap->fault;
    char codes[512], reason[256];
    if (!f) {
        ls_onvif_set_error(dev, "%s: SOAP fault without details", what);
        return -EPROTO;
    }
    fault_codes(f, codes, sizeof(codes));
    ls_onvif_copy_trim(reason, sizeof(reason), fault_reason(f));
    int err = -EPROTO;
    if (has(codes, "NotAuthorized") || has(codes, "FailedAuthentication") ||
        has(codes, "InvalidSecurity") || has(reason, "not authorized") ||
        dev->soap->status == 401 || dev->soap->status == 403)
        err = -EACCES;
    else if (has(codes, "NotSupported") || has(reason, "not implemented") ||
             has(reason, "not supported"))
        err = -EOPNOTSUPP;
    ls_onvif_set_error(dev, "%s: %sSOAP fault %s%s%s", what,
                       err == -EACCES ? "authentication failed: " : "", codes,
                       reason[0] ? ": " : "", reason);
    return err;
}

/* An HTTP error status with no SOAP fault gSOAP could read. Not -EPROTO:
 * that says the device answered with a fault (callers tell the two apart,
 * e.g. the daemon's device_fault); an HTTP 500 with an empty or HTML body
 * is a device failing, an answer we cannot use. */
static int http_error(struct ls_onvif *dev, const char *what, int status)
{
    int err = status == 401 || status == 403                   ? -EACCES
              : status == 404 || status == 405 || status == 501 ? -EOPNOTSUPP
                                                                : -EBADMSG;
    ls_onvif_set_error(dev, "%s: %sHTTP status %d%s", what,
                       err == -EACCES ? "authentication failed: " : "", status,
                       err == -EBADMSG ? " and no readable SOAP fault" : "");
    return err;
}

/* Socket errors. gSOAP reports a timeout as errnum 0, like a closed
 * connection: the time spent tells them apart. */
static int net_error(struct ls_onvif *dev, const char *what, int64_t elapsed_ms, int limit_ms)
{
    int e = dev->soap->errnum;
    if (e == ECONNREFUSED) {
        ls_onvif_set_error(dev, "%s: connection refused by %s:%u", what, dev->host, dev->port);
        return -ECONNREFUSED;
    }
    if (e == ETIMEDOUT || (e == 0 && elapsed_ms + 50 >= limit_ms)) {
        ls_onvif_set_error(dev, "%s: no answer from %s:%u within %d ms", what, dev->host,
                           dev->port, limit_ms);
        return -ETIMEDOUT;
    }
    const char *detail = soap_fault_detail(dev->soap);
    if (e)
        ls_onvif_set_error(dev, "%s: %s:%u: %s", what, dev->host, dev->port, strerror(e));
    else if (dev->soap->error == SOAP_TCP_ERROR)
        ls_onvif_set_error(dev, "%s: cannot connect to %s:%u (%s)", what, dev->host, dev->port,
                           detail ? detail : "?");
    else
        ls_onvif_set_error(dev, "%s: connection to %s:%u closed without an answer", what,
                           dev->host, dev->port);
    return -EIO;
}

static int bad_answer(struct ls_onvif *dev, const char *what)
{
    const char *detail = soap_fault_string(dev->soap);
    ls_onvif_set_error(dev, "%s: unexpected answer (%s)", what,
                       detail && *detail ? detail : "not a SOAP response");
    return -EBADMSG;
}

int ls_onvif_header_error(struct ls_onvif *dev, const char *what)
{
    ls_onvif_set_error(dev, "%s: the answer's header has a block marked mustUnderstand that "
                       "the client does not know: %s", what, dev->not_understood);
    return -EBADMSG;
}

int ls_onvif_soap_error(struct ls_onvif *dev, const char *what, int64_t elapsed_ms)
{
    struct soap *soap = dev->soap;
    int e = soap->error;
    /* gSOAP says SOAP_CLI_FAULT/SOAP_SVR_FAULT for Sender/Receiver faults. */
    if (e == SOAP_FAULT || e == SOAP_CLI_FAULT || e == SOAP_SVR_FAULT)
        return fault_error(dev, what);
    if (e >= 200 && e < 300) /* gSOAP's way to say "HTTP 200 but no SOAP envelope in it" */
        return bad_answer(dev, what);
    if (e >= 100 && e < 600)
        return http_error(dev, what, e);
    if (e == SOAP_TCP_ERROR)
        return net_error(dev, what, elapsed_ms, dev->connect_timeout_ms);
    if (e == SOAP_EOF)
        return net_error(dev, what, elapsed_ms, dev->io_timeout_ms);
    if (e == SOAP_EOM) {
        ls_onvif_set_error(dev, "%s: out of memory", what);
        return -ENOMEM;
    }
    if (e == SOAP_HTTP_ERROR && soap->status >= 100 && soap->status < 600)
        return http_error(dev, what, soap->status);
    return bad_answer(dev, what);
}
