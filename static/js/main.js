// Entry point: the app shell (sidebar + content), routes, and session start-up.

import { h, replace } from './dom.js';
import * as auth from './api.js';
import { route, start, parseHash, match, navigate, setQuery, href } from './router.js';
import { icon, toast, errorToast } from './ui.js';

import * as loginView from './views/login.js';
import * as setupView from './views/setup.js';
import * as dashboardView from './views/dashboard.js';
import * as usersView from './views/users.js';
import * as userView from './views/user.js';
import * as postsView from './views/posts.js';
import * as postEditView from './views/post-edit.js';
import * as apiKeysView from './views/api-keys.js';
import * as webhooksView from './views/webhooks.js';
import * as webhookView from './views/webhook.js';
import * as eventsView from './views/events.js';
import * as settingsView from './views/settings.js';
import * as notFoundView from './views/not-found.js';

const NAV = [
  { path: '/', label: 'Dashboard', icon: 'dashboard', match: /^\/$/, testid: 'nav-dashboard' },
  { path: '/users', label: 'Users', icon: 'users', match: /^\/users/, testid: 'nav-users' },
  { path: '/posts', label: 'Posts', icon: 'posts', match: /^\/posts/, testid: 'nav-posts' },
  { path: '/api-keys', label: 'API keys', icon: 'keys', match: /^\/api-keys/, testid: 'nav-api-keys' },
  { path: '/webhooks', label: 'Webhooks', icon: 'webhooks', match: /^\/webhooks/, testid: 'nav-webhooks' },
  { path: '/events', label: 'Live events', icon: 'events', match: /^\/events/, testid: 'nav-events' },
  { path: '/settings', label: 'Settings', icon: 'settings', match: /^\/settings/, testid: 'nav-settings' },
];

route('/login', loginView, { public: true, title: 'Sign in' });
route('/setup', setupView, { public: true, title: 'Set up Folio' });
route('/', dashboardView, { title: 'Dashboard' });
route('/users', usersView, { title: 'Users' });
route('/users/:id', userView, { title: 'User' });
route('/posts', postsView, { title: 'Posts' });
route('/posts/new', postEditView, { title: 'New post' });
route('/posts/:id', postEditView, { title: 'Edit post' });
route('/api-keys', apiKeysView, { title: 'API keys' });
route('/webhooks', webhooksView, { title: 'Webhooks' });
route('/webhooks/:id', webhookView, { title: 'Webhook' });
route('/events', eventsView, { title: 'Live events' });
route('/settings', settingsView, { title: 'Settings' });

const app = document.getElementById('app');
let shell = null;
let current = null; // {controller, cleanup}

function buildShell() {
  const nav = h('nav', { id: 'main-nav', class: 'nav', 'aria-label': 'Main' },
    h('ul', null, NAV.map((item) => h('li', null,
      h('a', { href: href(item.path), class: 'nav-link', testid: item.testid, 'data-path': item.path },
        icon(item.icon), h('span', null, item.label))))));
  const toggle = h('button', { type: 'button', class: 'btn btn-icon btn-ghost menu-toggle', 'aria-label': 'Menu',
    'aria-expanded': 'false', 'aria-controls': 'main-nav', testid: 'menu-toggle' }, icon('menu'));
  const sidebar = h('aside', { class: 'sidebar' },
    h('div', { class: 'sidebar-top' },
      h('a', { class: 'brand', href: href('/'), 'aria-label': 'Folio admin, dashboard' },
        h('img', { src: '/admin/favicon.svg', alt: '', width: '28', height: '28' }),
        h('span', { class: 'brand-name' }, 'Folio'), h('span', { class: 'brand-tag' }, 'admin')),
      toggle),
    nav,
    h('div', { class: 'sidebar-foot' },
      h('div', { class: 'whoami' },
        h('span', { class: 'avatar', 'aria-hidden': 'true', testid: 'avatar' }),
        h('div', { class: 'whoami-text' },
          h('span', { class: 'whoami-name', testid: 'current-user' }),
          h('span', { class: 'whoami-mail muted small' }))),
      h('button', { type: 'button', class: 'btn btn-ghost btn-block', testid: 'logout', onclick: onLogout },
        icon('logout'), 'Log out')));
  const main = h('main', { id: 'main', class: 'content', tabindex: '-1' });
  const skip = h('button', { type: 'button', class: 'skip-link', onclick: () => main.focus() }, 'Skip to content');
  const root = h('div', { class: 'layout' }, skip, sidebar, main);

  toggle.addEventListener('click', () => {
    const open = sidebar.classList.toggle('nav-open');
    toggle.setAttribute('aria-expanded', String(open));
  });
  sidebar.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && sidebar.classList.contains('nav-open')) {
      sidebar.classList.remove('nav-open');
      toggle.setAttribute('aria-expanded', 'false');
      toggle.focus();
    }
  });
  nav.addEventListener('click', (ev) => {
    if (ev.target.closest('a')) {
      sidebar.classList.remove('nav-open');
      toggle.setAttribute('aria-expanded', 'false');
    }
  });
  return { root, main, nav, sidebar };
}

function updateWhoami(user) {
  if (!shell || !user) return;
  shell.root.querySelector('.whoami-name').textContent = user.username || '';
  shell.root.querySelector('.whoami-mail').textContent = user.email || '';
  shell.root.querySelector('.avatar').textContent = (user.username || '?').slice(0, 1).toUpperCase();
}

function markNav(path) {
  for (const a of shell.nav.querySelectorAll('a')) {
    const item = NAV.find((n) => n.path === a.dataset.path);
    if (item.match.test(path)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function onLogout(ev) {
  const btn = ev.currentTarget;
  btn.disabled = true;
  try {
    await auth.logout();
    loginView.setFlash('You have been signed out.', 'info');
    navigate('/login');
  } catch (err) {
    errorToast(err);
  } finally {
    btn.disabled = false;
  }
}

function teardown() {
  if (!current) return;
  current.controller.abort(new DOMException('view left', 'AbortError'));
  try { current.cleanup?.(); } catch (e) { console.warn(e); }
  current = null;
}

function currentTarget() {
  const { path, query } = parseHash();
  const qs = query.toString();
  return path + (qs ? `?${qs}` : '');
}

function onRoute() {
  const { path, query } = parseHash();
  const found = match(path);
  const r = found?.route;
  if (r && !r.public && !auth.isAuthenticated()) {
    navigate('/login', path === '/' ? undefined : { next: currentTarget() }, { replace: true });
    return;
  }
  if (path === '/login' && auth.isAuthenticated()) {
    navigate('/', undefined, { replace: true });
    return;
  }
  teardown();
  const controller = new AbortController();
  const view = r ? r.view : notFoundView;
  let container;
  if (r?.public) {
    shell = null;
    container = h('div', { class: 'auth-layout' });
    replace(app, container);
    app.className = 'public';
  } else {
    if (!shell || !app.contains(shell.root)) {
      shell = buildShell();
      replace(app, shell.root);
      updateWhoami(auth.currentUser());
    }
    app.className = 'private';
    markNav(path);
    container = h('div', { class: 'view' });
    replace(shell.main, container);
  }
  document.title = `${r?.title || 'Not found'} · Folio admin`;
  const ctx = {
    root: container,
    params: found?.params || {},
    query,
    path,
    signal: controller.signal,
    setQuery,
    navigate,
    setTitle: (t) => { document.title = `${t} · Folio admin`; },
  };
  let cleanup;
  try {
    cleanup = view.render(ctx);
  } catch (err) {
    console.error(err);
  }
  current = { controller, cleanup };
  const heading = container.querySelector('h1');
  if (heading && !r?.public) heading.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

auth.onAuthChange((user) => updateWhoami(user));
auth.onSessionExpired((message) => {
  loginView.setFlash(message, 'warning');
  const target = currentTarget();
  navigate('/login', target.startsWith('/login') ? undefined : { next: target }, { replace: true });
});

async function boot() {
  const { path } = parseHash();
  if (path !== '/setup') {
    const result = await auth.restore();
    if (result.notAdmin) loginView.setFlash('This account is not an administrator. Only admins can use the Folio console.', 'error');
    else if (result.expired) loginView.setFlash('Your session has expired. Please sign in again.', 'warning');
    else if (result.error) loginView.setFlash(`Could not restore your session: ${auth.describeError(result.error)}`, 'error');
  }
  start(onRoute);
}

window.addEventListener('unhandledrejection', (ev) => {
  if (ev.reason?.name === 'AbortError') { ev.preventDefault(); return; }
});

boot().catch((err) => {
  console.error(err);
  toast('The console failed to start. Reload the page.', { type: 'error', timeout: 0 });
});
