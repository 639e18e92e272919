// Shared UI pieces: toasts, dialogs, states, form fields, tables, pagination.

import { h, replace, uid, fmtNumber } from './dom.js';
import { ApiError, describeError } from './api.js';

// ---------- icons (inline SVG paths, drawn by us) ----------

const ICONS = {
  dashboard: 'M3 13h8V3H3zm0 8h8v-6H3zm10 0h8V11h-8zm0-18v6h8V3z',
  users: 'M16 11a4 4 0 1 0-4-4 4 4 0 0 0 4 4zm-8 0a3 3 0 1 0-3-3 3 3 0 0 0 3 3zm0 2c-2.7 0-8 1.3-8 4v3h8v-3c0-1 .4-2 1.2-2.7A13 13 0 0 0 8 13zm8 0c-2.7 0-8 1.3-8 4v3h16v-3c0-2.7-5.3-4-8-4z',
  posts: 'M6 2h9l5 5v15H6zm8 1.5V8h4.5zM9 12h8v1.5H9zm0 3.5h8V17H9zm0-7h4V10H9z',
  keys: 'M7 14a3 3 0 1 1 3-3 3 3 0 0 1-3 3zm5.6-5A6 6 0 1 0 12.6 13H16v3h3v-3h2V9z',
  webhooks: 'M10 15a3 3 0 0 0 2.8-2H20v-2h-7.2A3 3 0 1 0 10 15zm-6 2a3 3 0 1 0 5.8 1H16a3 3 0 1 0 0-2H9.8A3 3 0 0 0 4 17zM14 5a3 3 0 0 0-2.2 5l-3 5.2 1.7 1 3.1-5.3A3 3 0 1 0 14 5z',
  events: 'M13 2 4 14h7l-1 8 9-12h-7z',
  settings: 'M19.4 13a7.7 7.7 0 0 0 0-2l2.1-1.6-2-3.5-2.5 1a7.3 7.3 0 0 0-1.7-1L15 3h-4l-.4 2.7a7.3 7.3 0 0 0-1.7 1l-2.5-1-2 3.5L6.6 11a7.7 7.7 0 0 0 0 2l-2.1 1.6 2 3.5 2.5-1a7.3 7.3 0 0 0 1.7 1L11 21h4l.4-2.7a7.3 7.3 0 0 0 1.7-1l2.5 1 2-3.5zM13 15.5a3.5 3.5 0 1 1 3.5-3.5 3.5 3.5 0 0 1-3.5 3.5z',
  logout: 'M10 17v-3H3v-4h7V7l5 5zm9-14H11v2h8v14h-8v2h8a2 2 0 0 0 2-2V5a2 2 0 0 0-2-2z',
  menu: 'M3 6h18v2H3zm0 5h18v2H3zm0 5h18v2H3z',
  plus: 'M11 5h2v6h6v2h-6v6h-2v-6H5v-2h6z',
  copy: 'M8 3h11v13h-2V5H8zM4 7h11v14H4z',
  refresh: 'M17.7 6.3A8 8 0 1 0 20 12h-2a6 6 0 1 1-1.8-4.2L13 11h7V4z',
  alert: 'M12 2 1 21h22zm1 15h-2v-2h2zm0-4h-2V9h2z',
  inbox: 'M19 3H5a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2V5a2 2 0 0 0-2-2zm0 12h-4a3 3 0 0 1-6 0H5V5h14z',
  check: 'M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z',
  close: 'M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7l-1.4-1.4L9.2 12 2.9 5.7l1.4-1.4 6.3 6.3 6.3-6.3z',
  download: 'M5 20h14v-2H5zm7-3 5-5h-3V4h-4v8H7z',
};

export function icon(name, cls = 'icon') {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', cls);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', ICONS[name] || ICONS.alert);
  svg.appendChild(path);
  return svg;
}

// ---------- toasts ----------

let toastRoot = null;
export function toast(message, { type = 'success', timeout = 4500 } = {}) {
  if (!toastRoot) {
    toastRoot = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite', testid: 'toasts' });
    document.body.appendChild(toastRoot);
  }
  const el = h('div', { class: ['toast', `toast-${type}`], testid: `toast-${type}` },
    icon(type === 'error' ? 'alert' : 'check'),
    h('span', { class: 'toast-text' }, message),
    h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss', onclick: () => el.remove() },
      icon('close')));
  toastRoot.appendChild(el);
  if (timeout) setTimeout(() => el.remove(), timeout);
  return el;
}

// ---------- dialogs ----------

/** Open a modal <dialog>. `content` is a node; returns {dialog, close}. */
export function openDialog({ title, content, testid, wide = false, onClose }) {
  const titleId = uid('dlg');
  const dialog = h('dialog', { class: ['dialog', wide && 'dialog-wide'], 'aria-labelledby': titleId, testid },
    h('div', { class: 'dialog-head' },
      h('h2', { id: titleId }, title),
      h('button', { type: 'button', class: 'btn btn-icon btn-ghost', 'aria-label': 'Close', onclick: () => close() },
        icon('close'))),
    content);
  let closed = false;
  function close(value) {
    if (closed) return;
    closed = true;
    if (dialog.open) dialog.close(value ?? '');
    dialog.remove();
    onClose?.(value);
  }
  dialog.addEventListener('cancel', (ev) => { ev.preventDefault(); close(); });
  dialog.addEventListener('close', () => close());
  document.body.appendChild(dialog);
  dialog.showModal();
  return { dialog, close };
}

/** Confirmation dialog; resolves true when confirmed. */
export function confirmDialog({ title, message, confirmLabel = 'Delete', danger = true, testid = 'confirm-dialog' }) {
  return new Promise((resolve) => {
    let result = false;
    const cancel = h('button', { type: 'button', class: 'btn', testid: 'confirm-cancel', autofocus: true,
      onclick: () => ctl.close() }, 'Cancel');
    const ok = h('button', { type: 'button', class: ['btn', danger ? 'btn-danger' : 'btn-primary'], testid: 'confirm-ok',
      onclick: () => { result = true; ctl.close(); } }, confirmLabel);
    const body = h('div', { class: 'dialog-body' },
      typeof message === 'string' ? h('p', null, message) : message,
      h('div', { class: 'dialog-actions' }, cancel, ok));
    const ctl = openDialog({ title, content: body, testid, onClose: () => resolve(result) });
    cancel.focus();
  });
}

// ---------- states ----------

export function loading(text = 'Loading…') {
  return h('div', { class: 'state state-loading', role: 'status', 'aria-live': 'polite', testid: 'loading' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', null, text));
}

export function empty({ title = 'Nothing here yet', text, action } = {}) {
  return h('div', { class: 'state state-empty', testid: 'empty' },
    icon('inbox', 'icon state-icon'),
    h('p', { class: 'state-title' }, title),
    text && h('p', { class: 'muted' }, text),
    action);
}

export function errorBox(err, { retry, title = 'Something went wrong' } = {}) {
  const corr = err instanceof ApiError ? err.correlationId : null;
  return h('div', { class: 'state state-error', role: 'alert', testid: 'error' },
    icon('alert', 'icon state-icon'),
    h('p', { class: 'state-title' }, title),
    h('p', { testid: 'error-message' }, describeError(err)),
    corr && h('p', { class: 'muted small' }, 'Correlation ID: ',
      h('code', { testid: 'error-correlation-id' }, corr)),
    retry && h('button', { type: 'button', class: 'btn', onclick: retry }, icon('refresh'), 'Try again'));
}

/** An inline error banner for forms. */
export function alertBanner(err, { testid = 'form-error' } = {}) {
  if (!err) return null;
  const corr = err instanceof ApiError ? err.correlationId : null;
  return h('div', { class: 'alert alert-error', role: 'alert', testid },
    icon('alert'),
    h('div', null,
      h('span', null, typeof err === 'string' ? err : describeError(err)),
      corr && h('span', { class: 'muted small corr' }, ` (correlation ID: `, h('code', null, corr), ')')));
}

export function notice(text, { type = 'info', testid } = {}) {
  return h('div', { class: ['alert', `alert-${type}`], role: type === 'error' ? 'alert' : 'status', testid },
    icon(type === 'error' ? 'alert' : 'check'), h('span', null, text));
}

// ---------- layout bits ----------

export function pageHeader(title, { subtitle, actions, back } = {}) {
  return h('header', { class: 'page-head' },
    h('div', { class: 'page-title' },
      back && h('a', { class: 'back-link', href: back.href }, `← ${back.label}`),
      h('h1', { tabindex: '-1', testid: 'page-title' }, title),
      subtitle && h('p', { class: 'muted' }, subtitle)),
    actions && h('div', { class: 'page-actions' }, actions));
}

export function badge(text, kind = 'neutral', testid) {
  return h('span', { class: ['badge', `badge-${kind}`], testid }, text);
}

export function button(label, onclick, { kind = '', iconName, testid, type = 'button', small = false, ariaLabel, disabled = false } = {}) {
  return h('button', { type, class: ['btn', kind && `btn-${kind}`, small && 'btn-sm'], onclick, testid,
    'aria-label': ariaLabel, disabled }, iconName && icon(iconName), label);
}

/** Run an async action from a button: disables it and shows errors as a toast. */
export async function busy(btn, fn) {
  if (btn.disabled) return undefined;
  btn.disabled = true;
  btn.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } catch (err) {
    if (err?.name !== 'AbortError') errorToast(err);
    return undefined;
  } finally {
    btn.disabled = false;
    btn.removeAttribute('aria-busy');
  }
}

export function errorToast(err) {
  const corr = err instanceof ApiError && err.correlationId ? ` (correlation ID: ${err.correlationId})` : '';
  toast(describeError(err) + corr, { type: 'error', timeout: 9000 });
}

// ---------- forms ----------

/** A labelled field. `control` is an input/select/textarea whose id we set. */
export function field({ label, control, hint, name, testid, className }) {
  const id = control.id || uid(name || 'field');
  control.id = id;
  if (name) control.name = name;
  if (testid) control.setAttribute('data-testid', testid);
  const errId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const describedBy = [hintId, errId].filter(Boolean).join(' ');
  control.setAttribute('aria-describedby', describedBy);
  const err = h('p', { class: 'field-error', id: errId, hidden: true, testid: testid ? `${testid}-error` : undefined });
  const wrap = h('div', { class: ['field', className], 'data-field': name || '' },
    h('label', { for: id }, label),
    control,
    hint && h('p', { class: 'field-hint', id: hintId }, hint),
    err);
  return wrap;
}

export function input(attrs = {}) {
  return h('input', { type: 'text', class: 'input', ...attrs });
}

export function select(options, attrs = {}) {
  const el = h('select', { class: 'input', ...attrs });
  for (const opt of options) {
    const [value, label] = Array.isArray(opt) ? opt : [opt, opt];
    el.appendChild(h('option', { value }, label));
  }
  if (attrs.value !== undefined) el.value = attrs.value;
  return el;
}

export function clearFieldErrors(form) {
  for (const el of form.querySelectorAll('.field-error')) { el.hidden = true; el.textContent = ''; }
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const banner = form.querySelector('.form-banner');
  if (banner) replace(banner);
}

/**
 * Show an API error on a form: each details[] entry next to its field
 * (matched by the field's name, last path segment too), the rest in the banner.
 * `conflictField` names the field a 409 belongs to (e.g. 'slug').
 */
export function showFormError(form, err, { conflictField, conflictMessage } = {}) {
  clearFieldErrors(form);
  const unplaced = [];
  const place = (name, message) => {
    if (!name) return false;
    const candidates = [name, String(name).split(/[.[\]]/).filter(Boolean).pop()];
    for (const c of candidates) {
      const wrap = form.querySelector(`.field[data-field="${CSS.escape(c)}"]`);
      if (wrap) {
        const e = wrap.querySelector('.field-error');
        e.textContent = e.textContent ? `${e.textContent} ${message}` : message;
        e.hidden = false;
        wrap.querySelector('input,select,textarea')?.setAttribute('aria-invalid', 'true');
        return true;
      }
    }
    return false;
  };
  let placedAny = false;
  if (err instanceof ApiError && err.details.length) {
    for (const d of err.details) {
      if (place(d.field, d.message || 'is invalid')) placedAny = true;
      else unplaced.push(`${d.field ? `${d.field}: ` : ''}${d.message}`);
    }
  }
  if (err instanceof ApiError && err.status === 409) {
    let target = conflictField;
    if (!target) {
      const m = /\b(email|username|slug)\b/i.exec(err.message);
      target = m ? m[1].toLowerCase() : null;
    }
    if (target && place(target, conflictMessage || err.message)) placedAny = true;
  }
  const banner = form.querySelector('.form-banner');
  if (banner) {
    const text = placedAny && !unplaced.length ? null : err;
    if (text) replace(banner, alertBanner(err));
    else if (unplaced.length) replace(banner, alertBanner(unplaced.join(' ')));
    else replace(banner, alertBanner('Please correct the highlighted fields.'));
  }
  const first = form.querySelector('[aria-invalid="true"]');
  first?.focus();
}

export function formBanner() {
  return h('div', { class: 'form-banner', 'aria-live': 'assertive' });
}

// ---------- tables ----------

/**
 * columns: [{label, cell(row) → node|string, className, testid}]
 * Stacks into cards under 700 px (labels come from data-label).
 */
export function table({ columns, rows, rowTestid, caption, rowKey }) {
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption || 'Table' },
    h('table', { class: 'table stack' },
      caption && h('caption', { class: 'sr-only' }, caption),
      h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.className }, c.label)))),
      h('tbody', null, rows.map((row) => h('tr', {
        testid: typeof rowTestid === 'function' ? rowTestid(row) : rowTestid,
        'data-key': rowKey ? rowKey(row) : undefined,
      }, columns.map((c) => h('td', { class: c.className, 'data-label': c.label, testid: c.testid }, c.cell(row))))))));
}

// ---------- pagination ----------

export function pagination({ page, pages, total, limit, onPage, onLimit, exact = true, testid = 'pagination' }) {
  const p = Number(page) || 1;
  const pc = Math.max(1, Number(pages) || 1);
  const limitSel = select([10, 20, 50, 100].map((n) => [String(n), `${n} per page`]),
    { value: String(limit), 'aria-label': 'Rows per page', class: 'input input-sm', testid: `${testid}-limit` });
  limitSel.addEventListener('change', () => onLimit?.(Number(limitSel.value)));
  return h('nav', { class: 'pagination', 'aria-label': 'Pagination', testid },
    h('span', { class: 'muted', testid: `${testid}-info` },
      `Page ${fmtNumber(p)} of ${fmtNumber(pc)} · ${exact ? '' : 'more than '}${fmtNumber(total ?? 0)} total`),
    h('div', { class: 'pagination-controls' },
      onLimit && limitSel,
      button('Previous', () => onPage(p - 1), { small: true, disabled: p <= 1, testid: `${testid}-prev` }),
      button('Next', () => onPage(p + 1), { small: true, disabled: p >= pc, testid: `${testid}-next` })));
}

// ---------- copy ----------

export function copyButton(getText, { label = 'Copy', testid = 'copy-button' } = {}) {
  const btn = button(label, async () => {
    const text = getText();
    let ok = false;
    try {
      if (navigator.clipboard?.writeText) { await navigator.clipboard.writeText(text); ok = true; }
    } catch { ok = false; }
    if (!ok) ok = legacyCopy(text);
    if (ok) {
      toast('Copied to the clipboard.');
      btn.lastChild.textContent = 'Copied';
      setTimeout(() => { btn.lastChild.textContent = label; }, 2000);
    } else {
      toast('Copying is not available here: select the text and press Ctrl+C.', { type: 'error' });
    }
  }, { iconName: 'copy', testid });
  // keep the label in its own text node so it can be swapped
  return btn;
}

function legacyCopy(text) {
  // navigator.clipboard needs a secure context; plain http on a LAN address falls back to this.
  const ta = h('textarea', { class: 'offscreen', readonly: true });
  ta.value = text;
  document.body.appendChild(ta);
  ta.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch { ok = false; }
  ta.remove();
  return ok;
}

/** A "shown once" secret box: read-only input + copy button. */
export function secretBox(value, { label, testid }) {
  const inputEl = h('input', { class: 'input mono', readOnly: true, value, testid, spellcheck: 'false', autocomplete: 'off' });
  inputEl.addEventListener('focus', () => inputEl.select());
  return h('div', { class: 'secret-box' },
    field({ label, control: inputEl }),
    copyButton(() => value, { testid: `${testid}-copy` }));
}
