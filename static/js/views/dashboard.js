// Dashboard: instance figures from GET /api/admin/stats, re-polled every 5 s.

import { h, replace, fmtNumber, fmtBytes, fmtDuration, sleep } from '../dom.js';
import { api, describeError } from '../api.js';
import { pageHeader, loading, errorBox, icon, notice } from '../ui.js';
import { requestsChart } from '../chart.js';

const POLL_MS = 5000;

function card(label, value, { testid, raw, sub, iconName } = {}) {
  return h('div', { class: 'card stat-card' },
    h('div', { class: 'stat-label' }, iconName && icon(iconName), label),
    h('div', { class: 'stat-value', testid, 'data-value': raw === undefined ? undefined : String(raw) }, value),
    sub && h('div', { class: 'stat-sub muted small' }, sub));
}

function hitRate(cache) {
  const hits = Number(cache?.hits) || 0;
  const misses = Number(cache?.misses) || 0;
  const total = hits + misses;
  return total ? hits / total : null;
}

function renderStats(stats) {
  const rate = hitRate(stats.cache);
  const drafts = (Number(stats.posts) || 0) - (Number(stats.published_posts) || 0);
  return [
    h('div', { class: 'stat-grid', testid: 'stats' },
      card('Users', fmtNumber(stats.users), { testid: 'stat-users', raw: stats.users, iconName: 'users' }),
      card('Posts', fmtNumber(stats.posts), { testid: 'stat-posts', raw: stats.posts, iconName: 'posts',
        sub: `${fmtNumber(drafts)} draft${drafts === 1 ? '' : 's'}` }),
      card('Published posts', fmtNumber(stats.published_posts),
        { testid: 'stat-published-posts', raw: stats.published_posts, iconName: 'check' }),
      card('Database size', fmtBytes(stats.db_size_bytes), { testid: 'stat-db-size', raw: stats.db_size_bytes }),
      card('Cache hit rate', rate === null ? '—' : `${(rate * 100).toFixed(1)} %`, {
        testid: 'stat-cache-hit-rate', raw: rate === null ? '' : rate.toFixed(4),
        sub: `${fmtNumber(stats.cache?.hits)} hits · ${fmtNumber(stats.cache?.misses)} misses · ${fmtNumber(stats.cache?.entries)} entries`,
      }),
      card('Uptime', fmtDuration(stats.uptime_seconds), { testid: 'stat-uptime', raw: stats.uptime_seconds }),
      card('Version', stats.version ?? '—', { testid: 'stat-version', raw: stats.version ?? '' }),
      card('Requests served', fmtNumber(stats.requests?.total), { testid: 'stat-requests-total', raw: stats.requests?.total })),
    h('section', { class: 'card chart-card', 'aria-labelledby': 'rpm-title' },
      h('div', { class: 'card-head' },
        h('h2', { id: 'rpm-title' }, 'Requests per minute'),
        h('span', { class: 'muted small' }, 'Last 60 minutes, updated every 5 s')),
      requestsChart(stats.requests?.per_minute || [])),
    h('section', { class: 'card quick-links', 'aria-labelledby': 'quick-title' },
      h('h2', { id: 'quick-title' }, 'Quick actions'),
      h('div', { class: 'quick-grid' },
        h('a', { class: 'btn', href: '#/posts/new' }, icon('plus'), 'New post'),
        h('a', { class: 'btn', href: '#/users?new=1' }, icon('users'), 'New user'),
        h('a', { class: 'btn', href: '#/api-keys?new=1' }, icon('keys'), 'New API key'),
        h('a', { class: 'btn', href: '#/events' }, icon('events'), 'Watch live events'))),
  ];
}

export function render({ root, signal }) {
  const updated = h('span', { class: 'muted small', 'aria-live': 'off', testid: 'stats-updated' });
  const live = h('span', { class: 'live-dot', title: 'Live', 'aria-hidden': 'true' });
  const body = h('div', { class: 'dashboard', 'aria-busy': 'true' }, loading('Loading statistics…'));
  const warn = h('div', { 'aria-live': 'polite' });
  replace(root,
    pageHeader('Dashboard', { subtitle: 'How this Folio instance is doing right now.', actions: [live, updated] }),
    warn, body);

  let haveData = false;
  async function poll() {
    while (!signal.aborted) {
      try {
        const stats = await api.get('/api/admin/stats', { signal });
        replace(body, ...renderStats(stats));
        body.setAttribute('aria-busy', 'false');
        body.dataset.loaded = 'true';
        updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
        live.classList.remove('live-dot-off');
        replace(warn);
        haveData = true;
      } catch (err) {
        if (signal.aborted) return;
        live.classList.add('live-dot-off');
        if (!haveData) {
          body.setAttribute('aria-busy', 'false');
          replace(body, errorBox(err, { retry: () => { replace(body, loading()); poll(); } }));
          return;
        }
        replace(warn, notice(`Live updates paused: ${describeError(err)} Retrying…`, { type: 'warning' }));
      }
      try { await sleep(POLL_MS, signal); } catch { return; }
    }
  }
  poll();
  return undefined;
}
