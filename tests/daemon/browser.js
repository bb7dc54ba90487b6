#!/usr/bin/env node
/*
 * Drives Debian's chromium (headless, through playwright-core) through
 * lightstreamd's page like a person would: add a camera with the form, play
 * it, read the video element, delete it. Prints one JSON object (the
 * measurements) on stdout; test_browser.py judges them. Exits 1 when a step
 * cannot be done at all (with the step and the page's console on stderr).
 *
 *   node browser.js --base http://127.0.0.1:PORT --source rtsp://... --id cam
 *                   --shot /path/shot.png [--hash '#token=..&vtoken=..']
 *                   [--api-token T] [--play-seconds 6] [--no-delete]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
'use strict';

const path = require('path');

const HARD_LIMIT_MS = 150000;   // the whole run; the Python side has its own timeout too

function parseArgs(argv) {
  const a = { hash: '', apiToken: '', playSeconds: 6, del: true };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(k + ' needs a value');
      return argv[++i];
    };
    if (k === '--base') a.base = v();
    else if (k === '--source') a.source = v();
    else if (k === '--id') a.id = v();
    else if (k === '--shot') a.shot = v();
    else if (k === '--hash') a.hash = v();
    else if (k === '--api-token') a.apiToken = v();
    else if (k === '--play-seconds') a.playSeconds = Number(v());
    else if (k === '--no-delete') a.del = false;
    else throw new Error('unknown argument ' + k);
  }
  for (const k of ['base', 'source', 'id', 'shot']) {
    if (!a[k]) throw new Error('--' + k + ' is required');
  }
  return a;
}

function loadPlaywright() {
  const dir = path.join(__dirname, '..', 'harness', 'node_modules', 'playwright-core');
  try {
    return require(dir);
  } catch (e) {
    throw new Error('playwright-core is not installed in tests/harness (run tests/harness/deps.sh): ' + e.message);
  }
}

/* The API as the test sees it, independent of the page (Node's own fetch). */
async function apiList(args) {
  const headers = args.apiToken ? { Authorization: 'Bearer ' + args.apiToken } : {};
  const res = await fetch(args.base + '/api/v1/relays', { headers });
  const body = await res.json();
  return (body.relays || []).map((r) => ({ id: r.id, source: r.source, state: r.state }));
}

async function videoState(page) {
  return page.evaluate(() => {
    const v = document.getElementById('video');
    const q = v.getVideoPlaybackQuality();
    return {
      currentTime: v.currentTime,
      paused: v.paused,
      readyState: v.readyState,
      width: v.videoWidth,
      height: v.videoHeight,
      totalVideoFrames: q.totalVideoFrames,
      droppedVideoFrames: q.droppedVideoFrames,
      error: v.error ? v.error.code + ' ' + v.error.message : null,
    };
  });
}

async function run(args, out, log) {
  const { chromium } = loadPlaywright();
  const step = (s) => { out.step = s; log('step: ' + s); };

  step('launch chromium');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required', '--disable-gpu',
           '--disable-dev-shm-usage', '--mute-audio', '--no-first-run',
           '--disable-background-networking', '--disable-component-update'],
  });
  try {
    out.browserVersion = browser.version();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(20000);
    page.on('console', (m) => out.console.push(m.type() + ': ' + m.text()));
    page.on('pageerror', (e) => out.pageErrors.push(String(e)));
    page.on('requestfailed', (r) => {
      /* the stream's fetch is aborted on purpose when playback stops */
      if (!r.url().includes('/live/')) out.failedRequests.push(r.url() + ' ' + (r.failure() || {}).errorText);
    });
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) out.httpErrors.push(r.status() + ' ' + r.url());
    });
    page.on('dialog', (d) => { out.dialogs.push(d.message()); d.accept(); });

    step('open the page');
    const resp = await page.goto(args.base + '/' + args.hash, { waitUntil: 'load' });
    out.pageStatus = resp.status();
    out.mse = await page.evaluate(() => ({
      h264: MediaSource.isTypeSupported('video/mp4; codecs="avc1.42E01E"'),
      h264High: MediaSource.isTypeSupported('video/mp4; codecs="avc1.64001F"'),
      aac: MediaSource.isTypeSupported('audio/mp4; codecs="mp4a.40.2"'),
      hevc: MediaSource.isTypeSupported('video/mp4; codecs="hvc1.1.6.L93.B0"'),
      mpegtsLoaded: typeof mpegts !== 'undefined',
      mseLivePlayback: typeof mpegts !== 'undefined' && mpegts.getFeatureList().mseLivePlayback,
    }));

    step('add the camera with the form');
    await page.getByLabel('Camera URL').fill(args.source);
    await page.getByLabel(/^Id/).fill(args.id);
    await page.getByLabel('Transport').selectOption('tcp');
    await page.getByRole('button', { name: 'Add camera' }).click();
    const row = page.locator('#relay-rows tr[data-id="' + args.id + '"]');
    await row.waitFor({ state: 'visible' });
    out.formClearedAfterAdd = (await page.getByLabel('Camera URL').inputValue()) === '';

    step('wait for the relay to stream');
    await page.waitForFunction((id) => {
      const td = document.querySelector('#relay-rows tr[data-id="' + id + '"] [data-k="state"]');
      return td && td.textContent.startsWith('streaming');
    }, args.id, { timeout: 30000 });
    await page.waitForFunction((id) => {
      const td = document.querySelector('#relay-rows tr[data-id="' + id + '"] [data-k="video"]');
      return td && td.textContent !== '–';
    }, args.id, { timeout: 15000 });
    out.row = {};
    for (const k of ['id', 'source', 'state', 'video', 'fps', 'bitrate', 'viewers']) {
      out.row[k] = await row.locator('[data-k="' + k + '"]').textContent();
    }
    out.pageHtmlHasSource = (await page.content()).includes(args.source);

    step('keyboard focus survives the list refresh');
    const playButton = page.getByRole('button', { name: 'Play ' + args.id, exact: true });
    await playButton.focus();
    await page.waitForTimeout(2500);   // longer than the page's 2 s refresh
    out.focusAfterRefresh = await page.evaluate(() =>
      document.activeElement && document.activeElement.getAttribute('aria-label'));

    step('play it');
    await playButton.click();
    await page.locator('#player').waitFor({ state: 'visible' });
    const t0 = Date.now();
    try {
      await page.waitForFunction(() => document.getElementById('video').currentTime > 0, null,
                                 { timeout: 20000 });
    } catch (e) {
      out.startError = 'currentTime stayed 0 for 20 s';
    }
    out.firstFrameMs = Date.now() - t0;
    out.samples = [await videoState(page)];
    for (let i = 0; i < args.playSeconds; i++) {
      await page.waitForTimeout(1000);
      out.samples.push(await videoState(page));
    }
    out.playerStats = await page.evaluate(() => {
      const o = {};
      for (const dd of document.querySelectorAll('#player-stats dd, #relay-stats dd')) {
        o[dd.closest('dl').id + '.' + dd.dataset.k] = dd.textContent;
      }
      return o;
    });
    out.viewersRow = await row.locator('[data-k="viewers"]').textContent();
    out.alert = await page.evaluate(() => {
      const a = document.getElementById('alert');
      return a.hidden ? null : a.textContent.trim();
    });
    out.pageHtmlHasSourceWhilePlaying = (await page.content()).includes(args.source);

    step('screenshot');
    await page.screenshot({ path: args.shot, fullPage: true });
    out.screenshot = args.shot;

    if (args.del) {
      out.apiBeforeDelete = await apiList(args);
      step('delete with the page');
      await page.getByRole('button', { name: 'Delete ' + args.id, exact: true }).click();
      await row.waitFor({ state: 'detached', timeout: 15000 });
      out.rowGone = true;
      out.playerHiddenAfterDelete = await page.locator('#player').isHidden();
      out.apiAfterDelete = await apiList(args);
    }
    step('done');
  } finally {
    await browser.close();
  }
}

async function main() {
  const out = { step: 'start', console: [], pageErrors: [], failedRequests: [], httpErrors: [], dialogs: [] };
  const log = (s) => process.stderr.write('browser.js: ' + s + '\n');
  const limit = setTimeout(() => {
    out.error = 'timed out after ' + HARD_LIMIT_MS + ' ms in step "' + out.step + '"';
    process.stdout.write(JSON.stringify(out) + '\n');
    process.exit(2);
  }, HARD_LIMIT_MS);
  let code = 0;
  try {
    await run(parseArgs(process.argv), out, log);
  } catch (e) {
    out.error = 'step "' + out.step + '": ' + (e && e.message ? e.message : String(e));
    code = 1;
  }
  clearTimeout(limit);
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(code);
}

main();
