/*
 * lightstreamd's page: editing a relay in a dialog. Saving sends PATCH
 * /api/v1/relays/{id} with only the fields that changed (the relay restarts
 * only when a stream field changed); outputs are added and removed at once,
 * one by one (POST/DELETE …/outputs), so a running RTMP push elsewhere is not
 * restarted.
 *
 *   lightstreamd.edit.init({ showError, clearError, refresh })
 *   lightstreamd.edit.open(relay)
 *
 * The API shows the source with its password as ****: the field starts empty
 * and an empty field keeps the source, so saving never writes "****" over the
 * camera's password.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
'use strict';

(function () {
  const ns = window.lightstreamd;
  const el = ns.dom.el;
  const $ = (id) => document.getElementById(id);

  let ui = { showError: () => {}, clearError: () => {}, refresh: async () => {} };
  let current = null;   // the relay being edited, as the API last gave it

  function say(text) {
    $('edit-error').textContent = text;
    $('edit-error').hidden = !text;
  }

  function outputRow(o) {
    const state = o.state + (o.error ? ' — ' + o.error : '');
    const del = el('button', { type: 'button', class: 'danger', text: 'Remove',
                               'aria-label': 'Remove output ' + o.url, onclick: () => removeOutput(o, del) });
    return el('li', { 'data-oid': String(o.id) }, [
      el('span', { class: 'out-url', text: o.url }), el('span', { class: 'hint', text: state }), del]);
  }

  function showOutputs(r) {
    const list = $('edit-outputs');
    list.replaceChildren(...(r.outputs || []).map(outputRow));
    $('edit-outputs-empty').hidden = (r.outputs || []).length > 0;
  }

  async function reload() {
    current = await ns.api.call('GET', ns.api.relayPath(current.id));
    showOutputs(current);
    await ui.refresh();
  }

  async function addOutput(ev) {
    ev.preventDefault();
    const input = $('edit-output-url');
    const url = input.value.trim();
    if (!url) {
      say('Enter an rtmp:// address or a .flv file name.');
      input.focus();
      return;
    }
    try {
      await ns.api.call('POST', ns.api.relayPath(current.id, '/outputs'), { url });
      input.value = '';
      say('');
      await reload();
    } catch (e) {
      say('Adding the output failed: ' + e.message);
    }
  }

  async function removeOutput(o, button) {
    button.disabled = true;
    try {
      await ns.api.call('DELETE', ns.api.relayPath(current.id, '/outputs/' + encodeURIComponent(o.id)));
      say('');
      await reload();
      $('edit-output-url').focus();
    } catch (e) {
      say('Removing the output failed: ' + e.message);
      button.disabled = false;
    }
  }

  /* The fields the user changed, as a PATCH body. */
  function changes(r) {
    const body = {};
    const source = $('edit-source').value.trim();
    if (source) body.source = source;
    const name = $('edit-name').value.trim();
    if (name !== (r.name || '')) body.name = name;
    for (const k of ['transport', 'engine', 'audio']) {
      const v = $('edit-' + k).value;
      if (v !== (r[k] || (k === 'engine' ? 'libavformat' : ''))) body[k] = v;
    }
    const onDemand = $('edit-on-demand').checked;
    if (onDemand !== Boolean(r.on_demand)) body.on_demand = onDemand;
    return body;
  }

  async function save(ev) {
    ev.preventDefault();
    const body = changes(current);
    if (body.source && body.source.includes('****')) {
      say('Type the whole camera URL with its real password (**** is how the page hides it).');
      $('edit-source').focus();
      return;
    }
    if (Object.keys(body).length === 0) {
      $('edit-dialog').close();
      return;
    }
    $('edit-save').disabled = true;
    try {
      await ns.api.call('PATCH', ns.api.relayPath(current.id), body);
      $('edit-source').value = '';   // drop the password from the page at once
      $('edit-dialog').close();
      ui.clearError();
      await ui.refresh();
    } catch (e) {
      say('Saving failed: ' + e.message);
    } finally {
      $('edit-save').disabled = false;
    }
  }

  function open(r) {
    current = r;
    $('edit-title').textContent = 'Edit ' + r.id;
    $('edit-current-source').textContent = r.source || '';
    $('edit-source').value = '';
    $('edit-name').value = r.name || '';
    $('edit-transport').value = r.transport || 'tcp';
    $('edit-engine').value = r.engine || 'libavformat';
    $('edit-audio').value = r.audio || 'all';
    $('edit-on-demand').checked = Boolean(r.on_demand);
    $('edit-output-url').value = '';
    say('');
    showOutputs(r);
    $('edit-dialog').showModal();
    $('edit-source').focus();
  }

  function init(callbacks) {
    ui = Object.assign(ui, callbacks);
    $('edit-form').addEventListener('submit', save);
    $('edit-output-form').addEventListener('submit', addOutput);
    $('edit-cancel').addEventListener('click', () => $('edit-dialog').close());
    $('edit-dialog').addEventListener('close', () => { $('edit-source').value = ''; });
  }

  ns.edit = { init, open };
})();
