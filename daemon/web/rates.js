/*
 * lightstreamd's page: a relay's bitrate and frame rate measured by the page
 * from the API's byte and frame counters, so they are right from the first
 * second (the library's own figures are averages over a few whole seconds and
 * start low) and cleared as soon as the relay stops streaming.
 *
 *   const m = lightstreamd.rates.create();
 *   m.update(relay)  -> { kbps, fps } (NaN when unknown: not streaming, no sample yet)
 *
 * The clock is the relay's own uptime_ms, so the page's polling jitter does not
 * count. Rates are taken over the samples of the last WINDOW_MS; before the
 * second sample, the average since the relay started streaming.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
'use strict';

(function () {
  const WINDOW_MS = 3000;

  function create() {
    let samples = [];   // { t: uptime_ms, bytes, frames }, oldest first

    function rateOver(a, b) {
      const dt = (b.t - a.t) / 1000;
      return { kbps: ((b.bytes - a.bytes) * 8) / 1000 / dt, fps: (b.frames - a.frames) / dt };
    }

    function update(r) {
      const st = (r && r.stats) || null;
      if (!st || r.state !== 'streaming' || typeof st.uptime_ms !== 'number' || st.uptime_ms <= 0) {
        samples = [];
        return { kbps: NaN, fps: NaN };
      }
      const s = { t: st.uptime_ms, bytes: st.bytes_in || 0, frames: st.video_frames_in || 0 };
      const last = samples[samples.length - 1];
      /* a restart of the relay (counters back to 0) starts the measure again */
      if (last && (s.t < last.t || s.bytes < last.bytes)) samples = [];
      if (!last || s.t > last.t) samples.push(s);
      while (samples.length > 2 && s.t - samples[1].t >= WINDOW_MS) samples.shift();
      if (samples.length >= 2) return rateOver(samples[0], s);
      /* one sample: the average since the start of the stream (bytes_in counts
       * across reconnects, uptime_ms only since the last one) */
      if (s.t < 200 || s.bytes === 0 || st.reconnects) return { kbps: NaN, fps: NaN };
      return rateOver({ t: 0, bytes: 0, frames: 0 }, s);
    }

    return { update };
  }

  window.lightstreamd = window.lightstreamd || {};
  window.lightstreamd.rates = { create };
})();
