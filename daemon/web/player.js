/*
 * lightstreamd's page: one live player. Plays a relay's HTTP-FLV stream in a
 * <video> with mpegts.js (Media Source Extensions), or its live HLS playlist
 * with the browser's own HLS (Safari without MSE), as playback.js decided;
 * keeps it close to the live edge, and reconnects by itself when a live
 * stream breaks (the relay restarted, the daemon restarted, the network
 * hiccuped).
 *
 *   const p = lightstreamd.player.create(video, relay, { way: 'flv' | 'hls', url },
 *                                        { onNote, onFatal })
 *   p.latency()   seconds between the newest received frame and the one shown (NaN before)
 *   p.destroy()
 *
 * Latency: the daemon starts a viewer at the last keyframe (its GOP cache), so
 * the first second is behind; mpegts.js then plays slightly faster
 * (liveSync) until the buffer ahead is back under LIVE_TARGET_S, and jumps
 * (latency chasing) if it ever falls over LIVE_JUMP_S behind.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
'use strict';

(function () {
  const RETRY_MIN_MS = 2000;
  const RETRY_MAX_MS = 15000;
  const LIVE_TARGET_S = 0.25;   // play at 1x again once this close to the edge
  const LIVE_MAX_S = 0.45;      // play faster beyond this
  const LIVE_JUMP_S = 1.2;      // seek to the edge beyond this
  const LIVE_REMAIN_S = 0.25;   // how far behind the edge a jump lands

  function mediaOf(r, url) {
    const st = r.stats || {};
    const media = { type: 'flv', isLive: true, url };
    /* mpegts.js plays AAC (and MP3) only: keep a G.711 track from failing the stream */
    if (st.audio_codec && st.audio_codec !== 'aac' && st.audio_codec !== 'mp3') media.hasAudio = false;
    if (r.audio === 'none') media.hasAudio = false;
    return media;
  }

  const CONFIG = {
    enableWorker: false,
    enableStashBuffer: false,
    lazyLoad: false,
    autoCleanupSourceBuffer: true,
    liveSync: true,
    liveSyncTargetLatency: LIVE_TARGET_S,
    liveSyncMaxLatency: LIVE_MAX_S,
    liveSyncPlaybackRate: 1.2,
    liveBufferLatencyChasing: true,
    liveBufferLatencyMaxLatency: LIVE_JUMP_S,
    liveBufferLatencyMinRemain: LIVE_REMAIN_S,
  };

  /* The browser's own HLS: it keeps to the live edge by itself; an error
   * (the playlist went away with its relay) comes back like a broken FLV. */
  function nativeHls(video, url, onError, onPlaying) {
    const onFail = () => onError('MediaError', video.error ? String(video.error.code) : '', null);
    video.addEventListener('error', onFail);
    video.addEventListener('playing', onPlaying);
    video.src = url;
    const started = video.play();
    if (started && typeof started.catch === 'function') started.catch(() => {});
    return {
      pause: () => video.pause(),
      unload: () => {
        video.removeEventListener('error', onFail);
        video.removeEventListener('playing', onPlaying);
        video.removeAttribute('src');
        video.load();
      },
      detachMediaElement: () => {},
      destroy: () => {},
    };
  }

  function create(video, r, how, cb) {
    const url = how.url;
    const p = { id: r.id, media: mediaOf(r, url), player: null, retries: 0, retryTimer: null, dead: false };
    const note = cb.onNote || (() => {});
    const fatal = cb.onFatal || (() => {});

    function teardown() {
      clearTimeout(p.retryTimer);
      if (!p.player) return;
      try {
        p.player.pause();
        p.player.unload();
        p.player.detachMediaElement();
        p.player.destroy();
      } catch (e) { /* already torn down */ }
      p.player = null;
    }

    /* A live stream that broke comes back by itself, with a growing delay. */
    function retryLater(why) {
      if (p.dead) return;
      teardown();
      const delay = Math.min(RETRY_MIN_MS * 2 ** p.retries, RETRY_MAX_MS);
      p.retries++;
      note(why + ' — reconnecting in ' + Math.round(delay / 1000) + ' s…');
      p.retryTimer = setTimeout(() => { if (!p.dead) start(); }, delay);
    }

    function onError(type, detail, info) {
      const code = info && info.code;
      if (code === 401 || code === 403) {
        teardown();
        fatal('Playback refused: the stream needs a viewer token (open the page with #vtoken=…).');
      } else if (code === 404) {
        teardown();
        fatal('"' + p.id + '" has no stream any more (deleted?).');
      } else {
        retryLater('Playback failed: ' + type + (detail ? ' (' + detail + ')' : '') +
          (info && info.msg ? ': ' + info.msg : ''));
      }
    }

    function start() {
      if (how.way === 'hls') {
        p.player = nativeHls(video, url, onError, () => { p.retries = 0; note(''); });
        return;
      }
      const player = mpegts.createPlayer(p.media, CONFIG);
      p.player = player;
      player.attachMediaElement(video);
      player.on(mpegts.Events.ERROR, onError);
      player.on(mpegts.Events.LOADING_COMPLETE, () => retryLater('The stream ended'));
      player.on(mpegts.Events.MEDIA_INFO, () => { p.retries = 0; note(''); });
      player.load();
      const started = player.play();
      if (started && typeof started.catch === 'function') {
        started.catch((e) => {
          /* a play() cut short by our own teardown is no error */
          if (p.player === player && e.name !== 'AbortError') fatal('The browser did not start the video: ' + e.message);
        });
      }
    }

    function latency() {
      const b = video.buffered;
      return p.player && b.length ? Math.max(0, b.end(b.length - 1) - video.currentTime) : NaN;
    }

    function destroy() {
      p.dead = true;
      teardown();
    }

    start();
    return { latency, destroy, id: r.id };
  }

  window.lightstreamd = window.lightstreamd || {};
  window.lightstreamd.player = { create };
})();
