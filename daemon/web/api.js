/*
 * lightstreamd's page: the JSON API as the page speaks it (shared by every
 * other module), and the tokens from the address's fragment.
 *
 *   lightstreamd.api.call(method, path, body)  -> parsed JSON, or throws ApiError
 *   lightstreamd.api.tokens                     { token, vtoken }
 *   lightstreamd.api.readTokens() / writeTokens()
 *   lightstreamd.api.streamUrl(url)             a stream's URL (+ ?token=viewer token)
 *   lightstreamd.api.relayPath(id, tail)        /api/v1/relays/<id><tail>, id encoded
 *
 * Tokens: #token=<api token> is sent as "Authorization: Bearer"; #vtoken=<viewer
 * token> is appended to the stream URL as ?token= (a <video> cannot send headers).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
'use strict';

(function () {
  const tokens = { token: '', vtoken: '' };

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  function readTokens() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ''));
    tokens.token = params.get('token') || '';
    tokens.vtoken = params.get('vtoken') || '';
  }

  function writeTokens() {
    const params = new URLSearchParams();
    if (tokens.token) params.set('token', tokens.token);
    if (tokens.vtoken) params.set('vtoken', tokens.vtoken);
    const hash = params.toString();
    /* replaceState: no reload, and the tokens stay out of the history list */
    history.replaceState(null, '', location.pathname + location.search + (hash ? '#' + hash : ''));
  }

  function errorOf(res, json) {
    const err = json && json.error;
    const message = err && typeof err.message === 'string' ? err.message
      : 'HTTP ' + res.status + ' ' + res.statusText;
    return new ApiError(res.status, err && err.code ? String(err.code) : 'http', message);
  }

  async function call(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (tokens.token) headers.Authorization = 'Bearer ' + tokens.token;
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
    if (!res.ok) throw errorOf(res, json);
    return json;
  }

  function streamUrl(url) {
    const u = new URL(url, location.href);
    if (tokens.vtoken) u.searchParams.set('token', tokens.vtoken);
    return u.toString();
  }

  function relayPath(id, tail) {
    return '/api/v1/relays/' + encodeURIComponent(id) + (tail || '');
  }

  window.lightstreamd = window.lightstreamd || {};
  window.lightstreamd.api = { call, tokens, readTokens, writeTokens, streamUrl, relayPath, ApiError };
})();
