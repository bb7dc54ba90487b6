/*
 * A relay's configuration as the daemon stores it, and its JSON forms:
 * parsing and validating API requests and the state file, and writing it
 * back (with the camera password for the state file, redacted for replies).
 *
 * Pure: no I/O, no libevent; fuzzed by tests/fuzz/fuzz_dspec.c.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_SPEC_H
#define LSD_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lightstream/relay.h"

#define LSD_ID_MAX 64
#define LSD_URL_MAX 1024
#define LSD_MAX_OUTPUTS 16

struct lsd_output_spec {
    int id;                  /**< stable within the relay, from 1 */
    char url[LSD_URL_MAX];   /**< rtmp://, rtmps:// or a .flv path (relative: to the
                                  recordings directory), as the client gave it */
};

/** Recording of a relay into recordings_dir/<relay id>/ as segmented MP4 (recording.h). */
struct lsd_recording_spec {
    bool enabled;        /**< record while the relay runs (default false) */
    uint32_t segment_s;  /**< target segment length, 1..3600 s (default 60) */
    uint32_t max_age_s;  /**< delete segments that ended longer ago; 0 = keep (default 0) */
    uint64_t max_bytes;  /**< keep this relay's segments under this; 0 = no limit (default 0) */
};

#define LSD_SEGMENT_S_DEFAULT 60
#define LSD_SEGMENT_S_MAX 3600
/** Largest max_bytes accepted: 2^53, what every JSON reader keeps exactly. */
#define LSD_RECORDING_BYTES_MAX (UINT64_C(1) << 53)

struct lsd_relay_spec {
    char id[LSD_ID_MAX + 1];        /**< [A-Za-z0-9_.-]{1,64} */
    char name[128];                 /**< free label, may be "" */
    char source[LSD_URL_MAX];       /**< rtsp:// or rtsps:// URL, with its password */
    enum ls_transport transport;    /**< default tcp */
    enum ls_audio_policy audio;     /**< default pass-all ("all") */
    enum ls_hevc_mode hevc;         /**< default enhanced */
    enum ls_input_engine engine;    /**< default libavformat */
    bool on_demand;                 /**< connect only while viewers watch */
    uint32_t idle_s;                /**< on-demand: stop delay after the last viewer; 0 = config's */
    uint32_t lease_s;               /**< 0 = forever; else removed unless renewed within this */
    int64_t lease_deadline_ms;      /**< wall clock (ms since 1970) of expiry; 0 when no lease */
    int64_t created_ms;             /**< wall clock of creation */
    struct lsd_output_spec outputs[LSD_MAX_OUTPUTS];
    size_t output_count;
    int next_output_id;
    struct lsd_recording_spec recording; /**< "recording": segmented MP4 of this relay */
    json_t *meta;                   /**< adapters' own data (object) or NULL; persisted as-is */
};

/** How a spec is read. */
enum lsd_spec_mode {
    LSD_SPEC_CREATE,  /**< POST: all fields from the request; "source" required */
    LSD_SPEC_PATCH,   /**< PATCH: only the given fields change */
    LSD_SPEC_STATE,   /**< the state file: also created_ms, lease_deadline_ms, output ids, meta */
};

/** Defaults into @p spec (zeroed first; meta NULL). */
void lsd_spec_init(struct lsd_relay_spec *spec);
/** Release what a spec owns (meta). The struct itself is the caller's. */
void lsd_spec_finish(struct lsd_relay_spec *spec);
/** Deep copy (meta gets a new reference). */
void lsd_spec_copy(struct lsd_relay_spec *dst, const struct lsd_relay_spec *src);

/**
 * Read @p obj into @p spec (which holds defaults or, for PATCH, the current
 * values). On error @p spec may be partly changed: callers work on a copy.
 * @return 0, or -EINVAL with a message naming the field in @p err
 */
int lsd_spec_from_json(struct lsd_relay_spec *spec, const json_t *obj, enum lsd_spec_mode mode,
                       char *err, size_t err_size);

/** JSON of a spec: with the password for the state file, else redacted. */
json_t *lsd_spec_to_json(const struct lsd_relay_spec *spec, bool with_secrets);

/** Same recording settings? (field by field: padding is not compared) */
bool lsd_recording_equal(const struct lsd_recording_spec *a, const struct lsd_recording_spec *b);

/** A valid relay id? */
bool lsd_spec_id_valid(const char *id);
/** A valid output target? (rtmp://, rtmps://, or a path ending in .flv without a ".."
 *  component; whether a file is inside the recordings directory is recordings.h's check) */
bool lsd_spec_output_valid(const char *url);
/** A valid source? (rtsp:// or rtsps:// with a host) */
bool lsd_spec_source_valid(const char *url);

/** Names ↔ enums ("tcp", "udp", "http", "auto"; "all", "aac", "none"; "enhanced", "codec12"). */
const char *lsd_transport_name(enum ls_transport t);
const char *lsd_audio_name(enum ls_audio_policy a);
const char *lsd_hevc_name(enum ls_hevc_mode h);
/** "libavformat", "native", "auto" (unknown values read as "libavformat"). */
const char *lsd_engine_name(enum ls_input_engine e);

/**
 * The user and password of a URL's userinfo, percent-decoded ("" when absent).
 * @return 0, or -EINVAL (bad escape, or a field does not fit)
 */
int lsd_url_credentials(const char *url, char *user, size_t user_size, char *password,
                        size_t password_size);

#endif
