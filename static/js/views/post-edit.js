// Create / edit a post: title, slug, content with a live plain-text preview.

import { h, replace, time, paragraphs, fmtNumber } from '../dom.js';
import { api, enc, currentUser, ApiError } from '../api.js';
import {
  pageHeader, loading, errorBox, button, input, select, field, formBanner, showFormError,
  clearFieldErrors, toast, busy,
} from '../ui.js';
import { postStatusBadge, confirmPostDelete } from './posts.js';

const SLUG_HINT = 'Lower-case letters and digits joined by single hyphens, e.g. “my-first-post”.';

export function render({ root, params, signal, navigate, setTitle }) {
  const isNew = !params.id;
  let post = null;
  let etag = null;

  const title = input({ maxlength: '255', required: true, autocomplete: 'off' });
  const slug = input({ maxlength: '80', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'none',
    placeholder: isNew ? 'derived from the title when left blank' : '' });
  const content = h('textarea', { class: 'input textarea', rows: '16', required: true, maxlength: '100000' });
  const author = select([], {});
  const publishNow = h('input', { type: 'checkbox', class: 'checkbox', id: 'post-publish-now', testid: 'post-publish-now' });
  const counter = h('span', { class: 'muted small', 'aria-live': 'off' });
  const previewTitle = h('h2', { class: 'preview-title', testid: 'post-preview-title' });
  const previewBody = h('div', { class: 'preview-body', testid: 'post-preview' });
  const saveBtn = button(isNew ? 'Create post' : 'Save changes', null, { type: 'submit', kind: 'primary', testid: 'post-save' });
  const banner = formBanner();
  const meta = h('div');
  const headerActions = h('div', { class: 'page-actions-inner' });
  const headerBox = h('div');

  const form = h('form', { class: 'form editor', novalidate: true, testid: 'post-form' },
    banner,
    field({ label: 'Title', control: title, name: 'title', testid: 'post-title' }),
    field({ label: 'Slug', control: slug, name: 'slug', testid: 'post-slug',
      hint: isNew ? `${SLUG_HINT} Optional.` : `${SLUG_HINT} Changing the title never changes the slug.` }),
    isNew && field({ label: 'Author', control: author, name: 'author_id', testid: 'post-author' }),
    h('div', { class: 'editor-panes' },
      h('div', { class: 'editor-pane' },
        field({ label: 'Content', control: content, name: 'content', testid: 'post-content',
          hint: 'Plain text. A blank line starts a new paragraph.' }),
        counter),
      h('section', { class: 'editor-pane preview', 'aria-label': 'Preview' },
        h('div', { class: 'preview-label muted small' }, 'Preview'),
        previewTitle, previewBody)),
    isNew && h('div', { class: 'check-row' }, publishNow,
      h('label', { for: 'post-publish-now' }, 'Publish immediately')),
    h('div', { class: 'form-actions' },
      h('a', { class: 'btn', href: '#/posts' }, 'Cancel'), saveBtn));

  function updatePreview() {
    previewTitle.textContent = title.value || 'Untitled';
    previewTitle.classList.toggle('muted', !title.value);
    replace(previewBody, paragraphs(content.value));
    if (!content.value.trim()) previewBody.appendChild(h('p', { class: 'muted' }, 'Nothing to preview yet.'));
    counter.textContent = `${fmtNumber(content.value.length)} / 100,000 characters`;
  }
  title.addEventListener('input', updatePreview);
  content.addEventListener('input', updatePreview);

  let dirty = false;
  form.addEventListener('input', () => { dirty = true; });
  const beforeUnload = (ev) => { if (dirty) { ev.preventDefault(); ev.returnValue = ''; } };
  window.addEventListener('beforeunload', beforeUnload);
  const onKey = (ev) => {
    if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === 's') { ev.preventDefault(); form.requestSubmit(); }
  };
  form.addEventListener('keydown', onKey);

  function renderHeader() {
    replace(headerBox, pageHeader(isNew ? 'New post' : (post?.title || 'Edit post'), {
      back: { href: '#/posts', label: 'Posts' },
      subtitle: isNew ? 'Write a draft or publish straight away.' : null,
      actions: headerActions,
    }));
  }

  function renderMeta() {
    if (!post) { replace(meta); replace(headerActions); return; }
    const toggle = button(post.published ? 'Unpublish' : 'Publish', () => busy(toggle, async () => {
      const data = await api.post(`/api/posts/${enc(post.id)}/${post.published ? 'unpublish' : 'publish'}`, undefined, { signal });
      toast(data.post.published ? 'Post published.' : 'Post unpublished; it is a draft again.');
      await adopt(data.post);
    }), { kind: post.published ? '' : 'primary', testid: post.published ? 'post-unpublish' : 'post-publish' });
    const del = button('Delete', async () => {
      if (!(await confirmPostDelete(post))) return;
      await busy(del, async () => {
        await api.del(`/api/posts/${enc(post.id)}`, { signal });
        dirty = false;
        toast(`Post “${post.title}” deleted.`);
        navigate('/posts');
      });
    }, { kind: 'danger', testid: 'post-delete' });
    replace(headerActions, toggle, del);
    replace(meta, h('section', { class: 'card meta-card', 'aria-label': 'Post details' },
      h('dl', { class: 'props props-inline', testid: 'post-meta' },
        h('dt', null, 'Status'), h('dd', null, postStatusBadge(post)),
        h('dt', null, 'Author'), h('dd', null, post.author?.id
          ? h('a', { href: `#/users/${encodeURIComponent(post.author.id)}` }, post.author.username) : '—'),
        h('dt', null, 'Published'), h('dd', null, time(post.published_at, { empty: 'never' })),
        h('dt', null, 'Created'), h('dd', null, time(post.created_at)),
        h('dt', null, 'Updated'), h('dd', null, time(post.updated_at)),
        h('dt', null, 'ID'), h('dd', null, h('code', { class: 'break' }, post.id)))));
  }

  async function adopt(p, { fill = false } = {}) {
    post = p;
    if (fill) {
      title.value = p.title;
      slug.value = p.slug;
      content.value = p.content;
      dirty = false;
      updatePreview();
    }
    setTitle(p.title);
    renderHeader();
    renderMeta();
    await refreshEtag();
  }

  // PATCH sends If-Match with the ETag of the latest GET, so two editors cannot silently overwrite each other.
  async function refreshEtag() {
    try {
      const { response } = await api.get(`/api/posts/${enc(post.id)}`, { signal, full: true });
      etag = response.headers.get('etag');
    } catch { etag = null; }
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    await save();
  });

  async function save({ force = false } = {}) {
    clearFieldErrors(form);
    saveBtn.disabled = true;
    saveBtn.setAttribute('aria-busy', 'true');
    try {
      if (isNew) {
        const body = { title: title.value, content: content.value };
        if (slug.value.trim()) body.slug = slug.value.trim();
        if (author.value) body.author_id = author.value;
        if (publishNow.checked) body.published = true;
        const data = await api.post('/api/posts', body, { signal });
        dirty = false;
        toast(data.post.published ? 'Post created and published.' : 'Draft created.');
        navigate(`/posts/${encodeURIComponent(data.post.id)}`, undefined, { replace: true });
      } else {
        const body = {};
        if (title.value !== post.title) body.title = title.value;
        if (content.value !== post.content) body.content = content.value;
        if (slug.value.trim() !== post.slug) body.slug = slug.value.trim();
        if (!Object.keys(body).length) { toast('Nothing to save.', { type: 'info' }); dirty = false; return; }
        // If-Match uses strong comparison: a weak validator could never match, so only send strong ones.
        const headers = etag && !etag.startsWith('W/') && !force ? { 'If-Match': etag } : {};
        const data = await api.patch(`/api/posts/${enc(post.id)}`, body, { signal, headers });
        dirty = false;
        toast('Changes saved.');
        await adopt(data.post, { fill: true });
      }
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && err.status === 412) {
        replace(form.querySelector('.form-banner'), h('div', { class: 'alert alert-warning', role: 'alert', testid: 'post-conflict' },
          h('span', null, 'Someone changed this post after you opened it. '),
          button('Load their version', () => load(), { small: true }),
          button('Overwrite with mine', () => save({ force: true }), { small: true, kind: 'danger' })));
      } else {
        showFormError(form, err, { conflictField: 'slug', conflictMessage: 'This slug is already used by another post.' });
      }
    } finally {
      saveBtn.disabled = false;
      saveBtn.removeAttribute('aria-busy');
    }
  }

  async function loadAuthors() {
    const me = currentUser();
    author.appendChild(h('option', { value: me?.id || '' }, me ? `${me.username} (you)` : 'You'));
    try {
      const data = await api.get('/api/users', { signal, query: { limit: 100, sort: 'username' } });
      for (const u of data.users || []) {
        if (u.id !== me?.id) author.appendChild(h('option', { value: u.id }, u.username));
      }
    } catch { /* you can still post as yourself */ }
  }

  const body = h('div', { class: 'editor-layout' }, form, meta);

  async function load() {
    replace(root, headerBox, loading('Loading post…'));
    renderHeader();
    try {
      const { data, response } = await api.get(`/api/posts/${enc(params.id)}`, { signal, full: true });
      post = data.post;
      etag = response.headers.get('etag');
      title.value = post.title;
      slug.value = post.slug;
      content.value = post.content;
      dirty = false;
      setTitle(post.title);
      updatePreview();
      renderHeader();
      renderMeta();
      replace(root, headerBox, body);
    } catch (err) {
      if (signal.aborted) return;
      replace(root, headerBox, h('div', { class: 'card' }, errorBox(err, { retry: load, title: err.status === 404 ? 'Post not found' : undefined })));
    }
  }

  if (isNew) {
    renderHeader();
    updatePreview();
    loadAuthors();
    replace(root, headerBox, body);
    title.focus();
  } else {
    load();
  }

  return () => window.removeEventListener('beforeunload', beforeUnload);
}
