// API keys: list, create with scopes (the key is shown once), revoke.

import { h, replace, time } from '../dom.js';
import { api, enc } from '../api.js';
import {
  pageHeader, loading, empty, errorBox, table, badge, button, input, field, openDialog,
  formBanner, showFormError, clearFieldErrors, confirmDialog, toast, busy, secretBox, notice,
} from '../ui.js';

const SCOPES = [
  ['read', 'Read', 'Read users (private fields too), posts (drafts too) and the event stream.'],
  ['write', 'Write', 'Also create and change users and posts (implies read).'],
  ['admin', 'Admin', 'Also the admin API and setting roles (implies read and write).'],
];

export function render({ root, query, setQuery, signal }) {
  const list = h('div', { 'aria-live': 'polite' }, loading('Loading API keys…'));
  replace(root,
    pageHeader('API keys', {
      subtitle: 'Keys for scripts and services; send them in the x-api-key header.',
      actions: button('New API key', () => openCreate(), { kind: 'primary', iconName: 'plus', testid: 'apikey-new' }),
    }),
    h('div', { class: 'card' }, list));

  async function load() {
    try {
      const data = await api.get('/api/admin/api-keys', { signal });
      const keys = data.api_keys || [];
      if (!keys.length) {
        replace(list, empty({ title: 'No API keys', text: 'Create one to let a script or service call Folio.',
          action: button('New API key', () => openCreate(), { iconName: 'plus' }) }));
        return;
      }
      replace(list, table({
        caption: 'API keys', rows: keys, rowTestid: 'apikey-row', rowKey: (k) => k.id,
        columns: [
          { label: 'Name', cell: (k) => h('span', { class: 'strong', testid: 'apikey-name' }, k.name) },
          { label: 'Prefix', cell: (k) => h('code', { testid: 'apikey-prefix' }, `${k.prefix}…`) },
          { label: 'Scopes', cell: (k) => h('span', { class: 'badges' },
            (k.scopes || []).map((sc) => badge(sc, sc === 'admin' ? 'accent' : sc === 'write' ? 'warning' : 'neutral'))) },
          { label: 'Created', cell: (k) => time(k.created_at) },
          { label: 'Last used', cell: (k) => time(k.last_used_at, { relative: true, empty: 'never' }) },
          { label: 'Actions', className: 'col-actions', cell: (k) => revokeButton(k) },
        ],
      }));
    } catch (err) {
      if (signal.aborted) return;
      replace(list, errorBox(err, { retry: () => { replace(list, loading()); load(); } }));
    }
  }

  function revokeButton(key) {
    const btn = button('Revoke', async () => {
      const ok = await confirmDialog({
        title: `Revoke “${key.name}”?`, confirmLabel: 'Revoke key',
        message: h('p', null, 'Every request using the key starting with ', h('code', null, key.prefix),
          ' fails from now on. This cannot be undone.'),
      });
      if (!ok) return;
      await busy(btn, async () => {
        await api.del(`/api/admin/api-keys/${enc(key.id)}`, { signal });
        toast(`API key “${key.name}” revoked.`);
        load();
      });
    }, { small: true, kind: 'danger-ghost', testid: 'apikey-revoke', ariaLabel: `Revoke ${key.name}` });
    return btn;
  }

  function openCreate() {
    const name = input({ required: true, maxlength: '100', autocomplete: 'off', placeholder: 'e.g. nightly-export' });
    const boxes = SCOPES.map(([value, label, hint]) => {
      const id = `scope-${value}`;
      const cb = h('input', { type: 'checkbox', class: 'checkbox', id, value, testid: `apikey-scope-${value}`,
        'aria-describedby': `${id}-hint`, checked: value === 'read' });
      return { value, cb, row: h('div', { class: 'check-row' }, cb,
        h('div', null, h('label', { for: id }, label), h('p', { class: 'field-hint', id: `${id}-hint` }, hint))) };
    });
    const scopeErr = h('p', { class: 'field-error', hidden: true, id: 'scopes-error' });
    const submit = button('Create key', null, { type: 'submit', kind: 'primary', testid: 'apikey-create-submit' });
    const form = h('form', { class: 'form dialog-body', novalidate: true, testid: 'apikey-create-form' },
      formBanner(),
      field({ label: 'Name', control: name, name: 'name', testid: 'apikey-name-input', hint: 'What the key is for; shown in this list.' }),
      h('fieldset', { class: 'field fieldset', 'data-field': 'scopes' },
        h('legend', null, 'Scopes'), boxes.map((b) => b.row), scopeErr),
      h('div', { class: 'dialog-actions' }, button('Cancel', () => ctl.close()), submit));
    const ctl = openDialog({ title: 'New API key', content: form, testid: 'apikey-create-dialog' });
    name.focus();
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearFieldErrors(form);
      const scopes = boxes.filter((b) => b.cb.checked).map((b) => b.value);
      if (!scopes.length) {
        scopeErr.textContent = 'Choose at least one scope.';
        scopeErr.hidden = false;
        boxes[0].cb.focus();
        return;
      }
      submit.disabled = true;
      try {
        const data = await api.post('/api/admin/api-keys', { name: name.value.trim(), scopes }, { signal });
        ctl.close();
        showKey(data);
        load();
      } catch (err) {
        showFormError(form, err);
      } finally {
        submit.disabled = false;
      }
    });
  }

  function showKey({ api_key: key, key: secret }) {
    const done = button('I have stored the key', () => ctl.close(), { kind: 'primary', testid: 'apikey-done' });
    const body = h('div', { class: 'dialog-body' },
      notice('Copy this key now. It is shown only once; Folio stores only a hash of it.', { type: 'warning' }),
      secretBox(secret, { label: `API key “${key?.name ?? ''}”`, testid: 'apikey-secret' }),
      h('p', { class: 'muted small' }, 'Use it as: ', h('code', null, 'x-api-key: <key>')),
      h('div', { class: 'dialog-actions' }, done));
    const ctl = openDialog({ title: 'API key created', content: body, testid: 'apikey-created-dialog' });
    done.focus();
    toast(`API key “${key?.name ?? ''}” created.`);
  }

  load();
  if (query.get('new') === '1') { setQuery({ new: null }); openCreate(); }
  return undefined;
}
