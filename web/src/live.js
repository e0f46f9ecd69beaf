// Live view: polls /api/v1/status and /api/v1/live every second while shown.

import { clearError, getJson, showError } from './api.js';
import { colorOf, sparkline, timeChart } from './charts.js';
import { ago, barTd, compact, fillBody, emptyRow, mb, num, secs, setVal, td, tid, toMs, tr, ts } from './fmt.js';
import { noteStatus } from './shared.js';

const PERIOD_MS = 1000;
const SPARK_POINTS = 120;
const STALE_S = 10; // health older than this while "running": the run was killed (the API's state "stale")

/**
 * The pipeline's state: the API's `state` when it has one; else running false = stopped,
 * running with health older than 10 s = stale (a killed run).  Throughput is shown only
 * while running: a stopped pipeline's last rate is not a rate.
 */
export function pipelineState(st) {
  if (st.state === 'running' || st.state === 'stopped' || st.state === 'stale') return st.state;
  if (st.running !== true) return st.running === false ? 'stopped' : null;
  const age = (toMs(st.now) - toMs(st.health_updated_at)) / 1000;
  return Number.isFinite(age) && age > STALE_S ? 'stale' : 'running';
}

export function initLive() {
  const view = document.getElementById('view-live');
  const t = (id) => tid(id, view);
  let running = false;
  let gen = 0; // a stop() + start() while a poll is in flight must not leave two loops
  let timer = null;
  let polls = 0;
  const eps = [];

  function renderStatus(st) {
    setVal(t('live-event-time'), st.event_time, ts(st.event_time));
    setVal(t('live-watermark'), st.watermark, ts(st.watermark));
    setVal(t('live-running'), st.running, st.running === true ? 'running' : st.running === false ? 'stopped' : '—');
    const state = pipelineState(st);
    const stEl = t('live-state');
    setVal(stEl, state, state === 'stale' ? 'stale (no health for > 10 s: killed?)' : state ?? '—');
    stEl.dataset.state = state ?? '';
    setVal(t('live-health-updated'), st.health_updated_at, ts(st.health_updated_at));
    const agoEl = t('live-health-ago');
    const agoText = st.health_updated_at ? `(${ago(st.health_updated_at, Number.isFinite(toMs(st.now)) ? toMs(st.now) : Date.now())})` : '';
    if (agoEl.textContent !== agoText) agoEl.textContent = agoText;
    // not running: 0 (the API says 0 too; an older server kept the last rate)
    const epsVal = state === 'running' ? st.events_per_second : (typeof st.events_per_second === 'number' ? 0 : null);
    setVal(t('live-eps'), epsVal, state === 'running' || epsVal === null ? compact(epsVal) : `0 (${state})`);
    setVal(t('live-replay-lag'), st.replay_lag_s, secs(st.replay_lag_s));
    setVal(t('live-open-windows'), st.open_windows, num(st.open_windows));
    setVal(t('live-events-read'), st.events_read, num(st.events_read));
    setVal(t('live-events-accepted'), st.events_accepted, num(st.events_accepted));
    setVal(t('live-bad'), st.bad, num(st.bad));
    setVal(t('live-late'), st.late, num(st.late));
    setVal(t('live-duplicates'), st.duplicates, num(st.duplicates));
    setVal(t('live-first-hour'), st.first_hour);
    setVal(t('live-last-hour'), st.last_hour);
    setVal(t('live-last-final-hour'), st.last_final_hour);
    const src = Array.isArray(st.sources) ? st.sources : [];
    setVal(t('live-sources'), src.join(','), src.length ? src.join(', ') : '—');
    if (typeof epsVal === 'number') {
      eps.push(epsVal);
      if (eps.length > SPARK_POINTS) eps.shift();
    }
    const spark = t('chart-live-eps');
    if (eps.length) sparkline(spark, eps);
  }

  function renderLive(lv) {
    setVal(t('live-hour'), lv.hour);
    setVal(t('live-hour-final'), lv.hour ? lv.final : null, lv.hour ? (lv.final ? 'final' : 'provisional') : '—');
    t('live-hour-final').dataset.final = lv.final ? '1' : '0';
    t('live-hour-final').hidden = !lv.hour;
    setVal(t('live-instances'), lv.instances, num(lv.instances));
    const table = t('table-live-by-query-type');
    const rows = Array.isArray(lv.by_query_type) ? lv.by_query_type : [];
    const values = JSON.stringify({ by_query_type: rows, totals: lv.totals ?? null });
    if (table.dataset.values === values) return; // nothing changed since the last poll
    table.dataset.values = values;
    const max = Math.max(1, ...rows.map((r) => r.queries || 0));
    const sec = (v) => (typeof v === 'number' ? num(v / 1000, Math.abs(v) < 10000 ? 2 : 1) : '—');
    const line = (r, name) => [
      td(name), td(num(r.queries), 'r'), barTd((r.queries || 0) / max), td(num(r.aborted), 'r'), td(num(r.cached), 'r'),
      td(num(r.spilled), 'r'), td(sec(r.exec_ms_sum), 'r'), td(sec(r.queue_ms_sum), 'r'),
      td(sec(r.compile_ms_sum), 'r'), td(mb(r.mbytes_scanned_sum), 'r'), td(mb(r.mbytes_spilled_sum), 'r'),
    ];
    fillBody(table.tBodies[0], rows.length ? rows.map((r) => {
      const row = tr(line(r, r.query_type));
      row.dataset.queryType = r.query_type;
      return row;
    }) : [emptyRow(11, 'no rows in the current hour')]);
    const foot = table.tFoot;
    if (lv.totals && rows.length > 1) {
      const row = tr(line(lv.totals, 'total'), 'total');
      row.cells[2].replaceChildren();
      foot.replaceChildren(row);
    } else foot.replaceChildren();
  }

  let rollingJson = null;
  function renderRolling(lv) {
    const series = Array.isArray(lv.series) ? lv.series : [];
    const json = JSON.stringify(series);
    if (json === rollingJson) return;
    rollingJson = json;
    timeChart(t('chart-live-rolling'), {
      hours: series.map((x) => x.hour), height: 170, yFmt: compact, provisional: series.map((x) => x.final === false),
      emptyText: 'no hours in the store yet',
      series: [{ label: 'queries', values: series.map((x) => x.queries), color: colorOf(0) },
        { label: 'spilled', values: series.map((x) => x.spilled), color: colorOf(8) },
        { label: 'cached', values: series.map((x) => x.cached), color: colorOf(2) }],
      extra: { exec_ms_sum: series.map((x) => x.exec_ms_sum), final: series.map((x) => x.final) },
    });
  }
  const form = t('live-form');
  form.addEventListener('change', () => { rollingJson = null; t('table-live-by-query-type').dataset.values = ''; if (running) { gen++; if (timer) clearTimeout(timer); tick(gen); } });
  function fillSources(st) {
    const sel = form.elements.source;
    const have = new Set([...sel.options].map((o) => o.value));
    for (const s of Array.isArray(st.sources) ? st.sources : []) if (!have.has(s)) sel.add(new Option(s, s));
  }

  async function tick(g) {
    timer = null;
    const started = performance.now();
    if (!document.hidden) {
      try {
        const source = form.elements.source.value;
        const [st, lv] = await Promise.all([getJson('/api/v1/status'),
          getJson('/api/v1/live', { source, hours: form.elements.hours.value })]);
        if (g !== gen) return;
        clearError('live');
        fillSources(st);
        renderStatus(st);
        renderLive(lv);
        renderRolling(lv);
        noteStatus(st, lv);
        view.dataset.state = 'ready';
      } catch (e) {
        if (g !== gen) return;
        showError('live', 'live view', e);
        view.dataset.state = 'error';
      }
      view.dataset.polls = String(++polls);
    }
    if (g === gen) timer = setTimeout(tick, Math.max(50, PERIOD_MS - (performance.now() - started)), g);
  }

  return {
    start() {
      if (running) return;
      running = true;
      tick(++gen);
    },
    stop() {
      running = false;
      gen++;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
