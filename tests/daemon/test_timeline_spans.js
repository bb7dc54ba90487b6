#!/usr/bin/env node
/*
 * The page's timeline (daemon/web/timeline.js) turns the recordings listing into
 * spans of continuous recording: segments that meet (within 1.5 s) make one span,
 * a longer pause (a relay restart, a full disk) is a gap between two. Run in node
 * with the one page module timeline.js needs at load (dom.js's el, unused here).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
'use strict';

const assert = require('assert');
const path = require('path');

global.window = { lightstreamd: { dom: { el: () => { throw new Error('no DOM in this test'); } } } };
require(path.join(__dirname, '..', '..', 'daemon', 'web', 'timeline.js'));
const { spansOf } = global.window.lightstreamd.timeline;

const seg = (start, end, codecs) => ({ start_ms: start, end_ms: end, codecs: codecs || 'avc1.4d401e,mp4a.40.2' });

/* back to back, 1 ms apart, then a 10 s gap, then a segment with another codec */
const spans = spansOf([seg(0, 60000), seg(60001, 120000), seg(121400, 130000),
                       seg(140000, 150000, 'hvc1.1.6.L93.B0')]);
assert.deepStrictEqual(spans, [
  { from: 0, to: 130000, codecs: 'avc1.4d401e,mp4a.40.2' },
  { from: 140000, to: 150000, codecs: 'hvc1.1.6.L93.B0' },
]);
assert.deepStrictEqual(spansOf([]), []);
/* a segment inside the one before it (a listing of the one being written) does not shorten the span */
assert.deepStrictEqual(spansOf([seg(0, 10000), seg(5000, 8000)]), [{ from: 0, to: 10000, codecs: 'avc1.4d401e,mp4a.40.2' }]);
console.log('timeline spans: ok');
