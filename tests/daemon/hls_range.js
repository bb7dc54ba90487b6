#!/usr/bin/env node
/*
 * Plays a recorded range of lightstreamd (recordings.m3u8) with hls.js in
 * Debian's chromium, headless, through playwright-core. Prints one JSON
 * object: the playlist's duration, how far playback got, where a seek landed,
 * decoded frames, hls.js errors. test_recording_api.py judges it.
 *
 *   node hls_range.js --base http://127.0.0.1:PORT --url /api/v1/relays/x/recordings.m3u8?... \
 *                     --seek 5
 *
 * With --live N instead of --seek (a live playlist, /live/<id>/index.m3u8):
 * hls.js configured to stay N segments behind the live edge plays 4 s;
 * the object then has the currentTime at the start and the end, the
 * frames decoded meanwhile, hls.js's latency (live edge - currentTime) and
 * behindRequest (the live delay less the age of the packager's first keyframe,
 * when this request started the packager).
 *
 * The page is served at the daemon's own origin (playwright answers that one
 * URL), so hls.js fetches the playlists and the byte ranges from the daemon
 * as a page from it would.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
'use strict';

const path = require('path');

const REPO = path.join(__dirname, '..', '..');
const HLS = path.join(__dirname, 'hlsjs', 'node_modules', 'hls.js', 'dist', 'hls.min.js');

function args(argv) {
  const a = {};
  for (let i = 2; i + 1 < argv.length; i += 2) a[argv[i].replace(/^--/, '')] = argv[i + 1];
  return a;
}

/* Runs in the page: a live playlist played 4 s of wall-clock time. */
async function playLive({ url, live }) {
  const v = document.getElementById('v');
  const hls = new Hls({ liveSyncDurationCount: live });
  const out = { errors: [], fatal: [] };
  hls.on(Hls.Events.ERROR, (e, d) => {
    out.errors.push(d.type + ':' + d.details);
    if (d.fatal) out.fatal.push(d.details);
  });
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const t0 = performance.now();
  const parsed = new Promise((r) => hls.on(Hls.Events.MANIFEST_PARSED, (e, d) => r(d)));
  hls.loadSource(url);
  hls.attachMedia(v);
  const m = await Promise.race([parsed, sleep(15000).then(() => null)]);
  if (!m) return Object.assign(out, { step: 'manifest' });
  out.manifestMs = performance.now() - t0;
  out.codecs = m.levels.map((l) => [l.videoCodec, l.audioCodec].filter(Boolean).join(','));
  await v.play().catch((e) => out.errors.push('play: ' + e));
  const t = performance.now();
  while (v.currentTime <= 0 && performance.now() - t < 15000) await sleep(50);
  out.firstFrameMs = performance.now() - t0;
  out.start = v.currentTime;
  const frames0 = v.getVideoPlaybackQuality().totalVideoFrames;
  await sleep(4000);
  out.end = v.currentTime;
  /* Media time 0 is the keyframe the packager started from, at most one GOP before the
   * request: wall time since the request minus currentTime is the live delay less that. */
  out.behindRequest = (performance.now() - t0) / 1000 - v.currentTime;
  out.frames = v.getVideoPlaybackQuality().totalVideoFrames - frames0;
  out.latency = hls.latency;
  out.targetLatency = hls.targetLatency;
  out.width = v.videoWidth;
  hls.destroy();
  return out;
}

/* Runs in the page: load, play 2 s, seek, play 1 s more. */
async function play({ url, seek }) {
  const v = document.getElementById('v');
  const hls = new Hls();
  const out = { errors: [], fatal: [] };
  hls.on(Hls.Events.ERROR, (e, d) => {
    out.errors.push(d.type + ':' + d.details);
    if (d.fatal) out.fatal.push(d.details);
  });
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const until = async (pred, ms) => {
    const t = performance.now();
    while (!pred() && performance.now() - t < ms) await sleep(100);
    return pred();
  };
  const parsed = new Promise((r) => hls.on(Hls.Events.MANIFEST_PARSED, (e, d) => r(d)));
  hls.loadSource(url);
  hls.attachMedia(v);
  const m = await Promise.race([parsed, sleep(15000).then(() => null)]);
  if (!m) return Object.assign(out, { step: 'manifest' });
  out.codecs = m.levels.map((l) => [l.videoCodec, l.audioCodec].filter(Boolean).join(','));
  await v.play().catch((e) => out.errors.push('play: ' + e));
  await until(() => v.currentTime >= 2, 15000);
  out.played = v.currentTime;
  out.duration = v.duration;
  v.currentTime = seek;
  await until(() => !v.seeking && v.currentTime >= seek + 1, 15000);
  out.afterSeek = v.currentTime;
  const q = v.getVideoPlaybackQuality();
  out.frames = q.totalVideoFrames;
  out.width = v.videoWidth;
  hls.destroy();
  return out;
}

async function main() {
  const a = args(process.argv);
  const { chromium } = require(path.join(REPO, 'tests', 'harness', 'node_modules', 'playwright-core'));
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required', '--disable-gpu',
           '--disable-dev-shm-usage', '--mute-audio', '--no-first-run',
           '--disable-background-networking', '--disable-component-update'],
  });
  try {
    const page = await browser.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    const at = a.base + '/__hls_range_test.html';
    await page.route(at, (r) => r.fulfill({ contentType: 'text/html',
      body: '<!doctype html><video id="v" muted playsinline></video>' }));
    await page.goto(at);
    await page.addScriptTag({ path: HLS });
    const out = a.live
      ? await page.evaluate(playLive, { url: a.url, live: Number(a.live) })
      : await page.evaluate(play, { url: a.url, seek: Number(a.seek) });
    out.pageErrors = pageErrors;
    process.stdout.write(JSON.stringify(out) + '\n');
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});
