/*
 * liblightstream-onvif — ONVIF client of liblightstream
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Note: this header is LGPL, but the library implementing it contains
 * gSOAP-generated code, GPL-2+ unless you hold gSOAP's commercial licence.
 */

/**
 * @file onvif.h
 * @brief ONVIF client: device info, profiles, stream and snapshot URIs, PTZ,
 *        WS-Discovery. Installed only when built with `-Donvif=enabled|auto`.
 *
 * Link with `pkg-config --libs lightstream-onvif`.
 *
 * A device handle (struct ls_onvif) owns its own gSOAP context; the library
 * has no global state. Thread-safety: one handle must not be used by two
 * threads at once; distinct handles are independent and may be used from
 * different threads concurrently. Every call blocks the calling thread.
 *
 * Every network call is bounded: each HTTP request takes at most
 * connect_timeout_ms + io_timeout_ms (name resolution aside: give an IP
 * address), and one operation sends at most two HTTP requests (the second
 * only to answer an HTTP digest challenge), so cameras that lock accounts
 * after failed logins are never stormed.
 *
 * Errors are negative errno values (see lightstream/common.h):
 *
 * | value         | meaning                                                   |
 * |---------------|-----------------------------------------------------------|
 * | -EINVAL       | bad argument                                              |
 * | -ENOMEM       | out of memory                                             |
 * | -EACCES       | authentication failed (401/403, NotAuthorized fault)      |
 * | -EOPNOTSUPP   | the device does not offer the service or operation        |
 * | -EPROTO       | SOAP fault (ls_onvif_last_error() names its subcode)      |
 * | -ETIMEDOUT    | no connection or no answer within the timeouts            |
 * | -EBADMSG      | unparsable or unexpected answer, e.g. an HTTP error status without a SOAP fault |
 * | -ECONNREFUSED | connection refused                                        |
 * | -ENOENT       | no such profile (no profile at all, for a NULL token)     |
 * | -EIO          | other network error (connection reset, unreachable host)  |
 *
 * Passwords never appear in log lines or error messages.
 */
#ifndef LIGHTSTREAM_ONVIF_H
#define LIGHTSTREAM_ONVIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lightstream/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Size of the token, name and information strings below (with the NUL). */
#define LS_ONVIF_STR_MAX 128
/** Size of a URI buffer that holds any URI the library returns. */
#define LS_ONVIF_URI_MAX 1024

/** An opaque ONVIF device handle. */
struct ls_onvif;

/** How to reach a device. Needs to live only until ls_onvif_open() returns. */
struct ls_onvif_settings {
    /** Device address: IPv4, IPv6 (without brackets) or host name (default NULL: required). */
    const char *host;
    /** HTTP port of the ONVIF device service (default 80). */
    uint16_t port;
    /** Path of the device service (default "/onvif/device_service"). */
    const char *path;
    /** User name; NULL or "" sends no authentication (default NULL). */
    const char *user;
    /** Password (default NULL). Never logged, never in an error message. */
    const char *password;
    /** TCP connect timeout per request, 1..600000 ms (default 5000). */
    int connect_timeout_ms;
    /** Timeout for sending a request and receiving its whole answer, 1..600000 ms (default 5000). */
    int io_timeout_ms;
    /** Speak SOAP 1.1 (text/xml + SOAPAction) instead of SOAP 1.2 (default false). */
    bool soap11;
    /**
     * Rewrite the host of the stream and snapshot URIs the device reports to
     * the host reached (@ref host); their port is kept (default true).
     * Service addresses (XAddrs) always go to host:port, whatever this says.
     */
    bool rewrite_uris;
    /** Insert user and password, percent-encoded, into stream and snapshot URIs (default true). */
    bool uri_credentials;
    /** Where log lines go (default: no logging). Called on the calling thread. */
    struct ls_logger logger;
};

/** Services found by ls_onvif_open() (bit flags, see ls_onvif_services()). */
enum ls_onvif_service {
    LS_ONVIF_SERVICE_MEDIA = 1 << 0,  /**< Media (ver10) */
    LS_ONVIF_SERVICE_MEDIA2 = 1 << 1, /**< Media2 (ver20): used first, it shows H.265 */
    LS_ONVIF_SERVICE_PTZ = 1 << 2,    /**< PTZ (ver20) */
    /** Found through GetCapabilities: the device has no GetServices. */
    LS_ONVIF_SERVICE_FROM_CAPABILITIES = 1 << 8,
};

/** Video encoding of a profile, as the device states it (never guessed). */
enum ls_onvif_encoding {
    LS_ONVIF_ENCODING_UNKNOWN = 0, /**< absent or not one of the below */
    LS_ONVIF_ENCODING_H264 = 1,
    LS_ONVIF_ENCODING_H265 = 2,
    LS_ONVIF_ENCODING_JPEG = 3,
};

/** GetDeviceInformation. Strings are "" when the device leaves them out. */
struct ls_onvif_info {
    char manufacturer[LS_ONVIF_STR_MAX]; /**< Manufacturer, e.g. "HIKVISION" */
    char model[LS_ONVIF_STR_MAX];        /**< Model */
    char firmware[LS_ONVIF_STR_MAX];     /**< FirmwareVersion */
    char serial[LS_ONVIF_STR_MAX];       /**< SerialNumber */
    char hardware_id[LS_ONVIF_STR_MAX];  /**< HardwareId */
};

/** A media profile. Numbers are 0 when the device does not state them. */
struct ls_onvif_profile {
    char token[LS_ONVIF_STR_MAX];    /**< the profile's token, what the calls below take */
    char name[LS_ONVIF_STR_MAX];     /**< the profile's name, for people */
    enum ls_onvif_encoding encoding; /**< the video encoder's codec */
    unsigned width;                  /**< the video encoder's width in pixels */
    unsigned height;                 /**< the video encoder's height in pixels */
    double fps;            /**< the encoder's frame rate limit */
    unsigned bitrate_kbps; /**< the encoder's bitrate limit */
    bool ptz;              /**< the profile has a PTZ configuration */
};

/** A PTZ vector in the device's generic spaces (usually -1..1, zoom 0..1). */
struct ls_onvif_ptz_vector {
    double pan;  /**< pan: negative left, positive right */
    double tilt; /**< tilt: negative down, positive up */
    double zoom; /**< zoom: negative out (wide), positive in (tele) */
};

/** A PTZ preset. */
struct ls_onvif_preset {
    char token[LS_ONVIF_STR_MAX]; /**< the preset's token, what ls_onvif_ptz_goto_preset() takes */
    char name[LS_ONVIF_STR_MAX];  /**< the preset's name, for people */
};

/** PTZ GetStatus. */
struct ls_onvif_ptz_status {
    struct ls_onvif_ptz_vector position; /**< 0 for the axes the device does not report */
    bool moving;                         /**< pan/tilt or zoom reported MOVING */
};

/** A PTZ node (GetNodes): what the head supports. */
struct ls_onvif_ptz_node {
    char token[LS_ONVIF_STR_MAX]; /**< the node's token */
    char name[LS_ONVIF_STR_MAX];  /**< the node's name, for people */
    bool absolute;        /**< an absolute position space is listed */
    bool relative;        /**< a relative translation space is listed */
    bool continuous;      /**< a continuous velocity space is listed */
    bool home;            /**< HomeSupported */
    unsigned max_presets; /**< MaximumNumberOfPresets, 0 if not stated */
};

/** WS-Discovery settings. Need to live only until ls_onvif_discover() returns. */
struct ls_onvif_discover_settings {
    /** Where the Probe goes: an IPv4 address (default "239.255.255.250", the multicast group). */
    const char *address;
    /** UDP port (default 3702). */
    uint16_t port;
    /** How long to collect answers, 1..600000 ms (default 3000). */
    int timeout_ms;
    /** Where log lines go (default: no logging). Called on the calling thread. */
    struct ls_logger logger;
};

/** One device that answered a Probe. Lists are space-separated, cut at a whole item. */
struct ls_onvif_discovered {
    char endpoint[256];  /**< endpoint reference, e.g. "urn:uuid:..." */
    char xaddrs[1024];   /**< device service addresses */
    char scopes[2048];   /**< scope URIs, e.g. "onvif://www.onvif.org/name/..." */
    char types[256];     /**< device types, e.g. "dn:NetworkVideoTransmitter" */
    char name[LS_ONVIF_STR_MAX];     /**< from the onvif://www.onvif.org/name/ scope, decoded */
    char hardware[LS_ONVIF_STR_MAX]; /**< from the onvif://www.onvif.org/hardware/ scope, decoded */
};

/**
 * Fill @p s with the defaults documented on each field.
 * Thread-safety: safe.
 */
LS_API void ls_onvif_default_settings(struct ls_onvif_settings *s);

/**
 * Connect to a device: GetSystemDateAndTime without authentication (the
 * device clock offset stamps every later WS-Security token, so a camera whose
 * clock is years off still accepts us), then GetServices, or
 * GetCapabilities if the device answers GetServices with a fault or an
 * HTTP error.
 *
 * @param out receives the handle on success, NULL on error.
 * @param s   settings; strings are copied.
 * @return 0, or -EINVAL, -ENOMEM, -EACCES, -ETIMEDOUT, -ECONNREFUSED,
 *         -EBADMSG, -EPROTO, -EIO.
 *         On error no handle is left, so the message goes to the logger.
 *
 * Thread-safety: safe (creates an independent handle).
 */
LS_API int ls_onvif_open(struct ls_onvif **out, const struct ls_onvif_settings *s);

/**
 * Free a handle and set *@p dev to NULL. NULL and a pointer to NULL are no-ops.
 * Thread-safety: the handle must not be in use.
 */
LS_API void ls_onvif_close(struct ls_onvif **dev);

/**
 * The message of the last failed call on @p dev ("" after a success): what
 * failed and why, e.g. "GetStreamUri: SOAP fault ter:InvalidArgVal ...".
 * Never contains the password. Valid until the next call on @p dev.
 * Thread-safety: same as the handle.
 */
LS_API const char *ls_onvif_last_error(const struct ls_onvif *dev);

/**
 * Services the device offers, a mask of enum ls_onvif_service; Media2
 * leaves it when the handle falls back to Media (ls_onvif_get_profiles()).
 * Thread-safety: same as the handle.
 */
LS_API unsigned ls_onvif_services(const struct ls_onvif *dev);

/**
 * Device clock minus local clock, in seconds, as measured by ls_onvif_open()
 * (0 if the device did not tell). Thread-safety: same as the handle.
 */
LS_API int64_t ls_onvif_clock_offset(const struct ls_onvif *dev);

/**
 * GetDeviceInformation.
 * @return 0 or a negative error (see the table at the top).
 * Thread-safety: one thread per handle.
 */
LS_API int ls_onvif_get_info(struct ls_onvif *dev, struct ls_onvif_info *info);

/**
 * Media profiles, through Media2 when the device offers it (H.265 profiles
 * are visible only there), else Media.
 *
 * If Media2 GetProfiles fails with a SOAP fault, an HTTP error without one
 * or an unusable answer (-EPROTO, -EOPNOTSUPP, -EBADMSG; a device bug seen:
 * a bare HTTP 500) and the device has Media, Media's profiles are returned
 * instead; once Media answers, the handle keeps to Media (Media2 leaves
 * ls_onvif_services(), and stream and snapshot URIs come from Media). There
 * is no fallback after -EACCES, -ETIMEDOUT or a network error.
 *
 * @param dev   the device.
 * @param out   where to write up to @p cap profiles (may be NULL if @p cap is 0).
 * @param cap   how many @p out holds.
 * @param count receives the number of profiles the device has (may exceed @p cap).
 * @return 0 or a negative error. Thread-safety: one thread per handle.
 */
LS_API int ls_onvif_get_profiles(struct ls_onvif *dev, struct ls_onvif_profile *out, size_t cap,
                                 size_t *count);

/**
 * The RTSP URI of a profile (Media2 GetStreamUri with protocol RTSP when
 * offered, else Media GetStreamUri RTP-Unicast over RTSP), trimmed of
 * surrounding whitespace, with the host rewritten and credentials inserted
 * as the settings say.
 *
 * @param dev   the device.
 * @param token profile token; NULL: the first profile (one more request).
 * @param uri   receives the NUL-terminated URI.
 * @param cap   size of @p uri; LS_ONVIF_URI_MAX always suffices.
 * @return 0, -ENOSPC if it does not fit, -ENOENT (no profile), or a negative error.
 * Thread-safety: one thread per handle.
 */
LS_API int ls_onvif_get_stream_uri(struct ls_onvif *dev, const char *token, char *uri, size_t cap);

/** Same as ls_onvif_get_stream_uri() for the JPEG snapshot URI (GetSnapshotUri). */
LS_API int ls_onvif_get_snapshot_uri(struct ls_onvif *dev, const char *token, char *uri,
                                     size_t cap);

/**
 * Copy @p uri to @p out with its secrets hidden exactly as liblightstream's
 * ls_url_redact() hides them (lightstream/redact.h: the userinfo password
 * and the values of password-like parameters, each replaced by "****"), for
 * showing a URI from ls_onvif_get_stream_uri() to people. For programs that
 * use liblightstream-onvif without liblightstream.
 * @return strlen(out); the result is truncated to fit, always NUL-terminated,
 *         never showing a byte of a secret.
 * Thread-safety: safe.
 */
LS_API size_t ls_onvif_mask_uri(const char *uri, char *out, size_t cap);

/**
 * ContinuousMove at @p velocity, sleep @p duration_ms, then Stop (pan/tilt
 * and zoom) — always, because some devices ignore the move's Timeout. If the
 * device has no Stop, a zero-velocity ContinuousMove stops it.
 *
 * @param dev   the device.
 * @param token profile token; NULL: the first profile.
 * @param velocity pan, tilt and zoom speeds in the generic space (-1..1).
 * @param duration_ms 1..600000.
 * @return 0 or a negative error (the move's, or else the stop's).
 * Thread-safety: one thread per handle; blocks for @p duration_ms.
 */
LS_API int ls_onvif_ptz_move(struct ls_onvif *dev, const char *token,
                             const struct ls_onvif_ptz_vector *velocity, unsigned duration_ms);

/** PTZ Stop of pan/tilt and zoom. @p token NULL: the first profile. */
LS_API int ls_onvif_ptz_stop(struct ls_onvif *dev, const char *token);

/** PTZ AbsoluteMove to @p position. @p token NULL: the first profile. */
LS_API int ls_onvif_ptz_absolute_move(struct ls_onvif *dev, const char *token,
                                      const struct ls_onvif_ptz_vector *position);

/** PTZ RelativeMove by @p translation. @p token NULL: the first profile. */
LS_API int ls_onvif_ptz_relative_move(struct ls_onvif *dev, const char *token,
                                      const struct ls_onvif_ptz_vector *translation);

/**
 * PTZ presets of a profile. @p count receives how many the device has (may
 * exceed @p cap). @p token NULL: the first profile.
 */
LS_API int ls_onvif_ptz_get_presets(struct ls_onvif *dev, const char *token,
                                    struct ls_onvif_preset *out, size_t cap, size_t *count);

/** PTZ GotoPreset. @p token NULL: the first profile. */
LS_API int ls_onvif_ptz_goto_preset(struct ls_onvif *dev, const char *token, const char *preset);

/** PTZ GetStatus. @p token NULL: the first profile. */
LS_API int ls_onvif_ptz_get_status(struct ls_onvif *dev, const char *token,
                                   struct ls_onvif_ptz_status *status);

/**
 * PTZ GetNodes: the first node, to know which moves the head supports.
 * @return 0, -ENOENT if the device lists no node, or a negative error.
 */
LS_API int ls_onvif_ptz_get_node(struct ls_onvif *dev, struct ls_onvif_ptz_node *node);

/**
 * Fill @p s with the defaults documented on each field.
 * Thread-safety: safe.
 */
LS_API void ls_onvif_default_discover_settings(struct ls_onvif_discover_settings *s);

/**
 * WS-Discovery: send one Probe (Types dn:NetworkVideoTransmitter) to the
 * settings' address and collect the ProbeMatches that answer it until the
 * timeout. Answers to other probes, and duplicates, are dropped.
 *
 * @param s     the settings (see ls_onvif_default_discover_settings()).
 * @param out   where to write up to @p cap devices.
 * @param cap   how many @p out holds.
 * @param count receives the number of devices found (may exceed @p cap).
 * @return 0 (also when nobody answered), -EINVAL, -ENOMEM, or -EIO (socket error).
 * Thread-safety: safe (each call has its own socket and gSOAP context).
 */
LS_API int ls_onvif_discover(const struct ls_onvif_discover_settings *s,
                             struct ls_onvif_discovered *out, size_t cap, size_t *count);

/** "H264", "H265", "JPEG" or "unknown". Thread-safety: safe. */
LS_API const char *ls_onvif_encoding_name(enum ls_onvif_encoding encoding);

/**
 * The errno name of an error code, e.g. "EACCES" for -EACCES (a positive
 * value is accepted too); "EUNKNOWN" for codes the library does not return.
 * Thread-safety: safe.
 */
LS_API const char *ls_onvif_errname(int err);

#ifdef __cplusplus
}
#endif

#endif /* LIGHTSTREAM_ONVIF_H */
