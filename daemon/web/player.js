/*
 * lightstreamd's page: the player. Plays one relay's HTTP-FLV stream in the
 * <video> with mpegts.js (Media Source Extensions), shows the player's and the
 * relay's live statistics, and reconnects by itself when a live stream breaks
 * (the relay restarted, the daemon restarted, the network hiccuped).
 *
 *   lightstreamd.player.init({ showError, clearError, onChange })
 *   lightstreamd.player.play(relay, url)   url: relay.play.flv (+ ?token=)
 *   lightstreamd.player.stop()
 *   lightstreamd.player.relayUpdated(relay or undefined when it is gone)
 *   lightstreamd.player.playingId()
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
'use strict';

(function () {
  const STATS_MS = 1000;
  const RETRY_MIN_MS = 2000;
  const RETRY_MAX_MS = 15000;
  const HEVC_TYPE = 'video/mp4; codecs="hvc1.1.6.L93.B0"';

  const $ = (id) => document.getElementById(id);
  const f = window.lightstreamd.format;

  let ui = { showError: () => {}, clearError: () => {}, onChange: () => {} };
  let playing = null;   // { id, media, player, info, retries, retryTimer, timer }

  function destroyPlayer(p) {
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

  function stop() {
    const p = playing;
    if (!p) return;
    clearInterval(p.timer);
    destroyPlayer(p);
    playing = null;
    $('player').hidden = true;
    $('player-note').textContent = '';
    ui.onChange(null);
  }

  /* A live stream that broke comes back by itself, with a growing delay. */
  function retryLater(p, why) {
    if (playing !== p) return;
    destroyPlayer(p);
    const delay = Math.min(RETRY_MIN_MS * 2 ** p.retries, RETRY_MAX_MS);
    p.retries++;
    $('player-note').textContent = why + ' — reconnecting in ' + Math.round(delay / 1000) + ' s…';
    p.retryTimer = setTimeout(() => { if (playing === p) startPlayer(p); }, delay);
  }

  function onPlayerError(p, type, detail, info) {
    const code = info && info.code;
    if (code === 401 || code === 403) {
      destroyPlayer(p);
      ui.showError('Playback refused: the stream needs a viewer token (open the page with #vtoken=…).');
      return;
    }
    if (code === 404) {
      destroyPlayer(p);
      ui.showError('"' + p.id + '" has no stream any more (deleted?).');
      return;
    }
    retryLater(p, 'Playback failed: ' + type + (detail ? ' (' + detail + ')' : '') +
      (info && info.msg ? ': ' + info.msg : ''));
  }

  function startPlayer(p) {
    const player = mpegts.createPlayer(p.media, {
      enableWorker: false,
      enableStashBuffer: false,
      lazyLoad: false,
      autoCleanupSourceBuffer: true,
      liveBufferLatencyChasing: true,
      liveBufferLatencyMaxLatency: 1.5,
      liveBufferLatencyMinRemain: 0.3,
    });
    p.player = player;
    p.info = null;
    player.attachMediaElement($('video'));
    player.on(mpegts.Events.ERROR, (type, detail, info) => onPlayerError(p, type, detail, info));
    player.on(mpegts.Events.LOADING_COMPLETE, () => retryLater(p, 'The stream ended'));
    player.on(mpegts.Events.STATISTICS_INFO, (info) => { p.info = info; });
    player.on(mpegts.Events.MEDIA_INFO, () => {
      p.retries = 0;
      $('player-note').textContent = '';
    });
    player.load();
    const started = player.play();
    if (started && typeof started.catch === 'function') {
      started.catch((e) => {
        if (p.player === player) ui.showError('The browser did not start the video: ' + e.message);
      });
    }
  }

  function play(r, url) {
    if (typeof mpegts === 'undefined') {
      ui.showError('mpegts.js did not load (run npm ci in daemon/web, or check --web-dir).');
      return;
    }
    if (!mpegts.getFeatureList().mseLivePlayback) {
      ui.showError('This browser cannot play live streams through Media Source Extensions.');
      return;
    }
    stop();
    ui.clearError();
    const st = r.stats || {};
    if ((st.video_codec === 'hevc' || st.video_codec === 'h265') && !MediaSource.isTypeSupported(HEVC_TYPE)) {
      ui.showError('This browser cannot decode H.265: "' + r.id + '" will not play here.');
    }
    const media = { type: 'flv', isLive: true, url };
    /* mpegts.js plays AAC (and MP3) only: keep a G.711 track from failing the stream */
    if (st.audio_codec && st.audio_codec !== 'aac' && st.audio_codec !== 'mp3') media.hasAudio = false;
    const p = { id: r.id, media, player: null, info: null, retries: 0, retryTimer: null,
                timer: setInterval(updatePlayerStats, STATS_MS) };
    playing = p;
    $('player-title').textContent = 'Playing ' + r.id;
    const link = $('player-url');
    link.textContent = r.play.flv;   // without the viewer token
    link.href = r.play.flv;
    $('player').hidden = false;
    startPlayer(p);
    relayUpdated(r);
    updatePlayerStats();
    ui.onChange(r.id);
  }

  function setStat(listId, key, text) {
    const dd = $(listId).querySelector('[data-k="' + key + '"]');
    if (dd && dd.textContent !== text) dd.textContent = text;
  }

  function updatePlayerStats() {
    const p = playing;
    if (!p) return;
    const video = $('video');
    const info = p.info || {};
    const q = video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality() : null;
    const b = video.buffered;
    const latency = b.length ? b.end(b.length - 1) - video.currentTime : NaN;
    setStat('player-stats', 'time', f.fmtSeconds(video.currentTime));
    setStat('player-stats', 'latency', f.fmtSeconds(latency));
    /* mpegts.js measures in KiB/s */
    setStat('player-stats', 'speed', typeof info.speed === 'number' ? f.fmtBitrate(info.speed * 8.192) : '–');
    const decoded = q ? q.totalVideoFrames : info.decodedFrames;
    const dropped = q ? q.droppedVideoFrames : info.droppedFrames;
    setStat('player-stats', 'decoded', decoded === undefined ? '–' : String(decoded));
    setStat('player-stats', 'dropped', dropped === undefined ? '–' : String(dropped));
    setStat('player-stats', 'size', video.videoWidth ? video.videoWidth + '×' + video.videoHeight : '–');
  }

  function relayUpdated(r) {
    if (!playing) return;
    if (!r) {
      setStat('relay-stats', 'state', 'deleted');
      return;
    }
    const st = r.stats || {};
    setStat('relay-stats', 'state', r.state + (st.last_error ? ' — ' + st.last_error : ''));
    setStat('relay-stats', 'video', f.fmtVideo(st));
    setStat('relay-stats', 'audio', f.fmtAudio(st));
    setStat('relay-stats', 'fps', f.fmtFps(st.fps));
    setStat('relay-stats', 'bitrate', f.fmtBitrate(st.bitrate_kbps));
    setStat('relay-stats', 'viewers', String(r.viewers ?? 0));
    setStat('relay-stats', 'reconnects', st.reconnects === undefined ? '–' : String(st.reconnects));
    setStat('relay-stats', 'gop', st.keyframe_interval_ms
      ? (st.keyframe_interval_ms / 1000).toFixed(1) + ' s' : '–');
  }

  function init(callbacks) {
    ui = Object.assign(ui, callbacks);
    $('player-stop').addEventListener('click', stop);
  }

  window.lightstreamd = window.lightstreamd || {};
  window.lightstreamd.player = { init, play, stop, relayUpdated, playingId: () => (playing ? playing.id : null) };
})();
