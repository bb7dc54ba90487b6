/*
 * lightstreamd's page: building elements. Everything that comes from the API or
 * the user reaches the DOM through textContent or attributes, never innerHTML.
 *
 *   lightstreamd.dom.el(tag, { text, class, onclick, attr: value… }, [children])
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
'use strict';

(function () {
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

  window.lightstreamd = window.lightstreamd || {};
  window.lightstreamd.dom = { el };
})();
