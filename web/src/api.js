// The JSON API client (docs/api.md) and the error banner.
//
// Every request goes to this server (relative URL).  A non-2xx answer becomes an
// ApiError carrying the server's {"error": "..."} message; a network failure or a
// timeout becomes one with status 0.  The banner lists the current error of each
// part of the page (key), so a failing live poll and a bad history filter show
// side by side, and each clears when that part next succeeds.

export class ApiError extends Error {
  constructor(url, status, message) {
    super(message);
    this.url = url;
    this.status = status;
  }
}

/** GET path?params as JSON; empty / null params are left out. */
export async function getJson(path, params = {}, { timeoutMs = 10000 } = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  }
  const q = qs.toString();
  const url = q ? `${path}?${q}` : path;
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  try {
    let res;
    try {
      res = await fetch(url, { signal: ctl.signal, cache: 'no-store', headers: { Accept: 'application/json' } });
    } catch (e) {
      setConn('down');
      throw new ApiError(url, 0, ctl.signal.aborted ? `no answer within ${timeoutMs / 1000} s`
        : 'cannot reach the server');
    }
    setConn('ok');
    let text;
    try { text = await res.text(); } catch (e) { throw new ApiError(url, res.status, 'connection lost while reading the answer'); }
    let body = null;
    try { body = JSON.parse(text); } catch { /* not JSON */ }
    if (!res.ok) {
      const msg = body && typeof body.error === 'string' ? body.error : `${res.status} ${res.statusText}`.trim();
      throw new ApiError(url, res.status, msg);
    }
    if (body === null || typeof body !== 'object') throw new ApiError(url, res.status, 'the answer is not a JSON object');
    return body;
  } finally {
    clearTimeout(timer);
  }
}

/** The connection dot in the header: 'ok' after any answer, 'down' when the server is unreachable. */
function setConn(state) {
  const el = document.querySelector('[data-testid="conn"]');
  if (!el || el.dataset.state === state) return;
  el.dataset.state = state;
  el.querySelector('.conn-text').textContent = state === 'ok' ? 'connected' : 'server unreachable';
}

// ------------------------------------------------------------------ banner
const errors = new Map(); // key -> {label, err}

function renderBanner() {
  const banner = document.getElementById('banner');
  const ul = banner.querySelector('ul');
  // One line per distinct message: a bad filter fails every panel of a view the same way.
  const groups = new Map();
  for (const [key, { label, err }] of errors) {
    const g = groups.get(err.message);
    if (g) { g.labels.push(label); g.keys.push(key); } else groups.set(err.message, { labels: [label], keys: [key], err });
  }
  const frag = document.createDocumentFragment();
  for (const { labels, keys, err } of groups.values()) {
    const li = document.createElement('li');
    li.dataset.key = keys.join(' ');
    li.dataset.status = String(err.status ?? '');
    const b = document.createElement('b');
    b.textContent = `${labels.join(', ')}: `;
    const m = document.createElement('span');
    m.className = 'msg';
    m.dataset.testid = 'error-message';
    m.textContent = err.message;
    const where = document.createElement('span');
    where.className = 'where';
    where.textContent = err.url ? ` (${err.status ? `HTTP ${err.status}, ` : ''}GET ${err.url})` : '';
    li.append(b, m, where);
    frag.appendChild(li);
  }
  ul.replaceChildren(frag);
  banner.hidden = errors.size === 0;
}

export function showError(key, label, err) {
  const prev = errors.get(key);
  if (prev && prev.err.message === err.message && prev.err.url === err.url) return;
  errors.set(key, { label, err });
  renderBanner();
}
export function clearError(key) {
  if (errors.delete(key)) renderBanner();
}
/** Clear every key that starts with prefix (e.g. all of one view's requests). */
export function clearErrors(prefix) {
  let changed = false;
  for (const k of [...errors.keys()]) if (k.startsWith(prefix)) { errors.delete(k); changed = true; }
  if (changed) renderBanner();
}
