#!/usr/bin/env node
/*
 * The page's playback decision (daemon/web/playback.js) over a table of
 * browsers, each described by what it answers (MediaSource.isTypeSupported,
 * canPlayType), as their documentation and release notes give it:
 *   Chromium here (no H.265 through MSE), Chrome 107+ with hardware HEVC,
 *   Firefox (no HEVC at all), Safari iOS 16 (native HLS, HEVC, no MSE),
 *   Safari 17.1 iOS (ManagedMediaSource, HEVC), an old browser with neither.
 * Every relay is H.264 or H.265 with its exact codec string; a case says which
 * way the page must take (flv, hls, none) and, for none, the words on the tile.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
'use strict';

const assert = require('assert');
const path = require('path');
const pb = require(path.join(__dirname, '..', '..', 'daemon', 'web', 'playback.js'));

const H264 = 'avc1.640028';
const H265 = 'hvc1.1.6.L93.B0';
const AVC = 'avc1';
const HEVC = 'hvc1';

/* A browser from the codec families it decodes through MSE and natively; each answer
 * is checked to be asked about one well-formed codec string, and the last kept. */
let asked = '';
function browser({ mse = [], native = [], hls = false, mpegts = true, hlsjs = true, hasMse = true }) {
  const has = (list) => (type) => {
    const m = /^video\/mp4; codecs="((avc1|hvc1)\.[0-9A-Za-z.]+)"$/.exec(type);
    assert.ok(m, 'asked about a malformed type: ' + type);
    asked = m[1];
    return list.includes(m[2]);
  };
  return { hasMse, mse: hasMse ? has(mse) : () => false, native: has(native), nativeHls: hls,
           flv: hasMse && mpegts, hlsjs: hasMse && hlsjs };
}

const BROWSERS = {
  chromium: browser({ mse: [AVC], native: [AVC] }),
  chromeHevc: browser({ mse: [AVC, HEVC], native: [AVC, HEVC] }),
  firefox: browser({ mse: [AVC], native: [AVC] }),
  safariIos16: browser({ hasMse: false, native: [AVC, HEVC], hls: true }),
  safari17Mms: browser({ mse: [AVC, HEVC], native: [AVC, HEVC], hls: true }),
  safariNoMpegts: browser({ mse: [AVC, HEVC], native: [AVC, HEVC], hls: true, mpegts: false }),
  chromiumNoMpegts: browser({ mse: [AVC], native: [AVC], mpegts: false }),
  oldBrowser: browser({ hasMse: false }),
};

function relay(codecString, videoCodec) {
  return { id: 'door cam', play: { flv: 'http://127.0.0.1:2233/live/door%20cam.flv' },
           stats: { video_codec: videoCodec, codec_string: codecString } };
}

const HEVC_MSG = 'This browser cannot decode H.265 (HEVC) video';
const CASES = [
  // [browser, relay, way, message or url]
  ['chromium', relay(H264, 'h264'), 'flv', 'http://127.0.0.1:2233/live/door%20cam.flv'],
  ['chromium', relay(H265, 'h265'), 'none', HEVC_MSG],
  ['chromeHevc', relay(H265, 'h265'), 'flv'],
  ['firefox', relay(H265, 'h265'), 'none', HEVC_MSG],
  ['firefox', relay(H264, 'h264'), 'flv'],
  ['safariIos16', relay(H264, 'h264'), 'hls', 'http://127.0.0.1:2233/live/door%20cam/index.m3u8'],
  ['safariIos16', relay(H265, 'h265'), 'hls'],
  ['safari17Mms', relay(H265, 'h265'), 'flv'],
  ['safariNoMpegts', relay(H264, 'h264'), 'hls'],
  ['chromiumNoMpegts', relay(H264, 'h264'), 'none', 'The page\'s player (mpegts.js) did not load'],
  ['oldBrowser', relay(H264, 'h264'), 'none', 'This browser can play neither Media Source Extensions nor HLS'],
  // no codec string yet (an older daemon): the codec's name stands for its common profile
  ['chromium', relay('', 'h265'), 'none', HEVC_MSG],
  ['chromium', relay(undefined, 'h264'), 'flv'],
  // a codec string that is not one stays out of the type asked about
  ['chromium', relay('avc1.64"bad', 'h264'), 'flv'],
];

let failed = 0;
for (const [name, r, way, detail] of CASES) {
  const got = pb.live(r, BROWSERS[name]);
  try {
    assert.strictEqual(got.way, way);
    if (way === 'none' && detail) assert.strictEqual(got.message, detail);
    if (way !== 'none' && detail) assert.strictEqual(got.url, detail);
    /* the exact string of the relay is what the browser was asked about */
    if (/^(avc1|hvc1)\.[0-9A-Za-z.]+$/.test(r.stats.codec_string || '')) assert.strictEqual(asked, r.stats.codec_string);
  } catch (e) {
    failed++;
    console.error('FAIL live: %s, %j: %s', name, r.stats, e.message);
  }
}

/* An on-demand relay not started yet (no stats): playing starts it, so the page plays H.264's way. */
const idle = { id: 'x', play: { flv: '/live/x.flv' } };
const early = [pb.live(idle, BROWSERS.chromium).way, pb.live(idle, BROWSERS.safariIos16).way, pb.known(idle),
               pb.known(relay(H265, 'h265'))];
if (JSON.stringify(early) !== '["flv","hls",false,true]') { failed++; console.error('FAIL idle: %j', early); }

/* A recorded range: hls.js where MSE decodes it, else Safari's own HLS, else the words. */
const REC = [
  ['chromium', H264 + ',mp4a.40.2', 'hlsjs'],
  ['chromium', H265 + ',mp4a.40.2', 'none'],
  ['safariIos16', H265, 'hls'],
  ['safari17Mms', H264, 'hlsjs'],
  ['oldBrowser', H264, 'none'],
];
for (const [name, codecs, way] of REC) {
  const got = pb.recording(codecs, BROWSERS[name]);
  if (got.way !== way) { failed++; console.error('FAIL recording: %s %s: %j', name, codecs, got); }
}

console.log('playback: %d cases, %d failed', CASES.length + REC.length + 1, failed);
process.exit(failed ? 1 : 0);
