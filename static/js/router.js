// A small hash router: `#/path/:param?query`. Views keep their list state
// (page, search, sort...) in the hash query through setQuery(), which uses
// history.replaceState so it neither re-renders nor fills the history.

const routes = [];
let handler = null;

/** Register a route: pattern like '/users/:id'. */
export function route(pattern, view, options = {}) {
  const keys = [];
  const rx = new RegExp('^' + pattern.replace(/\/:([a-zA-Z]+)/g, (_, key) => {
    keys.push(key);
    return '/([^/]+)';
  }) + '/?$');
  routes.push({ pattern, rx, keys, view, ...options });
}

export function parseHash(hash = window.location.hash) {
  const raw = hash.replace(/^#/, '') || '/';
  const qi = raw.indexOf('?');
  const path = (qi === -1 ? raw : raw.slice(0, qi)) || '/';
  const query = new URLSearchParams(qi === -1 ? '' : raw.slice(qi + 1));
  return { path: path.startsWith('/') ? path : `/${path}`, query };
}

export function match(path) {
  for (const r of routes) {
    const m = r.rx.exec(path);
    if (m) {
      const params = {};
      r.keys.forEach((k, i) => {
        try { params[k] = decodeURIComponent(m[i + 1]); } catch { params[k] = m[i + 1]; }
      });
      return { route: r, params };
    }
  }
  return null;
}

export function href(path, query) {
  const qs = query ? new URLSearchParams(
    Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== '')
  ).toString() : '';
  return `#${path}${qs ? `?${qs}` : ''}`;
}

export function navigate(path, query, { replace = false } = {}) {
  const target = href(path, query);
  if (replace) {
    history.replaceState(null, '', target);
    handler?.();
  } else if (window.location.hash === target) {
    handler?.();
  } else {
    window.location.hash = target;
  }
}

/** Update the current route's query without re-rendering. */
export function setQuery(values) {
  const { path, query } = parseHash();
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || v === null || v === '') query.delete(k);
    else query.set(k, String(v));
  }
  const qs = query.toString();
  history.replaceState(null, '', `#${path}${qs ? `?${qs}` : ''}`);
}

export function start(onRoute) {
  handler = onRoute;
  window.addEventListener('hashchange', onRoute);
  onRoute();
}
