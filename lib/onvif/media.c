/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Media profiles and their stream and snapshot URIs: Media2 first when the
 * device offers it (H.265 profiles are visible only there), Media otherwise,
 * or when Media2 fails to list the profiles.
 */
#include <stdio.h>
#include <string.h>

#include "lib/onvif/text.h"
#include "lib/onvif/transport.h"
#include "lib/onvif/uri.h"

LS_ONVIF_CALL(__trt__GetProfiles, struct _trt__GetProfiles, struct _trt__GetProfilesResponse)
LS_ONVIF_CALL(__tr2__GetProfiles, struct _tr2__GetProfiles, struct _tr2__GetProfilesResponse)
LS_ONVIF_CALL(__trt__GetStreamUri, struct _trt__GetStreamUri, struct _trt__GetStreamUriResponse)
LS_ONVIF_CALL(__tr2__GetStreamUri, struct _tr2__GetStreamUri, struct _tr2__GetStreamUriResponse)
LS_ONVIF_CALL(__trt__GetSnapshotUri, struct _trt__GetSnapshotUri,
              struct _trt__GetSnapshotUriResponse)
LS_ONVIF_CALL(__tr2__GetSnapshotUri, struct _tr2__GetSnapshotUri,
              struct _tr2__GetSnapshotUriResponse)

/* Only what the device names: no Encoding is "unknown", never JPEG. */
static enum ls_onvif_encoding encoding_of(const char *s)
{
    if (ls_onvif_word_eq(s, "H264") || ls_onvif_word_eq(s, "H.264"))
        return LS_ONVIF_ENCODING_H264;
    if (ls_onvif_word_eq(s, "H265") || ls_onvif_word_eq(s, "H.265") || ls_onvif_word_eq(s, "HEVC"))
        return LS_ONVIF_ENCODING_H265;
    if (ls_onvif_word_eq(s, "JPEG"))
        return LS_ONVIF_ENCODING_JPEG;
    return LS_ONVIF_ENCODING_UNKNOWN;
}

const char *ls_onvif_encoding_name(enum ls_onvif_encoding encoding)
{
    switch (encoding) {
    case LS_ONVIF_ENCODING_H264:
        return "H264";
    case LS_ONVIF_ENCODING_H265:
        return "H265";
    case LS_ONVIF_ENCODING_JPEG:
        return "JPEG";
    default:
        return "unknown";
    }
}

static void fill_profile(struct ls_onvif_profile *p, const char *token, const char *name,
                         const struct tt__VideoEncoderConfiguration *vec, bool ptz)
{
    memset(p, 0, sizeof(*p));
    ls_onvif_copy_trim(p->token, sizeof(p->token), token);
    ls_onvif_copy_trim(p->name, sizeof(p->name), name);
    p->ptz = ptz;
    if (!vec)
        return;
    p->encoding = encoding_of(vec->Encoding);
    if (vec->Resolution) {
        p->width = ls_onvif_parse_uint(vec->Resolution->Width);
        p->height = ls_onvif_parse_uint(vec->Resolution->Height);
    }
    if (vec->RateControl) {
        double fps;
        if (ls_onvif_parse_double(vec->RateControl->FrameRateLimit, &fps) && fps > 0)
            p->fps = fps;
        p->bitrate_kbps = ls_onvif_parse_uint(vec->RateControl->BitrateLimit);
    }
}

/* Remember the first profile, and the first with PTZ, for NULL tokens. */
static void remember(struct ls_onvif *dev, const struct ls_onvif_profile *p, size_t i)
{
    if (i == 0)
        snprintf(dev->first_token, sizeof(dev->first_token), "%s", p->token);
    if (p->ptz && !dev->first_ptz_token[0])
        snprintf(dev->first_ptz_token, sizeof(dev->first_ptz_token), "%s", p->token);
}

static void take_profile(struct ls_onvif *dev, struct ls_onvif_profile *out, size_t cap,
                         size_t i, const struct ls_onvif_profile *p)
{
    remember(dev, p, i);
    if (i < cap)
        out[i] = *p;
}

static int profiles_media2(struct ls_onvif *dev, struct ls_onvif_profile *out, size_t cap,
                           size_t *count)
{
    char *all = "All"; /* without a Type, Media2 answers names and tokens only */
    struct _tr2__GetProfiles req = { .__sizeType = 1, .Type = &all };
    struct _tr2__GetProfilesResponse r = { 0 };
    struct ls_onvif_op op = { "GetProfiles", LS_SVC_MEDIA2, false, call___tr2__GetProfiles, &req,
                              &r };
    int ret = ls_onvif_run(dev, &op);
    for (int i = 0; !ret && i < r.__sizeProfiles; i++) {
        const struct tr2__MediaProfile *m = &r.Profiles[i];
        const struct tr2__ConfigurationSet *c = m->Configurations;
        struct ls_onvif_profile p;
        fill_profile(&p, m->token, m->Name, c ? c->VideoEncoder : NULL, c && c->PTZ);
        take_profile(dev, out, cap, (size_t)i, &p);
    }
    *count = ret ? 0 : (size_t)r.__sizeProfiles;
    ls_onvif_end(dev);
    return ret;
}

static int profiles_media1(struct ls_onvif *dev, struct ls_onvif_profile *out, size_t cap,
                           size_t *count)
{
    struct _trt__GetProfiles req = { 0 };
    struct _trt__GetProfilesResponse r = { 0 };
    struct ls_onvif_op op = { "GetProfiles", LS_SVC_MEDIA, false, call___trt__GetProfiles, &req,
                              &r };
    int ret = ls_onvif_run(dev, &op);
    for (int i = 0; !ret && i < r.__sizeProfiles; i++) {
        const struct tt__Profile *m = &r.Profiles[i];
        struct ls_onvif_profile p;
        fill_profile(&p, m->token, m->Name, m->VideoEncoderConfiguration, m->PTZConfiguration);
        take_profile(dev, out, cap, (size_t)i, &p);
    }
    *count = ret ? 0 : (size_t)r.__sizeProfiles;
    ls_onvif_end(dev);
    return ret;
}

/* Whether Media may answer where Media2 GetProfiles failed: after a fault,
 * an HTTP error without one or an unusable answer (a device seen answers
 * Media2 GetProfiles with a bare HTTP 500), when the device has Media. Never
 * after an authentication failure (cameras lock accounts) nor a timeout or
 * network error (Media would wait as long). */
static bool media1_may_answer(const struct ls_onvif *dev, int err)
{
    return dev->xaddr[LS_SVC_MEDIA] && (err == -EPROTO || err == -EOPNOTSUPP || err == -EBADMSG);
}

int ls_onvif_get_profiles(struct ls_onvif *dev, struct ls_onvif_profile *out, size_t cap,
                          size_t *count)
{
    size_t dummy;
    if (!count)
        count = &dummy;
    *count = 0;
    if (!dev || (!out && cap))
        return -EINVAL;
    dev->first_token[0] = dev->first_ptz_token[0] = '\0';
    if (!(dev->services & LS_ONVIF_SERVICE_MEDIA2))
        return profiles_media1(dev, out, cap, count);
    int ret = profiles_media2(dev, out, cap, count);
    if (!ret || !media1_may_answer(dev, ret))
        return ret;
    ls_log_info(&dev->log, "Media2 GetProfiles failed (%s): trying Media", dev->error);
    ret = profiles_media1(dev, out, cap, count);
    /* The handle keeps to Media from now on: the profiles' URIs come from
     * the service that listed them, and a broken Media2 is not asked again. */
    if (!ret)
        dev->services &= ~(unsigned)LS_ONVIF_SERVICE_MEDIA2;
    return ret;
}

int ls_onvif_profile_token(struct ls_onvif *dev, const char *token, bool ptz, const char **out)
{
    if (token) {
        *out = token;
        return 0;
    }
    if (!dev->first_token[0]) {
        size_t n;
        int ret = ls_onvif_get_profiles(dev, NULL, 0, &n);
        if (ret < 0)
            return ret;
    }
    if (!dev->first_token[0]) {
        ls_onvif_set_error(dev, "the device has no media profile");
        return -ENOENT;
    }
    *out = ptz && dev->first_ptz_token[0] ? dev->first_ptz_token : dev->first_token;
    return 0;
}

/* Trim, rewrite the host, insert credentials, as the settings say. */
static int fix_uri(struct ls_onvif *dev, const char *what, const char *uri, char *out, size_t cap)
{
    if (!uri) {
        ls_onvif_set_error(dev, "%s: no URI in the answer", what);
        return -EBADMSG;
    }
    struct ls_onvif_uri_fix fix = {
        .host = dev->rewrite_uris ? dev->host : NULL,
        .user = dev->uri_credentials ? dev->user : NULL,
        .password = dev->password,
    };
    int n = ls_onvif_uri_fix(uri, &fix, out, cap);
    if (n == -ENOSPC)
        ls_onvif_set_error(dev, "%s: the URI does not fit in %zu bytes", what, cap);
    else if (n < 0)
        ls_onvif_set_error(dev, "%s: not an absolute URI: %.200s", what, uri);
    return n < 0 ? n : 0;
}

static int stream_uri(struct ls_onvif *dev, const char *token, char *uri, size_t cap)
{
    int ret;
    if (dev->services & LS_ONVIF_SERVICE_MEDIA2) {
        struct _tr2__GetStreamUri req = { .Protocol = "RTSP", .ProfileToken = (char *)token };
        struct _tr2__GetStreamUriResponse r = { 0 };
        struct ls_onvif_op op = { "GetStreamUri", LS_SVC_MEDIA2, false, call___tr2__GetStreamUri,
                                  &req, &r };
        ret = ls_onvif_run(dev, &op);
        if (!ret)
            ret = fix_uri(dev, op.name, r.Uri, uri, cap);
    } else {
        struct tt__Transport transport = { .Protocol = "RTSP" };
        struct tt__StreamSetup setup = { .Stream = "RTP-Unicast", .Transport = &transport };
        struct _trt__GetStreamUri req = { .StreamSetup = &setup, .ProfileToken = (char *)token };
        struct _trt__GetStreamUriResponse r = { 0 };
        struct ls_onvif_op op = { "GetStreamUri", LS_SVC_MEDIA, false, call___trt__GetStreamUri,
                                  &req, &r };
        ret = ls_onvif_run(dev, &op);
        if (!ret)
            ret = fix_uri(dev, op.name, r.MediaUri ? r.MediaUri->Uri : NULL, uri, cap);
    }
    ls_onvif_end(dev);
    return ret;
}

static int snapshot_uri(struct ls_onvif *dev, const char *token, char *uri, size_t cap)
{
    int ret;
    if (dev->services & LS_ONVIF_SERVICE_MEDIA2) {
        struct _tr2__GetSnapshotUri req = { .ProfileToken = (char *)token };
        struct _tr2__GetSnapshotUriResponse r = { 0 };
        struct ls_onvif_op op = { "GetSnapshotUri", LS_SVC_MEDIA2, false,
                                  call___tr2__GetSnapshotUri, &req, &r };
        ret = ls_onvif_run(dev, &op);
        if (!ret)
            ret = fix_uri(dev, op.name, r.Uri, uri, cap);
    } else {
        struct _trt__GetSnapshotUri req = { .ProfileToken = (char *)token };
        struct _trt__GetSnapshotUriResponse r = { 0 };
        struct ls_onvif_op op = { "GetSnapshotUri", LS_SVC_MEDIA, false,
                                  call___trt__GetSnapshotUri, &req, &r };
        ret = ls_onvif_run(dev, &op);
        if (!ret)
            ret = fix_uri(dev, op.name, r.MediaUri ? r.MediaUri->Uri : NULL, uri, cap);
    }
    ls_onvif_end(dev);
    return ret;
}

typedef int (*uri_fn)(struct ls_onvif *dev, const char *token, char *uri, size_t cap);

static int get_uri(struct ls_onvif *dev, const char *token, char *uri, size_t cap, uri_fn fn)
{
    if (!dev || !uri || !cap)
        return -EINVAL;
    uri[0] = '\0';
    const char *tok;
    int ret = ls_onvif_profile_token(dev, token, false, &tok);
    return ret < 0 ? ret : fn(dev, tok, uri, cap);
}

int ls_onvif_get_stream_uri(struct ls_onvif *dev, const char *token, char *uri, size_t cap)
{
    return get_uri(dev, token, uri, cap, stream_uri);
}

int ls_onvif_get_snapshot_uri(struct ls_onvif *dev, const char *token, char *uri, size_t cap)
{
    return get_uri(dev, token, uri, cap, snapshot_uri);
}
