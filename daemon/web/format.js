/*
 * lightstreamd's page: how numbers and codecs read (shared by app.js and player.js).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
'use strict';

(function () {
  function fmtBitrate(kbps) {
    if (typeof kbps !== 'number' || !isFinite(kbps)) return '–';
    if (kbps >= 1000) return (kbps / 1000).toFixed(kbps >= 10000 ? 0 : 1) + ' Mbit/s';
    return Math.round(kbps) + ' kbit/s';
  }

  function fmtFps(fps) {
    return typeof fps === 'number' && fps > 0 ? fps.toFixed(fps % 1 ? 2 : 0) : '–';
  }

  function fmtVideo(st) {
    if (!st || !st.video_codec) return '–';
    const size = st.width && st.height ? ' ' + st.width + '×' + st.height : '';
    return codecName(st.video_codec) + size;
  }

  function fmtAudio(st) {
    if (!st || !st.audio_codec) return 'none';
    const parts = [codecName(st.audio_codec)];
    if (st.audio_sample_rate) parts.push((st.audio_sample_rate / 1000) + ' kHz');
    if (st.audio_channels) parts.push(st.audio_channels === 1 ? 'mono' : st.audio_channels === 2 ? 'stereo' : st.audio_channels + ' ch');
    return parts.join(' ');
  }

  function codecName(c) {
    const names = { h264: 'H.264', hevc: 'H.265', h265: 'H.265', aac: 'AAC',
                    pcm_alaw: 'G.711 A-law', pcm_mulaw: 'G.711 µ-law' };
    return names[c] || String(c);
  }

  function fmtSeconds(s) {
    return typeof s === 'number' && isFinite(s) ? s.toFixed(1) + ' s' : '–';
  }

  function fmtUptime(s) {
    if (typeof s !== 'number') return '–';
    if (s < 120) return s + ' s';
    if (s < 7200) return Math.floor(s / 60) + ' min';
    if (s < 172800) return Math.floor(s / 3600) + ' h';
    return Math.floor(s / 86400) + ' days';
  }

  window.lightstreamd = window.lightstreamd || {};
  window.lightstreamd.format = { fmtBitrate, fmtFps, fmtVideo, fmtAudio, fmtSeconds, fmtUptime };
})();
