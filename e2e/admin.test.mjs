// Browser tests of the embedded admin UI, against a running `folio` server.
//
//   FOLIO_URL=http://127.0.0.1:8000 FOLIO_SETUP_TOKEN=... node --test e2e/
//
// The server must be fresh (no administrator yet): the first test uses the
// one-time setup link. Chromium is Debian's (/usr/bin/chromium, override with
// CHROMIUM_PATH), driven by playwright-core, which never downloads a browser.

import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = (process.env.FOLIO_URL || '').replace(/\/+$/, '');
const SETUP_TOKEN = process.env.FOLIO_SETUP_TOKEN || '';
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

if (!BASE || !SETUP_TOKEN) {
  throw new Error('Set FOLIO_URL (e.g. http://127.0.0.1:8000) and FOLIO_SETUP_TOKEN (from the server log line '
    + 'containing "/admin/#/setup?token="); e2e/run.sh does both.');
}

const uniq = crypto.randomBytes(4).toString('hex');
const ADMIN = {
  email: `admin-${uniq}@example.com`,
  username: `admin_${uniq}`,
  password: `Fo1io-${crypto.randomBytes(9).toString('base64url')}-Adm`,
};
const admin = (p) => `${BASE}/admin/${p}`;

// ---------- console errors ----------

const problems = [];
const allowedStatuses = new Set();
const FAILED_LOAD = /Failed to load resource: the server responded with a status of (\d{3})/;

function watch(page) {
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const m = FAILED_LOAD.exec(msg.text());
    if (m && allowedStatuses.has(Number(m[1]))) return; // an HTTP error this step provokes on purpose
    problems.push(`console.error on ${page.url()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror on ${page.url()}: ${err.message}`));
}

/** Run a step that deliberately provokes HTTP errors (the browser logs those as console errors). */
async function expectingHttpErrors(statuses, fn) {
  for (const s of statuses) allowedStatuses.add(s);
  try {
    return await fn();
  } finally {
    await new Promise((r) => setTimeout(r, 300));
    for (const s of statuses) allowedStatuses.delete(s);
  }
}

// ---------- direct API access (for set-up and cross-checks) ----------

let apiToken = null;

async function call(method, p, { body, token = apiToken, headers = {} } = {}) {
  const h = { accept: 'application/json', ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (body !== undefined) h['content-type'] = 'application/json';
  const res = await fetch(`${BASE}${p}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = text; }
  return { status: res.status, body: json, headers: res.headers };
}

async function apiLogin(identity, password) {
  for (let i = 0; i < 3; i += 1) {
    const r = await call('POST', '/api/auth/login', { body: { identity, password }, token: null });
    if (r.status === 429) { await sleep((Number(r.headers.get('retry-after')) || 5) * 1000); continue; }
    assert.equal(r.status, 200, `API login failed: ${JSON.stringify(r.body)}`);
    return r.body.access_token;
  }
  throw new Error('API login kept being rate limited');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(fn, { timeout = 30000, interval = 250, message = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await sleep(interval);
  }
  throw new Error(`timed out waiting for ${message}`);
}

// ---------- webhook receiver ----------

function startReceiver() {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, received, url: `http://127.0.0.1:${server.address().port}/hook` }));
  });
}

// ---------- browser ----------

let context;
let page;
let userDataDir;
let receiver;

async function gotoView(hash) {
  await page.goto(admin(hash));
  await page.getByTestId('page-title').first().waitFor();
}

async function toastWith(text) {
  await page.getByTestId('toast-success').filter({ hasText: text }).first().waitFor();
}

/** Dismiss every toast (with its close button), run the action, wait for a fresh success toast. */
async function withToast(text, action) {
  for (const btn of await page.locator('.toast-close').all()) await btn.click().catch(() => {});
  await action();
  await toastWith(text);
}

async function uiLogin(identity, password) {
  await page.goto(admin('#/login'));
  await page.getByTestId('login-identity').fill(identity);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-password').press('Enter'); // keyboard submit
}

describe('Folio admin UI', { concurrency: false }, () => {
  before(async () => {
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-e2e-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 860 },
      acceptDownloads: true,
    });
    context.setDefaultTimeout(20000);
    context.on('page', watch);
    for (const p of context.pages()) watch(p);
    page = context.pages()[0] || await context.newPage();
    receiver = await startReceiver();
  });

  after(async () => {
    await context?.close();
    receiver?.server.close();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  });

  afterEach(() => {
    const found = problems.splice(0);
    assert.deepEqual(found, [], 'the browser logged errors');
  });

  test('the one-time setup link creates the first admin and signs in', async () => {
    await page.goto(admin(`#/setup?token=${encodeURIComponent(SETUP_TOKEN)}`));
    await page.getByTestId('setup-email').fill(ADMIN.email);
    await page.getByTestId('setup-username').fill(ADMIN.username);
    await page.getByTestId('setup-password').fill(ADMIN.password);
    await page.getByTestId('setup-confirm').fill(ADMIN.password);
    await page.getByTestId('setup-submit').click();
    await page.getByTestId('stats').waitFor();
    assert.equal(await page.getByTestId('page-title').textContent(), 'Dashboard');
    assert.ok(!page.url().includes('token='), 'the setup token must leave the address bar');
    assert.equal(await page.getByTestId('current-user').textContent(), ADMIN.username);
    // the access token is kept in memory only
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    assert.ok(!/eyJ/.test(stored), 'no JWT in web storage');
    apiToken = await apiLogin(ADMIN.username, ADMIN.password);
  });

  test('the dashboard shows the figures of /api/admin/stats', async () => {
    await call('POST', '/api/posts', { body: { title: `Dashboard seed ${uniq}`, content: 'Seed content.', published: true } });
    await gotoView('#/');
    await page.getByTestId('stats').waitFor();
    const { body: stats } = await call('GET', '/api/admin/stats');
    const value = async (id) => page.getByTestId(id).getAttribute('data-value');
    await waitFor(async () => Number(await value('stat-posts')) === stats.posts, { message: 'post count', timeout: 15000 });
    assert.equal(Number(await value('stat-users')), stats.users);
    assert.equal(Number(await value('stat-posts')), stats.posts);
    assert.equal(Number(await value('stat-published-posts')), stats.published_posts);
    assert.equal((await page.getByTestId('stat-users').textContent()).replace(/\D/g, ''), String(stats.users));
    assert.equal(await page.getByTestId('stat-version').textContent(), String(stats.version));
    assert.ok(Number(await value('stat-db-size')) > 0, 'database size shown');
    assert.ok(Number(await value('stat-uptime')) >= 0, 'uptime shown');
    await page.getByTestId('stat-cache-hit-rate').waitFor();
    assert.equal(await page.locator('[data-testid="requests-chart"] svg path.chart-line').count(), 1, 'the chart is drawn');
    const before = await page.getByTestId('stats-updated').textContent();
    await waitFor(async () => (await page.getByTestId('stats-updated').textContent()) !== before,
      { timeout: 15000, message: 'the dashboard to re-poll' });
  });

  test('posts: create with preview, edit, slug conflict, publish, search, delete', async () => {
    const word = `zebrafish${uniq}`;
    const title = `E2E post ${uniq}`;
    await gotoView('#/posts/new');
    await page.getByTestId('post-title').fill(title);
    await page.getByTestId('post-content').fill(`First paragraph about ${word}.\n\nSecond <b>paragraph</b>.`);
    assert.equal(await page.locator('[data-testid="post-preview"] p').count(), 2, 'two preview paragraphs');
    assert.equal(await page.locator('[data-testid="post-preview"] b').count(), 0, 'no HTML rendered from content');
    assert.equal(await page.getByTestId('post-preview-title').textContent(), title);
    await page.getByTestId('post-save').click();
    await toastWith('Draft created');
    await page.waitForURL(/#\/posts\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop();

    // edit
    await page.getByTestId('post-title').fill(`${title} edited`);
    await withToast('Changes saved', () => page.getByTestId('post-save').click());
    assert.equal((await call('GET', `/api/posts/${id}`)).body.post.title, `${title} edited`);

    // slug conflict shows next to the field
    const taken = `taken-${uniq}`;
    assert.equal((await call('POST', '/api/posts', { body: { title: 'Slug owner', content: 'x', slug: taken } })).status, 201);
    await expectingHttpErrors([409], async () => {
      await page.getByTestId('post-slug').fill(taken);
      await page.getByTestId('post-save').click();
      await page.getByTestId('post-slug-error').waitFor({ state: 'visible' });
    });
    // a validation error (400 details) also lands next to its field
    await expectingHttpErrors([400], async () => {
      await page.getByTestId('post-slug').fill('Not A Slug');
      await page.getByTestId('post-save').click();
      await waitFor(async () => /\S/.test(await page.getByTestId('post-slug-error').textContent())
        && (await page.getByTestId('post-slug-error').textContent()) !== 'This slug is already used by another post.',
      { message: 'slug validation message' });
    });
    await page.getByTestId('post-slug').fill(`e2e-${uniq}`);
    await withToast('Changes saved', () => page.getByTestId('post-save').click());
    assert.equal((await call('GET', `/api/posts/${id}`)).body.post.slug, `e2e-${uniq}`);

    // publish
    await page.getByTestId('post-publish').click();
    await page.getByTestId('post-unpublish').waitFor();
    assert.equal((await call('GET', `/api/posts/${id}`)).body.post.published, true);

    // full-text search
    await gotoView('#/posts');
    await page.getByTestId('posts-search').fill(word);
    const hit = page.getByTestId('post-row').filter({ hasText: `${title} edited` });
    // the unfiltered list shows the post too: wait for the search result, whose snippet marks the match
    await hit.locator('[data-testid="post-snippet"] mark').first().waitFor();
    assert.equal((await hit.locator('[data-testid="post-snippet"] mark').first().textContent()).toLowerCase(), word);
    assert.ok(await page.getByTestId('post-row').count() >= 1);

    // filters: drafts do not include it any more
    await page.getByTestId('posts-search').fill('');
    await page.getByTestId('posts-status').selectOption('false');
    await page.getByTestId('posts-pagination-info').or(page.getByTestId('empty')).first().waitFor();
    await waitFor(async () => (await page.getByTestId('post-row').filter({ hasText: `${title} edited` }).count()) === 0,
      { message: 'drafts filter' });
    await page.getByTestId('posts-status').selectOption('true');
    const row = page.getByTestId('post-row').filter({ hasText: `${title} edited` });
    await row.waitFor();

    // unpublish from the list, then delete with confirmation
    await row.getByTestId('post-unpublish').click();
    await toastWith('is now a draft');
    await page.getByTestId('posts-status').selectOption('any');
    const anyRow = page.getByTestId('post-row').filter({ hasText: `${title} edited` });
    await anyRow.getByTestId('post-status').filter({ hasText: 'draft' }).waitFor();
    await anyRow.getByTestId('post-delete').click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    assert.match(await dialog.textContent(), new RegExp(`${title} edited`));
    await page.getByTestId('confirm-ok').click();
    await toastWith('deleted');
    assert.equal((await call('GET', `/api/posts/${id}`)).status, 404);
  });

  test('users: search, create a second user, change the role, disable', async () => {
    const username = `second_${uniq}`;
    await gotoView('#/users');
    await page.getByTestId('user-new').click();
    await page.getByTestId('user-create-email').fill(`${username}@example.com`);
    await page.getByTestId('user-create-username').fill(username);
    await page.getByTestId('user-create-password').fill(`Sec0nd-${uniq}-Pass`);
    await page.getByTestId('user-create-role').selectOption('user');
    await page.getByTestId('user-create-submit').click();
    await toastWith(`User “${username}” created`);
    await page.waitForURL(/#\/users\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop();
    await page.getByTestId('page-title').filter({ hasText: username }).waitFor();

    await page.getByTestId('user-role-select').selectOption('admin');
    await page.getByTestId('user-role-save').click();
    await toastWith('is now an administrator');
    await page.getByTestId('user-role').filter({ hasText: 'admin' }).waitFor();

    await page.getByTestId('user-toggle-disabled').click();
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('user-status').filter({ hasText: 'disabled' }).waitFor();
    const { body } = await call('GET', `/api/users/${id}`);
    assert.equal(body.user.role, 'admin');
    assert.equal(body.user.disabled, true);

    // search and sort in the table
    await gotoView('#/users');
    await page.getByTestId('users-search').fill(username);
    await waitFor(async () => (await page.getByTestId('user-row').count()) === 1
      && (await page.getByTestId('user-row').first().textContent()).includes(username), { message: 'user search' });
    await page.getByTestId('users-search').fill('');
    await page.getByTestId('users-sort').selectOption('username');
    await waitFor(async () => (await page.getByTestId('user-row').count()) >= 2, { message: 'all users listed' });
    const names = await page.getByTestId('user-link').allTextContents();
    assert.deepEqual(names, [...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())), 'sorted by username');
  });

  test('API keys: create with scopes, shown once, then revoke', async () => {
    await gotoView('#/api-keys');
    await page.getByTestId('apikey-new').click();
    await page.getByTestId('apikey-name-input').fill(`e2e-key-${uniq}`);
    await page.getByTestId('apikey-scope-write').check();
    await page.getByTestId('apikey-create-submit').click();
    const secret = await page.getByTestId('apikey-secret').inputValue();
    assert.ok(secret.length >= 16, 'the key is shown');
    assert.equal((await call('GET', '/api/users', { token: null, headers: { 'x-api-key': secret } })).status, 200);
    await page.getByTestId('apikey-done').click();
    const row = page.getByTestId('apikey-row').filter({ hasText: `e2e-key-${uniq}` });
    await row.waitFor();
    const prefix = (await row.getByTestId('apikey-prefix').textContent()).replace('…', '');
    assert.ok(secret.startsWith(prefix), 'the listed prefix is the start of the key');
    assert.match(await row.textContent(), /write/);
    await row.getByTestId('apikey-revoke').click();
    await page.getByTestId('confirm-ok').click();
    await toastWith('revoked');
    await waitFor(async () => (await page.getByTestId('apikey-row').filter({ hasText: `e2e-key-${uniq}` }).count()) === 0,
      { message: 'revoked key to leave the list' });
    assert.equal((await call('GET', '/api/users', { token: null, headers: { 'x-api-key': secret } })).status, 401);
  });

  test('webhooks: create, deliveries appear (signed), edit, disable, redeliver', async () => {
    await gotoView('#/webhooks');
    await page.getByTestId('webhook-new').click();
    await page.getByTestId('webhook-url').fill(receiver.url);
    assert.equal(await page.getByTestId('webhook-event-post.created').isChecked(), true, 'all events preselected');
    await page.getByTestId('webhook-submit').click();
    const secret = await page.getByTestId('webhook-secret').inputValue();
    assert.ok(secret.length > 0, 'the secret is shown once');
    await page.getByTestId('webhook-secret-done').click();
    await page.getByTestId('webhook-row').filter({ hasText: receiver.url }).getByTestId('webhook-link').click();
    await page.getByTestId('webhook-props').waitFor();

    const title = `Webhook trigger ${uniq}`;
    assert.equal((await call('POST', '/api/posts', { body: { title, content: 'Delivered by webhook.' } })).status, 201);
    await waitFor(async () => receiver.received.find((r) => r.headers['x-folio-event'] === 'post.created' && r.body.includes(title)),
      { timeout: 45000, message: 'the receiver to get post.created' });
    const got = receiver.received.find((r) => r.headers['x-folio-event'] === 'post.created' && r.body.includes(title));
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]+)$/.exec(got.headers['x-folio-signature']) || [];
    assert.ok(t && v1, `signature header: ${got.headers['x-folio-signature']}`);
    const expected = crypto.createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${t}.${got.body}`).digest('hex');
    assert.equal(v1, expected, 'the delivery is signed with the secret shown in the UI');
    assert.equal(got.headers['x-folio-delivery'], JSON.parse(got.body).id);

    const delivered = page.getByTestId('delivery-row')
      .filter({ has: page.getByTestId('delivery-event').filter({ hasText: 'post.created' }) })
      .filter({ has: page.getByTestId('delivery-status').filter({ hasText: 'delivered' }) });
    await delivered.first().waitFor({ timeout: 30000 });
    assert.equal((await delivered.first().getByTestId('delivery-code').textContent()).trim(), '200');

    // ping and redeliver
    const before = receiver.received.length;
    await page.getByTestId('webhook-ping').click();
    await waitFor(() => receiver.received.length > before, { timeout: 45000, message: 'the ping delivery' });
    const count = receiver.received.length;
    await page.getByTestId('deliveries-refresh').click();
    await withToast('queued again', () => delivered.first().getByTestId('delivery-redeliver').click());
    await waitFor(() => receiver.received.length > count, { timeout: 45000, message: 'the redelivery' });

    // edit events, disable, enable
    await page.getByTestId('webhook-edit').click();
    await page.getByTestId('webhook-event-user.deleted').uncheck();
    await withToast('Webhook saved', () => page.getByTestId('webhook-submit').click());
    const hooks = (await call('GET', '/api/admin/webhooks')).body.webhooks;
    const mine = hooks.find((w) => w.url === receiver.url);
    assert.ok(!mine.events.includes('user.deleted') && mine.events.includes('post.created'));
    await page.getByTestId('webhook-toggle').click();
    await page.getByTestId('webhook-state').filter({ hasText: 'disabled' }).waitFor();
    await page.getByTestId('webhook-toggle').click();
    await page.getByTestId('webhook-state').filter({ hasText: 'enabled' }).waitFor();
  });

  test('live events view shows a change as it happens', async () => {
    await gotoView('#/events');
    await page.locator('[data-testid="events-status"][data-state="open"]').waitFor({ timeout: 20000 });
    const title = `Live event ${uniq}`;
    assert.equal((await call('POST', '/api/posts', { body: { title, content: 'Streamed.' } })).status, 201);
    const item = page.locator('[data-testid="event-item"][data-type="post.created"]').filter({ hasText: title });
    await item.waitFor({ timeout: 20000 });
    // leaving the view stops the stream
    await page.getByTestId('nav-dashboard').click();
    await page.getByTestId('stats').waitFor();
    assert.equal(await page.getByTestId('events-status').count(), 0);
  });

  test('settings: configuration, back up now, download', async () => {
    await gotoView('#/settings');
    await page.getByTestId('config').waitFor();
    await page.getByTestId('backup-now').click();
    const name = (await page.getByTestId('backup-name').textContent()).trim();
    assert.ok(name.length > 0);
    const row = page.getByTestId('backup-row').filter({ hasText: name });
    await row.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), row.getByTestId('backup-download').click()]);
    assert.equal(download.suggestedFilename(), name);
    const file = await download.path();
    assert.ok(fs.statSync(file).size > 0, 'the backup file is not empty');
  });

  test('small screens: top bar menu and no horizontal overflow at 360 px', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    try {
      await gotoView('#/users');
      await page.getByTestId('user-row').first().waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `page overflows by ${overflow}px`);
      assert.equal(await page.getByTestId('nav-users').isVisible(), false);
      await page.getByTestId('menu-toggle').click();
      await page.getByTestId('nav-posts').click();
      await page.getByTestId('page-title').filter({ hasText: 'Posts' }).waitFor();
    } finally {
      await page.setViewportSize({ width: 1280, height: 860 });
    }
  });

  // Every page load refreshes the session, and the server's `auth` policy allows 10 such
  // requests a minute per IP by default: the steps below stay well inside that.
  test('a reload keeps the session, also in two tabs refreshing at once', async () => {
    await gotoView('#/users');
    await page.reload();
    await page.getByTestId('page-title').filter({ hasText: 'Users' }).waitFor();
    await page.getByTestId('user-row').first().waitFor();

    const second = await context.newPage();
    try {
      await second.goto(admin('#/posts'));
      await second.getByTestId('page-title').filter({ hasText: 'Posts' }).waitFor();
      // both tabs refresh concurrently; Web Locks serialise them, so the session survives
      await Promise.all([page.reload(), second.reload()]);
      await page.getByTestId('page-title').filter({ hasText: 'Users' }).waitFor();
      await second.getByTestId('page-title').filter({ hasText: 'Posts' }).waitFor();
      await second.getByTestId('post-row').or(second.getByTestId('empty')).first().waitFor();
    } finally {
      await second.close();
    }
  });

  test('log out ends the session', async () => {
    await gotoView('#/');
    await page.getByTestId('logout').click();
    await page.getByTestId('login-form').waitFor();
    await page.getByTestId('login-flash').waitFor();
    await page.reload();
    await page.getByTestId('login-form').waitFor();
    await gotoView('#/users');
    await page.getByTestId('login-form').waitFor(); // protected views send you to sign in
    const status = await expectingHttpErrors([401], () => page.evaluate(async () => (await fetch('/api/auth/refresh', {
      method: 'POST', headers: { 'x-folio-client': 'browser' } })).status));
    assert.equal(status, 401, 'the refresh cookie no longer works');
  });

  test('sign-in messages: wrong password, non-admin, then a real admin login', async () => {
    await expectingHttpErrors([401], async () => {
      await uiLogin(ADMIN.username, 'Wrong-Password-1');
      await page.locator('[data-testid="login-error"][data-code="invalid_credentials"]').waitFor();
    });

    const plain = `plain_${uniq}`;
    const plainPassword = `Pla1n-${uniq}-Pass`;
    assert.equal((await call('POST', '/api/users', { body: { email: `${plain}@example.com`, username: plain,
      password: plainPassword, role: 'user' } })).status, 201);
    await uiLogin(plain, plainPassword);
    await page.locator('[data-testid="login-error"][data-code="not_admin"]').waitFor();
    assert.match(await page.getByTestId('login-error').textContent(), /not an administrator/);

    await uiLogin(ADMIN.email, ADMIN.password);
    await page.getByTestId('stats').waitFor();
    assert.equal(await page.getByTestId('current-user').textContent(), ADMIN.username);
  });
});
