/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The gSOAP context of a handle and one operation over it. Why hooks:
 * - fparsehdr keeps the WWW-Authenticate Digest challenge of a 401, which
 *   gSOAP reduces to its realm;
 * - http_extra_header carries our own HTTP digest answer (gSOAP's httpda
 *   plugin needs OpenSSL);
 * - fignore sees the header blocks we do not know that are marked
 *   mustUnderstand, so a fault carrying one is still read as a fault;
 * - fopen/fsend/frecv/fclose are replaced by canned answers in replay mode,
 *   so tests and the fuzz target run the very code a device would.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "lib/onvif/replay.h"
#include "lib/onvif/transport.h"
#include "lib/onvif/uri.h"
#include "lib/util/url.h"

#define WSSE_DIGEST_TYPE                                                                    \
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"  \
    "#PasswordDigest"
#define WSSE_BASE64                                                                         \
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0"   \
    "#Base64Binary"

/* Largest answer we accept: a 36-profile NVR answer is ~165 KB. */
#define MAX_ANSWER (16u << 20)

static const char *const service_ns[LS_SVC_COUNT] = {
    [LS_SVC_DEVICE] = "http://www.onvif.org/ver10/device/wsdl",
    [LS_SVC_MEDIA] = "http://www.onvif.org/ver10/media/wsdl",
    [LS_SVC_MEDIA2] = "http://www.onvif.org/ver20/media/wsdl",
    [LS_SVC_PTZ] = "http://www.onvif.org/ver20/ptz/wsdl",
};

static const char *const service_name[LS_SVC_COUNT] = { "device", "media", "media2", "PTZ" };

void ls_onvif_set_error(struct ls_onvif *dev, const char *fmt, ...)
{
    char raw[sizeof(dev->error)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    ls_redact_text(raw, dev->password, dev->error, sizeof(dev->error));
    ls_log_warn(&dev->log, "%s", dev->error);
}

static int parse_header(struct soap *soap, const char *key, const char *val)
{
    struct ls_onvif *dev = soap->user;
    if (key && val && !strcasecmp(key, "WWW-Authenticate") && !strncasecmp(val, "Digest", 6))
        snprintf(dev->www_authenticate, sizeof(dev->www_authenticate), "%s", val);
    return dev->default_parsehdr(soap, key, val);
}

/* An element no declaration matches. Without this hook gSOAP stops at an
 * unknown header block marked mustUnderstand (SOAP_MUSTUNDERSTAND) before
 * it reaches the Body, so a fault carrying one would be lost: we skip the
 * block and note it instead. A fault is then read whatever headers it has
 * (the operation fails either way; its codes say why), while an answer is
 * refused, as SOAP wants of a message whose header is not understood (see
 * ls_onvif_run). Blocks aimed at another role (soap->other) are not ours
 * to understand. Any other unknown element is skipped, as without the hook. */
static int unknown_element(struct soap *soap, const char *tag)
{
    struct ls_onvif *dev = soap->user;
    if (soap->part == SOAP_IN_HEADER && soap->mustUnderstand && !soap->other &&
        !dev->not_understood[0])
        snprintf(dev->not_understood, sizeof(dev->not_understood), "%s", tag);
    return SOAP_OK;
}

/* gSOAP timeouts: > 0 seconds, < 0 microseconds. */
static int usec(int ms)
{
    return -(ms * 1000);
}

int ls_onvif_transport_init(struct ls_onvif *dev)
{
    dev->ns = ls_onvif_namespaces(dev->soap11);
    dev->soap = soap_new1(SOAP_C_UTFSTRING);
    if (!dev->ns || !dev->soap)
        return -ENOMEM;
    struct soap *soap = dev->soap;
    soap_set_namespaces(soap, dev->ns);
    soap->user = dev;
    soap->connect_timeout = usec(dev->connect_timeout_ms);
    soap->send_timeout = soap->recv_timeout = usec(dev->io_timeout_ms);
    soap->transfer_timeout = usec(dev->io_timeout_ms);
    soap->socket_flags = MSG_NOSIGNAL; /* a library must not die of SIGPIPE */
    soap->recv_maxlength = MAX_ANSWER;
    dev->default_parsehdr = soap->fparsehdr;
    soap->fparsehdr = parse_header;
    soap->fignore = unknown_element;
    if (dev->replay)
        ls_onvif_replay_hook(soap, dev->replay);
    return 0;
}

void ls_onvif_transport_free(struct ls_onvif *dev)
{
    if (dev->soap) {
        dev->soap->header = NULL;
        soap_destroy(dev->soap);
        soap_end(dev->soap);
        soap_free(dev->soap);
        dev->soap = NULL;
    }
    free(dev->ns);
    dev->ns = NULL;
}

void ls_onvif_end(struct ls_onvif *dev)
{
    dev->soap->header = NULL;
    soap_destroy(dev->soap);
    soap_end(dev->soap);
}

static int64_t now_ms(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A fresh UsernameToken: random nonce, Created in device time. */
static void build_security(struct ls_onvif *dev)
{
    uint8_t nonce[16];
    ls_onvif_random(nonce, sizeof(nonce));
    int64_t now = now_ms(CLOCK_REALTIME);
    ls_onvif_format_utc(now / 1000 + dev->clock_offset, (int)(now % 1000), dev->created,
                        sizeof(dev->created));
    ls_onvif_base64(nonce, sizeof(nonce), dev->nonce_b64, sizeof(dev->nonce_b64));
    ls_onvif_wsse_digest(nonce, sizeof(nonce), dev->created, dev->password, dev->digest_b64);

    dev->token_password = (struct _wsse__Password){ dev->digest_b64, WSSE_DIGEST_TYPE };
    dev->token_nonce = (struct _wsse__Nonce){ dev->nonce_b64, WSSE_BASE64 };
    dev->token = (struct _wsse__UsernameToken){ .Username = dev->user,
                                                .Password = &dev->token_password,
                                                .Nonce = &dev->token_nonce,
                                                .wsu__Created = dev->created };
    dev->security = (struct _wsse__Security){ .UsernameToken = &dev->token };
    memset(&dev->header, 0, sizeof(dev->header));
    dev->header.wsse__Security = &dev->security;
    dev->soap->header = &dev->header;
}

/* The Authorization header answering the device's digest challenge. */
static void build_authorization(struct ls_onvif *dev, const char *endpoint)
{
    char path[1024], answer[1100], cnonce_hex[17];
    uint8_t cnonce[8];
    ls_onvif_random(cnonce, sizeof(cnonce));
    for (int i = 0; i < 8; i++)
        snprintf(cnonce_hex + 2 * i, 3, "%02x", cnonce[i]);
    ls_onvif_uri_path(endpoint, path, sizeof(path));
    struct ls_onvif_digest_input in = { dev->user, dev->password, "POST", path, cnonce_hex,
                                        ++dev->nc };
    if (ls_onvif_digest_answer(&dev->challenge, &in, answer, sizeof(answer)) < 0)
        return;
    snprintf(dev->authorization, sizeof(dev->authorization), "Authorization: %s", answer);
    dev->soap->http_extra_header = dev->authorization;
}

static void prepare(struct ls_onvif *dev, const struct ls_onvif_op *op, const char *endpoint)
{
    dev->soap->header = NULL;
    dev->soap->http_extra_header = NULL;
    dev->www_authenticate[0] = '\0';
    dev->not_understood[0] = '\0';
    if (!dev->user)
        return;
    if (!op->anonymous)
        build_security(dev);
    /* Digest-only firmware wants it even on GetSystemDateAndTime. */
    if (dev->digest)
        build_authorization(dev, endpoint);
}

/* A 401 carrying a Digest challenge we can answer: remember it. */
static bool take_challenge(struct ls_onvif *dev)
{
    if (dev->soap->error != 401 || !dev->user || !dev->www_authenticate[0])
        return false;
    if (ls_onvif_parse_challenge(dev->www_authenticate, &dev->challenge) < 0)
        return false;
    dev->digest = true;
    dev->nc = 0;
    ls_log_info(&dev->log, "device asks for HTTP digest (realm \"%s\"): retrying once",
                dev->challenge.realm);
    return true;
}

static int endpoint_of(struct ls_onvif *dev, const struct ls_onvif_op *op, char *out, size_t cap)
{
    const char *xaddr = dev->xaddr[op->svc];
    if (op->svc != LS_SVC_DEVICE && !xaddr) {
        ls_onvif_set_error(dev, "%s: the device offers no %s service", op->name,
                           service_name[op->svc]);
        return -EOPNOTSUPP;
    }
    if (ls_onvif_endpoint(xaddr, dev->host, dev->port, dev->device_path, out, cap) < 0) {
        ls_onvif_set_error(dev, "%s: service address too long", op->name);
        return -EINVAL;
    }
    return 0;
}

int ls_onvif_run(struct ls_onvif *dev, const struct ls_onvif_op *op)
{
    char endpoint[1024], action[256];
    int ret = endpoint_of(dev, op, endpoint, sizeof(endpoint));
    if (ret < 0)
        return ret;
    /* SOAP 1.2 carries no action: some cameras reject action= in Content-Type. */
    snprintf(action, sizeof(action), "%s/%s", service_ns[op->svc], op->name);
    ls_onvif_end(dev);
    dev->error[0] = '\0';
    for (int attempt = 0; attempt < 2; attempt++) {
        prepare(dev, op, endpoint);
        ls_log_debug(&dev->log, "%s -> %s", op->name, endpoint);
        int64_t t0 = now_ms(CLOCK_MONOTONIC);
        if (op->fn(dev->soap, endpoint, dev->soap11 ? action : NULL, op->req, op->resp) ==
            SOAP_OK)
            return dev->not_understood[0] ? ls_onvif_header_error(dev, op->name) : 0;
        if (attempt == 0 && take_challenge(dev)) {
            ls_onvif_end(dev);
            continue;
        }
        return ls_onvif_soap_error(dev, op->name, now_ms(CLOCK_MONOTONIC) - t0);
    }
    return -EACCES; /* not reached: the second attempt always returns */
}
