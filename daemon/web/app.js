/*
 * lightstreamd's page: lists the relays (GET /api/v1/relays every second) in
 * the grid of live tiles (grid.js) and in the table below it, adds and deletes
 * them, and wires the other parts: editing (edit.js), ONVIF (onvif.js), PTZ
 * (ptz.js), the player (player.js).
 *
 * No framework, no build step: plain scripts loaded in order, each adding one
 * module to window.lightstreamd. Everything that comes from the API or the user
 * reaches the DOM through textContent or attributes, never through innerHTML.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
'use strict';

(function () {
  const REFRESH_MS = 1000;

  const $ = (id) => document.getElementById(id);
  const ns = window.lightstreamd;
  const f = ns.format;
  const el = ns.dom.el;

  const state = {
    relays: new Map(),   // id -> last relay object from the API
    rows: new Map(),     // id -> <tr>
    rates: new Map(),    // id -> rates meter (rates.js)
    refreshTimer: null,
    needToken: false,
  };

  /* ---- messages -------------------------------------------------------- */

  function showError(message) {
    $('alert-text').textContent = message;
    $('alert').hidden = false;
  }

  function clearError() {
    $('alert').hidden = true;
    $('alert-text').textContent = '';
  }

  function handleApiError(e, what) {
    if (e.status === 401) {
      state.needToken = true;
      $('token-form').hidden = false;
      showError((ns.api.tokens.token ? 'The API token was refused' : 'This lightstreamd needs an API token') +
        ' (' + e.message + ').');
      return;
    }
    showError(what + ': ' + e.message);
  }

  /* ---- the relay table ------------------------------------------------- */

  const COLS = [['id', 'Id'], ['source', 'Source'], ['state', 'State'], ['video', 'Video'],
                ['fps', 'FPS'], ['bitrate', 'Bitrate'], ['viewers', 'Viewers']];
  const NUM = ['fps', 'bitrate', 'viewers'];

  function makeRow(id) {
    /* data-label: the column's name, shown beside the value on a phone */
    const cells = COLS.map(([k, label]) => el('td', { 'data-k': k, 'data-label': label,
                                                      class: NUM.includes(k) ? 'num' : '' }));
    const play = el('button', { type: 'button', class: 'play', 'aria-label': 'Play ' + id, text: 'Play',
                                onclick: () => ns.grid.enlarge(id) });
    const del = el('button', { type: 'button', class: 'danger', 'aria-label': 'Delete ' + id,
                               text: 'Delete', onclick: () => remove(id, del) });
    return el('tr', { 'data-id': id }, cells.concat([el('td', { class: 'actions' }, [play, del])]));
  }

  function setCell(tr, key, text, title) {
    const td = tr.querySelector('[data-k="' + key + '"]');
    if (td.textContent !== text) td.textContent = text;
    if (title !== undefined) td.title = title;
  }

  /* The state, and under it why the relay is not streaming, in words. */
  function setState(tr, r, reason) {
    const td = tr.querySelector('[data-k="state"]');
    const key = r.state + '|' + r.on_demand + '|' + reason;
    if (td.dataset.shown === key) return;
    td.dataset.shown = key;
    td.replaceChildren(el('span', { class: 'badge s-' + String(r.state).replace(/[^a-z]/g, ''), text: r.state }));
    if (r.on_demand) td.appendChild(document.createTextNode(' (on demand)'));
    if (reason) td.appendChild(el('span', { class: 'reason', 'data-k': 'reason', text: reason }));
  }

  function updateRow(tr, v) {
    const r = v.r;
    setCell(tr, 'id', r.id, r.name || '');
    setCell(tr, 'source', r.source || '', r.source || '');
    setState(tr, r, v.reason);
    setCell(tr, 'video', r.state === 'streaming' ? f.fmtVideo(r.stats) : '–');
    setCell(tr, 'fps', f.fmtFps(v.fps));
    setCell(tr, 'bitrate', f.fmtBitrate(v.kbps));
    setCell(tr, 'viewers', String(r.viewers ?? 0));
  }

  /* What the page shows of a relay: the API's object and the page's own rates. */
  function viewOf(r) {
    let m = state.rates.get(r.id);
    if (!m) {
      m = ns.rates.create();
      state.rates.set(r.id, m);
    }
    const { kbps, fps } = m.update(r);
    return { r, kbps, fps, reason: f.fmtReason(r) };
  }

  function render(relays) {
    const body = $('relay-rows');
    state.relays = new Map(relays.map((r) => [r.id, r]));
    for (const [id, tr] of state.rows) {
      if (!state.relays.has(id)) {
        tr.remove();
        state.rows.delete(id);
        state.rates.delete(id);
      }
    }
    const views = relays.map(viewOf);
    views.forEach((v, i) => {
      let tr = state.rows.get(v.r.id);
      if (!tr) {
        tr = makeRow(v.r.id);
        state.rows.set(v.r.id, tr);
      }
      updateRow(tr, v);
      /* the API's order; move a row only when it is out of place, since moving
       * a row takes the keyboard focus away from its buttons */
      if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] || null);
    });
    $('relays-empty').hidden = relays.length > 0;
    ns.grid.render(views);
  }

  async function refresh() {
    try {
      const res = await ns.api.call('GET', '/api/v1/relays');
      render(Array.isArray(res && res.relays) ? res.relays : []);
      if (state.needToken) {
        state.needToken = false;
        $('token-form').hidden = true;
        clearError();
      }
    } catch (e) {
      handleApiError(e, 'Listing the relays failed');
    }
    refreshHealth();
  }

  async function refreshHealth() {
    try {
      const h = await ns.api.call('GET', '/healthz');
      $('health').textContent = h.relays + (h.relays === 1 ? ' relay' : ' relays') + ' · ' +
        h.viewers + (h.viewers === 1 ? ' viewer' : ' viewers') + ' · up ' + f.fmtUptime(h.uptime_s);
    } catch (e) {
      $('health').textContent = 'lightstreamd unreachable';
    }
  }

  function scheduleRefresh() {
    clearTimeout(state.refreshTimer);
    state.refreshTimer = setTimeout(async () => {
      await refresh();
      scheduleRefresh();
    }, REFRESH_MS);
  }

  /* ---- add / edit / delete --------------------------------------------- */

  async function add(ev) {
    ev.preventDefault();
    /* by element id: form.id would be the form's own id attribute */
    const sourceInput = $('add-source');
    const idInput = $('add-id');
    const source = sourceInput.value.trim();
    const id = idInput.value.trim();
    if (!source) {
      showError('Enter the camera URL (rtsp://…).');
      sourceInput.focus();
      return;
    }
    if (id && !/^[A-Za-z0-9_.-]{1,64}$/.test(id)) {
      showError('The id may have only letters, digits, "_", "." and "-" (at most 64).');
      idInput.focus();
      return;
    }
    const body = { source, transport: $('add-transport').value, on_demand: $('add-on-demand').checked };
    if (id) body.id = id;
    const button = $('add-submit');
    button.disabled = true;
    try {
      await ns.api.call('POST', '/api/v1/relays', body);
      clearError();
      sourceInput.value = '';   // drop the password from the page at once
      idInput.value = '';
      await refresh();
    } catch (e) {
      handleApiError(e, 'Adding the camera failed');
    } finally {
      button.disabled = false;
    }
  }

  function editRelay(id) {
    const r = state.relays.get(id);
    if (r) ns.edit.open(r);
  }

  async function remove(id, button) {
    if (!window.confirm('Delete the relay "' + id + '"? Its viewers are disconnected.')) return;
    button.disabled = true;
    try {
      await ns.api.call('DELETE', ns.api.relayPath(id));
      clearError();
      await refresh();
    } catch (e) {
      handleApiError(e, 'Deleting "' + id + '" failed');
    } finally {
      button.disabled = false;
    }
  }

  /* ---- start ----------------------------------------------------------- */

  function useTokens(ev) {
    ev.preventDefault();
    ns.api.tokens.token = $('token-input').value.trim();
    ns.api.tokens.vtoken = $('vtoken-input').value.trim();
    $('token-input').value = '';
    $('vtoken-input').value = '';
    ns.api.writeTokens();
    clearError();
    refresh();
  }

  function start() {
    ns.api.readTokens();
    window.addEventListener('hashchange', () => { ns.api.readTokens(); refresh(); });
    $('add-form').addEventListener('submit', add);
    $('token-form').addEventListener('submit', useTokens);
    $('alert-close').addEventListener('click', clearError);
    const parts = { showError, clearError, refresh };
    ns.grid.init({ showError, onEdit: editRelay });
    ns.edit.init(parts);
    ns.onvif.init(parts);
    refresh().then(scheduleRefresh);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
