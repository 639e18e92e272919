// DOM helpers: build elements without innerHTML, and format values for display.
// Everything that shows API data goes through textContent / text nodes.

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false || child === true) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

// Properties that must be set as DOM properties rather than attributes.
const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'required', 'selected',
  'readOnly', 'multiple', 'open', 'indeterminate']);

function applyAttrs(el, attrs, svg) {
  if (!attrs) return;
  for (const [key, val] of Object.entries(attrs)) {
    if (val === null || val === undefined) continue;
    if (key.startsWith('aria-')) { el.setAttribute(key, String(val)); continue; }
    if (val === false && !PROPS.has(key)) continue;
    if (key === 'style') throw new Error('inline styles are not allowed (CSP); use a class');
    if (key.startsWith('on') && typeof val === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), val);
    } else if (key === 'class') {
      el.setAttribute('class', Array.isArray(val) ? val.filter(Boolean).join(' ') : val);
    } else if (key === 'for') {
      el.setAttribute('for', val);
    } else if (key === 'testid') {
      el.setAttribute('data-testid', val);
    } else if (!svg && PROPS.has(key)) {
      el[key] = val;
    } else {
      el.setAttribute(key, val === true ? '' : String(val));
    }
  }
}

/** h('button', {class: 'btn', onclick: fn}, 'Save') */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  applyAttrs(el, attrs, false);
  append(el, children);
  return el;
}

/** The same for SVG elements. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyAttrs(el, attrs, true);
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

let idSeq = 0;
export function uid(prefix = 'f') {
  idSeq += 1;
  return `${prefix}-${idSeq}`;
}

/**
 * Render a search snippet: the server escapes everything except <mark> tags.
 * We split on the tags, unescape the entities in the text parts and build text
 * nodes and <mark> elements, never touching innerHTML.
 */
export function snippet(text) {
  const out = document.createDocumentFragment();
  const parts = String(text ?? '').split(/(<mark>|<\/mark>)/);
  let inMark = false;
  for (const part of parts) {
    if (part === '<mark>') { inMark = true; continue; }
    if (part === '</mark>') { inMark = false; continue; }
    if (!part) continue;
    const t = unescapeHtml(part);
    out.appendChild(inMark ? h('mark', null, t) : document.createTextNode(t));
  }
  return out;
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };
export function unescapeHtml(str) {
  return str.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, ent) => {
    if (ent[0] === '#') {
      const code = ent[1] === 'x' || ent[1] === 'X' ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[ent.toLowerCase()] ?? m;
  });
}

/** Plain-text preview: blank lines separate paragraphs, single newlines become <br>. */
export function paragraphs(text) {
  const frag = document.createDocumentFragment();
  const blocks = String(text ?? '').replace(/\r\n?/g, '\n').split(/\n\s*\n/);
  for (const block of blocks) {
    if (!block.trim()) continue;
    const p = h('p');
    block.split('\n').forEach((line, i) => {
      if (i > 0) p.appendChild(h('br'));
      p.appendChild(document.createTextNode(line));
    });
    frag.appendChild(p);
  }
  return frag;
}

// ---------- formatting ----------

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateFmtSec = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const relFmt = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export function parseDate(value) {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function fmtDate(value, { seconds = false } = {}) {
  const d = parseDate(value);
  if (!d) return '—';
  return (seconds ? dateFmtSec : dateFmt).format(d);
}

export function fmtRelative(value) {
  const d = parseDate(value);
  if (!d) return '—';
  const diff = (d.getTime() - Date.now()) / 1000;
  const abs = Math.abs(diff);
  if (abs < 45) return relFmt.format(Math.round(diff), 'second');
  if (abs < 2700) return relFmt.format(Math.round(diff / 60), 'minute');
  if (abs < 79200) return relFmt.format(Math.round(diff / 3600), 'hour');
  if (abs < 2592000) return relFmt.format(Math.round(diff / 86400), 'day');
  return fmtDate(value);
}

/** A <time> element in local time, with the exact instant as a tooltip. */
export function time(value, { relative = false, seconds = false, empty = '—' } = {}) {
  const d = parseDate(value);
  if (!d) return h('span', { class: 'muted' }, empty);
  return h('time', { datetime: value, title: dateFmtSec.format(d) + ` (${value})` },
    relative ? fmtRelative(value) : fmtDate(value, { seconds }));
}

const numFmt = new Intl.NumberFormat();
export function fmtNumber(n) {
  return typeof n === 'number' && Number.isFinite(n) ? numFmt.format(n) : '—';
}

export function fmtBytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function fmtDuration(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const hr = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d ${hr}h ${m}m`;
  if (hr > 0) return `${hr}h ${m}m`;
  if (m > 0) return `${m}m ${sec}s`;
  return `${sec}s`;
}

export function plural(n, one, many = `${one}s`) {
  return `${fmtNumber(n)} ${n === 1 ? one : many}`;
}

export function debounce(fn, ms) {
  let t = null;
  const wrapped = (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(t);
  return wrapped;
}

/** Resolves after ms, or rejects early when the signal aborts. */
export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(signal.reason); return; }
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    function onAbort() { clearTimeout(t); reject(signal.reason); }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
