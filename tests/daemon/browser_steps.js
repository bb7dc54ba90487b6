/*
 * The steps browser.js takes through lightstreamd's page, one function each;
 * every step writes what it saw into `out` and lets test_browser.py judge.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
'use strict';

const fs = require('fs');

module.exports = function steps(page, args, out, step) {
  const tile = (id) => page.locator('#grid article[data-id="' + id + '"]');
  const row = (id) => page.locator('#relay-rows tr[data-id="' + id + '"]');
  const badId = args.id + '-bad';
  const hevcId = args.id + '-hevc';
  const HEVC_TYPE = 'video/mp4; codecs="hvc1.1.6.L93.B0"';

  async function api(method, p, body) {
    const headers = args.apiToken ? { Authorization: 'Bearer ' + args.apiToken } : {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(args.base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  async function apiList() {
    const r = await api('GET', '/api/v1/relays');
    return (r.body.relays || []).map((x) => ({ id: x.id, source: x.source, state: x.state }));
  }

  async function videoState(id) {
    return page.evaluate((id) => {
      const v = document.querySelector('#grid article[data-id="' + id + '"] video');
      const q = v.getVideoPlaybackQuality();
      return { currentTime: v.currentTime, paused: v.paused, readyState: v.readyState, muted: v.muted,
               width: v.videoWidth, height: v.videoHeight, totalVideoFrames: q.totalVideoFrames,
               error: v.error ? v.error.code + ' ' + v.error.message : null };
    }, id);
  }

  async function cells(locator, keys) {
    const o = {};
    for (const k of keys) o[k] = await locator.locator('[data-k="' + k + '"]').first().textContent();
    return o;
  }

  async function open() {
    step('open the page');
    const resp = await page.goto(args.base + '/' + args.hash, { waitUntil: 'load' });
    out.pageStatus = resp.status();
    out.mse = await page.evaluate(() => ({
      h264: MediaSource.isTypeSupported('video/mp4; codecs="avc1.42E01E"'),
      mpegtsLoaded: typeof mpegts !== 'undefined',
      hlsjsLoaded: typeof Hls !== 'undefined',
    }));
    out.mse.hevc = await page.evaluate((t) => MediaSource.isTypeSupported(t), HEVC_TYPE);
  }

  async function add() {
    step('add the camera with the form');
    const form = page.locator('#add-form');
    await form.getByLabel('Camera URL').fill(args.source);
    await form.getByLabel(/^Id/).fill(args.id);
    await form.getByLabel('Transport').selectOption('tcp');
    await page.getByRole('button', { name: 'Add camera', exact: true }).click();
    await row(args.id).waitFor({ state: 'visible' });
    out.formClearedAfterAdd = (await form.getByLabel('Camera URL').inputValue()) === '';
    out.pageHtmlHasSource = (await page.content()).includes(args.source);
  }

  /* Recording on (API: the page has no switch for it), 2 s segments, just before the edit
   * step restarts the relay anyway. */
  async function record() {
    step('record the camera (API)');
    out.recordStatus = (await api('PATCH', '/api/v1/relays/' + args.id,
                                  { recording: { enabled: true, segment_s: 2 } })).status;
  }

  async function addHevc() {
    step('add an H.265 camera (through the API)');
    out.addHevcStatus = (await api('POST', '/api/v1/relays', { id: hevcId, source: args.hevcSource })).status;
  }

  /* The H.265 tile, once its relay streams: the decision and the words, then a few
   * seconds more in which the page must not ask for its stream. */
  async function hevc() {
    step('the H.265 camera says this browser cannot decode it');
    await page.waitForFunction((id) => {
      const t = document.querySelector('#grid article[data-id="' + id + '"]');
      return t && t.dataset.playback;
    }, hevcId, { timeout: 30000 });
    await page.waitForTimeout(3000);
    out.hevcTile = await cells(tile(hevcId), ['state', 'reason']);
    out.hevcTile.playback = await tile(hevcId).getAttribute('data-playback');
    out.hevcApi = (await api('GET', '/api/v1/relays/' + hevcId)).body.stats;
  }

  async function addBad() {
    step('add a camera that fails (through the API)');
    out.addBadStatus = (await api('POST', '/api/v1/relays', { id: badId, source: args.badSource })).status;
  }

  /* From the moment the page shows the relay streaming: bitrate every 250 ms for 4 s,
   * and when the tile's video first moves. */
  async function firstSeconds() {
    step('wait for the relay to stream');
    await page.waitForFunction((id) => {
      const td = document.querySelector('#relay-rows tr[data-id="' + id + '"] [data-k="state"]');
      return td && td.textContent.startsWith('streaming');
    }, args.id, { timeout: 30000 });
    const t0 = Date.now();
    out.bitrateFirstSeconds = [];
    out.firstFrameMs = null;
    while (Date.now() - t0 < 4000) {
      const b = await row(args.id).locator('[data-k="bitrate"]').textContent();
      out.bitrateFirstSeconds.push({ ms: Date.now() - t0, text: b });
      if (out.firstFrameMs === null && (await videoState(args.id)).currentTime > 0) out.firstFrameMs = Date.now() - t0;
      await page.waitForTimeout(250);
    }
    out.apiAfterStart = (await api('GET', '/api/v1/relays/' + args.id)).body.stats;
  }

  async function grid() {
    step('the grid plays the camera');
    out.samples = [await videoState(args.id)];
    for (let i = 0; i < args.playSeconds; i++) {
      await page.waitForTimeout(1000);
      out.samples.push(await videoState(args.id));
    }
    out.row = await cells(row(args.id), ['id', 'source', 'state', 'video', 'fps', 'bitrate', 'viewers']);
    out.tile = await cells(tile(args.id), ['state', 'fps', 'bitrate', 'latency', 'reason']);
    out.pageHtmlHasSourceWhilePlaying = (await page.content()).includes(args.source);
  }

  async function failing() {
    step('the failing camera says why');
    await page.waitForFunction((id) => {
      const td = document.querySelector('#relay-rows tr[data-id="' + id + '"] [data-k="reason"]');
      return td && td.textContent.length > 0;
    }, badId, { timeout: 30000 });
    out.badRow = await cells(row(badId), ['state', 'reason', 'fps', 'bitrate', 'video']);
    out.badTile = await cells(tile(badId), ['state', 'reason', 'fps', 'bitrate', 'latency']);
    out.badTilePlaying = await page.evaluate((id) =>
      document.querySelector('#grid article[data-id="' + id + '"] video').currentTime > 0, badId);
    out.badApi = (await api('GET', '/api/v1/relays/' + badId)).body;
  }

  /* Latency as the page shows it (buffer end − currentTime), 4 Hz for 8 s. */
  async function latency() {
    step('latency in steady state');
    out.latency = [];
    for (let i = 0; i < 32; i++) {
      await page.waitForTimeout(250);
      out.latency.push(await page.evaluate((id) => {
        const v = document.querySelector('#grid article[data-id="' + id + '"] video');
        const b = v.buffered;
        return b.length ? b.end(b.length - 1) - v.currentTime : null;
      }, args.id));
    }
    out.latencyShown = await tile(args.id).locator('[data-k="latency"]').textContent();
  }

  async function enlarge() {
    step('enlarge with the table\'s Play button');
    await page.getByRole('button', { name: 'Play ' + args.id, exact: true }).click();
    await tile(args.id).locator('.tile-detail').waitFor({ state: 'visible' });
    out.enlarged = await tile(args.id).evaluate((t) => t.classList.contains('big'));
    out.focusAfterEnlarge = await page.evaluate(() => document.activeElement.getAttribute('aria-label'));
    await page.waitForTimeout(1200);
    out.detail = await cells(tile(args.id), ['video', 'audio', 'viewers', 'decoded']);
  }

  async function snapshot() {
    step('snapshot');
    const [dl] = await Promise.all([page.waitForEvent('download'),
      page.getByRole('button', { name: 'Snapshot of ' + args.id, exact: true }).click()]);
    const file = args.shot.replace(/\.png$/, '') + '-snapshot.png';
    await dl.saveAs(file);
    const buf = fs.readFileSync(file);
    out.snapshot = { name: dl.suggestedFilename(), bytes: buf.length, png: buf.subarray(1, 4).toString() === 'PNG',
                     width: buf.readUInt32BE(16), height: buf.readUInt32BE(20), path: file };
  }

  async function edit() {
    step('edit the relay through the dialog');
    await page.getByRole('button', { name: 'Edit ' + args.id, exact: true }).click();
    const dlg = page.locator('#edit-dialog');
    await dlg.waitFor({ state: 'visible' });
    await dlg.getByLabel(/^Name/).fill('Front door');
    await dlg.getByLabel('Audio').selectOption('aac');
    out.engineInDialog = await dlg.getByLabel('RTSP engine').inputValue();
    await dlg.getByLabel('RTSP engine').selectOption('auto');
    await dlg.getByRole('button', { name: 'Save' }).click();
    await dlg.waitFor({ state: 'hidden' });
    out.afterEdit = (await api('GET', '/api/v1/relays/' + args.id)).body;
    step('add an output through the dialog');
    await page.getByRole('button', { name: 'Edit ' + args.id, exact: true }).click();
    await dlg.getByLabel('New output').fill(args.id + '.flv');
    await dlg.getByRole('button', { name: 'Add output' }).click();
    await dlg.locator('#edit-outputs li').first().waitFor({ state: 'visible' });
    out.afterAddOutput = (await api('GET', '/api/v1/relays/' + args.id)).body.outputs;
    out.editError = await dlg.locator('#edit-error').textContent();
    step('remove the output through the dialog');
    await dlg.getByRole('button', { name: 'Remove output ' + args.id + '.flv' }).click();
    await dlg.locator('#edit-outputs li').first().waitFor({ state: 'detached' });
    out.afterRemoveOutput = (await api('GET', '/api/v1/relays/' + args.id)).body.outputs;
    await dlg.getByRole('button', { name: 'Close' }).click();
    await dlg.waitFor({ state: 'hidden' });
    step('the edited relay streams again in the grid');
    await page.waitForFunction((id) => {
      const v = document.querySelector('#grid article[data-id="' + id + '"] video');
      return v && v.currentTime > 0.5;
    }, args.id, { timeout: 30000 });
    await page.waitForFunction((id) => {
      const dd = document.querySelector('#grid article[data-id="' + id + '"] [data-k="engine"]');
      return dd && dd.textContent.includes('running');
    }, args.id, { timeout: 10000 }).catch(() => {});
    out.engineShown = await tile(args.id).locator('[data-k="engine"]').textContent();
  }

  /* The enlarged tile's recordings: refresh until 8 s are recorded, then click the start of
   * the last span on the bar; the range from there plays (currentTime advances) in the
   * timeline's player. */
  async function timeline() {
    step('timeline: the recorded spans');
    const rec = tile(args.id).locator('.rec');
    await rec.getByRole('button', { name: 'Refresh recordings of ' + args.id }).click();
    await page.waitForFunction((id) => {
      const r = document.querySelector('#grid article[data-id="' + id + '"] .rec');
      if (r && Number(r.dataset.recordedS) < 8) r.querySelector('.row button').click();
      return r && Number(r.dataset.recordedS) >= 8;
    }, args.id, { timeout: 30000, polling: 1000 });
    out.timeline = { spans: Number(await rec.getAttribute('data-spans')),
                     recordedS: Number(await rec.getAttribute('data-recorded-s')),
                     status: await rec.locator('.rec-status').textContent(),
                     drawn: await rec.locator('.rec-span').count() };
    out.recordingList = (await api('GET', '/api/v1/relays/' + args.id + '/recordings')).body.recordings;
    step('timeline: play a range picked on the bar');
    await rec.locator('.rec-span').last().click({ position: { x: 1, y: 5 } });
    const v = rec.locator('video');
    await page.waitForFunction((id) => {
      const e = document.querySelector('#grid article[data-id="' + id + '"] .rec video');
      return e && e.currentTime > 0;
    }, args.id, { timeout: 20000 });
    out.timeline.playback = await rec.getAttribute('data-playback');
    out.timeline.note = await rec.locator('.rec-note').textContent();
    out.timeline.samples = [];
    for (let i = 0; i < 4; i++) {
      out.timeline.samples.push(await v.evaluate((e) => ({ currentTime: e.currentTime, paused: e.paused,
        frames: e.getVideoPlaybackQuality().totalVideoFrames, error: e.error ? e.error.code : null })));
      if (i < 3) await page.waitForTimeout(1000);
    }
  }

  async function onvif() {
    step('ONVIF: discover');
    await page.locator('#onvif-title').scrollIntoViewIfNeeded();
    await page.locator('summary', { hasText: 'Where to look' }).click();
    await page.getByLabel('Discovery address').fill('127.0.0.1');
    await page.getByLabel('Port', { exact: true }).first().fill(String(args.discoverPort));
    await page.getByRole('button', { name: 'Discover devices' }).click();
    const use = page.locator('#onvif-devices button').first();
    await use.waitFor({ state: 'visible', timeout: 15000 });
    out.onvifDevices = await page.locator('#onvif-devices').textContent();
    await use.click();
    out.onvifHostPort = [await page.locator('#onvif-host').inputValue(), await page.locator('#onvif-port').inputValue()];
    step('ONVIF: read the profiles');
    await page.getByLabel('User').fill(args.onvifUser);
    await page.getByLabel('Password', { exact: true }).fill(args.onvifPassword);
    await page.getByRole('button', { name: 'Read profiles' }).click();
    await page.locator('#onvif-add-box').waitFor({ state: 'visible' });
    out.onvifProfiles = await page.locator('#onvif-profiles').textContent();
    await page.locator('#onvif-profiles label', { hasText: 'main' }).first().click();
    await page.locator('#onvif-add-box').getByLabel(/^Id/).fill('ptzcam');
    await page.getByRole('button', { name: 'Add camera from profile' }).click();
    await row('ptzcam').waitFor({ state: 'visible' });
    out.onvifPasswordCleared = (await page.locator('#onvif-password').inputValue()) === '';
    step('ONVIF: PTZ pad');
    await page.getByRole('button', { name: 'Enlarge ptzcam', exact: true }).click();
    const pad = tile('ptzcam').locator('.ptz');
    await pad.getByRole('button', { name: 'PTZ of ptzcam' }).click();
    await pad.locator('.ptz-pad').waitFor({ state: 'visible' });
    await pad.getByRole('button', { name: 'Pan right' }).click();
    await page.waitForTimeout(1200);   // the move lasts 500 ms, then the daemon sends Stop
    out.ptzPresets = await pad.locator('option').allTextContents();
    await pad.getByRole('button', { name: /^Go to preset/ }).click();
    await page.waitForTimeout(800);
    await tile(args.id).getByRole('button', { name: 'PTZ of ' + args.id }).click();
    await tile(args.id).locator('.ptz [role=status]').waitFor({ state: 'visible' });
    out.ptzOnPlainRelay = await tile(args.id).locator('.ptz').textContent();
  }

  async function screenshots() {
    step('screenshot at 1280 px');
    await page.screenshot({ path: args.shot, fullPage: true });
    out.screenshot = args.shot;
    out.scrollWidth1280 = await page.evaluate(() => document.documentElement.scrollWidth);
    if (!args.shotPhone) return;
    step('screenshot at 390 px');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(1500);
    out.scrollWidth390 = await page.evaluate(() => Math.max(document.documentElement.scrollWidth,
                                                               document.body.scrollWidth));
    out.wideElements390 = await page.evaluate(() => Array.from(document.querySelectorAll('body *'))
      .filter((e) => e.getBoundingClientRect().right > 391).slice(0, 8)
      .map((e) => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className));
    out.playing390 = (await videoState(args.id)).currentTime;
    await page.screenshot({ path: args.shotPhone, fullPage: true });
    out.screenshotPhone = args.shotPhone;
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  async function del() {
    out.apiBeforeDelete = await apiList();
    out.metricsBeforeDelete = await (await fetch(args.base + '/metrics')).text();
    step('delete with the page');
    out.viewersBeforeDelete = await row(args.id).locator('[data-k="viewers"]').textContent();
    await page.getByRole('button', { name: 'Delete ' + args.id, exact: true }).click();
    await row(args.id).waitFor({ state: 'detached', timeout: 15000 });
    out.rowGone = true;
    out.tileGone = (await tile(args.id).count()) === 0;
    out.apiAfterDelete = (await apiList()).filter((r) => r.id === args.id);
  }

  return { open, add, record, addHevc, hevc, addBad, firstSeconds, grid, failing, latency, enlarge,
           snapshot, edit, timeline, onvif, screenshots, del };
};
