// Range fields: relative times and ISO offsets (docs/dashboard.md "Range fields").
//
//   now, now-24h, now-7d, now-90m, -7d, -36h    relative to an anchor: for the hourly
//                                               data the newest hour in the store + 1 h
//                                               (as the API does), so a replay of old data
//                                               still works; the wall clock when unknown
//   2024-03-01T10:00:00+01:00, ...Z             an ISO time with an offset -> UTC
//
// resolveTime() turns these into the API's UTC form (YYYY-MM-DDTHH:MM:SS); anything else
// is sent as typed and validated by the server (its 400 message shows in the banner).

const REL = /^\s*(?:now)?\s*(?:([+-])\s*(\d+(?:\.\d+)?)\s*([smhdw]))?\s*$/i;
const UNIT = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const ISO_OFF = /^(\d{4}-\d\d-\d\d)[T ](\d\d)(?::(\d\d)(?::(\d\d)(\.\d+)?)?)?\s*(Z|[+-]\d\d:?\d\d)$/i;

const utcText = (sec) => new Date(sec * 1000).toISOString().slice(0, 19);

/** True for the relative forms (now, now-24h, -7d). */
export function isRelative(v) {
  const s = String(v ?? '').trim();
  return s !== '' && REL.test(s) && (/^now/i.test(s) || /^[+-]/.test(s));
}

/**
 * A range field's text -> the value to send.  anchorSec: epoch seconds that "now" means
 * (null: the wall clock).  Returns {value, error?}: error when a relative or offset time
 * cannot be read (the page says so instead of sending it).
 */
export function resolveTime(v, anchorSec = null) {
  const s = String(v ?? '').trim();
  if (!s) return { value: '' };
  if (isRelative(s)) {
    const m = REL.exec(s);
    const now = anchorSec ?? Math.floor(Date.now() / 1000);
    if (!m[1]) return { value: utcText(now) };
    const off = Number(m[2]) * UNIT[m[3].toLowerCase()];
    return { value: utcText(m[1] === '-' ? now - off : now + off) };
  }
  const o = ISO_OFF.exec(s);
  if (o) {
    const [, d, hh, mm = '00', ss = '00', , tz] = o;
    let off = 0;
    if (tz.toUpperCase() !== 'Z') {
      const t = tz.replace(':', '');
      off = (t[0] === '-' ? -1 : 1) * (Number(t.slice(1, 3)) * 3600 + Number(t.slice(3, 5)) * 60);
    }
    const ms = Date.parse(`${d}T${hh}:${mm}:${ss}Z`);
    if (!Number.isFinite(ms)) return { value: s, error: `cannot read the time ${s}` };
    return { value: utcText(ms / 1000 - off) };
  }
  // a space instead of the T (an hour copied from a table)
  return { value: s.replace(/^(\d{4}-\d\d-\d\d) (\d\d)/, '$1T$2') };
}

/** datetime-local value ('YYYY-MM-DDTHH:MM', taken as UTC like every time on the page) -> field text. */
export function fromPicker(v) { return v ? v.slice(0, 16) : ''; }
/** A field's resolved value -> a datetime-local value (or '' when it is not a time). */
export function toPicker(v) {
  const m = /^(\d{4}-\d\d-\d\d)(?:T(\d\d)(?::(\d\d))?)?/.exec(v || '');
  return m ? `${m[1]}T${m[2] || '00'}:${m[3] || '00'}` : '';
}
