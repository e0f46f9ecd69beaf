// Formatting and small DOM helpers shared by the views.

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const fmts = new Map();
function fixed(d) {
  let f = fmts.get(d);
  if (!f) { f = new Intl.NumberFormat('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }); fmts.set(d, f); }
  return f;
}

export const DASH = '—';
const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

/** 1234567 -> "1,234,567"; digits > 0 gives fixed decimals. */
export function num(v, digits = 0) {
  if (!isNum(v)) return DASH;
  return digits === 0 ? intFmt.format(v) : fixed(digits).format(v);
}
// at most 3 significant digits, no trailing zeros: 40 -> "40", 4.5 -> "4.5", 123.4 -> "123"
function sig3(v) {
  const a = Math.abs(v);
  const d = a >= 100 ? 0 : a >= 10 ? 1 : 2;
  return new Intl.NumberFormat('en-US', { maximumFractionDigits: d }).format(v);
}
/** Compact count: 1234567 -> "1.23 M", 40000000 -> "40 M" (no trailing zeros). */
export function compact(v) {
  if (!isNum(v)) return DASH;
  const a = Math.abs(v);
  if (a >= 1e9) return `${sig3(v / 1e9)} G`;
  if (a >= 1e6) return `${sig3(v / 1e6)} M`;
  if (a >= 1e4) return `${sig3(v / 1e3)} k`;
  return a < 10 && !Number.isInteger(v) ? sig3(v) : intFmt.format(v);
}
/** Megabytes (decimal units, as Redset's mbytes_*): 950 -> "950 MB", 40000000 -> "40 TB". */
export function mb(v) {
  if (!isNum(v)) return DASH;
  const a = Math.abs(v);
  if (a >= 1e6) return `${sig3(v / 1e6)} TB`;
  if (a >= 1e3) return `${sig3(v / 1e3)} GB`;
  return `${sig3(v)} MB`;
}
/** A number with up to `digits` decimals and none for an integer: 61884 -> "61,884", 9058.4375 -> "9,058.4". */
export function dec(v, digits = 1) {
  if (!isNum(v)) return DASH;
  return Number.isInteger(v) ? intFmt.format(v) : new Intl.NumberFormat('en-US', { maximumFractionDigits: digits }).format(v);
}
/** Epoch seconds -> "2024-03-01 07:59:07" (UTC). */
export function epoch(v) {
  return isNum(v) ? new Date(v * 1000).toISOString().slice(0, 19).replace('T', ' ') : DASH;
}
/** Store timestamp text (UTC) or epoch seconds -> epoch milliseconds (NaN when neither). */
export function toMs(v) {
  if (isNum(v)) return v * 1000;
  if (typeof v !== 'string' || v.length < 10) return NaN;
  return Date.parse(`${v.slice(0, 23).replace(' ', 'T')}Z`);
}
/** How long ago, relative to nowMs: "12 s ago", "5 min ago", "3 h ago", "2 d ago" ('' when unknown). */
export function ago(v, nowMs = Date.now()) {
  const t = toMs(v);
  if (!Number.isFinite(t)) return '';
  const s = Math.round((nowMs - t) / 1000);
  if (s < 0) return `in ${-s} s`;
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}
export function pct(v, digits = 1) { return isNum(v) ? `${fixed(digits).format(v * 100)} %` : DASH; }
export function secs(v) {
  if (!isNum(v)) return DASH;
  const a = Math.abs(v);
  if (a < 10) return `${fixed(2).format(v)} s`;
  if (a < 600) return `${fixed(1).format(v)} s`;
  return `${fixed(1).format(v / 60)} min`;
}
export function ms(v) { return isNum(v) ? (Math.abs(v) < 100 ? `${fixed(1).format(v)} ms` : `${intFmt.format(v)} ms`) : DASH; }
export function r3(v) { return isNum(v) ? fixed(3).format(v) : DASH; }
/** Store timestamps without the microseconds: "2024-03-01 07:59:07". */
export function ts(v) { return typeof v === 'string' && v.length >= 19 ? v.slice(0, 19) : (v ?? DASH); }
/** Hour text -> "2024-03-01 07:00". */
export function hour(v) { return typeof v === 'string' && v.length >= 16 ? v.slice(0, 16) : (v ?? DASH); }

/** 'YYYY-MM-DD HH:00:00' (UTC) -> epoch seconds. */
export function hourToSec(h) {
  return Date.UTC(+h.slice(0, 4), +h.slice(5, 7) - 1, +h.slice(8, 10), +h.slice(11, 13)) / 1000;
}
/** epoch seconds -> 'YYYY-MM-DDTHH' (an API range parameter). */
export function secToParam(s) { return new Date(s * 1000).toISOString().slice(0, 13); }

/** Set an element's text and its raw value (data-value, read by the tests). */
export function setVal(el, raw, text) {
  if (!el) return;
  const rv = raw === null || raw === undefined ? '' : String(raw);
  if (el.dataset.value !== rv) el.dataset.value = rv;
  const t = text ?? (raw === null || raw === undefined ? DASH : String(raw));
  if (el.textContent !== t) el.textContent = t;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const tid = (id, root = document) => root.querySelector(`[data-testid="${id}"]`);

/** A table cell; cls 'r' right-aligns numbers. */
export function td(text, cls, title) {
  const c = document.createElement('td');
  c.textContent = text;
  if (cls) c.className = cls;
  if (title) c.title = title;
  return c;
}
/** A cell with a horizontal bar of fraction f (0..1). */
export function barTd(f, color) {
  const c = document.createElement('td');
  c.className = 'bar-col';
  const b = document.createElement('span');
  b.className = 'bar';
  b.style.width = `${Math.max(0, Math.min(1, Number.isFinite(f) ? f : 0)) * 100}%`;
  if (color) b.style.background = color;
  c.appendChild(b);
  return c;
}
/** Replace a tbody's rows in one DOM operation. */
export function fillBody(tbody, rows) {
  const frag = document.createDocumentFragment();
  for (const r of rows) frag.appendChild(r);
  tbody.replaceChildren(frag);
}
export function tr(cells, cls) {
  const r = document.createElement('tr');
  if (cls) r.className = cls;
  for (const c of cells) r.appendChild(c);
  return r;
}
/** A one-cell row saying there is nothing to show. */
export function emptyRow(cols, text = 'no data in this range') {
  const c = td(text, 'empty-cell');
  c.colSpan = cols;
  return tr([c], 'empty-row');
}
