// The one way the UI talks to Folio: fetch + JSON + the browser session.
//
// Session model (see API.md "Browser mode"):
// - The refresh token lives only in an HttpOnly cookie (Path=/api/auth); we
//   always send `x-folio-client: browser` to login / refresh / logout / setup.
// - The access token lives only in this module's memory, never in storage.
// - Refreshes are serialised across tabs with the Web Locks API, because a
//   refresh token presented twice ends the whole session family.
// - localStorage keeps only a non-secret hint ("a session probably exists") so
//   a first visit does not fire a refresh that can only fail.

const BROWSER = { 'x-folio-client': 'browser' };
const HINT_KEY = 'folio.session';
const LOCK_NAME = 'folio-refresh';

export class ApiError extends Error {
  constructor({ status = 0, code = 'error', message, details = [], correlationId = null, retryAfter = null }) {
    super(message || 'Request failed');
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = Array.isArray(details) ? details : [];
    this.correlationId = correlationId;
    this.retryAfter = retryAfter;
  }
}

const state = {
  token: null,
  user: null,
  expiresAt: 0,
  lifetime: 0,
  timer: null,
  refreshing: null,
};

const authListeners = new Set();
let expiredHandler = null;
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('folio-auth') : null;

export function onAuthChange(fn) { authListeners.add(fn); return () => authListeners.delete(fn); }
export function onSessionExpired(fn) { expiredHandler = fn; }
export function currentUser() { return state.user; }
export function isAuthenticated() { return Boolean(state.token); }

function notify() { for (const fn of authListeners) fn(state.user); }

function hasHint() {
  try { return localStorage.getItem(HINT_KEY) === '1'; } catch { return true; }
}
function setHint(on) {
  try { if (on) localStorage.setItem(HINT_KEY, '1'); else localStorage.removeItem(HINT_KEY); } catch { /* storage disabled */ }
}

function setSession(data) {
  state.token = data.access_token;
  state.user = data.user ?? state.user;
  const lifetime = Number(data.expires_in) > 0 ? Number(data.expires_in) : 900;
  state.lifetime = lifetime;
  state.expiresAt = Date.now() + lifetime * 1000;
  setHint(true);
  schedule();
  notify();
}

function clearSession() {
  state.token = null;
  state.user = null;
  state.expiresAt = 0;
  clearTimeout(state.timer);
  state.timer = null;
  setHint(false);
  notify();
}

// Refresh "shortly before expires_in runs out": 20 % of the lifetime early, at most a minute.
function refreshMargin() { return Math.min(60, state.lifetime * 0.2) * 1000; }

function schedule(delay) {
  clearTimeout(state.timer);
  if (!state.token) return;
  const wait = delay ?? Math.max(1000, state.expiresAt - Date.now() - refreshMargin());
  state.timer = setTimeout(async () => {
    try {
      const ok = await refresh();
      if (!ok) expire();
    } catch {
      // Network trouble or 429: keep the current token while it lasts and try again soon.
      if (state.token && Date.now() < state.expiresAt) schedule(15000);
      else if (state.token) expire();
    }
  }, wait);
}

// Background tabs have throttled timers: catch up when the tab becomes visible.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && state.token
      && state.expiresAt - Date.now() < refreshMargin()) {
    refresh().then((ok) => { if (!ok) expire(); }, () => {});
  }
});

channel?.addEventListener('message', (ev) => {
  if (ev.data === 'logout' && state.token) {
    clearSession();
    expiredHandler?.('You signed out in another tab.');
  }
});

function expire(message = 'Your session has expired. Please sign in again.') {
  const had = Boolean(state.token);
  clearSession();
  if (had) expiredHandler?.(message);
}

function parseRetryAfter(value) {
  if (!value) return null;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, Math.ceil(secs));
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

const FALLBACK = {
  400: 'The request was not valid.', 401: 'You are not signed in.', 403: 'You are not allowed to do that.',
  404: 'Not found.', 409: 'That conflicts with existing data.', 412: 'The item changed in the meantime.',
  413: 'The request is too large.', 429: 'Too many requests.', 500: 'Internal server error',
  502: 'The server is unreachable (bad gateway).', 503: 'The server is not ready.',
};

async function toError(res) {
  let body = null;
  const type = res.headers.get('content-type') || '';
  if (type.includes('json')) {
    try { body = await res.json(); } catch { body = null; }
  }
  return new ApiError({
    status: res.status,
    code: body?.code || `http_${res.status}`,
    message: body?.error || FALLBACK[res.status] || `Request failed with status ${res.status}.`,
    details: body?.details,
    correlationId: body?.correlation_id || res.headers.get('x-correlation-id'),
    retryAfter: parseRetryAfter(res.headers.get('retry-after')),
  });
}

/** A one-line, human description of an error (with the wait time on 429). */
export function describeError(err) {
  if (!(err instanceof ApiError)) return err?.message || String(err);
  if (err.status === 429) {
    return err.retryAfter != null
      ? `Too many requests. Try again in ${err.retryAfter} second${err.retryAfter === 1 ? '' : 's'}.`
      : 'Too many requests. Try again in a moment.';
  }
  return err.message;
}

function buildUrl(path, query) {
  const url = new URL(path, window.location.origin);
  if (query) {
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue;
      url.searchParams.set(k, String(v));
    }
  }
  return url.pathname + url.search;
}

async function send(method, path, { body, query, headers = {}, signal, auth = true, browser = false } = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (browser) Object.assign(h, BROWSER);
  if (auth && state.token) h.Authorization = `Bearer ${state.token}`;
  const init = { method, headers: h, signal, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    h['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  try {
    return await fetch(buildUrl(path, query), init);
  } catch (e) {
    if (e?.name === 'AbortError' || signal?.aborted) throw e;
    throw new ApiError({ status: 0, code: 'network_error',
      message: 'Could not reach the Folio server. Check the connection and try again.' });
  }
}

async function withLock(fn) {
  if (navigator.locks?.request) return navigator.locks.request(LOCK_NAME, fn);
  return fn(); // insecure context (plain http on a LAN address): one tab at a time is all we can do
}

async function doRefresh() {
  const res = await send('POST', '/api/auth/refresh', { auth: false, browser: true });
  if (res.status === 401) return false;
  if (!res.ok) throw await toError(res);
  setSession(await res.json());
  return true;
}

/**
 * Get a fresh access token from the refresh cookie. Resolves true on success,
 * false when the session is over (401); throws on network errors / 429 / 5xx.
 * Concurrent callers in this tab share one request; tabs queue on a Web Lock.
 */
export function refresh() {
  if (!state.refreshing) {
    state.refreshing = withLock(doRefresh).finally(() => { state.refreshing = null; });
  }
  return state.refreshing;
}

/** On page load: resume the session from the cookie, if there is one. */
export async function restore() {
  if (!hasHint()) return { ok: false };
  try {
    const ok = await refresh();
    if (!ok) { clearSession(); return { ok: false, expired: true }; }
    if (state.user?.role !== 'admin') {
      await logout({ quiet: true });
      return { ok: false, notAdmin: true };
    }
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  }
}

async function authCall(path, body) {
  const res = await send('POST', path, { body, auth: false, browser: true });
  if (!res.ok) throw await toError(res);
  const data = await res.json();
  if (data?.user?.role !== 'admin') {
    // Drop the cookie the server just set: this console is for administrators only.
    await send('POST', '/api/auth/logout', { auth: false, browser: true }).catch(() => {});
    clearSession();
    throw new ApiError({ status: 403, code: 'not_admin',
      message: 'This account is not an administrator. Only admins can use the Folio console.' });
  }
  setSession(data);
  return data.user;
}

export function login(identity, password) {
  return authCall('/api/auth/login', { identity, password });
}

export function setup({ token, email, username, password }) {
  return authCall('/api/admin/setup', { token, email, username, password });
}

export async function logout({ quiet = false } = {}) {
  try {
    await send('POST', '/api/auth/logout', { auth: false, browser: true });
  } catch { /* offline: the local session still ends */ }
  clearSession();
  if (!quiet) channel?.postMessage('logout');
}

/**
 * Authenticated request. Returns parsed JSON (null for 204), or with
 * `full: true` an object {data, response}. `as: 'blob'` returns a Blob.
 */
export async function request(method, path, opts = {}) {
  if (state.token && state.expiresAt - Date.now() < 5000) {
    try { if (!(await refresh())) { expire(); } } catch { /* try with what we have */ }
  }
  let res = await send(method, path, opts);
  if (res.status === 401 && state.token) {
    const err = await toError(res);
    if (err.code === 'token_expired' || err.code === 'invalid_token') {
      let ok = false;
      try { ok = await refresh(); } catch (e) { throw e; }
      if (!ok) { expire(); throw err; }
      res = await send(method, path, opts);
      if (res.status === 401) { const again = await toError(res); expire(); throw again; }
    } else {
      throw err;
    }
  }
  if (!res.ok) throw await toError(res);
  let data = null;
  if (res.status !== 204) {
    if (opts.as === 'blob') data = await res.blob();
    else if ((res.headers.get('content-type') || '').includes('json')) data = await res.json();
    else data = await res.text();
  }
  return opts.full ? { data, response: res } : data;
}

export const api = {
  get: (path, opts) => request('GET', path, opts),
  post: (path, body, opts = {}) => request('POST', path, { ...opts, body }),
  patch: (path, body, opts = {}) => request('PATCH', path, { ...opts, body }),
  del: (path, opts) => request('DELETE', path, opts),
};

/**
 * Open a streaming GET (for Server-Sent Events) with the bearer token. Handles
 * an expired token once, like request(). Returns the Response (body unread).
 */
export async function openStream(path, { headers = {}, signal, query } = {}) {
  const opts = { headers: { ...headers, Accept: 'text/event-stream' }, signal, query };
  let res = await send('GET', path, opts);
  if (res.status === 401 && state.token) {
    const err = await toError(res);
    if (err.code !== 'token_expired' && err.code !== 'invalid_token') throw err;
    if (!(await refresh())) { expire(); throw err; }
    res = await send('GET', path, opts);
  }
  if (!res.ok) throw await toError(res);
  return res;
}

/** Download an authenticated file: fetch → Blob → object URL → <a download>. */
export async function download(path, filename) {
  const blob = await request('GET', path, { as: 'blob', headers: { Accept: '*/*' } });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
  return blob.size;
}

export function enc(segment) { return encodeURIComponent(segment); }
