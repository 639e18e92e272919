// One user: profile, role / disabled management, deletion, and their posts.

import { h, replace, time } from '../dom.js';
import { api, currentUser, enc } from '../api.js';
import {
  pageHeader, loading, empty, errorBox, table, pagination, button, select, field,
  confirmDialog, toast, busy,
} from '../ui.js';
import { roleBadge, statusBadge } from './users.js';
import { postStatusBadge } from './posts.js';

export function render({ root, params, signal, navigate, setTitle }) {
  const id = params.id;
  replace(root, pageHeader('User', { back: { href: '#/users', label: 'Users' } }), loading('Loading user…'));

  async function load() {
    try {
      const { user } = await api.get(`/api/users/${enc(id)}`, { signal });
      show(user);
    } catch (err) {
      if (signal.aborted) return;
      replace(root, pageHeader('User', { back: { href: '#/users', label: 'Users' } }),
        h('div', { class: 'card' }, errorBox(err, { retry: () => { replace(root, loading()); load(); }, title: err.status === 404 ? 'User not found' : undefined })));
    }
  }

  function show(user) {
    setTitle(user.username);
    const me = currentUser();
    const isSelf = me && me.id === user.id;
    const profile = h('dl', { class: 'props', testid: 'user-profile' },
      h('dt', null, 'ID'), h('dd', null, h('code', { class: 'break' }, user.id)),
      h('dt', null, 'Email'), h('dd', { testid: 'user-email', class: 'break' }, user.email ?? '—'),
      h('dt', null, 'Role'), h('dd', null, roleBadge(user)),
      h('dt', null, 'Status'), h('dd', null, statusBadge(user)),
      h('dt', null, 'Created'), h('dd', null, time(user.created_at)),
      h('dt', null, 'Updated'), h('dd', null, time(user.updated_at)));

    const roleSelect = select([['user', 'User'], ['admin', 'Administrator']], { value: user.role || 'user' });
    const roleBtn = button('Change role', async () => {
      const role = roleSelect.value;
      if (role === user.role) { toast(`${user.username} already has the role “${role}”.`, { type: 'info' }); return; }
      if (isSelf && role !== 'admin') {
        const ok = await confirmDialog({ title: 'Remove your own admin role?', confirmLabel: 'Remove my admin role',
          message: 'You are about to demote your own account. You will lose access to this console.' });
        if (!ok) return;
      }
      await busy(roleBtn, async () => {
        const data = await api.patch(`/api/users/${enc(user.id)}`, { role }, { signal });
        toast(`${data.user.username} is now ${data.user.role === 'admin' ? 'an administrator' : 'a regular user'}.`);
        show(data.user);
      });
    }, { testid: 'user-role-save' });

    const toggleBtn = button(user.disabled ? 'Enable account' : 'Disable account', async () => {
      const disabled = !user.disabled;
      if (disabled) {
        const ok = await confirmDialog({
          title: `Disable ${user.username}?`, confirmLabel: 'Disable', testid: 'confirm-dialog',
          message: isSelf ? 'This is your own account: you will be signed out and unable to sign in again.'
            : `${user.username} will not be able to sign in until the account is enabled again.`,
        });
        if (!ok) return;
      }
      await busy(toggleBtn, async () => {
        const data = await api.patch(`/api/users/${enc(user.id)}`, { disabled }, { signal });
        toast(`${data.user.username} is ${data.user.disabled ? 'disabled' : 'enabled'}.`);
        show(data.user);
      });
    }, { kind: user.disabled ? '' : 'warning', testid: 'user-toggle-disabled' });

    const delBtn = button('Delete user', async () => {
      const ok = await confirmDialog({
        title: `Delete user “${user.username}”?`,
        confirmLabel: `Delete ${user.username}`,
        message: h('div', null,
          h('p', null, 'This permanently deletes ', h('strong', null, user.username),
            user.email ? ` (${user.email})` : '', ' and every post they wrote. This cannot be undone.'),
          isSelf && h('p', { class: 'text-danger' }, 'This is your own account.')),
      });
      if (!ok) return;
      await busy(delBtn, async () => {
        await api.del(`/api/users/${enc(user.id)}`);
        toast(`User “${user.username}” deleted.`);
        navigate('/users');
      });
    }, { kind: 'danger', testid: 'user-delete' });

    const postsBox = h('div', { 'aria-live': 'polite' }, loading('Loading posts…'));
    replace(root,
      pageHeader(user.username, { back: { href: '#/users', label: 'Users' },
        subtitle: isSelf ? 'This is you.' : null, actions: delBtn }),
      h('div', { class: 'split' },
        h('section', { class: 'card', 'aria-labelledby': 'profile-h' },
          h('h2', { id: 'profile-h' }, 'Profile'), profile),
        h('section', { class: 'card', 'aria-labelledby': 'manage-h' },
          h('h2', { id: 'manage-h' }, 'Access'),
          h('div', { class: 'inline-form' },
            field({ label: 'Role', control: roleSelect, name: 'role', testid: 'user-role-select' }), roleBtn),
          h('p', { class: 'muted small' }, 'Administrators can use this console and every admin API.'),
          h('div', { class: 'row-gap' }, toggleBtn),
          h('p', { class: 'muted small' }, 'A disabled user cannot sign in; their posts stay.'))),
      h('section', { class: 'card', 'aria-labelledby': 'posts-h' },
        h('div', { class: 'card-head' },
          h('h2', { id: 'posts-h' }, 'Posts'),
          h('a', { class: 'btn btn-sm', href: `#/posts?author=${encodeURIComponent(user.id)}&status=any` }, 'Open in Posts')),
        postsBox));
    loadPosts(user, postsBox, 1);
  }

  async function loadPosts(user, box, page) {
    try {
      const data = await api.get(`/api/users/${enc(user.id)}/posts`, { signal, query: { published: 'any', page, limit: 10 } });
      const posts = data.posts || [];
      if (!posts.length) {
        replace(box, empty({ title: 'No posts', text: `${user.username} has not written anything yet.` }));
        return;
      }
      const pg = data.pagination || {};
      replace(box,
        table({
          caption: `Posts by ${user.username}`, rows: posts, rowTestid: 'user-post-row',
          columns: [
            { label: 'Title', cell: (p) => h('a', { href: `#/posts/${encodeURIComponent(p.id)}`, class: 'strong' }, p.title) },
            { label: 'Status', cell: postStatusBadge },
            { label: 'Slug', cell: (p) => h('code', { class: 'break' }, p.slug) },
            { label: 'Updated', cell: (p) => time(p.updated_at) },
          ],
        }),
        pg.pages > 1 && pagination({ page: pg.page ?? page, pages: pg.pages, total: pg.total, limit: 10,
          testid: 'user-posts-pagination', onPage: (p) => loadPosts(user, box, p) }));
    } catch (err) {
      if (signal.aborted) return;
      replace(box, errorBox(err, { retry: () => loadPosts(user, box, page) }));
    }
  }

  load();
  return undefined;
}
