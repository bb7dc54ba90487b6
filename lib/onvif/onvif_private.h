/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The device handle, shared by the files of lib/onvif.
 */
#ifndef LS_ONVIF_PRIVATE_H
#define LS_ONVIF_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "lightstream/onvif.h"
#include "lib/util/log.h"
#include "lib/onvif/auth.h"
#include "lib/onvif/soap_gen.h"

/** Services a request goes to. */
enum ls_onvif_svc {
    LS_SVC_DEVICE,
    LS_SVC_MEDIA,
    LS_SVC_MEDIA2,
    LS_SVC_PTZ,
    LS_SVC_COUNT,
};

/**
 * Canned HTTP answers instead of a network, for unit tests and the fuzz
 * target: each request "connects" to the next answer and what the client
 * sends is appended to @ref sent.
 */
struct ls_onvif_replay {
    const char *const *answers; /**< raw HTTP responses, one per request */
    const size_t *lengths;      /**< their lengths */
    size_t count;
    size_t next;          /**< answers used so far = requests made */
    size_t pos;           /**< read position in the current answer */
    char *sent;           /**< every request sent, concatenated (malloc'ed) */
    size_t sent_len;
};

struct ls_onvif {
    struct soap *soap;
    struct Namespace *ns; /* this handle's namespace table (SOAP 1.1 or 1.2) */
    char *host, *user, *password, *device_path;
    uint16_t port;
    int connect_timeout_ms, io_timeout_ms;
    bool soap11, rewrite_uris, uri_credentials;
    struct ls_log_ctx log;

    char *xaddr[LS_SVC_COUNT]; /* service addresses as the device reported them */
    unsigned services;         /* enum ls_onvif_service */
    int64_t clock_offset;      /* device clock - local clock, seconds */

    /* HTTP digest, once a device asked for it: answered up front from then on. */
    bool digest;
    struct ls_onvif_challenge challenge;
    unsigned nc;
    char www_authenticate[1024]; /* the last Digest challenge seen */
    char authorization[1200];    /* "Authorization: ..." for the next request */
    int (*default_parsehdr)(struct soap *, const char *, const char *);

    struct SOAP_ENV__Header header; /* WS-Security header, rebuilt per request */
    struct _wsse__Security security;
    struct _wsse__UsernameToken token;
    struct _wsse__Password token_password;
    struct _wsse__Nonce token_nonce;
    char created[32], nonce_b64[32], digest_b64[LS_ONVIF_WSSE_DIGEST_SIZE];

    int http_status;           /* of the last answer */
    char not_understood[64];   /* an unknown header block of the last answer marked mustUnderstand */
    char first_token[LS_ONVIF_STR_MAX];     /* cached: the first profile's token */
    char first_ptz_token[LS_ONVIF_STR_MAX]; /* cached: the first PTZ profile's token */
    char error[512];
    struct ls_onvif_replay *replay;
};

/** Open with canned answers (tests, fuzzing). @p replay must outlive the handle. */
int ls_onvif_open_replay(struct ls_onvif **out, const struct ls_onvif_settings *s,
                         struct ls_onvif_replay *replay);

/** Record the error message of the current call (password redacted). */
void ls_onvif_set_error(struct ls_onvif *dev, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/**
 * The profile token to use: @p token, or else the first profile's (the first
 * with PTZ if @p ptz and there is one). May cost a GetProfiles.
 * @return 0, -ENOENT if the device has no profile, or a negative error.
 */
int ls_onvif_profile_token(struct ls_onvif *dev, const char *token, bool ptz, const char **out);

#endif
