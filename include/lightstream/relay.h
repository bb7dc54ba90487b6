/*
 * liblightstream — RTSP to FLV/RTMP relay library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * @file relay.h
 * @brief A relay: one RTSP input remuxed to FLV for any number of outputs.
 *
 * A relay owns one thread that reads the camera (the *relay thread*) and
 * one thread per output that writes to it, so a slow or dead output never
 * holds back the camera or another output. Each output has a bounded queue;
 * when it overflows, the output skips to the next keyframe and counts it.
 *
 * Thread-safety: every function on an ls_relay may be called from any
 * thread, concurrently, except ls_relay_destroy(), which must not race with
 * any other call on the same relay. Functions that wait for a library thread
 * (stop, destroy, add/remove an output) return -EDEADLK when called from one of this
 * relay's callbacks.
 *
 * Typical use:
 * @code
 * struct ls_relay_settings s;
 * ls_relay_default_settings(&s);
 * s.input_url = "rtsp://user:pass@camera/stream1";
 * struct ls_relay *relay;
 * int err = ls_relay_create(&relay, &s);
 * if (err < 0) return err;
 * ls_relay_add_output(relay, "rtmp://127.0.0.1/live/cam1", NULL, NULL);
 * ls_relay_start(relay);
 * ...
 * ls_relay_destroy(&relay);   // stops it too
 * @endcode
 */
#ifndef LIGHTSTREAM_RELAY_H
#define LIGHTSTREAM_RELAY_H

#include <stdbool.h>

#include "lightstream/common.h"
#include "lightstream/events.h"
#include "lightstream/io.h"
#include "lightstream/recording.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque relay handle. */
struct ls_relay;

/** How RTSP media reaches us. */
enum ls_transport {
    LS_TRANSPORT_TCP = 0,  /**< interleaved in the RTSP TCP connection (no loss; default) */
    LS_TRANSPORT_UDP = 1,  /**< RTP over UDP (lower latency, may lose packets) */
    LS_TRANSPORT_HTTP = 2, /**< RTSP tunnelled over HTTP */
    LS_TRANSPORT_AUTO = 3, /**< UDP, falling back to TCP when no UDP packet arrives */
};

/** Which audio reaches the outputs. Video is always relayed. */
enum ls_audio_policy {
    LS_AUDIO_PASS_ALL = 0,  /**< AAC, G.711 A-law and µ-law are relayed (default) */
    LS_AUDIO_AAC_ONLY = 1,  /**< AAC is relayed, G.711 dropped (for browsers, SRS) */
    LS_AUDIO_DROP = 2,      /**< no audio at all */
};

/** Which RTSP client reads the camera (ls_relay_settings.engine). */
enum ls_input_engine {
    LS_ENGINE_LIBAVFORMAT = 0, /**< FFmpeg's RTSP demuxer: every transport, rtsps (default) */
    LS_ENGINE_NATIVE = 1,      /**< the library's own client: rtsp:// over TCP only, about a
                                    fifth of the CPU, each frame handed on at its RTP marker
                                    bit (no one-frame hold); other URLs and transports fail
                                    with -EPROTONOSUPPORT */
    LS_ENGINE_AUTO = 2,        /**< native when it reads the URL and transport, libavformat
                                    otherwise (counted in ls_relay_stats.engine_fallbacks) */
};

/** How H.265 is written into FLV. */
enum ls_hevc_mode {
    LS_HEVC_ENHANCED = 0, /**< Enhanced RTMP, FourCC `hvc1` (default) */
    LS_HEVC_CODEC12 = 1,  /**< legacy FLV codec id 12, as used by Chinese CDNs and old players */
};

/** When and how fast to retry after a failure. */
struct ls_reconnect_policy {
    uint32_t initial_delay_ms; /**< first retry delay (default 500 for inputs, 1000 for outputs) */
    uint32_t max_delay_ms;     /**< the delay doubles up to this cap (default 30000) */
    uint32_t jitter_percent;   /**< each delay varies randomly by ± this percentage (default 20) */
    uint32_t max_attempts;     /**< consecutive failures before LS_STATE_FAILED; 0 = forever (default 0) */
    uint32_t auth_delay_ms;    /**< minimum delay after an authentication failure, since cameras
                                    lock accounts after repeated failed logins (default 30000) */
};

/** Settings of a relay. Fill with ls_relay_default_settings(), then change what you need. */
struct ls_relay_settings {
    /** RTSP URL of the camera, credentials in it allowed (`rtsp://user:pass@host/path`);
     *  copied at create time. Required (default NULL). */
    const char *input_url;
    /** RTSP transport (default LS_TRANSPORT_TCP). */
    enum ls_transport transport;
    /** Time allowed to connect and read the SDP, in ms (default 5000). */
    uint32_t connect_timeout_ms;
    /** No packet for this long while streaming counts as a failure, in ms (default 5000). */
    uint32_t stall_timeout_ms;
    /** Retry policy of the input (defaults: see ls_reconnect_policy). */
    struct ls_reconnect_policy reconnect;
    /** Audio policy (default LS_AUDIO_PASS_ALL). */
    enum ls_audio_policy audio;
    /** H.265 flavour in FLV (default LS_HEVC_ENHANCED). */
    enum ls_hevc_mode hevc;
    /** A timestamp that moves forward by more than this, in ms, is a jump and is rebased
     *  (default 1000). */
    uint32_t ts_jump_threshold_ms;
    /** Bound of the GOP cache (frames since the last keyframe kept for new outputs),
     *  in bytes (default 16 MiB). Past it the cache is emptied until the next keyframe. */
    uint32_t gop_cache_max_bytes;
    /** Logger (default: none). */
    struct ls_logger logger;
    /** Event callback, see events.h (default NULL). */
    ls_event_fn on_event;
    /** Opaque pointer passed to @ref on_event (default NULL). */
    void *user_data;
    /** Send audio and video tags in timestamp order across both streams, as FLV readers and
     *  RTMP servers expect: a tag waits for the other stream to reach its time, within a
     *  bound of about one frame of each stream plus the video's reorder delay (default
     *  true; docs/timestamps.md). false sends each tag as soon as it is made (lowest
     *  latency; tags of the two streams may then step back by a few tens of ms against
     *  each other). */
    bool interleave;
    /** RTSP client reading the camera (default LS_ENGINE_LIBAVFORMAT). */
    enum ls_input_engine engine;
    /** A shared I/O thread (lightstream/io.h): with it, an rtmp:// output that streams has no
     *  thread of its own — this relay's thread writes to it while its socket has room, the
     *  ls_io thread when the socket was full. Not owned: it must outlive the relay (default
     *  NULL: a thread per output). */
    struct ls_io *io;
};

/** Settings of one output. */
struct ls_output_settings {
    /** Bound of the output's queue in bytes (default 8 MiB). On overflow the output drops
     *  media until the next keyframe and counts a skip. */
    uint32_t queue_max_bytes;
    /** Time allowed to connect to an RTMP server, in ms (default 5000). */
    uint32_t connect_timeout_ms;
    /** A write blocked longer than this fails the connection, in ms (default 10000). */
    uint32_t write_timeout_ms;
    /** Retry policy of this output alone (defaults: see ls_reconnect_policy). */
    struct ls_reconnect_policy reconnect;
    /** Start with the GOP cache so the output is decodable at once (default true). */
    bool start_with_gop_cache;
    /** Segments and retention of an `mp4:` output (defaults: see ls_recording_settings). */
    struct ls_recording_settings recording;
};

/**
 * Flags of a subscriber call: what the bytes are.
 */
enum ls_tag_flags {
    LS_TAG_FILE_HEADER = 1 << 0,     /**< the 13-byte FLV file header (signature + PreviousTagSize0) */
    LS_TAG_METADATA = 1 << 1,        /**< a script tag (onMetaData) */
    LS_TAG_VIDEO = 1 << 2,           /**< a video tag */
    LS_TAG_AUDIO = 1 << 3,           /**< an audio tag */
    LS_TAG_SEQUENCE_HEADER = 1 << 4, /**< a decoder configuration (avcC, hvcC, AudioSpecificConfig) */
    LS_TAG_KEYFRAME = 1 << 5,        /**< a video keyframe */
};

/**
 * Subscriber callback: receives the FLV byte stream of one output as whole
 * pieces — first the file header, then one whole tag per call (11-byte tag
 * header, body, 4-byte PreviousTagSize). Concatenated, the calls form a valid
 * FLV file. Called on the subscriber's own thread, never concurrently with
 * itself; it may block (only this subscriber waits). @p data is valid only
 * during the call.
 *
 * @return 0 to go on, a negative value to close this subscriber (it is then
 *         reported with LS_EVENT_OUTPUT_DOWN and no longer called).
 */
typedef int (*ls_tag_fn)(void *cookie, const uint8_t *data, size_t size, unsigned flags);

/** Per-output statistics. */
struct ls_output_stats {
    int id;                   /**< as returned by add_output / add_subscriber */
    enum ls_state state;      /**< connecting, streaming, backoff, stopped, failed */
    char target[512];         /**< URL or path, password redacted; "subscriber" for callbacks */
    uint64_t bytes_out;       /**< FLV bytes written */
    uint64_t video_frames_out; /**< video frames written */
    uint64_t audio_frames_out; /**< audio frames written */
    uint32_t bitrate_kbps;    /**< over the last few seconds */
    uint64_t skips;           /**< times the queue overflowed and skipped to a keyframe */
    uint64_t dropped_frames;  /**< frames dropped by those skips */
    uint32_t queue_bytes;     /**< bytes waiting in the queue now */
    uint32_t reconnects;      /**< successful reconnections after a failure */
    int last_error;           /**< negative errno of the last failure, 0 if none */
    char last_error_message[256]; /**< its description, password redacted */
    uint64_t uptime_ms;       /**< time since this output last came up; 0 when not streaming */
    uint32_t first_video_ms;  /**< from the relay's start to this output's first video tag
                                   (for outputs added later: from their addition); 0 until then */
    uint32_t latency_p50_us;  /**< time from reading a packet off the camera connection to
                                   having written it to this output, median of recent tags */
    uint32_t latency_p99_us;  /**< the same, 99th percentile */
    char file[512];           /**< file outputs: the file being written, or the last one
                                   written, as opened (see ls_relay_add_output() for how it
                                   is named); "" before the first and for other outputs;
                                   `mp4:` outputs: the segment being written, or the last */
    struct ls_recording_stats recording; /**< `mp4:` outputs: segments, retention, pauses */
};

/** Counters of repaired input timestamps, by kind. */
struct ls_ts_repairs {
    uint64_t backward;  /**< DTS went backwards: rebased */
    uint64_t jump;      /**< DTS jumped forward past the threshold: rebased */
    uint64_t equal;     /**< two video frames with the same DTS: nudged 1 ms */
    uint64_t wrap;      /**< 32-bit RTP timestamp wrap undone */
    uint64_t missing;   /**< packet without timestamp: one was made up */
    uint64_t reconnect; /**< timeline spliced after a reconnect */
    uint64_t reorder;   /**< video frames presented later than the camera said, because the
                             stream reordered frames deeper than its SPS declared (or it
                             declared nothing): the depth is learnt on the first such frame */
    uint64_t interleave; /**< tags that came later than the interleaving bound and went out
                              below the previous tag's timestamp (timestamps are never
                              changed; see ls_relay_settings.interleave) */
};

/** Relay statistics: the input and summary of outputs. */
struct ls_relay_stats {
    enum ls_state state;       /**< state of the input */
    char input[512];           /**< the input URL, password redacted */
    char video_codec[8];       /**< "h264", "h265" or "" while unknown */
    int video_profile;         /**< profile_idc from the SPS, 0 while unknown */
    int video_level;           /**< level_idc from the SPS */
    char video_codec_string[48]; /**< RFC 6381, as a browser's isTypeSupported() and HLS's
                                      CODECS want it: "avc1.64001f", "hvc1.1.6.L93.B0";
                                      "" while unknown (see lightstream/codec.h) */
    uint32_t width;            /**< pixels, from the SPS */
    uint32_t height;           /**< pixels, from the SPS */
    double fps;                /**< measured over the last few seconds */
    char audio_codec[8];       /**< "aac", "pcma", "pcmu", "" (none) */
    uint32_t audio_sample_rate; /**< Hz */
    uint32_t audio_channels;   /**< 1 or 2 */
    bool audio_dropped;        /**< the audio exists but the policy drops it */
    uint64_t bytes_in;         /**< media payload bytes read from the camera */
    uint64_t video_frames_in;  /**< video frames read */
    uint64_t audio_frames_in;  /**< audio frames read */
    uint64_t frames_out;       /**< frames handed to the outputs */
    uint32_t bitrate_kbps;     /**< input bitrate over the last few seconds */
    uint32_t keyframe_interval_ms; /**< time between the last two keyframes */
    struct ls_ts_repairs repairs; /**< timestamp repairs by kind */
    uint32_t reconnects;       /**< reconnections after a failure (the first connect is not one) */
    uint32_t connect_attempts; /**< consecutive failed attempts now (0 when streaming) */
    int last_error;            /**< negative errno of the last input failure, 0 if none */
    char last_error_message[256]; /**< its description, password redacted */
    uint64_t uptime_ms;        /**< time since the input last started streaming; 0 when not */
    uint32_t outputs;          /**< number of outputs and subscribers */
    uint32_t first_packet_ms;  /**< from the start of the last connection to its first packet */
    uint32_t first_keyframe_ms; /**< from the start of the last connection to its first keyframe */
    char engine[16];           /**< RTSP client of the last connection: "libavformat",
                                    "native", or "" before the first connection opened */
    uint32_t engine_fallbacks; /**< connections that engine `auto` gave to libavformat
                                    because the native engine does not read this camera */
};

/**
 * Fill @p s with the defaults documented on each field.
 *
 * Thread-safety: safe.
 */
LS_API void ls_relay_default_settings(struct ls_relay_settings *s);

/**
 * Fill @p s with the defaults documented on each field.
 *
 * Thread-safety: safe.
 */
LS_API void ls_output_default_settings(struct ls_output_settings *s);

/**
 * Create a relay. It does nothing until ls_relay_start().
 *
 * @param[out] out the new relay; set to NULL on error
 * @param s settings; copied, they need to live only during the call
 * @return 0, -EINVAL (no or malformed input URL, a bad setting), -ENOMEM
 *
 * Thread-safety: safe.
 */
LS_API int ls_relay_create(struct ls_relay **out, const struct ls_relay_settings *s);

/**
 * Start the relay thread: it connects to the camera, and retries on its own
 * after any failure, per the reconnect policy, until stopped.
 *
 * @return 0, -EALREADY (running), -ENOMEM or -EAGAIN (no thread)
 *
 * Thread-safety: safe.
 */
LS_API int ls_relay_start(struct ls_relay *r);

/**
 * Stop the relay: close the camera and flush and close every output. Returns
 * within about one second whatever the camera or servers do (blocking I/O is
 * interrupted). Outputs stay attached and resume on the next start.
 *
 * @return 0, -EALREADY (not running), -EDEADLK (called from a callback)
 *
 * Thread-safety: safe.
 */
LS_API int ls_relay_stop(struct ls_relay *r);

/**
 * Stop the relay if running, remove every output and free it. Sets *@p r to
 * NULL; a pointer to NULL is accepted. Must not be called from a callback of
 * this relay. Pollable subscriptions still attached are freed with it (their
 * handles become invalid): end them first (ls_relay_unsubscribe()); tag
 * bodies already taken stay valid until released.
 *
 * Thread-safety: must not race with any other call on the same relay.
 */
LS_API void ls_relay_destroy(struct ls_relay **r);

/**
 * Add an output, running or not.
 *
 * A file output never overwrites anything. The path given is the pattern of
 * its recordings: each time the output opens — at every start of the relay,
 * and again after a write error — it creates a new file next to it, named
 * with the UTC time it starts, `/rec/cam1.flv` → `/rec/cam1-20261207T173501Z.flv`
 * (`-1`, `-2`… follow the time when that name is taken already; a file of the
 * same name is never opened). So a restarted program, or a relay made again
 * with the same path, keeps the earlier recordings. The name of the file in
 * use is in ls_output_stats.file and in the message of LS_EVENT_OUTPUT_UP.
 * When the file is closed (stop, removal, destroy, or the error that ends it)
 * its onMetaData gets its `duration` (seconds, first tag to the end of the
 * last frame) and `filesize` (bytes) written in place; a file whose program
 * was killed keeps 0 there and plays all the same. Each tag is handed to the
 * kernel as it is written (no buffer in the process); the library never calls
 * fsync.
 * A path naming an existing FIFO or character device (`/dev/stdout`) is
 * written as it is: a FIFO without a reader fails the open (-ENXIO) and is
 * retried like any output.
 *
 * A target `mp4:<path>` records fragmented MP4 segments (recording.h) named
 * like file recordings, one per segment: `mp4:/rec/cam1.mp4` →
 * `/rec/cam1-20261207T173501Z.mp4`, cut at keyframes every
 * ls_recording_settings.segment_ms and at codec changes, in fragments of at
 * most fragment_ms (what a kill -9 may lose). H.264 (`avc1`), H.265 (`hvc1`)
 * and AAC are written as they come (no transcoding); G.711 is not recorded
 * (counted in ls_recording_stats.dropped_audio_frames). Each segment keeps
 * the output's timeline, so segment k+1 starts where segment k ends. After
 * each segment, the retention policy deletes this recording's oldest
 * segments (names of the pattern only). When the disk is full the segment is
 * closed, LS_EVENT_RECORDING_PAUSED is sent, frames are counted as
 * paused_frames, and at a keyframe once resume_free_bytes are free a new
 * segment starts (LS_EVENT_RECORDING_RESUMED); the output stays up and the
 * relay never notices. Each segment opened and closed is an event
 * (LS_EVENT_SEGMENT_OPENED, LS_EVENT_SEGMENT_CLOSED, the file in the message).
 *
 * @param r the relay
 * @param target `rtmp://…` or `rtmps://…` URL (stream key in the path), a
 *        path to a `.flv` file (`file:` prefix allowed), or `mp4:` and the
 *        pattern of MP4 segments, see above
 * @param s settings, or NULL for the defaults; copied
 * @param[out] id the output's id for stats and removal (may be NULL)
 * @return 0, -EINVAL (no file name: empty, or a path ending in '/'),
 *         -ENAMETOOLONG (a file path whose recordings' names would pass 511 bytes),
 *         -EPROTONOSUPPORT (another URL scheme), -ENOMEM, -EAGAIN,
 *         -EDEADLK (called from one of this relay's callbacks)
 *
 * Thread-safety: safe.
 */
LS_API int ls_relay_add_output(struct ls_relay *r, const char *target,
                               const struct ls_output_settings *s, int *id);

/**
 * Add an in-process subscriber receiving the FLV stream through @p fn on its
 * own thread (see ls_tag_fn).
 *
 * @param r the relay
 * @param fn the callback
 * @param cookie passed to @p fn
 * @param s settings, or NULL for the defaults (RTMP fields are ignored)
 * @param[out] id the subscriber's id (may be NULL)
 * @return 0, -EINVAL, -ENOMEM, -EAGAIN, -EDEADLK (called from one of this relay's callbacks)
 *
 * Thread-safety: safe.
 */
LS_API int ls_relay_add_subscriber(struct ls_relay *r, ls_tag_fn fn, void *cookie,
                                   const struct ls_output_settings *s, int *id);

/**
 * Remove an output or subscriber: its queue is flushed as far as it can be
 * within one second, then it is closed. When this returns, a subscriber's
 * callback is not running and will not be called again.
 *
 * @return 0, -ENOENT (no such id), -EDEADLK (called from one of this relay's callbacks)
 *
 * Thread-safety: safe.
 */
LS_API int ls_relay_remove_output(struct ls_relay *r, int id);

/**
 * Read the relay's statistics.
 *
 * @return 0 or -EINVAL
 *
 * Thread-safety: safe.
 */
LS_API int ls_relay_get_stats(struct ls_relay *r, struct ls_relay_stats *out);

/**
 * Read the statistics of the relay's outputs, in the order they were added.
 *
 * @param r the relay
 * @param out array of @p max entries
 * @param max how many entries @p out holds
 * @param[out] count number of outputs (may exceed @p max: only @p max are written)
 * @return 0 or -EINVAL
 *
 * Thread-safety: safe.
 */
LS_API int ls_relay_get_output_stats(struct ls_relay *r, struct ls_output_stats *out,
                                     size_t max, size_t *count);

/**
 * The user_data given in the settings.
 *
 * Thread-safety: safe.
 */
LS_API void *ls_relay_get_user_data(const struct ls_relay *r);

#ifdef __cplusplus
}
#endif

#endif /* LIGHTSTREAM_RELAY_H */
