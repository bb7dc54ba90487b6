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

  /* The engine asked for, and the one the last connection ran when that differs
   * (auto runs native, or libavformat for a camera native does not read). */
  function fmtEngine(r) {
    const want = (r && r.engine) || 'libavformat';
    const st = (r && r.stats) || {};
    let s = want;
    if (st.engine && st.engine !== want) s += ' → running ' + st.engine;
    if (st.engine_fallbacks) s += ' (' + st.engine_fallbacks + ' fallback' + (st.engine_fallbacks === 1 ? '' : 's') + ')';
    return s;
  }

  function fmtSeconds(s, digits) {
    return typeof s === 'number' && isFinite(s) ? s.toFixed(digits ?? 1) + ' s' : '–';
  }

  function fmtUptime(s) {
    if (typeof s !== 'number') return '–';
    if (s < 120) return s + ' s';
    if (s < 7200) return Math.floor(s / 60) + ' min';
    if (s < 172800) return Math.floor(s / 3600) + ' h';
    return Math.floor(s / 86400) + ' days';
  }

  /* The library's last_error is "<redacted url>: <ls_strerror text>"; an operator
   * wants to know what to check, not the errno's name. */
  const REASONS = [
    ['authentication failed', 'The camera refused the user name or password'],
    ['connection refused', 'Nothing answers at the camera\'s address and port'],
    ['timed out', 'The camera does not answer (switched off, unplugged or wrong address?)'],
    ['host unreachable', 'The camera\'s address cannot be reached from this server'],
    ['network unreachable', 'This server has no route to the camera\'s network'],
    ['not found', 'The camera has no stream at that path (check the URL\'s path)'],
    ['stream ended', 'The camera stopped sending video'],
    ['connection reset by peer', 'The camera dropped the connection'],
    ['connection closed', 'The camera closed the connection'],
    ['invalid data from peer', 'The camera sent data that cannot be read'],
    ['not supported', 'The camera sends a codec this server cannot relay'],
    ['unsupported URL scheme', 'The address must start with rtsp:// or rtsps://'],
    ['protocol error', 'The camera does not speak RTSP as expected'],
  ];

  /* The reason a relay is not streaming, in plain words; '' while it streams. */
  function fmtReason(r) {
    const st = (r && r.stats) || {};
    const state = r && r.state;
    if (state === 'streaming' || state === 'idle') return '';
    const raw = String(st.last_error || '');
    const tail = raw.slice(raw.lastIndexOf(': ') + 2) || raw;
    const hit = REASONS.find(([k]) => tail === k);
    if (hit) return hit[1];
    if (state === 'connecting') return raw ? 'Connecting again (last time: ' + tail + ')' : 'Connecting to the camera…';
    if (state === 'stopped') return 'Stopped';
    if (state === 'failed') return raw ? 'Failed: ' + tail : 'Failed';
    return raw ? tail : '';
  }

  window.lightstreamd = window.lightstreamd || {};
  window.lightstreamd.format = { fmtBitrate, fmtFps, fmtVideo, fmtAudio, fmtSeconds, fmtUptime, fmtReason, fmtEngine };
})();
