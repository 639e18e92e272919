// Webhooks: list, create (secret shown once), enable/disable, delete.

import { h, replace, time } from '../dom.js';
import { api, enc } from '../api.js';
import {
  pageHeader, loading, empty, errorBox, table, badge, button, input, field, openDialog,
  formBanner, showFormError, clearFieldErrors, confirmDialog, toast, busy, secretBox, notice,
} from '../ui.js';

export const EVENT_TYPES = [
  'user.created', 'user.updated', 'user.deleted',
  'post.created', 'post.updated', 'post.published', 'post.unpublished', 'post.deleted',
];

export function eventsSummary(events) {
  const list = events || [];
  if (EVENT_TYPES.every((t) => list.includes(t)) || list.includes('*')) return h('span', { class: 'badges' }, badge('all events', 'accent'));
  return h('span', { class: 'badges' }, list.map((e) => badge(e, 'neutral')));
}

export function enabledBadge(hook) {
  return hook.enabled === false ? badge('disabled', 'danger', 'webhook-state') : badge('enabled', 'success', 'webhook-state');
}

/** Create/edit dialog. `hook` given → edit (PATCH url + events). */
export function openWebhookDialog({ hook, onSaved, signal }) {
  const editing = Boolean(hook);
  const url = input({ type: 'url', required: true, value: hook?.url || '', placeholder: 'https://example.com/hooks/folio',
    autocomplete: 'off', spellcheck: 'false', inputmode: 'url' });
  const secret = input({ autocomplete: 'off', spellcheck: 'false', placeholder: 'leave blank to generate one' });
  const current = new Set(hook?.events || EVENT_TYPES);
  const boxes = EVENT_TYPES.map((type) => {
    const id = `evt-${type.replace('.', '-')}`;
    const cb = h('input', { type: 'checkbox', class: 'checkbox', id, value: type, checked: current.has(type) || current.has('*'),
      testid: `webhook-event-${type}` });
    return { type, cb, row: h('div', { class: 'check-row' }, cb, h('label', { for: id }, h('code', null, type))) };
  });
  const all = h('input', { type: 'checkbox', class: 'checkbox', id: 'evt-all', testid: 'webhook-event-all' });
  const syncAll = () => {
    const n = boxes.filter((b) => b.cb.checked).length;
    all.checked = n === boxes.length;
    all.indeterminate = n > 0 && n < boxes.length;
  };
  all.addEventListener('change', () => { for (const b of boxes) b.cb.checked = all.checked; syncAll(); });
  for (const b of boxes) b.cb.addEventListener('change', syncAll);
  syncAll();
  const eventsErr = h('p', { class: 'field-error', hidden: true });
  const submit = button(editing ? 'Save webhook' : 'Create webhook', null, { type: 'submit', kind: 'primary', testid: 'webhook-submit' });
  const form = h('form', { class: 'form dialog-body', novalidate: true, testid: 'webhook-form' },
    formBanner(),
    field({ label: 'Payload URL', control: url, name: 'url', testid: 'webhook-url',
      hint: 'Folio POSTs each event here as JSON, signed with x-folio-signature. Redirects are not followed.' }),
    h('fieldset', { class: 'field fieldset', 'data-field': 'events' },
      h('legend', null, 'Events'),
      h('div', { class: 'check-row check-all' }, all, h('label', { for: 'evt-all' }, 'All events')),
      h('div', { class: 'check-grid' }, boxes.map((b) => b.row)),
      eventsErr),
    !editing && field({ label: 'Signing secret (optional)', control: secret, name: 'secret', testid: 'webhook-secret-input' }),
    h('div', { class: 'dialog-actions' }, button('Cancel', () => ctl.close()), submit));
  const ctl = openDialog({ title: editing ? 'Edit webhook' : 'New webhook', content: form, testid: 'webhook-dialog', wide: true });
  url.focus();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    eventsErr.hidden = true;
    const events = boxes.filter((b) => b.cb.checked).map((b) => b.type);
    if (!events.length) {
      eventsErr.textContent = 'Choose at least one event.';
      eventsErr.hidden = false;
      boxes[0].cb.focus();
      return;
    }
    submit.disabled = true;
    try {
      if (editing) {
        const body = { events };
        if (url.value.trim() !== hook.url) body.url = url.value.trim();
        const data = await api.patch(`/api/admin/webhooks/${enc(hook.id)}`, body, { signal });
        ctl.close();
        toast('Webhook saved.');
        onSaved?.(data.webhook ?? data);
      } else {
        const body = { url: url.value.trim(), events };
        if (secret.value.trim()) body.secret = secret.value.trim();
        const data = await api.post('/api/admin/webhooks', body, { signal });
        ctl.close();
        onSaved?.(data.webhook, data.secret);
      }
    } catch (err) {
      showFormError(form, err);
    } finally {
      submit.disabled = false;
    }
  });
}

export function showSecret(hook, secret) {
  const done = button('I have stored the secret', () => ctl.close(), { kind: 'primary', testid: 'webhook-secret-done' });
  const body = h('div', { class: 'dialog-body' },
    notice('Copy the signing secret now: it is shown only once. Use it to verify the x-folio-signature header.', { type: 'warning' }),
    secretBox(secret ?? '', { label: 'Signing secret', testid: 'webhook-secret' }),
    h('p', { class: 'muted small' }, 'Signature: ', h('code', null, 't=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>')),
    h('div', { class: 'dialog-actions' },
      hook?.id && h('a', { class: 'btn', href: `#/webhooks/${encodeURIComponent(hook.id)}`, onclick: () => ctl.close() }, 'View deliveries'),
      done));
  const ctl = openDialog({ title: 'Webhook created', content: body, testid: 'webhook-created-dialog' });
  done.focus();
}

export function toggleButton(hook, { signal, onChange }) {
  const btn = button(hook.enabled === false ? 'Enable' : 'Disable', () => busy(btn, async () => {
    const data = await api.patch(`/api/admin/webhooks/${enc(hook.id)}`, { enabled: hook.enabled === false }, { signal });
    const updated = data.webhook ?? data;
    toast(`Webhook ${updated.enabled === false ? 'disabled' : 'enabled'}.`);
    onChange(updated);
  }), { small: true, testid: 'webhook-toggle' });
  return btn;
}

export function deleteButton(hook, { signal, onDeleted, small = true }) {
  const btn = button('Delete', async () => {
    const ok = await confirmDialog({
      title: 'Delete this webhook?', confirmLabel: 'Delete webhook',
      message: h('p', null, 'Folio stops sending events to ', h('code', { class: 'break' }, hook.url),
        ' and forgets its delivery history. This cannot be undone.'),
    });
    if (!ok) return;
    await busy(btn, async () => {
      await api.del(`/api/admin/webhooks/${enc(hook.id)}`, { signal });
      toast('Webhook deleted.');
      onDeleted();
    });
  }, { small, kind: small ? 'danger-ghost' : 'danger', testid: 'webhook-delete' });
  return btn;
}

export function render({ root, signal, query, setQuery }) {
  const list = h('div', { 'aria-live': 'polite' }, loading('Loading webhooks…'));
  const create = () => openWebhookDialog({ signal, onSaved: (hook, secret) => { showSecret(hook, secret); toast('Webhook created.'); load(); } });
  replace(root,
    pageHeader('Webhooks', {
      subtitle: 'Send every change to another service as it happens.',
      actions: button('New webhook', create, { kind: 'primary', iconName: 'plus', testid: 'webhook-new' }),
    }),
    h('div', { class: 'card' }, list));

  async function load() {
    try {
      const data = await api.get('/api/admin/webhooks', { signal });
      const hooks = data.webhooks || [];
      if (!hooks.length) {
        replace(list, empty({ title: 'No webhooks', text: 'Create one to receive user and post events over HTTP.',
          action: button('New webhook', create, { iconName: 'plus' }) }));
        return;
      }
      replace(list, table({
        caption: 'Webhooks', rows: hooks, rowTestid: 'webhook-row', rowKey: (w) => w.id,
        columns: [
          { label: 'URL', className: 'col-title', cell: (w) => h('a', { href: `#/webhooks/${encodeURIComponent(w.id)}`,
            class: 'strong break mono', testid: 'webhook-link' }, w.url) },
          { label: 'Events', cell: (w) => eventsSummary(w.events) },
          { label: 'State', cell: enabledBadge },
          { label: 'Created', cell: (w) => time(w.created_at) },
          { label: 'Actions', className: 'col-actions', cell: (w) => h('div', { class: 'row-actions' },
            h('a', { class: 'btn btn-sm', href: `#/webhooks/${encodeURIComponent(w.id)}` }, 'Deliveries'),
            toggleButton(w, { signal, onChange: load }),
            deleteButton(w, { signal, onDeleted: load })) },
        ],
      }));
    } catch (err) {
      if (signal.aborted) return;
      replace(list, errorBox(err, { retry: () => { replace(list, loading()); load(); } }));
    }
  }

  load();
  if (query.get('new') === '1') { setQuery({ new: null }); create(); }
  return undefined;
}
