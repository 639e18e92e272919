// Users: searchable, sortable, paginated table; create-user dialog.

import { h, replace, time, debounce } from '../dom.js';
import { api } from '../api.js';
import {
  pageHeader, loading, empty, errorBox, table, pagination, badge, button, input, select, field,
  openDialog, formBanner, showFormError, clearFieldErrors, toast,
} from '../ui.js';
import { PASSWORD_HINT } from './setup.js';

const SORTS = [
  ['-created_at', 'Newest first'],
  ['created_at', 'Oldest first'],
  ['username', 'Username A–Z'],
  ['-username', 'Username Z–A'],
];

export function roleBadge(user) {
  return user.role === 'admin' ? badge('admin', 'accent', 'user-role') : badge(user.role || 'user', 'neutral', 'user-role');
}

export function statusBadge(user) {
  return user.disabled ? badge('disabled', 'danger', 'user-status') : badge('active', 'success', 'user-status');
}

export function render({ root, query, setQuery, signal, navigate }) {
  const state = {
    page: Math.max(1, Number(query.get('page')) || 1),
    limit: [10, 20, 50, 100].includes(Number(query.get('limit'))) ? Number(query.get('limit')) : 20,
    search: query.get('search') || '',
    sort: SORTS.some(([v]) => v === query.get('sort')) ? query.get('sort') : '-created_at',
  };

  const searchInput = input({ type: 'search', value: state.search, placeholder: 'Username or email', autocomplete: 'off' });
  const sortSelect = select(SORTS, { value: state.sort });
  const results = h('div', { class: 'results', 'aria-live': 'polite' });
  const toolbar = h('div', { class: 'toolbar', role: 'search' },
    field({ label: 'Search users', control: searchInput, name: 'search', testid: 'users-search', className: 'grow' }),
    field({ label: 'Sort by', control: sortSelect, name: 'sort', testid: 'users-sort' }));

  replace(root,
    pageHeader('Users', {
      subtitle: 'Everyone who can sign in to this Folio instance.',
      actions: button('New user', () => openCreate(), { kind: 'primary', iconName: 'plus', testid: 'user-new' }),
    }),
    h('div', { class: 'card' }, toolbar, results));

  let seq = 0;
  async function load() {
    const mine = ++seq;
    setQuery({ page: state.page === 1 ? null : state.page, limit: state.limit === 20 ? null : state.limit,
      search: state.search || null, sort: state.sort === '-created_at' ? null : state.sort });
    results.setAttribute('aria-busy', 'true');
    if (!results.firstChild || results.querySelector('[data-testid="error"]')) replace(results, loading('Loading users…'));
    else results.classList.add('is-reloading');
    try {
      const data = await api.get('/api/users', { signal,
        query: { page: state.page, limit: state.limit, search: state.search || undefined, sort: state.sort } });
      if (mine !== seq) return;
      const users = data.users || [];
      const pg = data.pagination || {};
      if (!users.length && state.page > 1 && (pg.pages || 0) < state.page) {
        state.page = Math.max(1, pg.pages || 1);
        load();
        return;
      }
      if (!users.length) {
        replace(results, empty(state.search
          ? { title: 'No matching users', text: `Nobody’s username or email contains “${state.search}”.` }
          : { title: 'No users yet', text: 'Create the first one with “New user”.' }));
      } else {
        replace(results,
          table({
            caption: 'Users',
            rows: users,
            rowTestid: 'user-row',
            rowKey: (u) => u.id,
            columns: [
              { label: 'Username', cell: (u) => h('a', { href: `#/users/${encodeURIComponent(u.id)}`, class: 'strong', testid: 'user-link' }, u.username) },
              { label: 'Email', cell: (u) => h('span', { class: 'break' }, u.email ?? '—') },
              { label: 'Role', cell: roleBadge },
              { label: 'Status', cell: statusBadge },
              { label: 'Created', cell: (u) => time(u.created_at) },
            ],
          }),
          pagination({
            page: pg.page ?? state.page, pages: pg.pages, total: pg.total, limit: state.limit, testid: 'users-pagination',
            onPage: (p) => { state.page = p; load(); },
            onLimit: (l) => { state.limit = l; state.page = 1; load(); },
          }));
      }
    } catch (err) {
      if (signal.aborted || mine !== seq) return;
      replace(results, errorBox(err, { retry: load }));
    } finally {
      if (mine === seq) { results.setAttribute('aria-busy', 'false'); results.classList.remove('is-reloading'); }
    }
  }

  const onSearch = debounce(() => { state.search = searchInput.value.trim(); state.page = 1; load(); }, 300);
  searchInput.addEventListener('input', onSearch);
  searchInput.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { onSearch.cancel(); state.search = searchInput.value.trim(); state.page = 1; load(); } });
  sortSelect.addEventListener('change', () => { state.sort = sortSelect.value; state.page = 1; load(); });

  function openCreate() {
    openCreateUserDialog({
      onCreated: (user) => {
        toast(`User “${user.username}” created.`);
        navigate(`/users/${encodeURIComponent(user.id)}`);
      },
    });
  }

  load();
  if (query.get('new') === '1') { setQuery({ new: null }); openCreate(); }
  return () => onSearch.cancel();
}

export function openCreateUserDialog({ onCreated }) {
  const email = input({ type: 'email', autocomplete: 'off', required: true, spellcheck: 'false' });
  const username = input({ autocomplete: 'off', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const password = input({ type: 'password', autocomplete: 'new-password', required: true });
  const role = select([['user', 'User'], ['admin', 'Administrator']], { value: 'user' });
  const submit = button('Create user', null, { type: 'submit', kind: 'primary', testid: 'user-create-submit' });
  const form = h('form', { class: 'form dialog-body', novalidate: true, testid: 'user-create-form' },
    formBanner(),
    field({ label: 'Email', control: email, name: 'email', testid: 'user-create-email' }),
    field({ label: 'Username', control: username, name: 'username', testid: 'user-create-username',
      hint: '3–30 characters: letters, digits, “_” and “-”.' }),
    field({ label: 'Password', control: password, name: 'password', testid: 'user-create-password', hint: PASSWORD_HINT }),
    field({ label: 'Role', control: role, name: 'role', testid: 'user-create-role' }),
    h('div', { class: 'dialog-actions' },
      button('Cancel', () => ctl.close(), { testid: 'user-create-cancel' }), submit));
  const ctl = openDialog({ title: 'New user', content: form, testid: 'user-create-dialog' });
  email.focus();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    submit.disabled = true;
    try {
      const data = await api.post('/api/users', {
        email: email.value.trim(), username: username.value.trim(), password: password.value, role: role.value,
      });
      ctl.close();
      onCreated(data.user);
    } catch (err) {
      showFormError(form, err);
    } finally {
      submit.disabled = false;
    }
  });
}
