// Pipeline health view: /api/v1/health, refreshed every 2 s while shown.

import { clearError, getJson, showError } from './api.js';
import { barTd, emptyRow, fillBody, num, secs, setVal, td, tid, tr, ts } from './fmt.js';

const PERIOD_MS = 2000;
const LATE_COLUMNS = ['hour', 'source', '_input', '_row', 'arrival_timestamp', 'instance_id', 'query_id', 'watermark', 'raw'];
const clip = (s, n = 160) => (typeof s === 'string' && s.length > n ? `${s.slice(0, n)}…` : s);
const cellText = (v) => (v === null || v === undefined ? '—' : typeof v === 'number' ? String(v) : clip(String(v)));

export function initHealth() {
  const view = document.getElementById('view-health');
  const t = (id) => tid(id, view);
  let gen = 0;
  let timer = null;
  let lastJson = null;

  function sink(prefix, s) {
    setVal(t(`${prefix}-seconds`), s ? s.seconds_total : null, s ? secs(s.seconds_total) : 'not used');
    setVal(t(`${prefix}-max`), s ? s.max_seconds : null, s ? secs(s.max_seconds) : '—');
    setVal(t(`${prefix}-errors`), s ? s.errors : null, s ? num(s.errors) : '—');
  }

  function render(h) {
    const reasons = Array.isArray(h.bad_by_reason) ? h.bad_by_reason : [];
    const bad = reasons.reduce((a, r) => a + (r.count || 0), 0);
    setVal(t('health-duplicates'), h.duplicates, num(h.duplicates));
    setVal(t('health-late'), h.late ? h.late.count : null, num(h.late ? h.late.count : null));
    setVal(t('health-bad'), bad, num(bad));
    setVal(t('health-replay-lag'), h.replay_lag_s, secs(h.replay_lag_s));
    setVal(t('health-updated'), h.updated_at, ts(h.updated_at));
    sink('health-sink-hot', h.sink ? h.sink.hot : null);
    sink('health-sink-cold', h.sink ? h.sink.cold : null);

    const tr1 = t('table-bad-reasons');
    tr1.dataset.values = JSON.stringify(reasons);
    const max = Math.max(1, ...reasons.map((r) => r.count || 0));
    fillBody(tr1.tBodies[0], reasons.length ? reasons.map((r) => {
      const row = tr([td(r.reason, 'mono'), td(num(r.count), 'r'), barTd(r.count / max, '#d9534f')]);
      row.dataset.reason = r.reason;
      return row;
    }) : [emptyRow(3, 'no bad rows')]);

    const sample = Array.isArray(h.bad_sample) ? h.bad_sample : [];
    const ts1 = t('table-bad-sample');
    ts1.dataset.values = JSON.stringify(sample);
    fillBody(ts1.tBodies[0], sample.length ? sample.map((r) => tr([td(r.source), td(cellText(r._input), 'r'), td(cellText(r._row), 'r'),
      td(r.reason, 'mono'), td(cellText(r.detail), '', r.detail ?? ''), td(cellText(r.raw), 'mono raw', r.raw ?? '')])) : [emptyRow(6, 'no quarantined rows')]);

    const late = h.late && Array.isArray(h.late.sample) ? h.late.sample : [];
    const tl = t('table-late-sample');
    tl.dataset.values = JSON.stringify(late);
    const cols = late.length && !Array.isArray(late[0]) ? Object.keys(late[0]) : LATE_COLUMNS;
    const head = tr(cols.map((c) => { const th = document.createElement('th'); th.textContent = c; return th; }));
    tl.tHead.replaceChildren(head);
    fillBody(tl.tBodies[0], late.length ? late.map((r) => tr(cols.map((c, i) => {
      const v = Array.isArray(r) ? r[i] : r[c];
      return td(cellText(v), typeof v === 'number' ? 'r' : c === 'raw' ? 'mono raw' : '', c === 'raw' ? (v ?? '') : undefined);
    }))) : [emptyRow(cols.length, 'no late events')]);

    const counters = h.counters && typeof h.counters === 'object' ? h.counters : {};
    const tc = t('table-counters');
    tc.dataset.values = JSON.stringify(counters);
    const names = Object.keys(counters).sort();
    fillBody(tc.tBodies[0], names.length ? names.map((n) => {
      const v = counters[n];
      const row = tr([td(n, 'mono'), td(typeof v === 'number' ? (Number.isInteger(v) ? num(v) : String(v)) : '—', 'r')]);
      row.dataset.name = n;
      return row;
    }) : [emptyRow(2, 'no counters (no pipeline has written this store)')]);
  }

  async function tick(g) {
    timer = null;
    if (!document.hidden) {
      try {
        const h = await getJson('/api/v1/health');
        if (g !== gen) return;
        clearError('health');
        const json = JSON.stringify(h);
        if (json !== lastJson) { lastJson = json; render(h); }
        view.dataset.state = 'ready';
      } catch (e) {
        if (g !== gen) return;
        showError('health', 'pipeline health', e);
        view.dataset.state = 'error';
      }
    }
    if (g === gen) timer = setTimeout(tick, PERIOD_MS, g);
  }

  return {
    start() {
      if (timer || view.dataset.state === 'loading') return;
      view.dataset.state = 'loading';
      tick(++gen);
    },
    stop() {
      gen++;
      if (timer) clearTimeout(timer);
      timer = null;
      if (view.dataset.state === 'loading') view.dataset.state = 'idle';
    },
  };
}
