/*
 * lightstreamd's page: lists the relays (GET /api/v1/relays every 2 s), adds
 * and deletes them, and plays one in a <video> with mpegts.js (HTTP-FLV
 * through Media Source Extensions).
 *
 * No framework, no build step. Everything that comes from the API or the user
 * reaches the DOM through textContent or attributes, never through innerHTML.
 *
 * Tokens: #token=<api token> is sent as "Authorization: Bearer"; #vtoken=<viewer
 * token> is appended to the stream URL as ?token=.
 *
 * The player lives in player.js, the formatting in format.js.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
'use strict';

(function () {
  const REFRESH_MS = 2000;

  const $ = (id) => document.getElementById(id);
  const f = window.lightstreamd.format;
  const player = window.lightstreamd.player;

  const state = {
    token: '',
    vtoken: '',
    relays: new Map(),   // id -> last relay object from the API
    rows: new Map(),     // id -> <tr>
    refreshTimer: null,
    needToken: false,
  };

  /* ---- tokens ---------------------------------------------------------- */

  function readTokens() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ''));
    state.token = params.get('token') || '';
    state.vtoken = params.get('vtoken') || '';
  }

  function writeTokens() {
    const params = new URLSearchParams();
    if (state.token) params.set('token', state.token);
    if (state.vtoken) params.set('vtoken', state.vtoken);
    const hash = params.toString();
    /* replaceState: no reload, and the tokens stay out of the history list */
    history.replaceState(null, '', location.pathname + location.search + (hash ? '#' + hash : ''));
  }

  /* ---- API ------------------------------------------------------------- */

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (state.token) headers.Authorization = 'Bearer ' + state.token;
    const init = { method, headers, cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, 'network', 'cannot reach lightstreamd (' + e.message + ')');
    }
    const text = await res.text();
    let json = null;
    if (text) {
      try { json = JSON.parse(text); } catch (e) { json = null; }
    }
    if (!res.ok) {
      const err = json && json.error;
      const message = err && typeof err.message === 'string' ? err.message
        : 'HTTP ' + res.status + ' ' + res.statusText;
      throw new ApiError(res.status, err && err.code ? String(err.code) : 'http', message);
    }
    return json;
  }

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
      showError((state.token ? 'The API token was refused' : 'This lightstreamd needs an API token') +
        ' (' + e.message + ').');
      return;
    }
    showError(what + ': ' + e.message);
  }

  /* ---- the relay table ------------------------------------------------- */

  function el(tag, props, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === 'text') e.textContent = v;
      else if (k === 'class') e.className = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const c of children || []) e.appendChild(c);
    return e;
  }

  function makeRow(id) {
    const cells = ['id', 'source', 'state', 'video', 'fps', 'bitrate', 'viewers'].map((k) =>
      el('td', { 'data-k': k, class: ['fps', 'bitrate', 'viewers'].includes(k) ? 'num' : '' }));
    const play = el('button', { type: 'button', class: 'play', 'aria-label': 'Play ' + id, text: 'Play',
                                onclick: () => playRelay(id) });
    const del = el('button', { type: 'button', class: 'danger', 'aria-label': 'Delete ' + id,
                               text: 'Delete', onclick: () => remove(id, del) });
    const actions = el('td', { class: 'actions' }, [play, del]);
    const tr = el('tr', { 'data-id': id }, cells.concat([actions]));
    return tr;
  }

  function setCell(tr, key, text, title) {
    const td = tr.querySelector('[data-k="' + key + '"]');
    if (td.textContent !== text) td.textContent = text;
    if (title !== undefined) td.title = title;
  }

  function updateRow(tr, r) {
    const st = r.stats || {};
    setCell(tr, 'id', r.id, r.name || '');
    setCell(tr, 'source', r.source || '', r.source || '');
    const stateTd = tr.querySelector('[data-k="state"]');
    const stateText = r.state + (r.on_demand ? ' (on demand)' : '');
    if (stateTd.textContent !== stateText) {
      stateTd.textContent = '';
      stateTd.appendChild(el('span', { class: 'badge s-' + String(r.state).replace(/[^a-z]/g, ''),
                                       text: r.state }));
      if (r.on_demand) stateTd.appendChild(document.createTextNode(' (on demand)'));
    }
    stateTd.title = st.last_error || '';
    setCell(tr, 'video', f.fmtVideo(st));
    setCell(tr, 'fps', f.fmtFps(st.fps));
    setCell(tr, 'bitrate', f.fmtBitrate(st.bitrate_kbps));
    setCell(tr, 'viewers', String(r.viewers ?? 0));
    tr.classList.toggle('current', player.playingId() === r.id);
  }

  function render(relays) {
    const body = $('relay-rows');
    state.relays = new Map(relays.map((r) => [r.id, r]));
    for (const [id, tr] of state.rows) {
      if (!state.relays.has(id)) {
        tr.remove();
        state.rows.delete(id);
      }
    }
    relays.forEach((r, i) => {
      let tr = state.rows.get(r.id);
      if (!tr) {
        tr = makeRow(r.id);
        state.rows.set(r.id, tr);
      }
      updateRow(tr, r);
      /* the API's order; move a row only when it is out of place, since moving
       * a row takes the keyboard focus away from its buttons */
      if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] || null);
    });
    $('relays-empty').hidden = relays.length > 0;
    if (player.playingId()) player.relayUpdated(state.relays.get(player.playingId()));
  }

  async function refresh() {
    try {
      const res = await api('GET', '/api/v1/relays');
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
      const h = await api('GET', '/healthz');
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

  /* ---- add / delete ---------------------------------------------------- */

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
      const r = await api('POST', '/api/v1/relays', body);
      clearError();
      sourceInput.value = '';   // drop the password from the page at once
      idInput.value = '';
      if (r && r.id) {
        state.relays.set(r.id, r);
        render(Array.from(state.relays.values()));
      }
      await refresh();
    } catch (e) {
      handleApiError(e, 'Adding the camera failed');
    } finally {
      button.disabled = false;
    }
  }

  async function remove(id, button) {
    if (!window.confirm('Delete the relay "' + id + '"? Its viewers are disconnected.')) return;
    button.disabled = true;
    try {
      if (player.playingId() === id) player.stop();
      await api('DELETE', '/api/v1/relays/' + encodeURIComponent(id));
      clearError();
      await refresh();
    } catch (e) {
      handleApiError(e, 'Deleting "' + id + '" failed');
    } finally {
      button.disabled = false;
    }
  }

  /* ---- the player ------------------------------------------------------ */

  function streamUrl(r) {
    const u = new URL(r.play.flv, location.href);
    if (state.vtoken) u.searchParams.set('token', state.vtoken);
    return u.toString();
  }

  function playRelay(id) {
    const r = state.relays.get(id);
    if (r) player.play(r, streamUrl(r));
  }

  function markPlaying(id) {
    for (const [rid, tr] of state.rows) tr.classList.toggle('current', rid === id);
  }

  /* ---- start ----------------------------------------------------------- */

  function useTokens(ev) {
    ev.preventDefault();
    state.token = $('token-input').value.trim();
    state.vtoken = $('vtoken-input').value.trim();
    $('token-input').value = '';
    $('vtoken-input').value = '';
    writeTokens();
    clearError();
    refresh();
  }

  function start() {
    readTokens();
    window.addEventListener('hashchange', () => { readTokens(); refresh(); });
    $('add-form').addEventListener('submit', add);
    $('token-form').addEventListener('submit', useTokens);
    player.init({ showError, clearError, onChange: markPlaying });
    $('alert-close').addEventListener('click', clearError);
    refresh().then(scheduleRefresh);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
