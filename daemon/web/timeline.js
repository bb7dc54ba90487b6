/*
 * lightstreamd's page: a camera's recordings on a time bar, in its enlarged
 * tile. The recorded spans of the last hours (GET …/recordings?from=&to=),
 * drawn with their gaps (the last 10 min to 24 h); a click on the bar, or a From/To range, plays that
 * range of the recordings (…/recordings.m3u8?from=&to=, an HLS VOD) in a
 * player of its own: hls.js where Media Source Extensions decode the codec,
 * the browser's own HLS otherwise (Safari), or words saying why not.
 *
 *   lightstreamd.timeline.mount(box, id, { showError })   builds it, loads the listing
 *   lightstreamd.timeline.unmount(box)                    stops its player
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
'use strict';

(function () {
  const ns = window.lightstreamd;
  const el = ns.dom.el;
  const WINDOWS = [[10, '10 min'], [60, '1 h'], [360, '6 h'], [1440, '24 h']];   // minutes
  const JOIN_MS = 1500;           // segments closer than this read as one span
  const CLICK_PLAY_MS = 3600e3;   // a click plays from there, at most an hour

  /* Segments (by start) as spans of continuous recording: [{ from, to, codecs }]. */
  function spansOf(segments) {
    const spans = [];
    for (const s of segments) {
      const last = spans[spans.length - 1];
      if (last && s.start_ms - last.to <= JOIN_MS) last.to = Math.max(last.to, s.end_ms);
      else spans.push({ from: s.start_ms, to: s.end_ms, codecs: s.codecs || s.codec || '' });
    }
    return spans;
  }

  /* datetime-local wants the local time without a zone, to the second. */
  function localInput(ms) {
    const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
    return d.toISOString().slice(0, 19);
  }

  function clock(ms) {
    return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  function build(box, id) {
    const tl = { id, box, from: 0, to: 0, spans: [], hls: null };
    tl.window = el('select', { 'aria-label': 'Time span of ' + id + '\'s recordings',
                              onchange: () => load(tl) },
                  WINDOWS.map(([m, text]) => el('option', { value: String(m), text: 'last ' + text })));
    tl.window.value = '60';
    tl.status = el('p', { class: 'hint rec-status', role: 'status' });
    tl.bar = el('div', { class: 'rec-bar', role: 'button', tabindex: '0',
                         'aria-label': 'Recordings of ' + id + ': click a time to play from there',
                         onclick: (ev) => clickBar(tl, ev) });
    tl.axis = el('div', { class: 'rec-axis' }, [el('span'), el('span')]);
    tl.fromInput = el('input', { type: 'datetime-local', step: '1', id: 'rec-from-' + id });
    tl.toInput = el('input', { type: 'datetime-local', step: '1', id: 'rec-to-' + id });
    tl.video = el('video', { class: 'rec-video', controls: '', playsinline: '', hidden: '',
                             'aria-label': 'Recording of ' + id });
    tl.note = el('p', { class: 'hint rec-note', role: 'status' });
    const form = el('form', { class: 'row rec-range', onsubmit: (ev) => { ev.preventDefault(); playInputs(tl); } }, [
      el('label', { for: tl.fromInput.id, text: 'From' }), tl.fromInput,
      el('label', { for: tl.toInput.id, text: 'To' }), tl.toInput,
      el('button', { type: 'submit', 'aria-label': 'Play the range of ' + id, text: 'Play range' }),
    ]);
    box.replaceChildren(el('h4', { text: 'Recordings' }),
      el('div', { class: 'row' }, [tl.window,
        el('button', { type: 'button', class: 'quiet', text: 'Refresh', 'aria-label': 'Refresh recordings of ' + id,
                       onclick: () => load(tl) }), tl.status]),
      tl.bar, tl.axis, form, tl.note, tl.video);
    return tl;
  }

  function draw(tl) {
    const width = tl.to - tl.from;
    tl.bar.replaceChildren(...tl.spans.map((s) => {
      const a = Math.max(s.from, tl.from), b = Math.min(s.to, tl.to);
      const d = el('div', { class: 'rec-span', title: clock(s.from) + ' – ' + clock(s.to) });
      d.style.left = (100 * (a - tl.from) / width) + '%';
      d.style.width = Math.max(0.2, 100 * (b - a) / width) + '%';
      return d;
    }));
    tl.axis.children[0].textContent = clock(tl.from);
    tl.axis.children[1].textContent = clock(tl.to);
    const total = tl.spans.reduce((n, s) => n + (s.to - s.from), 0) / 1000;
    const gaps = Math.max(0, tl.spans.length - 1);
    tl.status.textContent = tl.spans.length
      ? tl.spans.length + (tl.spans.length === 1 ? ' span, ' : ' spans, ') + Math.round(total) + ' s recorded, ' +
        gaps + (gaps === 1 ? ' gap' : ' gaps')
      : 'Nothing recorded in this time.';
    tl.box.dataset.spans = String(tl.spans.length);
    tl.box.dataset.recordedS = total.toFixed(1);
  }

  async function load(tl) {
    tl.to = Date.now();
    tl.from = tl.to - Number(tl.window.value) * 60e3;
    const q = '?from=' + (tl.from / 1000).toFixed(3) + '&to=' + (tl.to / 1000).toFixed(3);
    try {
      const res = await ns.api.call('GET', ns.api.relayPath(tl.id, '/recordings' + q));
      tl.spans = spansOf((res && res.recordings) || []);
    } catch (e) {
      tl.spans = [];
      tl.status.textContent = 'Listing the recordings failed: ' + e.message;
      return;
    }
    draw(tl);
    const last = tl.spans[tl.spans.length - 1];
    if (last && !tl.fromInput.value) {
      tl.fromInput.value = localInput(last.from);
      tl.toInput.value = localInput(last.to);
    }
  }

  /* A click plays from that time to the end of what was recorded after it. */
  function clickBar(tl, ev) {
    const r = tl.bar.getBoundingClientRect();
    const at = tl.from + (tl.to - tl.from) * Math.min(1, Math.max(0, (ev.clientX - r.left) / r.width));
    const span = tl.spans.find((s) => s.to > at);
    if (!span) {
      tl.note.textContent = 'Nothing was recorded after ' + clock(at) + '.';
      return;
    }
    const from = Math.max(at, span.from);
    const last = tl.spans[tl.spans.length - 1];
    play(tl, from, Math.min(last.to, from + CLICK_PLAY_MS), span.codecs);
  }

  function playInputs(tl) {
    const from = new Date(tl.fromInput.value).getTime(), to = new Date(tl.toInput.value).getTime();
    if (!(from < to)) {
      tl.note.textContent = 'Choose a From time before the To time.';
      return;
    }
    const span = tl.spans.find((s) => s.to > from) || {};
    play(tl, from, to, span.codecs);
  }

  function stop(tl) {
    if (tl.hls) tl.hls.destroy();
    tl.hls = null;
    tl.video.pause();
    tl.video.removeAttribute('src');
  }

  function play(tl, from, to, codecs) {
    stop(tl);
    tl.fromInput.value = localInput(from);
    tl.toInput.value = localInput(to);
    const how = ns.playback.recording(codecs, ns.playback.capsOf(window, tl.video));
    tl.box.dataset.playback = how.way;
    if (how.way === 'none') {
      tl.video.hidden = true;
      tl.note.textContent = how.message;
      return;
    }
    const url = ns.api.streamUrl(ns.api.relayPath(tl.id, '/recordings.m3u8') + '?from=' +
                                 (from / 1000).toFixed(3) + '&to=' + (to / 1000).toFixed(3));
    tl.note.textContent = 'Playing ' + clock(from) + ' – ' + clock(to);
    tl.video.hidden = false;
    if (how.way === 'hlsjs') {
      tl.hls = new window.Hls({ enableWorker: false });
      tl.hls.on(window.Hls.Events.ERROR, (e, data) => {
        if (data && data.fatal) tl.note.textContent = 'The recording did not play (' + data.details + ').';
      });
      tl.hls.loadSource(url);
      tl.hls.attachMedia(tl.video);
    } else {
      tl.video.src = url;
    }
    const started = tl.video.play();
    if (started && typeof started.catch === 'function') started.catch(() => {});
  }

  const mounted = new WeakMap();

  function mount(box, id) {
    let tl = mounted.get(box);
    if (!tl) {
      tl = build(box, id);
      mounted.set(box, tl);
    }
    load(tl);
  }

  function unmount(box) {
    const tl = mounted.get(box);
    if (tl) stop(tl);
  }

  ns.timeline = { mount, unmount, spansOf };
})();
