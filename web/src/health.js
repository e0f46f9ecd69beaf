// Pipeline health view: /api/v1/health, refreshed every 2 s while shown; the health
// history (/api/v1/health/history) every 10 s; the quarantined rows a page at a time
// (/api/v1/table/bad_rows, filtered by reason).

import { clearError, getJson, showError } from './api.js';
import { epochChart } from './charts.js';
import { ago, barTd, emptyRow, fillBody, num, secs, setVal, td, tid, tr, ts } from './fmt.js';

const PERIOD_MS = 2000;
const HISTORY_EVERY = 5; // ticks: the history every 10 s
const BAD_PAGE = 20;
const basename = (f) => (typeof f === 'string' ? f.split('/').pop() : f);
const LATE_COLUMNS = ['hour', 'source', '_input', '_row', 'arrival_timestamp', 'instance_id', 'query_id', 'watermark', 'raw', 'input_file'];
const clip = (s, n = 160) => (typeof s === 'string' && s.length > n ? `${s.slice(0, n)}…` : s);
const cellText = (v) => (v === null || v === undefined ? '—' : typeof v === 'number' ? String(v) : clip(String(v)));

export function initHealth() {
  const view = document.getElementById('view-health');
  const t = (id) => tid(id, view);
  let gen = 0;
  let timer = null;
  let lastJson = null;
  let ticks = 0;
  let badOffset = 0;
  let badJson = null;
  const badForm = t('bad-form');
  badForm.addEventListener('change', () => { badOffset = 0; loadBad(gen); });
  badForm.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-step]');
    if (!b) return;
    badOffset = Math.max(0, badOffset + Number(b.dataset.step) * BAD_PAGE);
    loadBad(gen);
  });

  function renderHistory(r) {
    const s = r.series && typeof r.series === 'object' ? r.series : {};
    const pts = (k) => (Array.isArray(s[k]) ? s[k] : []);
    epochChart(t('chart-health-eps'), { title: 'throughput (events/s)', yFmt: (v) => num(v),
      series: [{ label: 'events/s', points: pts('events_per_second') }] });
    epochChart(t('chart-health-seconds'), { title: 'seconds', yFmt: secs,
      series: [{ label: 'replay lag', points: pts('replay_lag_s') }, { label: 'queue wait', points: pts('queue_wait_s') },
        { label: 'hot store write', points: pts('hot_write_s') }, { label: 'cold store write', points: pts('cold_write_s') }] });
  }

  async function loadBad(g) {
    const reason = badForm.elements.reason.value;
    try {
      const r = await getJson('/api/v1/table/bad_rows', { reason, limit: BAD_PAGE, offset: badOffset });
      if (g !== gen) return;
      clearError('health:bad');
      const cols = Array.isArray(r.columns) ? r.columns : [];
      const rows = (Array.isArray(r.rows) ? r.rows : []).map((a) => Object.fromEntries(cols.map((c, i) => [c, a[i]])));
      const json = JSON.stringify(rows);
      const pageText = rows.length ? `rows ${num(badOffset + 1)}–${num(badOffset + rows.length)}${r.truncated ? '' : ' (last page)'}` : 'no rows';
      setVal(t('bad-page'), badOffset, pageText);
      t('bad-prev').disabled = badOffset === 0;
      t('bad-next').disabled = !r.truncated;
      if (json === badJson) return;
      badJson = json;
      const ts1 = t('table-bad-sample');
      ts1.dataset.values = json;
      fillBody(ts1.tBodies[0], rows.length ? rows.map((x) => tr([td(x.source),
        td(cellText(basename(x.input_file ?? x._input)), 'mono', x.input_file ? `${x.input_file} (input ${x._input})` : `input ${x._input}`),
        td(cellText(x._row), 'r'), td(x.reason, 'mono'), td(cellText(x.detail), '', x.detail ?? ''), td(cellText(x.raw), 'mono raw', x.raw ?? '')]))
        : [emptyRow(6, 'no quarantined rows')]);
    } catch (e) {
      if (g !== gen) return;
      showError('health:bad', 'quarantined rows', e);
    }
  }
  function fillReasons(reasons) {
    const sel = badForm.elements.reason;
    const have = new Set([...sel.options].map((o) => o.value));
    for (const r of reasons) if (!have.has(r.reason)) sel.add(new Option(`${r.reason} (${num(r.count)})`, r.reason));
  }

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
    t('health-updated-ago').textContent = h.updated_at ? `(${ago(h.updated_at)})` : '';
    fillReasons(Array.isArray(h.bad_by_reason) ? h.bad_by_reason : []);
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

    const late = h.late && Array.isArray(h.late.sample) ? h.late.sample : [];
    const tl = t('table-late-sample');
    tl.dataset.values = JSON.stringify(late);
    const cols = late.length && !Array.isArray(late[0]) ? Object.keys(late[0]) : LATE_COLUMNS;
    const head = tr(cols.map((c) => { const th = document.createElement('th'); th.textContent = c; return th; }));
    tl.tHead.replaceChildren(head);
    fillBody(tl.tBodies[0], late.length ? late.map((r) => tr(cols.map((c, i) => {
      const v = Array.isArray(r) ? r[i] : r[c];
      // the input file: its name, the path as the tooltip
      if (c === 'input_file') return td(cellText(basename(v)), 'mono', v ?? '');
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
        if (ticks++ % HISTORY_EVERY === 0) {
          getJson('/api/v1/health/history').then((r) => { if (g === gen) { clearError('health:history'); renderHistory(r); } },
            (e) => { if (g === gen) showError('health:history', 'health history', e); });
          loadBad(g);
        }
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
      ticks = 0;
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
