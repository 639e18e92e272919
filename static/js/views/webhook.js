// One webhook: settings, ping, enable/disable, edit, delete, and its deliveries
// (auto-refreshed every 5 s while the view is open) with a redeliver button.

import { h, replace, time, sleep } from '../dom.js';
import { api, enc } from '../api.js';
import {
  pageHeader, loading, empty, errorBox, table, badge, button, pagination, toast, busy,
} from '../ui.js';
import { eventsSummary, enabledBadge, openWebhookDialog, toggleButton, deleteButton } from './webhooks.js';

const REFRESH_MS = 5000;

// The contract lists no `id` on a delivery; there is one delivery per (webhook, event), and
// x-folio-delivery carries the event id, so the event id identifies it when `id` is absent.
function deliveryId(d) { return d.id ?? d.event_id; }

function whenLine(d) {
  if (d.delivered_at) return h('div', { class: 'muted small' }, 'delivered ', time(d.delivered_at, { relative: true }));
  const next = d.next_attempt_at ? new Date(d.next_attempt_at).getTime() : NaN;
  if (d.status !== 'delivered' && Number.isFinite(next)) {
    return h('div', { class: 'muted small' }, next > Date.now() ? 'next attempt ' : 'attempt due ', time(d.next_attempt_at, { relative: true }));
  }
  return null;
}

function deliveryBadge(d) {
  const kind = { delivered: 'success', failed: 'danger', pending: 'warning' }[d.status] || 'neutral';
  return badge(d.status || 'unknown', kind, 'delivery-status');
}

export function render({ root, params, signal, navigate, setTitle }) {
  const id = params.id;
  let hook = null;
  let page = 1;
  const back = { href: '#/webhooks', label: 'Webhooks' };
  const deliveries = h('div', { 'aria-live': 'polite', testid: 'deliveries' }, loading('Loading deliveries…'));
  const lastRefresh = h('span', { class: 'muted small' });

  replace(root, pageHeader('Webhook', { back }), loading('Loading webhook…'));

  async function load() {
    try {
      const data = await api.get(`/api/admin/webhooks/${enc(id)}`, { signal });
      show(data.webhook ?? data);
      refreshLoop();
    } catch (err) {
      if (signal.aborted) return;
      replace(root, pageHeader('Webhook', { back }),
        h('div', { class: 'card' }, errorBox(err, { retry: load, title: err.status === 404 ? 'Webhook not found' : undefined })));
    }
  }

  function show(w) {
    hook = w;
    setTitle(`Webhook ${w.url}`);
    const ping = button('Send ping', () => busy(ping, async () => {
      await api.post(`/api/admin/webhooks/${enc(w.id)}/ping`, undefined, { signal });
      toast('Ping queued; it shows up in the deliveries below.');
      loadDeliveries();
    }), { iconName: 'events', testid: 'webhook-ping' });
    const edit = button('Edit', () => openWebhookDialog({ hook: w, signal, onSaved: (updated) => show({ ...w, ...updated }) }),
      { testid: 'webhook-edit' });
    const toggle = toggleButton(w, { signal, onChange: (updated) => show({ ...w, ...updated }) });
    toggle.classList.remove('btn-sm');
    const del = deleteButton(w, { signal, small: false, onDeleted: () => navigate('/webhooks') });
    replace(root,
      pageHeader(w.url, { back, actions: [ping, edit, toggle, del] }),
      h('section', { class: 'card', 'aria-labelledby': 'wh-h' },
        h('h2', { id: 'wh-h' }, 'Settings'),
        h('dl', { class: 'props', testid: 'webhook-props' },
          h('dt', null, 'Payload URL'), h('dd', null, h('code', { class: 'break', testid: 'webhook-url-value' }, w.url)),
          h('dt', null, 'Events'), h('dd', null, eventsSummary(w.events)),
          h('dt', null, 'State'), h('dd', null, enabledBadge(w)),
          h('dt', null, 'Created'), h('dd', null, time(w.created_at)),
          w.updated_at && [h('dt', null, 'Updated'), h('dd', null, time(w.updated_at))],
          h('dt', null, 'ID'), h('dd', null, h('code', { class: 'break' }, w.id)))),
      h('section', { class: 'card', 'aria-labelledby': 'dl-h' },
        h('div', { class: 'card-head' },
          h('h2', { id: 'dl-h' }, 'Recent deliveries'),
          h('div', { class: 'row-actions' }, lastRefresh,
            button('Refresh', () => loadDeliveries(), { small: true, iconName: 'refresh', testid: 'deliveries-refresh' }))),
        deliveries));
    loadDeliveries();
  }

  let seq = 0;
  async function loadDeliveries() {
    if (!hook) return;
    const mine = ++seq;
    try {
      const data = await api.get(`/api/admin/webhooks/${enc(hook.id)}/deliveries`, { signal, query: { page, limit: 20 } });
      if (mine !== seq) return;
      lastRefresh.textContent = `Updated ${new Date().toLocaleTimeString()}`;
      const rows = data.deliveries || [];
      const pg = data.pagination || {};
      if (!rows.length) {
        replace(deliveries, empty({ title: 'No deliveries yet',
          text: 'Deliveries appear here when a subscribed event happens. “Send ping” sends a test event now.' }));
        return;
      }
      replace(deliveries,
        table({
          caption: 'Deliveries', rows, rowTestid: 'delivery-row', rowKey: deliveryId,
          columns: [
            { label: 'Event', className: 'col-event', cell: (d) => h('div', null, h('code', { class: 'strong', testid: 'delivery-event' }, d.event_type),
              h('div', { class: 'muted small mono break' }, d.event_id)) },
            { label: 'Status', cell: (d) => h('div', null, deliveryBadge(d),
              h('div', { class: 'muted small' }, h('span', { testid: 'delivery-attempts' }, String(d.attempts ?? 0)),
                d.attempts === 1 ? ' attempt' : ' attempts')) },
            { label: 'Response', cell: (d) => (d.last_response_code != null
              ? h('code', { testid: 'delivery-code' }, String(d.last_response_code)) : h('span', { class: 'muted' }, '—')) },
            { label: 'Last error', cell: (d) => (d.last_error
              ? h('span', { class: 'text-danger break small', testid: 'delivery-error' }, d.last_error) : h('span', { class: 'muted' }, '—')) },
            { label: 'When', cell: (d) => h('div', null, time(d.created_at, { seconds: true }), whenLine(d)) },
            { label: 'Actions', className: 'col-actions', cell: (d) => redeliverButton(d) },
          ],
        }),
        pg.pages > 1 && pagination({ page: pg.page ?? page, pages: pg.pages, total: pg.total, limit: 20,
          testid: 'deliveries-pagination', onPage: (p) => { page = p; loadDeliveries(); } }));
    } catch (err) {
      if (signal.aborted || mine !== seq) return;
      replace(deliveries, errorBox(err, { retry: loadDeliveries }));
    }
  }

  function redeliverButton(d) {
    const btn = button('Redeliver', () => busy(btn, async () => {
      await api.post(`/api/admin/webhooks/${enc(hook.id)}/deliveries/${enc(deliveryId(d))}/redeliver`, undefined, { signal });
      toast(`Delivery of ${d.event_type} queued again.`);
      loadDeliveries();
    }), { small: true, testid: 'delivery-redeliver', ariaLabel: `Redeliver ${d.event_type}` });
    return btn;
  }

  async function refreshLoop() {
    for (;;) {
      try { await sleep(REFRESH_MS, signal); } catch { return; }
      // Do not redraw under an open dialog or while the user is interacting with a button in the table.
      if (!document.querySelector('dialog[open]') && !deliveries.contains(document.activeElement)) await loadDeliveries();
    }
  }

  load();
  return undefined;
}
