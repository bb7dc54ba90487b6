/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A device handle: settings, open (clock, then services), close, info.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/onvif/replay.h"
#include "lib/onvif/text.h"
#include "lib/onvif/transport.h"

#define MAX_TIMEOUT_MS 600000

LS_ONVIF_CALL(__tds__GetSystemDateAndTime, struct _tds__GetSystemDateAndTime,
              struct _tds__GetSystemDateAndTimeResponse)
LS_ONVIF_CALL(__tds__GetServices, struct _tds__GetServices, struct _tds__GetServicesResponse)
LS_ONVIF_CALL(__tds__GetCapabilities, struct _tds__GetCapabilities,
              struct _tds__GetCapabilitiesResponse)
LS_ONVIF_CALL(__tds__GetDeviceInformation, struct _tds__GetDeviceInformation,
              struct _tds__GetDeviceInformationResponse)

void ls_onvif_default_settings(struct ls_onvif_settings *s)
{
    if (!s)
        return;
    *s = (struct ls_onvif_settings){
        .port = 80,
        .path = "/onvif/device_service",
        .connect_timeout_ms = 5000,
        .io_timeout_ms = 5000,
        .rewrite_uris = true,
        .uri_credentials = true,
        .logger = { .level = LS_LOG_INFO },
    };
}

static bool valid(const struct ls_onvif_settings *s)
{
    return s && s->host && s->host[0] && s->port && s->connect_timeout_ms > 0 &&
           s->connect_timeout_ms <= MAX_TIMEOUT_MS && s->io_timeout_ms > 0 &&
           s->io_timeout_ms <= MAX_TIMEOUT_MS && strlen(s->host) < 256 &&
           (!s->user || strlen(s->user) < 256) && (!s->password || strlen(s->password) < 256) &&
           (!s->path || strlen(s->path) < 512);
}

static char *dup_or_null(const char *s, bool *ok)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *ok = false;
    return d;
}

static int copy_settings(struct ls_onvif *dev, const struct ls_onvif_settings *s)
{
    bool ok = true;
    dev->host = dup_or_null(s->host, &ok);
    dev->device_path = dup_or_null(s->path && s->path[0] ? s->path : "/onvif/device_service", &ok);
    dev->user = s->user && s->user[0] ? dup_or_null(s->user, &ok) : NULL;
    dev->password = dev->user ? dup_or_null(s->password ? s->password : "", &ok) : NULL;
    dev->port = s->port;
    dev->connect_timeout_ms = s->connect_timeout_ms;
    dev->io_timeout_ms = s->io_timeout_ms;
    dev->soap11 = s->soap11;
    dev->rewrite_uris = s->rewrite_uris;
    dev->uri_credentials = s->uri_credentials;
    dev->log = (struct ls_log_ctx){ s->logger, dev->password, dev->host };
    return ok ? 0 : -ENOMEM;
}

/* The device clock, read without authentication: every WS-Security token is
 * stamped in device time, so a camera whose clock is years off still lets
 * us in. A device that will not tell leaves the offset at 0. */
static int read_clock(struct ls_onvif *dev)
{
    struct _tds__GetSystemDateAndTime req = { 0 };
    struct _tds__GetSystemDateAndTimeResponse resp = { 0 };
    struct ls_onvif_op op = { "GetSystemDateAndTime", LS_SVC_DEVICE, true,
                              call___tds__GetSystemDateAndTime, &req, &resp };
    int ret = ls_onvif_run(dev, &op);
    if (ret == -ETIMEDOUT || ret == -ECONNREFUSED || ret == -EIO || ret == -ENOMEM)
        return ret;
    const struct tt__DateTime *utc = resp.SystemDateAndTime ? resp.SystemDateAndTime->UTCDateTime
                                                            : NULL;
    int64_t t = INT64_MIN;
    if (!ret && utc && utc->Date && utc->Time)
        t = ls_onvif_utc_to_unix(utc->Date->Year, utc->Date->Month, utc->Date->Day,
                                 utc->Time->Hour, utc->Time->Minute, utc->Time->Second);
    if (t != INT64_MIN)
        dev->clock_offset = t - (int64_t)time(NULL);
    else
        ls_log_warn(&dev->log, "no device UTC time (%s): assuming our clock",
                    ret ? dev->error : "not in the answer");
    ls_log_debug(&dev->log, "device clock offset %lld s", (long long)dev->clock_offset);
    ls_onvif_end(dev);
    return 0;
}

static void set_xaddr(struct ls_onvif *dev, enum ls_onvif_svc svc, const char *xaddr)
{
    char trimmed[1024];
    if (!xaddr || !ls_onvif_copy_trim(trimmed, sizeof(trimmed), xaddr) || !trimmed[0])
        return;
    char *copy = strdup(trimmed);
    if (!copy)
        return; /* the service stays unknown; its calls answer -EOPNOTSUPP */
    free(dev->xaddr[svc]);
    dev->xaddr[svc] = copy;
    static const unsigned flag[LS_SVC_COUNT] = { 0, LS_ONVIF_SERVICE_MEDIA,
                                                 LS_ONVIF_SERVICE_MEDIA2, LS_ONVIF_SERVICE_PTZ };
    dev->services |= flag[svc];
}

static void take_services(struct ls_onvif *dev, const struct _tds__GetServicesResponse *r)
{
    static const char *const ns[LS_SVC_COUNT] = {
        "http://www.onvif.org/ver10/device/wsdl", "http://www.onvif.org/ver10/media/wsdl",
        "http://www.onvif.org/ver20/media/wsdl", "http://www.onvif.org/ver20/ptz/wsdl" };
    for (int i = 0; i < r->__sizeService; i++)
        for (int svc = 0; svc < LS_SVC_COUNT; svc++)
            if (ls_onvif_word_eq(r->Service[i].Namespace, ns[svc]))
                set_xaddr(dev, (enum ls_onvif_svc)svc, r->Service[i].XAddr);
}

static int read_capabilities(struct ls_onvif *dev)
{
    struct _tds__GetCapabilities req = { .Category = "All" };
    struct _tds__GetCapabilitiesResponse resp = { 0 };
    struct ls_onvif_op op = { "GetCapabilities", LS_SVC_DEVICE, false,
                              call___tds__GetCapabilities, &req, &resp };
    int ret = ls_onvif_run(dev, &op);
    const struct tt__Capabilities *c = resp.Capabilities;
    if (!ret && c) {
        if (c->Device)
            set_xaddr(dev, LS_SVC_DEVICE, c->Device->XAddr);
        if (c->Media)
            set_xaddr(dev, LS_SVC_MEDIA, c->Media->XAddr);
        if (c->PTZ)
            set_xaddr(dev, LS_SVC_PTZ, c->PTZ->XAddr);
        dev->services |= LS_ONVIF_SERVICE_FROM_CAPABILITIES;
    }
    ls_onvif_end(dev);
    return ret;
}

/* GetServices, or GetCapabilities when the device answers that with a fault
 * or an HTTP error (older firmware has no GetServices). */
static int read_services(struct ls_onvif *dev)
{
    struct _tds__GetServices req = { .IncludeCapability = "false" };
    struct _tds__GetServicesResponse resp = { 0 };
    struct ls_onvif_op op = { "GetServices", LS_SVC_DEVICE, false, call___tds__GetServices, &req,
                              &resp };
    int ret = ls_onvif_run(dev, &op);
    if (!ret)
        take_services(dev, &resp);
    ls_onvif_end(dev);
    if (ret == -EPROTO || ret == -EOPNOTSUPP || ret == -EBADMSG) {
        ls_log_info(&dev->log, "GetServices failed (%s): trying GetCapabilities", dev->error);
        ret = read_capabilities(dev);
    }
    if (!ret && !(dev->services & (LS_ONVIF_SERVICE_MEDIA | LS_ONVIF_SERVICE_MEDIA2)))
        ls_log_warn(&dev->log, "the device lists no media service");
    return ret;
}

static void free_handle(struct ls_onvif *dev)
{
    ls_onvif_transport_free(dev);
    for (int i = 0; i < LS_SVC_COUNT; i++)
        free(dev->xaddr[i]);
    free(dev->host);
    free(dev->user);
    free(dev->password);
    free(dev->device_path);
    free(dev);
}

int ls_onvif_open_replay(struct ls_onvif **out, const struct ls_onvif_settings *s,
                         struct ls_onvif_replay *replay)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!valid(s))
        return -EINVAL;
    struct ls_onvif *dev = calloc(1, sizeof(*dev));
    if (!dev)
        return -ENOMEM;
    dev->replay = replay;
    int ret = copy_settings(dev, s);
    if (!ret)
        ret = ls_onvif_transport_init(dev);
    if (!ret)
        ret = read_clock(dev);
    if (!ret)
        ret = read_services(dev);
    if (ret < 0)
        goto error;
    ls_log_info(&dev->log, "connected:%s%s%s%s", dev->services & LS_ONVIF_SERVICE_MEDIA ? " media" : "",
                dev->services & LS_ONVIF_SERVICE_MEDIA2 ? " media2" : "",
                dev->services & LS_ONVIF_SERVICE_PTZ ? " ptz" : "",
                dev->services & LS_ONVIF_SERVICE_FROM_CAPABILITIES ? " (from GetCapabilities)"
                                                                   : "");
    *out = dev;
    return 0;
error:
    free_handle(dev);
    return ret;
}

int ls_onvif_open(struct ls_onvif **out, const struct ls_onvif_settings *s)
{
    return ls_onvif_open_replay(out, s, NULL);
}

void ls_onvif_close(struct ls_onvif **dev)
{
    if (!dev || !*dev)
        return;
    free_handle(*dev);
    *dev = NULL;
}

const char *ls_onvif_last_error(const struct ls_onvif *dev)
{
    return dev ? dev->error : "";
}

unsigned ls_onvif_services(const struct ls_onvif *dev)
{
    return dev ? dev->services : 0;
}

int64_t ls_onvif_clock_offset(const struct ls_onvif *dev)
{
    return dev ? dev->clock_offset : 0;
}

int ls_onvif_get_info(struct ls_onvif *dev, struct ls_onvif_info *info)
{
    if (!dev || !info)
        return -EINVAL;
    struct _tds__GetDeviceInformation req = { 0 };
    struct _tds__GetDeviceInformationResponse r = { 0 };
    struct ls_onvif_op op = { "GetDeviceInformation", LS_SVC_DEVICE, false,
                              call___tds__GetDeviceInformation, &req, &r };
    int ret = ls_onvif_run(dev, &op);
    memset(info, 0, sizeof(*info));
    if (!ret) {
        ls_onvif_copy_trim(info->manufacturer, sizeof(info->manufacturer), r.Manufacturer);
        ls_onvif_copy_trim(info->model, sizeof(info->model), r.Model);
        ls_onvif_copy_trim(info->firmware, sizeof(info->firmware), r.FirmwareVersion);
        ls_onvif_copy_trim(info->serial, sizeof(info->serial), r.SerialNumber);
        ls_onvif_copy_trim(info->hardware_id, sizeof(info->hardware_id), r.HardwareId);
    }
    ls_onvif_end(dev);
    return ret;
}
