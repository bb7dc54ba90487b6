#!/usr/bin/env node
/*
 * Drives Debian's chromium (headless, through playwright-core) through
 * lightstreamd's page like an NVR operator would. Prints one JSON object (the
 * measurements) on stdout; test_browser.py judges them. Exits 1 when a step
 * cannot be done at all (with the step and the page's console on stderr).
 *
 *   node browser.js --base http://127.0.0.1:PORT --source rtsp://... --id cam
 *                   --shot /path/shot.png [--shot-phone /path/shot390.png]
 *                   [--bad-source rtsp://closed-port/x] [--hash '#token=..&vtoken=..']
 *                   [--api-token T] [--play-seconds 6] [--edit] [--no-delete]
 *                   [--hevc-source rtsp://…/h265_aac] [--record]
 *                   [--onvif-port N --discover-port N --onvif-user U --onvif-password P]
 *
 * Steps: add the camera with the form (and the failing one through the API);
 * the grid plays it (currentTime advances), with the page's bitrate sampled
 * from the first second; the failing one shows its reason and no fps/bitrate;
 * latency sampled in steady state; enlarge, snapshot (a PNG download); with
 * --edit, change the relay and add/remove an output through the dialog; with
 * --onvif-port, discover → read profiles → add → PTZ pad; with --hevc-source,
 * an H.265 camera whose tile must say this browser cannot decode it (and
 * never ask for its stream); with --record, the camera records (API) and the
 * enlarged tile's timeline shows it and plays a range picked on its bar;
 * screenshots at 1280 and 390 px; delete with the page.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
'use strict';

const path = require('path');
const steps = require('./browser_steps.js');

const HARD_LIMIT_MS = 170000;   // the whole run; the Python side has its own timeout too

function parseArgs(argv) {
  const a = { hash: '', apiToken: '', playSeconds: 6, del: true, edit: false };
  const names = { '--base': 'base', '--source': 'source', '--id': 'id', '--shot': 'shot',
                  '--shot-phone': 'shotPhone', '--bad-source': 'badSource', '--hash': 'hash',
                  '--api-token': 'apiToken', '--play-seconds': 'playSeconds', '--onvif-port': 'onvifPort',
                  '--discover-port': 'discoverPort', '--onvif-user': 'onvifUser',
                  '--onvif-password': 'onvifPassword', '--hevc-source': 'hevcSource' };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--no-delete') a.del = false;
    else if (k === '--edit') a.edit = true;
    else if (k === '--record') a.record = true;
    else if (names[k] && i + 1 < argv.length) a[names[k]] = argv[++i];
    else throw new Error('unknown argument or missing value: ' + k);
  }
  a.playSeconds = Number(a.playSeconds);
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

function watch(page, out) {
  page.on('console', (m) => {
    out.console.push(m.type() + ': ' + m.text());
    if (m.type() === 'error') out.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => out.pageErrors.push(String(e)));
  page.on('requestfailed', (r) => {
    /* the stream's fetch is aborted on purpose when playback stops */
    if (!r.url().includes('/live/')) out.failedRequests.push(r.url() + ' ' + (r.failure() || {}).errorText);
  });
  page.on('request', (r) => { if (r.url().includes('/live/')) out.liveRequests.push(r.url()); });
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) out.httpErrors.push(r.status() + ' ' + r.url());
  });
  page.on('dialog', (d) => { out.dialogs.push(d.message()); d.accept(); });
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
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(20000);
    watch(page, out);
    const s = steps(page, args, out, step);

    await s.open();
    await s.add();
    if (args.badSource) await s.addBad();
    if (args.hevcSource) await s.addHevc();
    await s.firstSeconds();
    await s.grid();
    if (args.badSource) await s.failing();
    if (args.hevcSource) await s.hevc();
    await s.latency();
    await s.enlarge();
    await s.snapshot();
    if (args.record) await s.record();
    if (args.edit) await s.edit();
    if (args.record) await s.timeline();
    if (args.onvifPort) await s.onvif();
    await s.screenshots();
    if (args.del) await s.del();
    step('done');
  } finally {
    await browser.close();
  }
}

async function main() {
  const out = { step: 'start', console: [], consoleErrors: [], pageErrors: [], failedRequests: [],
                httpErrors: [], dialogs: [], liveRequests: [] };
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
