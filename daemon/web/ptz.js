/*
 * lightstreamd's page: the PTZ pad and presets of a relay made from an ONVIF
 * device (POST /api/v1/relays/{id}/ptz, GET …/ptz/presets).
 *
 *   lightstreamd.ptz.mount(container, id, showError)
 *
 * The relay object does not say whether it was made from an ONVIF device, so
 * the pad appears when asked for ("PTZ" button): the presets are read, and 409
 * no_onvif (a plain RTSP relay) or 501 (built without ONVIF) says so in words.
 * (Asking for every enlarged relay would log a failed request each time.) A pad button moves for MOVE_MS (the daemon sends Stop
 * after it), so a lost click never leaves a camera turning.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
'use strict';

(function () {
  const MOVE_MS = 500;
  const SPEED = 0.5;
  const ns = window.lightstreamd;
  const el = ns.dom.el;

  const PAD = [
    ['Tilt up', '▲', { tilt: SPEED }], ['Pan left', '◀', { pan: -SPEED }],
    ['Stop moving', '■', null], ['Pan right', '▶', { pan: SPEED }],
    ['Tilt down', '▼', { tilt: -SPEED }], ['Zoom in', '+', { zoom: SPEED }],
    ['Zoom out', '−', { zoom: -SPEED }],
  ];

  async function send(id, body, showError) {
    try {
      await ns.api.call('POST', ns.api.relayPath(id, '/ptz'), body);
    } catch (e) {
      showError('PTZ of "' + id + '" failed: ' + e.message);
    }
  }

  function pad(id, showError) {
    return el('div', { class: 'ptz-pad', role: 'group', 'aria-label': 'Move ' + id },
      PAD.map(([label, glyph, move]) => el('button', {
        type: 'button', class: 'quiet', 'aria-label': label, title: label, text: glyph,
        onclick: () => send(id, move ? Object.assign({ action: 'move', duration_ms: MOVE_MS }, move)
          : { action: 'stop' }, showError),
      })));
  }

  function presets(id, list, showError) {
    const select = el('select', { id: 'ptz-preset-' + id }, list.map((p) =>
      el('option', { value: p.token, text: p.name || p.token })));
    const go = el('button', { type: 'button', text: 'Go to preset', 'aria-label': 'Go to preset of ' + id,
                              onclick: () => send(id, { action: 'goto', preset: select.value }, showError) });
    return el('div', { class: 'ptz-presets' }, [
      el('label', { for: select.id, text: 'Preset' }), select, go]);
  }

  async function load(box, id, button, showError) {
    button.disabled = true;
    let res;
    try {
      res = await ns.api.call('GET', ns.api.relayPath(id, '/ptz/presets'));
    } catch (e) {
      button.disabled = false;
      if (e.status === 409 || e.status === 501) {
        box.appendChild(el('p', { class: 'hint', role: 'status',
          text: e.status === 409 ? 'No PTZ: this camera was not added from an ONVIF device.'
            : 'No PTZ: this lightstreamd was built without ONVIF.' }));
      } else {
        showError('Reading the PTZ presets of "' + id + '" failed: ' + e.message);
      }
      return;
    }
    const list = Array.isArray(res && res.presets) ? res.presets : [];
    box.replaceChildren(el('h4', { text: 'PTZ' }), pad(id, showError));
    if (list.length) box.appendChild(presets(id, list, showError));
    box.querySelector('button').focus();
  }

  function mount(box, id, showError) {
    if (box.dataset.mounted) return;
    box.dataset.mounted = '1';
    const button = el('button', { type: 'button', class: 'quiet', text: 'PTZ', 'aria-label': 'PTZ of ' + id });
    button.addEventListener('click', () => load(box, id, button, showError));
    box.replaceChildren(button);
    box.hidden = false;
  }

  ns.ptz = { mount };
})();
