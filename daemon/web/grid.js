/*
 * lightstreamd's page: the grid of cameras. Every relay that streams plays
 * live and muted in its tile; a click (or Enter on "Enlarge") makes the tile
 * span the grid and shows its details, PTZ pad, sound and recordings
 * (timeline.js). A relay that is not streaming shows why, in words, instead
 * of a frozen picture; an on-demand relay plays only when asked (playing it
 * is what starts it); a codec this browser cannot decode is said, not tried.
 *
 *   lightstreamd.grid.init({ showError, onEdit })
 *   lightstreamd.grid.render(views)   views: [{ r: relay, kbps, fps, reason }]
 *   lightstreamd.grid.enlarge(id)     enlarge (and play) one tile, scroll to it
 *   lightstreamd.grid.playingIds()
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
'use strict';

(function () {
  const TICK_MS = 500;
  const ns = window.lightstreamd;
  const f = ns.format;
  const el = ns.dom.el;

  let ui = { showError: () => {}, onEdit: () => {} };
  const tiles = new Map();   // id -> { root, video, player, note, big, wanted, r }

  function stat(t, key, text) {
    const dd = t.root.querySelector('[data-k="' + key + '"]');
    if (dd && dd.textContent !== text) dd.textContent = text;
  }

  function makeTile(id) {
    const t = { id, player: null, big: false, wanted: false, r: null };
    const head = el('h3', { class: 'tile-title', id: 'tile-title-' + id, text: id });
    t.video = el('video', { muted: '', playsinline: '', 'aria-labelledby': head.id, tabindex: '-1' });
    t.video.muted = true;
    t.video.addEventListener('click', () => toggleBig(t));
    t.note = el('p', { class: 'tile-note', 'data-k': 'reason', role: 'status' });
    const stats = el('dl', { class: 'tile-stats' }, ['state', 'fps', 'bitrate', 'latency'].map((k) =>
      el('div', {}, [el('dt', { text: { state: 'State', fps: 'FPS', bitrate: 'Bitrate', latency: 'Latency' }[k] }),
                     el('dd', { 'data-k': k, text: '–' })])));
    t.enlargeBtn = el('button', { type: 'button', 'aria-label': 'Enlarge ' + id, text: 'Enlarge',
                                  'aria-expanded': 'false', onclick: () => toggleBig(t) });
    t.soundBtn = el('button', { type: 'button', class: 'quiet', 'aria-pressed': 'false',
                                'aria-label': 'Sound of ' + id, text: 'Sound', onclick: () => toggleSound(t) });
    const shot = el('button', { type: 'button', class: 'quiet', 'aria-label': 'Snapshot of ' + id,
                                text: 'Snapshot', onclick: () => snapshot(t) });
    const edit = el('button', { type: 'button', class: 'quiet', 'aria-label': 'Edit ' + id, text: 'Edit',
                                onclick: () => ui.onEdit(id) });
    t.detail = el('div', { class: 'tile-detail', hidden: '' }, [
      el('dl', { class: 'tile-more' }, [['video', 'Video'], ['audio', 'Audio'], ['viewers', 'Viewers'],
        ['engine', 'RTSP engine'], ['reconnects', 'Reconnects'], ['gop', 'Keyframe interval'],
        ['decoded', 'Decoded frames'], ['dropped', 'Dropped frames']].map(([k, label]) =>
        el('div', {}, [el('dt', { text: label }), el('dd', { 'data-k': k, text: '–' })]))),
      el('div', { class: 'ptz', hidden: '' }),
      el('section', { class: 'rec', 'aria-label': 'Recordings of ' + id }),
    ]);
    t.root = el('article', { class: 'tile', 'data-id': id, 'aria-labelledby': head.id }, [
      el('div', { class: 'tile-screen' }, [t.video, t.note]),
      el('div', { class: 'tile-head' }, [head, stats]),
      el('div', { class: 'tile-actions' }, [t.enlargeBtn, t.soundBtn, shot, edit]),
      t.detail,
    ]);
    return t;
  }

  /* The way playback.js picks for this browser; when there is none, the tile
   * says why and stays dark (no retry) until the relay restarts. */
  function startPlayer(t) {
    if (t.player || !t.r || !t.r.play) return;
    const how = ns.playback.live(t.r, ns.playback.capsOf(window, t.video));
    t.root.dataset.playback = how.way;
    if (how.way === 'none') {
      t.fatal = how.message;
      t.note.textContent = how.message;
      return;
    }
    t.decidedKnown = ns.playback.known(t.r);
    t.player = ns.player.create(t.video, t.r, { way: how.way, url: ns.api.streamUrl(how.url) }, {
      onNote: (s) => { t.playNote = s; },
      onFatal: (s) => { stopPlayer(t); t.fatal = s; t.note.textContent = s; },
    });
  }

  function stopPlayer(t) {
    if (!t.player) return;
    t.player.destroy();
    t.player = null;
    t.playNote = '';
  }

  /* Plays while the relay streams; an on-demand relay only once asked to. */
  function shouldPlay(t) {
    const r = t.r;
    if (!r || t.fatal) return false;
    if (r.on_demand) return t.wanted;
    return r.state === 'streaming';
  }

  function toggleBig(t, on) {
    t.big = on === undefined ? !t.big : on;
    t.root.classList.toggle('big', t.big);
    t.detail.hidden = !t.big;
    t.enlargeBtn.textContent = t.big ? 'Shrink' : 'Enlarge';
    t.enlargeBtn.setAttribute('aria-label', (t.big ? 'Shrink ' : 'Enlarge ') + t.id);
    t.enlargeBtn.setAttribute('aria-expanded', String(t.big));
    if (t.big) {
      t.wanted = true;
      if (t.r && t.r.on_demand) t.fatal = '';
      ns.ptz.mount(t.detail.querySelector('.ptz'), t.id, ui.showError);
      ns.timeline.mount(t.detail.querySelector('.rec'), t.id);
      sync(t);
    } else {
      ns.timeline.unmount(t.detail.querySelector('.rec'));
    }
  }

  function toggleSound(t) {
    t.video.muted = !t.video.muted;
    t.soundBtn.setAttribute('aria-pressed', String(!t.video.muted));
  }

  /* The frame on screen as a PNG download, drawn by the browser itself. */
  function snapshot(t) {
    const v = t.video;
    if (!v.videoWidth) {
      ui.showError('No picture from "' + t.id + '" yet to take a snapshot of.');
      return;
    }
    const c = document.createElement('canvas');
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    c.getContext('2d').drawImage(v, 0, 0);
    c.toBlob((blob) => {
      const a = el('a', { href: URL.createObjectURL(blob),
                          download: t.id + '-' + new Date().toISOString().replace(/[:.]/g, '-') + '.png' });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    }, 'image/png');
  }

  /* A player started before the codec was known (an on-demand relay) stops if the
   * codec turns out to be one this browser cannot decode. */
  function recheck(t) {
    if (!t.player || t.decidedKnown || !ns.playback.known(t.r)) return;
    t.decidedKnown = true;
    const how = ns.playback.live(t.r, ns.playback.capsOf(window, t.video));
    if (how.way !== 'none') return;
    stopPlayer(t);
    t.fatal = how.message;
    t.root.dataset.playback = how.way;
  }

  function sync(t) {
    recheck(t);
    if (shouldPlay(t)) startPlayer(t);
    else stopPlayer(t);
  }

  function update(t, v) {
    const r = v.r;
    t.r = r;
    const st = r.stats || {};
    const live = r.state === 'streaming';
    stat(t, 'state', r.state + (r.on_demand ? ' (on demand)' : ''));
    t.root.dataset.state = r.state;
    stat(t, 'fps', f.fmtFps(v.fps));
    stat(t, 'bitrate', f.fmtBitrate(v.kbps));
    stat(t, 'video', live ? f.fmtVideo(st) : '–');
    stat(t, 'audio', live ? f.fmtAudio(st) : '–');
    stat(t, 'viewers', String(r.viewers ?? 0));
    stat(t, 'engine', f.fmtEngine(r));
    stat(t, 'reconnects', st.reconnects === undefined ? '–' : String(st.reconnects));
    stat(t, 'gop', live && st.keyframe_interval_ms ? (st.keyframe_interval_ms / 1000).toFixed(1) + ' s' : '–');
    /* a new start deserves a new try; an on-demand relay stops when nobody
     * plays it, so its tile keeps its verdict until enlarged again */
    if (!live && !r.on_demand) t.fatal = '';
    sync(t);
    const note = v.reason || t.fatal || t.playNote || (r.on_demand && !t.player ? 'On demand: Enlarge to start it' : '');
    if (t.note.textContent !== note) t.note.textContent = note;
  }

  /* Player figures change faster than the relay list: their own timer. */
  function tick() {
    for (const t of tiles.values()) {
      const lat = t.player ? t.player.latency() : NaN;
      stat(t, 'latency', f.fmtSeconds(lat, 2));
      t.root.dataset.latency = isFinite(lat) ? lat.toFixed(3) : '';
      const q = t.video.getVideoPlaybackQuality ? t.video.getVideoPlaybackQuality() : null;
      stat(t, 'decoded', q && t.player ? String(q.totalVideoFrames) : '–');
      stat(t, 'dropped', q && t.player ? String(q.droppedVideoFrames) : '–');
    }
  }

  function render(views) {
    const box = document.getElementById('grid');
    const ids = new Set(views.map((v) => v.r.id));
    for (const [id, t] of tiles) {
      if (!ids.has(id)) {
        stopPlayer(t);
        ns.timeline.unmount(t.detail.querySelector('.rec'));
        t.root.remove();
        tiles.delete(id);
      }
    }
    views.forEach((v, i) => {
      let t = tiles.get(v.r.id);
      if (!t) {
        t = makeTile(v.r.id);
        tiles.set(v.r.id, t);
      }
      update(t, v);
      if (box.children[i] !== t.root) box.insertBefore(t.root, box.children[i] || null);
    });
    document.getElementById('grid-empty').hidden = views.length > 0;
  }

  function enlarge(id) {
    const t = tiles.get(id);
    if (!t) return;
    if (!t.big) toggleBig(t, true);
    t.root.scrollIntoView({ block: 'nearest' });
    t.enlargeBtn.focus();
  }

  function init(callbacks) {
    ui = Object.assign(ui, callbacks);
    setInterval(tick, TICK_MS);
  }

  window.lightstreamd.grid = { init, render, enlarge,
    playingIds: () => Array.from(tiles.values()).filter((t) => t.player).map((t) => t.id) };
})();
