// Live view: polls /api/v1/status and /api/v1/live every second while shown.

import { clearError, getJson, showError } from './api.js';
import { sparkline } from './charts.js';
import { barTd, compact, fillBody, emptyRow, num, secs, setVal, td, tid, tr, ts } from './fmt.js';
import { noteStatus } from './shared.js';

const PERIOD_MS = 1000;
const SPARK_POINTS = 120;

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
    setVal(t('live-health-updated'), st.health_updated_at, ts(st.health_updated_at));
    setVal(t('live-eps'), st.events_per_second, compact(st.events_per_second));
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
    if (typeof st.events_per_second === 'number') {
      eps.push(st.events_per_second);
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
      td(sec(r.compile_ms_sum), 'r'), td(num(r.mbytes_scanned_sum, 1), 'r'), td(num(r.mbytes_spilled_sum, 1), 'r'),
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

  async function tick(g) {
    timer = null;
    const started = performance.now();
    if (!document.hidden) {
      try {
        const [st, lv] = await Promise.all([getJson('/api/v1/status'), getJson('/api/v1/live')]);
        if (g !== gen) return;
        clearError('live');
        renderStatus(st);
        renderLive(lv);
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
