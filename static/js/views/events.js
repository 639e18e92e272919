// Live events: follows GET /api/events (SSE over fetch) while the view is open.

import { h, replace, time } from '../dom.js';
import { describeError } from '../api.js';
import { pageHeader, badge, button, notice, icon, errorBox } from '../ui.js';
import { follow } from '../sse.js';
import { EVENT_TYPES } from './webhooks.js';

const MAX_ITEMS = 200;

function summarize(type, data) {
  if (!data || typeof data !== 'object') return '';
  if (type.endsWith('.deleted')) return `id ${data.id ?? '?'}`;
  if (type.startsWith('post.')) {
    return [data.title && `“${data.title}”`, data.author?.username && `by ${data.author.username}`,
      data.slug && `(${data.slug})`].filter(Boolean).join(' ');
  }
  if (type.startsWith('user.')) {
    return [data.username, data.email && `<${data.email}>`, data.role && `· ${data.role}`,
      data.disabled ? '· disabled' : ''].filter(Boolean).join(' ');
  }
  return data.id ? `id ${data.id}` : '';
}

function kindOf(type) {
  if (type.endsWith('.deleted')) return 'danger';
  if (type.endsWith('.created')) return 'success';
  if (type.endsWith('.published')) return 'accent';
  return 'neutral';
}

export function render({ root, signal, query, setQuery }) {
  let selected = new Set((query.get('types') || '').split(',').filter((t) => EVENT_TYPES.includes(t)));
  let controller = null;
  let lastEventId = null;
  let paused = false;
  let count = 0;
  let countdown = null;

  const statusText = h('span', null, 'Connecting…');
  const status = h('span', { class: 'conn conn-connecting', testid: 'events-status', 'data-state': 'connecting',
    role: 'status', 'aria-live': 'polite' }, h('span', { class: 'conn-dot', 'aria-hidden': 'true' }), statusText);
  const counter = h('span', { class: 'muted small', testid: 'events-count' }, '0 events');
  const list = h('ol', { class: 'event-list', testid: 'events-list', 'aria-label': 'Events, newest first' });
  const emptyBox = h('div', { class: 'state state-empty', testid: 'events-empty' },
    icon('events', 'icon state-icon'),
    h('p', { class: 'state-title' }, 'Waiting for events…'),
    h('p', { class: 'muted' }, 'Changes to users and posts appear here the moment they happen.'));
  const notices = h('div', { 'aria-live': 'polite' });

  const pauseBtn = button('Pause', () => {
    paused = !paused;
    pauseBtn.lastChild.textContent = paused ? 'Resume' : 'Pause';
    if (paused) stop(); else connect();
  }, { testid: 'events-pause' });
  const clearBtn = button('Clear', () => { replace(list); count = 0; updateCount(); emptyBox.hidden = false; }, { testid: 'events-clear' });

  const boxes = EVENT_TYPES.map((type) => {
    const id = `filter-${type.replace('.', '-')}`;
    const cb = h('input', { type: 'checkbox', class: 'checkbox', id, value: type, checked: selected.has(type) });
    cb.addEventListener('change', () => {
      selected = new Set(boxes.filter((b) => b.cb.checked).map((b) => b.type));
      setQuery({ types: selected.size ? [...selected].join(',') : null });
      if (!paused) { stop(); connect(); }
    });
    return { type, cb, row: h('div', { class: 'check-row' }, cb, h('label', { for: id }, h('code', null, type))) };
  });
  const filter = h('details', { class: 'filter' },
    h('summary', null, 'Filter by type'),
    h('fieldset', { class: 'fieldset' },
      h('legend', { class: 'sr-only' }, 'Event types to show (none checked shows all)'),
      h('p', { class: 'muted small' }, 'None checked shows every type.'),
      h('div', { class: 'check-grid' }, boxes.map((b) => b.row))));

  replace(root,
    pageHeader('Live events', {
      subtitle: 'Every change to users and posts, streamed from the server as it happens.',
      actions: [status, pauseBtn, clearBtn],
    }),
    notices,
    h('div', { class: 'card' },
      h('div', { class: 'card-head' }, filter, counter),
      emptyBox, list));

  function updateCount() { counter.textContent = `${count} event${count === 1 ? '' : 's'}`; }

  function setStatus(state, text) {
    status.className = `conn conn-${state}`;
    status.dataset.state = state;
    statusText.textContent = text;
  }

  function addEvent(msg) {
    if (msg.event === 'gap') {
      replace(notices, notice('Some events were older than the retention period and are gone; the stream continues from the oldest event still kept.',
        { type: 'warning', testid: 'events-gap' }));
      return;
    }
    let envelope = null;
    try { envelope = JSON.parse(msg.data); } catch { envelope = null; }
    const type = envelope?.type || msg.event;
    if (selected.size && !selected.has(type)) return;
    count += 1;
    updateCount();
    emptyBox.hidden = true;
    const item = h('li', { class: 'event-item', testid: 'event-item', 'data-type': type, 'data-id': envelope?.id || msg.id },
      h('div', { class: 'event-line' },
        badge(type, kindOf(type), 'event-type'),
        h('span', { class: 'event-summary', testid: 'event-summary' }, summarize(type, envelope?.data)),
        h('span', { class: 'event-time muted small' }, envelope?.occurred_at ? time(envelope.occurred_at, { seconds: true }) : '')),
      h('details', { class: 'event-details' },
        h('summary', null, 'Payload'),
        h('pre', { class: 'code-block' }, envelope ? JSON.stringify(envelope, null, 2) : msg.data)));
    list.insertBefore(item, list.firstChild);
    while (list.childElementCount > MAX_ITEMS) list.lastElementChild.remove();
  }

  function stop() {
    controller?.abort(new DOMException('stopped', 'AbortError'));
    controller = null;
    clearInterval(countdown);
    setStatus('stopped', 'Paused');
  }

  function connect() {
    controller = new AbortController();
    const mine = controller;
    const onAbort = () => mine.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    follow('/api/events', {
      query: selected.size ? { types: [...selected].join(',') } : undefined,
      signal: mine.signal,
      lastEventId,
      onMessage: (msg) => { if (msg.id) lastEventId = msg.id; addEvent(msg); },
      onStatus: (state, info) => {
        if (mine.signal.aborted) return;
        if (info?.lastEventId) lastEventId = info.lastEventId;
        clearInterval(countdown);
        if (state === 'connecting') setStatus('connecting', info.attempt ? 'Reconnecting…' : 'Connecting…');
        else if (state === 'open') { setStatus('open', 'Live'); replace(notices); }
        else if (state === 'reconnecting') {
          const tick = () => {
            const left = Math.max(0, Math.ceil((info.until - Date.now()) / 1000));
            setStatus('reconnecting', `Reconnecting in ${left} s`);
          };
          tick();
          countdown = setInterval(tick, 500);
          if (info.error) replace(notices, notice(`The event stream was interrupted: ${describeError(info.error)}`, { type: 'warning' }));
        } else if (state === 'error') {
          setStatus('error', 'Disconnected');
          replace(notices, errorBox(info.error, { retry: () => { replace(notices); connect(); } }));
        }
      },
    }).finally(() => signal.removeEventListener('abort', onAbort));
  }

  connect();
  return () => { clearInterval(countdown); controller?.abort(); };
}
