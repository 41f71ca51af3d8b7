// fetch wrapper: same-origin cookie session, CSRF header on every non-GET, JSON errors.

let csrfToken = null;

export function setCsrf(token) { csrfToken = token || null; }

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || (status === 0 ? 'network' : 'http_' + status);
    this.body = body || {};
  }
  /** The endpoint is not there (yet): callers degrade gracefully. */
  get unavailable() { return this.status === 404 || this.status === 405 || this.status === 501; }
}

const listeners = new Set();
/** Called with no arguments whenever an authenticated request answers 401. */
export function onUnauthenticated(fn) { listeners.add(fn); }

/**
 * api('GET', '/documents', null, {query: {limit: 10}, signal})
 * Paths are relative to /api/v1 unless they start with '/api/' or '/healthz'.
 */
export async function api(method, path, body, opts = {}) {
  let url = path.startsWith('/api/') || path.startsWith('/healthz') ? path : '/api/v1' + path;
  if (opts.query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query)) {
      if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
    }
    const s = qs.toString();
    if (s) url += (url.includes('?') ? '&' : '?') + s;
  }
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', signal: opts.signal, cache: 'no-store' };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined && body !== null) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;

  let res;
  try {
    res = await fetch(url, init);
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', null);
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const err = (data && data.error) || {};
    const e = new ApiError(res.status, err.code, err.message, Object.assign({}, data, err));
    if (res.status === 401 && !opts.noAuthRedirect) for (const fn of listeners) fn(e);
    throw e;
  }
  return data;
}

export const get = (path, query, opts = {}) => api('GET', path, null, { ...opts, query });
export const post = (path, body, opts) => api('POST', path, body === undefined ? {} : body, opts);
export const put = (path, body, opts) => api('PUT', path, body === undefined ? {} : body, opts);
export const patch = (path, body, opts) => api('PATCH', path, body, opts);
export const del = (path, opts) => api('DELETE', path, null, opts);

/** GET that answers `fallback` instead of throwing when the endpoint does not exist yet. */
export async function getOptional(path, query, fallback = null, opts = {}) {
  try {
    return await get(path, query, opts);
  } catch (e) {
    if (e instanceof ApiError && e.unavailable) return fallback;
    throw e;
  }
}

/** Normalise list answers: the server may answer [..] or {items:[..]} or {hits:[..]}. */
export function items(data) {
  if (!data) return [];
  if (Array.isArray(data)) return data;
  return data.items || data.hits || data.users || data.groups || data.spaces || [];
}
