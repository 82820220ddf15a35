import { sha256Base64 } from './html-sha256.js';

/**
 * The report page's one script (plain browser JavaScript, inlined and allowed by its hash in the CSP).
 * It decodes an attempt's drill-down on demand: the markup of every attempt sits in the page as gzip,
 * base64-encoded, in chunks (`#vmmi-lazy`); opening an attempt decompresses its chunk with the browser's
 * DecompressionStream (no network: the bytes come from the page itself) and inserts the markup, which the
 * pure renderer built and escaped. It also switches a timeline between the outage window and the whole
 * run, shows an event's details on focus, and opens the folded lists before printing.
 * `window.vmmiOpen(i)` opens attempt i and resolves once it is drawn (used by the bench and the tests).
 */
export const CLIENT_SCRIPT = `(() => {
  'use strict';
  let lazy;
  const chunks = new Map();
  const data = () => lazy || (lazy = JSON.parse(document.getElementById('vmmi-lazy').textContent));
  const inflate = async (b64) => {
    if (data().encoding === 'json') return JSON.parse(b64);
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return JSON.parse(await new Response(stream).text());
  };
  const chunk = (k) => {
    if (!chunks.has(k)) chunks.set(k, inflate(data().chunks[k]));
    return chunks.get(k);
  };
  const cols = (row) => row.children.length;
  async function open(i) {
    const row = document.getElementById('attempt-' + (i + 1));
    if (!row) return;
    const btn = row.querySelector('button.open');
    const next = row.nextElementSibling;
    if (next && next.classList.contains('drill')) return next;
    const tr = document.createElement('tr');
    tr.className = 'drill';
    const td = document.createElement('td');
    td.colSpan = cols(row);
    td.textContent = 'decoding…';
    tr.appendChild(td);
    row.after(tr);
    const n = data().chunkSize;
    const list = await chunk(Math.floor(i / n));
    td.innerHTML = list[i % n];
    tr.dataset.ready = '1';
    if (btn) btn.setAttribute('aria-expanded', 'true');
    return tr;
  }
  function close(i) {
    const row = document.getElementById('attempt-' + (i + 1));
    const next = row && row.nextElementSibling;
    if (next && next.classList.contains('drill')) next.remove();
    const btn = row && row.querySelector('button.open');
    if (btn) btn.setAttribute('aria-expanded', 'false');
  }
  window.vmmiOpen = async (i) => {
    const t0 = performance.now();
    await open(i);
    await new Promise((r) => requestAnimationFrame(() => r()));
    return performance.now() - t0;
  };
  document.addEventListener('click', (ev) => {
    const t = ev.target instanceof Element ? ev.target : null;
    const b = t && t.closest('button');
    if (!b) return;
    if (b.classList.contains('open')) {
      const i = Number(b.dataset.i);
      if (b.getAttribute('aria-expanded') === 'true') close(i); else void open(i);
    } else if (b.classList.contains('trends-open')) {
      const body = document.getElementById('trends-body');
      if (b.getAttribute('aria-expanded') === 'true') {
        body.innerHTML = '';
        b.setAttribute('aria-expanded', 'false');
      } else {
        void inflate(data().trends).then((markup) => { body.innerHTML = markup; b.setAttribute('aria-expanded', 'true'); });
      }
    } else if (b.classList.contains('zoom')) {
      const box = b.closest('.drillbody');
      const outage = b.dataset.view === 'outage';
      box.querySelector('.view-outage').hidden = !outage;
      box.querySelector('.view-all').hidden = outage;
      for (const z of box.querySelectorAll('button.zoom')) z.setAttribute('aria-pressed', String(z === b));
    }
  });
  const show = (ev) => {
    const g = ev.target instanceof Element ? ev.target.closest('g.ev') : null;
    const box = g && g.closest('.drillbody');
    const out = box && box.querySelector('.evdetail');
    if (out) out.textContent = g.dataset.detail;
  };
  document.addEventListener('focusin', show);
  document.addEventListener('mouseover', show);
  window.addEventListener('beforeprint', () => {
    for (const d of document.querySelectorAll('details')) d.open = true;
  });
  const m = /^#attempt-(\\d+)$/.exec(location.hash);
  if (m) void open(Number(m[1]) - 1);
})();`;

/** CSP source that allows exactly {@link CLIENT_SCRIPT}. */
export const CLIENT_SCRIPT_CSP = `'sha256-${sha256Base64(CLIENT_SCRIPT)}'`;
