/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * PTZ: moves, stop, presets, status, nodes. Numbers go out as text we
 * format ourselves (locale-free) and come back as text we parse.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/onvif/text.h"
#include "lib/onvif/transport.h"

LS_ONVIF_CALL(__tptz__ContinuousMove, struct _tptz__ContinuousMove,
              struct _tptz__ContinuousMoveResponse)
LS_ONVIF_CALL(__tptz__Stop, struct _tptz__Stop, struct _tptz__StopResponse)
LS_ONVIF_CALL(__tptz__AbsoluteMove, struct _tptz__AbsoluteMove, struct _tptz__AbsoluteMoveResponse)
LS_ONVIF_CALL(__tptz__RelativeMove, struct _tptz__RelativeMove, struct _tptz__RelativeMoveResponse)
LS_ONVIF_CALL(__tptz__GetPresets, struct _tptz__GetPresets, struct _tptz__GetPresetsResponse)
LS_ONVIF_CALL(__tptz__GotoPreset, struct _tptz__GotoPreset, struct _tptz__GotoPresetResponse)
LS_ONVIF_CALL(__tptz__GetStatus, struct _tptz__GetStatus, struct _tptz__GetStatusResponse)
LS_ONVIF_CALL(__tptz__GetNodes, struct _tptz__GetNodes, struct _tptz__GetNodesResponse)

/* A vector as the request structs want it, with its text in place. */
struct vec {
    char x[32], y[32], z[32];
    struct tt__Vector2D pan_tilt;
    struct tt__Vector1D zoom;
};

static void make_vec(struct vec *v, const struct ls_onvif_ptz_vector *in)
{
    ls_onvif_format_double(in->pan, v->x, sizeof(v->x));
    ls_onvif_format_double(in->tilt, v->y, sizeof(v->y));
    ls_onvif_format_double(in->zoom, v->z, sizeof(v->z));
    v->pan_tilt = (struct tt__Vector2D){ .x = v->x, .y = v->y };
    v->zoom = (struct tt__Vector1D){ .x = v->z };
}

static int run_ptz(struct ls_onvif *dev, const char *name, ls_onvif_call_fn fn, void *req,
                   void *resp)
{
    struct ls_onvif_op op = { name, LS_SVC_PTZ, false, fn, req, resp };
    int ret = ls_onvif_run(dev, &op);
    if (ret < 0)
        ls_onvif_end(dev);
    return ret;
}

static int token_for(struct ls_onvif *dev, const char *token, const char **tok)
{
    if (!(dev->services & LS_ONVIF_SERVICE_PTZ)) {
        ls_onvif_set_error(dev, "the device offers no PTZ service");
        return -EOPNOTSUPP;
    }
    return ls_onvif_profile_token(dev, token, true, tok);
}

static int continuous(struct ls_onvif *dev, const char *tok, const struct ls_onvif_ptz_vector *v,
                      const char *timeout)
{
    struct vec vec;
    make_vec(&vec, v);
    struct tt__PTZSpeed velocity = { .PanTilt = &vec.pan_tilt, .Zoom = &vec.zoom };
    struct _tptz__ContinuousMove req = { (char *)tok, &velocity, (char *)timeout };
    struct _tptz__ContinuousMoveResponse r = { 0 };
    int ret = run_ptz(dev, "ContinuousMove", call___tptz__ContinuousMove, &req, &r);
    ls_onvif_end(dev);
    return ret;
}

static int stop(struct ls_onvif *dev, const char *tok)
{
    struct _tptz__Stop req = { (char *)tok, "true", "true" };
    struct _tptz__StopResponse r = { 0 };
    int ret = run_ptz(dev, "Stop", call___tptz__Stop, &req, &r);
    if (ret == -EOPNOTSUPP) { /* some heads lack Stop: a zero velocity stops them */
        static const struct ls_onvif_ptz_vector zero = { 0, 0, 0 };
        ls_log_info(&dev->log, "no PTZ Stop: sending a zero-velocity ContinuousMove");
        return continuous(dev, tok, &zero, NULL);
    }
    ls_onvif_end(dev);
    return ret;
}

static void sleep_ms(unsigned ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
        ;
}

int ls_onvif_ptz_move(struct ls_onvif *dev, const char *token,
                      const struct ls_onvif_ptz_vector *velocity, unsigned duration_ms)
{
    if (!dev || !velocity || !duration_ms || duration_ms > 600000)
        return -EINVAL;
    const char *tok;
    int ret = token_for(dev, token, &tok);
    if (ret < 0)
        return ret;
    /* The Timeout is only a safety net (some heads ignore it): Stop follows. */
    char timeout[32];
    snprintf(timeout, sizeof(timeout), "PT%u.%03uS", duration_ms / 1000, duration_ms % 1000);
    ret = continuous(dev, tok, velocity, timeout);
    /* A move that timed out or broke off may have reached the head: stop it anyway. */
    if (ret < 0 && ret != -ETIMEDOUT && ret != -EIO)
        return ret;
    if (!ret)
        sleep_ms(duration_ms);
    char move_error[sizeof(dev->error)];
    snprintf(move_error, sizeof(move_error), "%s", dev->error);
    int stopped = stop(dev, tok);
    if (ret < 0) /* report the move's failure, not the stop's */
        snprintf(dev->error, sizeof(dev->error), "%s", move_error);
    return ret < 0 ? ret : stopped;
}

int ls_onvif_ptz_stop(struct ls_onvif *dev, const char *token)
{
    if (!dev)
        return -EINVAL;
    const char *tok;
    int ret = token_for(dev, token, &tok);
    return ret < 0 ? ret : stop(dev, tok);
}

int ls_onvif_ptz_absolute_move(struct ls_onvif *dev, const char *token,
                               const struct ls_onvif_ptz_vector *position)
{
    if (!dev || !position)
        return -EINVAL;
    const char *tok;
    int ret = token_for(dev, token, &tok);
    if (ret < 0)
        return ret;
    struct vec vec;
    make_vec(&vec, position);
    struct tt__PTZVector pos = { &vec.pan_tilt, &vec.zoom };
    struct _tptz__AbsoluteMove req = { (char *)tok, &pos, NULL };
    struct _tptz__AbsoluteMoveResponse r = { 0 };
    ret = run_ptz(dev, "AbsoluteMove", call___tptz__AbsoluteMove, &req, &r);
    ls_onvif_end(dev);
    return ret;
}

int ls_onvif_ptz_relative_move(struct ls_onvif *dev, const char *token,
                               const struct ls_onvif_ptz_vector *translation)
{
    if (!dev || !translation)
        return -EINVAL;
    const char *tok;
    int ret = token_for(dev, token, &tok);
    if (ret < 0)
        return ret;
    struct vec vec;
    make_vec(&vec, translation);
    struct tt__PTZVector t = { &vec.pan_tilt, &vec.zoom };
    struct _tptz__RelativeMove req = { (char *)tok, &t, NULL };
    struct _tptz__RelativeMoveResponse r = { 0 };
    ret = run_ptz(dev, "RelativeMove", call___tptz__RelativeMove, &req, &r);
    ls_onvif_end(dev);
    return ret;
}

int ls_onvif_ptz_get_presets(struct ls_onvif *dev, const char *token,
                             struct ls_onvif_preset *out, size_t cap, size_t *count)
{
    size_t dummy;
    if (!count)
        count = &dummy;
    *count = 0;
    if (!dev || (!out && cap))
        return -EINVAL;
    const char *tok;
    int ret = token_for(dev, token, &tok);
    if (ret < 0)
        return ret;
    struct _tptz__GetPresets req = { (char *)tok };
    struct _tptz__GetPresetsResponse r = { 0 };
    ret = run_ptz(dev, "GetPresets", call___tptz__GetPresets, &req, &r);
    for (int i = 0; !ret && i < r.__sizePreset; i++) {
        if ((size_t)i >= cap)
            continue;
        ls_onvif_copy_trim(out[i].token, sizeof(out[i].token), r.Preset[i].token);
        ls_onvif_copy_trim(out[i].name, sizeof(out[i].name), r.Preset[i].Name);
    }
    *count = ret ? 0 : (size_t)r.__sizePreset;
    ls_onvif_end(dev);
    return ret;
}

int ls_onvif_ptz_goto_preset(struct ls_onvif *dev, const char *token, const char *preset)
{
    if (!dev || !preset)
        return -EINVAL;
    const char *tok;
    int ret = token_for(dev, token, &tok);
    if (ret < 0)
        return ret;
    struct _tptz__GotoPreset req = { (char *)tok, (char *)preset, NULL };
    struct _tptz__GotoPresetResponse r = { 0 };
    ret = run_ptz(dev, "GotoPreset", call___tptz__GotoPreset, &req, &r);
    ls_onvif_end(dev);
    return ret;
}

static double axis(const char *s)
{
    double v = 0;
    ls_onvif_parse_double(s, &v);
    return v;
}

int ls_onvif_ptz_get_status(struct ls_onvif *dev, const char *token,
                            struct ls_onvif_ptz_status *status)
{
    if (!dev || !status)
        return -EINVAL;
    memset(status, 0, sizeof(*status));
    const char *tok;
    int ret = token_for(dev, token, &tok);
    if (ret < 0)
        return ret;
    struct _tptz__GetStatus req = { (char *)tok };
    struct _tptz__GetStatusResponse r = { 0 };
    ret = run_ptz(dev, "GetStatus", call___tptz__GetStatus, &req, &r);
    const struct tt__PTZStatus *s = ret ? NULL : r.PTZStatus;
    if (s && s->Position && s->Position->PanTilt) {
        status->position.pan = axis(s->Position->PanTilt->x);
        status->position.tilt = axis(s->Position->PanTilt->y);
    }
    if (s && s->Position && s->Position->Zoom)
        status->position.zoom = axis(s->Position->Zoom->x);
    if (s && s->MoveStatus)
        status->moving = ls_onvif_word_eq(s->MoveStatus->PanTilt, "MOVING") ||
                         ls_onvif_word_eq(s->MoveStatus->Zoom, "MOVING");
    ls_onvif_end(dev);
    return ret;
}

static void fill_node(struct ls_onvif_ptz_node *n, const struct tt__PTZNode *in)
{
    const struct tt__PTZSpaces *s = in->SupportedPTZSpaces;
    ls_onvif_copy_trim(n->token, sizeof(n->token), in->token);
    ls_onvif_copy_trim(n->name, sizeof(n->name), in->Name);
    n->absolute = s && (s->__sizeAbsolutePanTiltPositionSpace > 0 ||
                        s->__sizeAbsoluteZoomPositionSpace > 0);
    n->relative = s && (s->__sizeRelativePanTiltTranslationSpace > 0 ||
                        s->__sizeRelativeZoomTranslationSpace > 0);
    n->continuous = s && (s->__sizeContinuousPanTiltVelocitySpace > 0 ||
                          s->__sizeContinuousZoomVelocitySpace > 0);
    n->home = ls_onvif_word_eq(in->HomeSupported, "true") || ls_onvif_word_eq(in->HomeSupported, "1");
    n->max_presets = ls_onvif_parse_uint(in->MaximumNumberOfPresets);
}

int ls_onvif_ptz_get_node(struct ls_onvif *dev, struct ls_onvif_ptz_node *node)
{
    if (!dev || !node)
        return -EINVAL;
    memset(node, 0, sizeof(*node));
    if (!(dev->services & LS_ONVIF_SERVICE_PTZ)) {
        ls_onvif_set_error(dev, "the device offers no PTZ service");
        return -EOPNOTSUPP;
    }
    struct _tptz__GetNodes req = { 0 };
    struct _tptz__GetNodesResponse r = { 0 };
    int ret = run_ptz(dev, "GetNodes", call___tptz__GetNodes, &req, &r);
    if (!ret && r.__sizePTZNode > 0)
        fill_node(node, &r.PTZNode[0]);
    else if (!ret) {
        ls_onvif_set_error(dev, "GetNodes: the device lists no PTZ node");
        ret = -ENOENT;
    }
    ls_onvif_end(dev);
    return ret;
}
