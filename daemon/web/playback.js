/*
 * lightstreamd's page: which way this browser can play a camera, decided
 * from what the browser says it can do, never by trying and failing.
 *
 *   lightstreamd.playback.live(relay, caps)
 *       -> { way: 'flv', url, type }      HTTP-FLV through mpegts.js (Media Source Extensions)
 *        | { way: 'hls', url, type }      the browser's own HLS (/live/<id>/index.m3u8)
 *        | { way: 'none', message }       why nothing can play it here (shown on the tile)
 *   lightstreamd.playback.recording(codecs, caps)
 *       -> { way: 'hlsjs' | 'hls' | 'none', message }   for a recordings.m3u8 range
 *   lightstreamd.playback.capsOf(window, video)          the caps of this browser
 *   lightstreamd.playback.known(relay)                   whether its codec is known yet
 *
 * caps: { hasMse: bool           MediaSource or ManagedMediaSource exists
 *         mse(type) -> bool      its isTypeSupported(type)
 *         flv: bool              mpegts.js loaded and able to play live streams
 *         hlsjs: bool            hls.js loaded and supported here
 *         nativeHls: bool        video.canPlayType('application/vnd.apple.mpegurl')
 *         native(type) -> bool   video.canPlayType(type) for the codec itself }
 *
 * The type asked about is the relay's exact codec (stats.codec_string, RFC 6381:
 * "avc1.64001f", "hvc1.1.6.L93.B0"): whether H.265 decodes depends on the
 * profile and the machine, so "hevc" alone says too little. Pure: no DOM in
 * live() and recording(), so tests/daemon/test_playback.js runs them in node
 * over a table of browsers.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
'use strict';

(function (root) {
  /* Asked when a relay's stats have no codec string yet (an older daemon): the
   * most common profiles, so a browser that cannot do even these says so. */
  const FALLBACK = { h264: 'avc1.42E01E', h265: 'hvc1.1.6.L93.B0', hevc: 'hvc1.1.6.L93.B0' };

  /* An on-demand relay that is not running has no stats: playing is what starts
   * it, so the common case (H.264) is assumed, and the tile decides again once
   * the codec is known (grid.js). */
  function codecOf(st) {
    if (st.codec_string && /^[A-Za-z0-9.]{4,47}$/.test(st.codec_string)) return st.codec_string;
    return FALLBACK[st.video_codec] || FALLBACK.h264;
  }

  /* "This browser cannot decode H.265 (HEVC) video": the codec named as people know it. */
  function codecName(codec) {
    if (/^(hvc1|hev1)/.test(codec)) return 'H.265 (HEVC)';
    if (/^(avc1|avc3)/.test(codec)) return 'H.264 (AVC)';
    return codec || 'this camera\'s';
  }

  function typeOf(codec) {
    return 'video/mp4; codecs="' + codec + '"';
  }

  function hlsUrlOf(r) {
    const play = r.play || {};
    if (play.hls) return play.hls;
    if (play.flv) return play.flv.replace(/\.flv$/, '/index.m3u8');
    return '/live/' + encodeURIComponent(r.id) + '/index.m3u8';
  }

  function cannot(codec) {
    return { way: 'none', message: 'This browser cannot decode ' + codecName(codec) + ' video' };
  }

  function live(r, caps) {
    const codec = codecOf(r.stats || {});
    const type = typeOf(codec);
    const decodes = caps.mse(type);
    if (decodes && caps.flv) return { way: 'flv', url: (r.play || {}).flv, type };
    if (caps.nativeHls && caps.native(type)) return { way: 'hls', url: hlsUrlOf(r), type };
    if (decodes) return { way: 'none', message: 'The page\'s player (mpegts.js) did not load' };
    if (!caps.hasMse && !caps.nativeHls) {
      return { way: 'none', message: 'This browser can play neither Media Source Extensions nor HLS' };
    }
    return cannot(codec);
  }

  /* A recorded range: the listing's "codecs" (video first). hls.js where MSE
   * decodes it (Chromium, Firefox, Safari 17), else Safari's own HLS. */
  function recording(codecs, caps) {
    const codec = String(codecs || '').split(',')[0] || FALLBACK.h264;
    const type = typeOf(codec);
    if (caps.hlsjs && caps.mse(type)) return { way: 'hlsjs', type };
    if (caps.nativeHls && caps.native(type)) return { way: 'hls', type };
    return cannot(codec);
  }

  /* What this browser says it can do; @p video is any <video> element. */
  function capsOf(w, video) {
    const MS = w.ManagedMediaSource || w.MediaSource;
    const mse = (type) => Boolean(MS && MS.isTypeSupported && MS.isTypeSupported(type));
    const can = (type) => Boolean(video && video.canPlayType && video.canPlayType(type));
    const mpegts = w.mpegts;
    const Hls = w.Hls;
    return {
      hasMse: Boolean(MS),
      mse,
      flv: Boolean(mpegts && mpegts.getFeatureList && mpegts.getFeatureList().mseLivePlayback),
      hlsjs: Boolean(Hls && Hls.isSupported && Hls.isSupported()),
      nativeHls: can('application/vnd.apple.mpegurl'),
      native: can,
    };
  }

  /* Whether the relay's codec is known (then a decision is final). */
  function known(r) {
    const st = (r && r.stats) || {};
    return Boolean(st.codec_string || FALLBACK[st.video_codec]);
  }

  const api = { live, recording, capsOf, codecName, hlsUrlOf, known };
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  if (root) {
    root.lightstreamd = root.lightstreamd || {};
    root.lightstreamd.playback = api;
  }
})(typeof window !== 'undefined' ? window : null);
