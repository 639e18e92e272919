// Posts: filters (status, author), full-text search, pagination, quick actions.

import { h, replace, time, debounce, snippet } from '../dom.js';
import { api, enc } from '../api.js';
import {
  pageHeader, loading, empty, errorBox, table, pagination, badge, button, input, select, field,
  confirmDialog, toast, busy, notice,
} from '../ui.js';

const STATUSES = [['any', 'All posts'], ['true', 'Published'], ['false', 'Drafts']];
const STATUS_PARAM = { any: 'any', published: 'true', draft: 'false' };
const STATUS_NAME = { any: 'any', true: 'published', false: 'draft' };
const SORTS = [
  ['-created_at', 'Newest first'],
  ['created_at', 'Oldest first'],
  ['-published_at', 'Recently published'],
  ['published_at', 'First published'],
  ['title', 'Title A–Z'],
];

export function postStatusBadge(post) {
  return post.published ? badge('published', 'success', 'post-status') : badge('draft', 'neutral', 'post-status');
}

/** Publish/unpublish + delete buttons for one post; onChange(post|null) after success. */
export function postActions(post, { onChange, signal }) {
  const toggle = button(post.published ? 'Unpublish' : 'Publish', async () => {
    await busy(toggle, async () => {
      const action = post.published ? 'unpublish' : 'publish';
      const data = await api.post(`/api/posts/${enc(post.id)}/${action}`, undefined, { signal });
      toast(`“${data.post.title}” ${data.post.published ? 'is published' : 'is now a draft'}.`);
      onChange(data.post);
    });
  }, { small: true, kind: post.published ? '' : 'primary-soft', testid: post.published ? 'post-unpublish' : 'post-publish' });
  const del = button('Delete', async () => {
    if (!(await confirmPostDelete(post))) return;
    await busy(del, async () => {
      await api.del(`/api/posts/${enc(post.id)}`, { signal });
      toast(`Post “${post.title}” deleted.`);
      onChange(null);
    });
  }, { small: true, kind: 'danger-ghost', testid: 'post-delete', ariaLabel: `Delete “${post.title}”` });
  return h('div', { class: 'row-actions' }, toggle, del);
}

export function confirmPostDelete(post) {
  return confirmDialog({
    title: 'Delete this post?',
    confirmLabel: 'Delete post',
    message: h('p', null, 'This permanently deletes ', h('strong', null, `“${post.title}”`),
      post.author?.username ? ` by ${post.author.username}` : '', '. This cannot be undone.'),
  });
}

export function render({ root, query, setQuery, signal }) {
  const statusQ = query.get('status');
  const state = {
    page: Math.max(1, Number(query.get('page')) || 1),
    limit: [10, 20, 50, 100].includes(Number(query.get('limit'))) ? Number(query.get('limit')) : 20,
    published: STATUS_PARAM[statusQ] || 'any',
    author: query.get('author') || '',
    q: query.get('q') || '',
    sort: SORTS.some(([v]) => v === query.get('sort')) ? query.get('sort') : '-created_at',
  };

  const searchInput = input({ type: 'search', value: state.q, placeholder: 'Words, "phrases", prefix*, -exclude', autocomplete: 'off' });
  const statusSelect = select(STATUSES, { value: state.published });
  const authorSelect = select([['', 'All authors']], { value: '' });
  const sortSelect = select(SORTS, { value: state.sort });
  const results = h('div', { class: 'results', 'aria-live': 'polite' });
  const searchNote = h('div');
  const toolbar = h('div', { class: 'toolbar', role: 'search' },
    field({ label: 'Full-text search', control: searchInput, name: 'q', testid: 'posts-search', className: 'grow' }),
    field({ label: 'Status', control: statusSelect, name: 'status', testid: 'posts-status' }),
    field({ label: 'Author', control: authorSelect, name: 'author', testid: 'posts-author' }),
    field({ label: 'Sort by', control: sortSelect, name: 'sort', testid: 'posts-sort' }));

  replace(root,
    pageHeader('Posts', {
      subtitle: 'Drafts and published posts from every author.',
      actions: h('a', { class: 'btn btn-primary', href: '#/posts/new', testid: 'post-new' }, 'New post'),
    }),
    h('div', { class: 'card' }, toolbar, searchNote, results));

  loadAuthors();

  async function loadAuthors() {
    try {
      const data = await api.get('/api/users', { signal, query: { limit: 100, sort: 'username' } });
      for (const u of data.users || []) authorSelect.appendChild(h('option', { value: u.id }, u.username));
      if (state.author && ![...authorSelect.options].some((o) => o.value === state.author)) {
        let label = state.author;
        try { label = (await api.get(`/api/users/${enc(state.author)}`, { signal })).user.username; } catch { /* keep the id */ }
        authorSelect.appendChild(h('option', { value: state.author }, label));
      }
      authorSelect.value = state.author;
    } catch {
      // Only the filter suffers; the list shows its own errors.
    }
  }

  function syncControls() {
    const searching = Boolean(state.q);
    statusSelect.disabled = searching;
    authorSelect.disabled = searching;
    sortSelect.disabled = searching;
    replace(searchNote, searching
      ? notice('Search covers published posts, best matches first. Clear the search to filter drafts.', { type: 'info' })
      : null);
  }

  let seq = 0;
  async function load() {
    const mine = ++seq;
    syncControls();
    setQuery({
      page: state.page === 1 ? null : state.page,
      limit: state.limit === 20 ? null : state.limit,
      status: STATUS_NAME[state.published] === 'any' ? null : STATUS_NAME[state.published],
      author: state.author || null,
      q: state.q || null,
      sort: state.sort === '-created_at' ? null : state.sort,
    });
    results.setAttribute('aria-busy', 'true');
    if (!results.firstChild || results.querySelector('[data-testid="error"]')) replace(results, loading('Loading posts…'));
    else results.classList.add('is-reloading');
    try {
      let rows;
      let pg;
      if (state.q) {
        const data = await api.get('/api/search', { signal, query: { q: state.q, page: state.page, limit: state.limit } });
        rows = (data.results || []).map((r) => ({ ...r.post, _snippet: r.snippet, _rank: r.rank }));
        pg = data.pagination || {};
      } else {
        const data = await api.get('/api/posts', { signal, query: {
          page: state.page, limit: state.limit, published: state.published,
          author_id: state.author || undefined, sort: state.sort } });
        rows = data.posts || [];
        pg = data.pagination || {};
      }
      if (mine !== seq) return;
      if (!rows.length && state.page > 1 && (pg.pages || 0) < state.page) {
        state.page = Math.max(1, pg.pages || 1);
        load();
        return;
      }
      if (!rows.length) {
        replace(results, state.q
          ? empty({ title: 'No matches', text: `No published post matches “${state.q}”.` })
          : empty({ title: 'No posts here', text: state.published === 'any' && !state.author
            ? 'Write the first one with “New post”.' : 'Try another status or author.',
          action: h('a', { class: 'btn', href: '#/posts/new' }, 'New post') }));
        return;
      }
      replace(results,
        table({
          caption: state.q ? `Search results for ${state.q}` : 'Posts',
          rows,
          rowTestid: 'post-row',
          rowKey: (p) => p.id,
          columns: [
            { label: 'Title', className: 'col-title', cell: (p) => h('div', null,
              h('a', { href: `#/posts/${encodeURIComponent(p.id)}`, class: 'strong', testid: 'post-link' }, p.title),
              h('div', { class: 'muted small mono break' }, p.slug),
              p._snippet !== undefined && h('p', { class: 'snippet', testid: 'post-snippet' }, snippet(p._snippet))) },
            { label: 'Status', cell: postStatusBadge },
            { label: 'Author', cell: (p) => (p.author?.id
              ? h('a', { href: `#/users/${encodeURIComponent(p.author.id)}` }, p.author.username)
              : h('span', { class: 'muted' }, '—')) },
            { label: state.q ? 'Published' : 'Updated', cell: (p) => time(state.q ? p.published_at : p.updated_at) },
            { label: 'Actions', className: 'col-actions', cell: (p) => postActions(p, { signal, onChange: () => load() }) },
          ],
        }),
        pagination({
          page: pg.page ?? state.page, pages: pg.pages, total: pg.total, limit: state.limit,
          exact: pg.exact !== false, testid: 'posts-pagination',
          onPage: (p) => { state.page = p; load(); },
          onLimit: (l) => { state.limit = l; state.page = 1; load(); },
        }));
    } catch (err) {
      if (signal.aborted || mine !== seq) return;
      replace(results, errorBox(err, { retry: load }));
    } finally {
      if (mine === seq) { results.setAttribute('aria-busy', 'false'); results.classList.remove('is-reloading'); }
    }
  }

  const onSearch = debounce(() => { state.q = searchInput.value.trim(); state.page = 1; load(); }, 350);
  searchInput.addEventListener('input', onSearch);
  searchInput.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') { onSearch.cancel(); state.q = searchInput.value.trim(); state.page = 1; load(); }
  });
  statusSelect.addEventListener('change', () => { state.published = statusSelect.value; state.page = 1; load(); });
  authorSelect.addEventListener('change', () => { state.author = authorSelect.value; state.page = 1; load(); });
  sortSelect.addEventListener('change', () => { state.sort = sortSelect.value; state.page = 1; load(); });

  load();
  return () => onSearch.cancel();
}
