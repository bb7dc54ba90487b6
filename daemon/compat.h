/*
 * lightstreamd: private helpers of the two drop-in compatibility APIs
 * (compat_openapi.c: the Python relay's /openapi/source; compat_push.c: the
 * Hikvision/Dahua push server's /REAL_STREAM ...). See docs/compat.md.
 *
 * compat_util.c talks to evhttp and the server; compat_push_url.c is pure
 * (vendor URLs, times, the PTZ mapping) so it can be unit-tested and fuzzed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_COMPAT_H
#define LSD_COMPAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct lsd_server;
struct lsd_relay;
struct evhttp_request;

/* ---- compat_util.c (loop thread) --------------------------------------- */

/** Why a compat request body was refused (the adapters answer in their own envelopes). */
enum lsd_compat_body {
    LSD_BODY_OK = 0,
    LSD_BODY_EMPTY,     /**< no body at all */
    LSD_BODY_TOO_LARGE, /**< over config.max_body_bytes */
    LSD_BODY_BAD_JSON,  /**< not JSON, or not an object */
};

/**
 * Read the request body as a JSON object into @p out (a new reference).
 * Unlike lsd_read_json() it never replies: the adapters wrap errors in their
 * own envelope. @p err gets a message for anything but LSD_BODY_OK.
 */
enum lsd_compat_body lsd_compat_read_body(struct lsd_server *s, struct evhttp_request *req,
                                          json_t **out, char *err, size_t err_size);

/** Reply 200 with @p body (the reference is consumed; NULL → 500). */
void lsd_compat_reply(struct evhttp_request *req, json_t *body);

/**
 * An integer field given as a JSON integer or a string of decimal digits
 * (front-ends of these APIs send both). Missing: @p def when @p required is
 * false. @return 0, or -EINVAL with a message naming the field in @p err.
 */
int lsd_compat_int_field(const json_t *obj, const char *key, bool required, long long min,
                         long long max, long long def, long long *out, char *err,
                         size_t err_size);

/**
 * A string field of at most @p cap - 1 bytes without NUL or control bytes.
 * Missing: "" when @p required is false. @return 0 or -EINVAL (message in @p err).
 */
int lsd_compat_str_field(const json_t *obj, const char *key, bool required, char *out,
                         size_t cap, char *err, size_t err_size);

/** The HTTP-FLV play URL of relay @p id: config.public_url, else the request's base. */
int lsd_compat_flv_url(struct lsd_server *s, struct evhttp_request *req, const char *id,
                       char *out, size_t size);

/**
 * config.rtmp_push_base + "/" + @p id into @p out; "" when no base is
 * configured. @return 0, or -EINVAL when the result is not a valid output.
 */
int lsd_compat_rtmp_target(const struct lsd_server *s, const char *id, char *out, size_t size);

/** The first rtmp:// or rtmps:// output of a relay (redacted), or "". */
void lsd_compat_relay_rtmp(const struct lsd_relay *r, char *out, size_t size);

/** meta.origin of a relay's spec, or "" when it has none. */
const char *lsd_compat_origin(const struct lsd_relay *r);

/* ---- compat_push.c, compat_push_ctl.c (loop thread) --------------------- */

/** The push API's status codes, exactly as the original server defines them. */
enum lsd_push_code {
    LSD_PUSH_OK = 200,                  /**< ERR_NO_ERROR */
    LSD_PUSH_ERR_PARAMETER = 600,       /**< bad input */
    LSD_PUSH_ERR_ANA_STREAM = 601,      /**< stream analysis failed (never sent: no SDK demux) */
    LSD_PUSH_ERR_CON_RTMPSERVER = 602,  /**< RTMP server unreachable (never sent: outputs retry) */
    LSD_PUSH_ERR_PLAY_REAL = 603,       /**< live relay could not be created */
    LSD_PUSH_ERR_PLAY_BACK = 604,       /**< playback relay could not be created */
    LSD_PUSH_ERR_NO_PUSHER_FOUND = 605, /**< unknown play handle */
    LSD_PUSH_ERR_NVR_LOGIN = 606,       /**< NVR login failed (never sent: RTSP connects later) */
    LSD_PUSH_ERR_NO_FILE_FOUND = 607,   /**< no recording (never sent: no record search) */
    LSD_PUSH_ERR_PLAY_CONTROL = 608,    /**< POSITION failed, or the state could not be saved */
    LSD_PUSH_ERR_PTZ_CONTROL = 609,     /**< PTZ failed or not available */
};

/**
 * Reply 200 {"status_code": code, "status_message": fmt...} plus the members
 * of @p extra (consumed; may be NULL).
 */
void lsd_push_answer(struct evhttp_request *req, json_t *extra, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** The rtmp_url of a push stream: its RTMP output, else its HTTP-FLV address. */
int lsd_push_play_url(struct lsd_server *s, struct evhttp_request *req,
                      const struct lsd_relay *r, char *out, size_t size);

struct lsd_match;
/* The /STREAM/<handle>/... handlers (compat_push_ctl.c). */
void lsd_push_beats(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m);
void lsd_push_position(struct lsd_server *s, struct evhttp_request *req,
                       const struct lsd_match *m);
void lsd_push_ptz(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m);
void lsd_push_stop(struct lsd_server *s, struct evhttp_request *req, const struct lsd_match *m);

/* ---- compat_push_url.c (pure) ------------------------------------------- */

enum lsd_nvr_vendor {
    LSD_NVR_HIKVISION = 0,
    LSD_NVR_DAHUA = 1,
};

/** Where a push-API stream comes from. */
struct lsd_push_target {
    enum lsd_nvr_vendor vendor;
    char addr[256];     /**< host name, IPv4 or IPv6 (brackets added when needed) */
    unsigned rtsp_port; /**< the NVR's RTSP port (554), not its SDK port */
    char user[128];     /**< percent-encoded into the URL; "" = no credentials */
    char password[128];
    unsigned channel;
};

/** A wall-clock time as the push API writes it: "YYYY-MM-DD hh:mm:ss" (NVR local time). */
struct lsd_push_time {
    int year, month, day, hour, minute, second;
};

/** Parse "YYYY-MM-DD hh:mm:ss" exactly (valid calendar date). @return 0 or -EINVAL */
int lsd_push_time_parse(const char *text, struct lsd_push_time *out);
/** Seconds since 0000-03-01 of a parsed time: only for ordering and differences. */
int64_t lsd_push_time_key(const struct lsd_push_time *t);
/** Back to "YYYY-MM-DD hh:mm:ss" (@p size >= 20). */
void lsd_push_time_format(const struct lsd_push_time *t, char *out, size_t size);

/** An NVR address we accept: a host name, IPv4 or IPv6 literal (no brackets, port or path). */
bool lsd_push_addr_valid(const char *addr);

/**
 * Percent-encode everything but RFC 3986 unreserved characters.
 * @return 0, or -ENOSPC when it does not fit.
 */
int lsd_push_pct_encode(const char *in, char *out, size_t size);

/**
 * The vendor's RTSP live URL (main stream):
 * Hikvision rtsp://u:p@addr:port/Streaming/Channels/<channel*100+1>,
 * Dahua rtsp://u:p@addr:port/cam/realmonitor?channel=<channel>&subtype=0.
 * @return 0, -EINVAL (bad target) or -ENOSPC.
 */
int lsd_push_live_url(const struct lsd_push_target *t, char *out, size_t size);

/**
 * The vendor's RTSP playback URL for [@p from, @p to]:
 * Hikvision .../Streaming/tracks/<ch*100+1>?starttime=YYYYMMDDThhmmssZ&endtime=...,
 * Dahua .../cam/playback?channel=<ch>&subtype=0&starttime=YYYY_MM_DD_hh_mm_ss&endtime=....
 */
int lsd_push_playback_url(const struct lsd_push_target *t, const struct lsd_push_time *from,
                          const struct lsd_push_time *to, char *out, size_t size);

/**
 * Rebuild a playback URL made by lsd_push_playback_url() for a new range,
 * keeping its scheme, credentials, host and path (so the password need not be
 * stored anywhere but in the source URL itself).
 */
int lsd_push_playback_reseek(const char *old_url, enum lsd_nvr_vendor vendor, unsigned channel,
                             const struct lsd_push_time *from, const struct lsd_push_time *to,
                             char *out, size_t size);

/** A PTZ command of the push API as ONVIF velocities (each in [-speed, speed]). */
struct lsd_ptz_vector {
    double pan;   /**< + right, - left (PTZ ContinuousMove PanTilt.x) */
    double tilt;  /**< + up, - down (PanTilt.y) */
    double zoom;  /**< + tele (zoom in), - wide (Zoom.x) */
    double focus; /**< + near, - far (Imaging Move, continuous) */
    double iris;  /**< + open, - close (Imaging settings: exposure iris) */
};

/**
 * Map push-API PTZ command 0-13 to velocities of magnitude @p speed (0 < speed <= 1):
 * 0 zoom in, 1 zoom out, 2 focus near, 3 focus far, 4 iris open, 5 iris close,
 * 6 up, 7 down, 8 left, 9 right, 10 up-left, 11 up-right, 12 down-left, 13 down-right.
 * @return 0, or -EINVAL for an unknown command or a speed out of range.
 */
int lsd_push_ptz_vector(int command, double speed, struct lsd_ptz_vector *out);

#endif
