/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * FLV tag bytes: file header, tag header, legacy and Enhanced RTMP video
 * prefixes, audio prefixes and onMetaData (Adobe FLV spec v10.1 annex E;
 * Enhanced RTMP v1/v2). Pure: writes into caller buffers.
 *
 * A media tag body is a short prefix followed by the payload (an avcC/hvcC
 * record, length-prefixed NAL units, an AudioSpecificConfig or raw audio);
 * the prefix functions write only the prefix so the caller copies the
 * payload once, straight into its buffer.
 */
#ifndef LS_LIB_FLV_H
#define LS_LIB_FLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    LS_FLV_TAG_AUDIO = 8,
    LS_FLV_TAG_VIDEO = 9,
    LS_FLV_TAG_SCRIPT = 18,
};

#define LS_FLV_FILE_HEADER_SIZE 13 /**< 9-byte header + PreviousTagSize0 */
#define LS_FLV_TAG_HEADER_SIZE 11
#define LS_FLV_PREV_SIZE 4
#define LS_FLV_VIDEO_PREFIX_MAX 8
#define LS_FLV_AUDIO_PREFIX_MAX 2
/** The largest DataSize a tag header can carry (UI24); larger bodies cannot be written. */
#define LS_FLV_MAX_BODY_SIZE 0xffffffu
/** An upper bound of ls_flv_metadata_body()'s size (the full body is 270 bytes). */
#define LS_FLV_METADATA_MAX 288

enum ls_flv_vcodec {
    LS_FLV_AVC = 0,           /**< legacy CodecID 7 */
    LS_FLV_HEVC_ENHANCED = 1, /**< Enhanced RTMP, FourCC hvc1 */
    LS_FLV_HEVC_CODEC12 = 2,  /**< legacy-shaped CodecID 12 */
};

enum ls_flv_acodec {
    LS_FLV_AAC = 0,  /**< SoundFormat 10 */
    LS_FLV_PCMA = 1, /**< SoundFormat 7, G.711 A-law */
    LS_FLV_PCMU = 2, /**< SoundFormat 8, G.711 µ-law */
};

/** 'hvc1' as a big-endian number, the value of onMetaData.videocodecid for Enhanced HEVC. */
#define LS_FLV_FOURCC_HVC1 0x68766331u

/** The 9-byte FLV header plus PreviousTagSize0 (= 0). */
void ls_flv_file_header(uint8_t out[LS_FLV_FILE_HEADER_SIZE], bool has_audio, bool has_video);

/**
 * An 11-byte tag header: type, 24-bit DataSize, timestamp (low 24 bits then
 * the extended upper 8 bits), StreamID 0.
 * Only the low 5 bits of @p type are written (the others are Reserved and Filter,
 * which stay 0); @p body_size must not exceed LS_FLV_MAX_BODY_SIZE (only its
 * low 24 bits are written).
 */
void ls_flv_tag_header(uint8_t out[LS_FLV_TAG_HEADER_SIZE], uint8_t type, uint32_t body_size,
                       uint32_t timestamp_ms);

/** PreviousTagSize after a tag with @p body_size: 11 + body_size, big-endian. */
void ls_flv_prev_size(uint8_t out[LS_FLV_PREV_SIZE], uint32_t body_size);

/**
 * Prefix of a video sequence header tag body (the decoder configuration record follows).
 * AVC: 0x17 0x00 00 00 00; codec 12: 0x1C 0x00 00 00 00; Enhanced: 0x90 'h' 'v' 'c' '1'.
 * @return the prefix size (5), or 0 (nothing written) for a @p codec outside the enum.
 */
size_t ls_flv_video_seq_prefix(uint8_t out[LS_FLV_VIDEO_PREFIX_MAX], enum ls_flv_vcodec codec);

/**
 * Prefix of a coded video frame (length-prefixed NAL units follow).
 * AVC / codec 12: FrameType<<4|CodecID, 0x01, SI24 composition time (5 bytes).
 * Enhanced: 0x80|FrameType<<4|PacketType, FourCC, then SI24 composition time
 * for CodedFrames (8 bytes) or nothing for CodedFramesX when @p cts_ms is 0 (5 bytes).
 * @p cts_ms is clamped to the SI24 range.
 * @return the prefix size (5 or 8), or 0 (nothing written) for a @p codec outside the enum.
 */
size_t ls_flv_video_frame_prefix(uint8_t out[LS_FLV_VIDEO_PREFIX_MAX], enum ls_flv_vcodec codec,
                                 bool keyframe, int32_t cts_ms);

/**
 * Prefix of an audio tag body.
 * AAC: 0xAF then AACPacketType (0 for the AudioSpecificConfig, 1 for a raw frame): 2 bytes.
 * G.711: SoundFormat<<4 | rate | 16-bit | channels, rate "5.5 kHz" (the spec's value for
 * 8 kHz G.711): 1 byte; @p sequence_header is ignored. Bytes: mono 0x72 (A-law) / 0x82
 * (µ-law), stereo (@p channels >= 2) 0x73 / 0x83, as FFmpeg writes them.
 * AAC ignores @p channels (the AudioSpecificConfig carries them).
 * @return the prefix size (2 or 1), or 0 (nothing written) for a @p codec outside the enum.
 */
size_t ls_flv_audio_prefix(uint8_t out[LS_FLV_AUDIO_PREFIX_MAX], enum ls_flv_acodec codec,
                           bool sequence_header, uint32_t channels);

/**
 * What onMetaData says. Zero fields are left out (framerate also when not a
 * finite positive number; stereo when audio_channels is 0).
 */
struct ls_flv_meta {
    bool has_video;
    enum ls_flv_vcodec vcodec;
    uint32_t width;
    uint32_t height;
    double framerate;
    uint32_t video_kbps;
    bool has_audio;
    enum ls_flv_acodec acodec;
    uint32_t audio_sample_rate;
    uint32_t audio_channels;
};

/**
 * A script tag body: AMF0 string "onMetaData" then an ECMA array with
 * duration (0), filesize (0), width, height, framerate, videocodecid (7, 12 or
 * the hvc1 FourCC), videodatarate, audiocodecid (10, 7, 8), audiosamplerate,
 * audiosamplesize (16), stereo, encoder ("liblightstream"), in that order,
 * then the object end marker. Video keys appear only with has_video, audio keys
 * only with has_audio. Numbers are AMF0 numbers, stereo a boolean,
 * encoder a string. Never writes past @p cap (LS_FLV_METADATA_MAX always suffices).
 *
 * duration and filesize are always the first two keys, at a fixed place
 * (LS_FLV_METADATA_TOTALS_OFFSET): live they stay 0 ("unknown", as readers
 * take it), and a file writer overwrites them in place once the file is
 * finished (ls_flv_metadata_totals()), without moving a byte of the file.
 * @return the body size, -ENOSPC when @p cap is too small (the buffer may then
 *         hold a partial body), or -EINVAL when @p meta is NULL, @p out is NULL
 *         with a non-zero @p cap, or a present stream's codec is outside its enum.
 */
int ls_flv_metadata_body(uint8_t *out, size_t cap, const struct ls_flv_meta *meta);

/**
 * Where the duration and filesize entries of a body made by ls_flv_metadata_body()
 * begin (the AMF0 number marker of duration), and how many bytes they span up to the
 * end of filesize's value: number, then the "filesize" key, then number.
 */
#define LS_FLV_METADATA_TOTALS_OFFSET 28
#define LS_FLV_METADATA_TOTALS_SIZE 28

/**
 * True when @p body (@p size bytes) holds the duration and filesize entries at
 * LS_FLV_METADATA_TOTALS_OFFSET, as ls_flv_metadata_body() writes them: the bytes
 * a file writer may overwrite with ls_flv_metadata_totals(). Values are not looked at.
 */
bool ls_flv_metadata_has_totals(const uint8_t *body, size_t size);

/**
 * The LS_FLV_METADATA_TOTALS_SIZE bytes to write at LS_FLV_METADATA_TOTALS_OFFSET of
 * an onMetaData body once its file is finished: duration in seconds and filesize
 * in bytes. Negative or non-finite values are written as 0.
 */
void ls_flv_metadata_totals(uint8_t out[LS_FLV_METADATA_TOTALS_SIZE], double duration_s,
                            double filesize);

#endif
