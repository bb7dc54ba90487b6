/*
 * lightstreamd's page: adding a camera from an ONVIF device. Discover finds
 * devices on the daemon's network (POST /api/v1/onvif/discover), "Read
 * profiles" asks one device for its streams (…/probe), and "Add camera from
 * profile" makes the relay (…/onvif/relays) with the profile's stream URI and
 * the device's credentials; that relay also gets the PTZ pad.
 *
 *   lightstreamd.onvif.init({ showError, clearError, refresh })
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
'use strict';

(function () {
  const ns = window.lightstreamd;
  const el = ns.dom.el;
  const $ = (id) => document.getElementById(id);

  let ui = { showError: () => {}, clearError: () => {}, refresh: async () => {} };

  function status(text) {
    $('onvif-status').textContent = text;
  }

  function device() {
    const d = { host: $('onvif-host').value.trim(), port: Number($('onvif-port').value) || 80 };
    const user = $('onvif-user').value.trim();
    const password = $('onvif-password').value;
    if (user) d.user = user;
    if (password) d.password = password;
    return d;
  }

  /* An xaddr (http://host:port/onvif/device_service) fills the device fields. */
  function useDevice(xaddr) {
    try {
      const u = new URL(xaddr);
      $('onvif-host').value = u.hostname.replace(/^\[|\]$/g, '');
      $('onvif-port').value = u.port || '80';
      $('onvif-user').focus();
    } catch (e) {
      ui.showError('The device gave an address that cannot be read: ' + xaddr);
    }
  }

  async function discover() {
    const button = $('onvif-discover');
    button.disabled = true;
    status('Looking for ONVIF devices (3 s)…');
    try {
      const where = { address: $('onvif-disc-address').value.trim() || '239.255.255.250',
                      port: Number($('onvif-disc-port').value) || 3702 };
      const res = await ns.api.call('POST', '/api/v1/onvif/discover', where);
      const devices = (res && res.devices) || [];
      $('onvif-devices').replaceChildren(...devices.map((d) => {
        const xs = Array.isArray(d.xaddrs) ? d.xaddrs : String(d.xaddrs || '').split(/\s+/);
        const xaddr = String(xs[0] || '');
        const label = [d.name, d.hardware].filter(Boolean).join(' ') || d.endpoint || xaddr;
        return el('li', {}, [el('span', { text: label + ' — ' + xaddr }),
          el('button', { type: 'button', class: 'quiet', text: 'Use', 'aria-label': 'Use ' + label,
                         onclick: () => useDevice(xaddr) })]);
      }));
      status(devices.length ? devices.length + ' found.' : 'No ONVIF device answered.');
    } catch (e) {
      status('');
      ui.showError('Discovery failed: ' + e.message);
    } finally {
      button.disabled = false;
    }
  }

  function profileItem(p, i) {
    const id = 'onvif-profile-' + i;
    const what = [p.encoding, p.width && p.height ? p.width + '×' + p.height : '',
                  p.fps ? p.fps + ' fps' : '', p.ptz ? 'PTZ' : ''].filter(Boolean).join(', ');
    return el('li', {}, [
      el('input', { type: 'radio', name: 'onvif-profile', id, value: p.token }),
      el('label', { for: id, text: (p.name || p.token) + (what ? ' (' + what + ')' : '') })]);
  }

  async function probe(ev) {
    ev.preventDefault();
    const d = device();
    if (!d.host) {
      ui.showError('Enter the device\'s address.');
      $('onvif-host').focus();
      return;
    }
    $('onvif-probe').disabled = true;
    status('Asking ' + d.host + '…');
    try {
      const res = await ns.api.call('POST', '/api/v1/onvif/probe', d);
      const info = res.info || {};
      const profiles = res.profiles || [];
      $('onvif-profiles').replaceChildren(...profiles.map(profileItem));
      const first = $('onvif-profiles').querySelector('input');
      if (first) first.checked = true;
      $('onvif-add-box').hidden = profiles.length === 0;
      status([info.manufacturer, info.model].filter(Boolean).join(' ') + ': ' + profiles.length +
             (profiles.length === 1 ? ' profile.' : ' profiles.'));
      ui.clearError();
    } catch (e) {
      status('');
      $('onvif-add-box').hidden = true;
      ui.showError('Reading the device failed: ' + e.message);
    } finally {
      $('onvif-probe').disabled = false;
    }
  }

  async function add() {
    const chosen = document.querySelector('input[name="onvif-profile"]:checked');
    const relay = {};
    const id = $('onvif-id').value.trim();
    if (id) relay.id = id;
    const d = Object.assign(device(), chosen ? { profile: chosen.value } : {});
    $('onvif-add').disabled = true;
    try {
      const r = await ns.api.call('POST', '/api/v1/onvif/relays', { device: d, relay });
      $('onvif-password').value = '';   // drop the password from the page at once
      $('onvif-id').value = '';
      $('onvif-add-box').hidden = true;
      $('onvif-profiles').replaceChildren();
      status('Added "' + r.id + '".');
      ui.clearError();
      await ui.refresh();
    } catch (e) {
      ui.showError('Adding the camera from the device failed: ' + e.message);
    } finally {
      $('onvif-add').disabled = false;
    }
  }

  function init(callbacks) {
    ui = Object.assign(ui, callbacks);
    $('onvif-discover').addEventListener('click', discover);
    $('onvif-form').addEventListener('submit', probe);
    $('onvif-add').addEventListener('click', add);
  }

  ns.onvif = { init };
})();
