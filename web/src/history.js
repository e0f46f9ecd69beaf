// Historical view: spill, cache, top tables, compile, utilization over a range; the same
// view for one instance (#/instance?source=..&id=..&from=..&to=..: the drill-down).
//
// The filters live in the URL (#/history?from=..&to=..&source=..&instance=..), so
// a view can be bookmarked and reloaded.  from/to/instance are sent as typed: the
// server validates them and its 400 message shows in the banner.  The server does
// the aggregation (docs/api.md); the page only draws what it gets (uPlot canvas
// for the hourly series, tables with CSS bars for the per-instance lists).

import { clearError, getJson, showError } from './api.js';
import { barChart, colorOf, timeChart } from './charts.js';
import { barTd, compact, dec, emptyRow, fillBody, hour, hourToSec, mb, ms, num, pct, r3, secToParam, setVal, td, tid, tr } from './fmt.js';
import { fromPicker, isRelative, resolveTime, toPicker } from './range.js';
import { loadStatus, shared } from './shared.js';

const FIELDS = ['from', 'to', 'source', 'instance'];
const CACHE_LIMIT = 50;
const UTIL_LIMIT = 50;
const TOP_K = 10;
const MAX_DAYS = 400;

const THRESHOLD = 0.5; // the transform option `threshold` (docs/metrics.md 4.5), when the answer has none
const sum = (a) => { let s = 0; for (const v of a) if (typeof v === 'number') s += v; return s; };
// Users copy hours from the tables ('2024-03-01 07:00:00'); the API wants a T.
const normTime = (v) => v.trim().replace(/^(\d{4}-\d\d-\d\d) (\d\d)/, '$1T$2');
// While the newest hour is provisional the view reloads itself this often (window.SLUICE_REFRESH_MS: tests).
const refreshMs = () => Number(window.SLUICE_REFRESH_MS) || 30000;

export function initHistory() {
  const view = document.getElementById('view-history');
  const t = (id) => tid(id, view);
  const form = t('hist-form');
  let loadedKey = null;
  let loadedAt = 0;
  let token = 0;
  let mode = 'history'; // or 'instance' (#/instance?source=..&id=..)
  let refreshTimer = null;
  let shown = false;
  const STALE_MS = 30000; // coming back to the view after this long reloads it (the store moves on)

  function readForm() {
    const p = {};
    for (const f of FIELDS) {
      const v = form.elements[f].value;
      p[f] = f === 'from' || f === 'to' ? normTime(v) : v.trim();
    }
    return p;
  }
  function fillForm(p) {
    for (const f of FIELDS) {
      const el = form.elements[f];
      const v = p[f] || '';
      if (f === 'source' && v && ![...el.options].some((o) => o.value === v)) el.add(new Option(v, v));
      el.value = v;
    }
  }
  function fillSources(st) {
    const sel = form.elements.source;
    const have = new Set([...sel.options].map((o) => o.value));
    for (const s of Array.isArray(st?.sources) ? st.sources : []) if (!have.has(s)) sel.add(new Option(s, s));
  }
  function paramsKey(p) { return `${mode}:${FIELDS.map((f) => `${f}=${p[f] || ''}`).join('&')}`; }
  function hashFor(p, m) {
    const qs = new URLSearchParams();
    if (m === 'instance') {
      for (const [f, k] of [['source', 'source'], ['instance', 'id'], ['from', 'from'], ['to', 'to']]) if (p[f]) qs.set(k, p[f]);
      return `#/instance?${qs}`;
    }
    for (const f of FIELDS) if (p[f]) qs.set(f, p[f]);
    return `#/history${qs.toString() ? `?${qs}` : ''}`;
  }
  function go(p, m = null) {
    // one instance id (and a source) typed into the form stays in the per-instance view
    const next = m || (mode === 'instance' && /^\d+$/.test(p.instance || '') ? 'instance' : 'history');
    const hash = hashFor(p, next);
    if (location.hash === hash) load(p, true); // same URL: no hashchange, reload anyway
    else location.hash = hash;
  }
  /** The drill-down: one instance over a range (the current one unless given). */
  function openInstance(source, id, range = {}) {
    const cur = readForm();
    go({ from: range.from ?? cur.from, to: range.to ?? cur.to, source, instance: String(id) }, 'instance');
  }
  const zoom = (from, to) => go({ ...readForm(), from: secToParam(from), to: secToParam(to) });

  form.addEventListener('submit', (e) => { e.preventDefault(); go(readForm()); });
  form.addEventListener('click', async (e) => {
    const b = e.target.closest('button[data-preset]');
    if (!b) return;
    let st = shared.status;
    try { st = st && st.last_hour ? st : await loadStatus(); } catch (err) { showError('history:status', 'status', err); return; }
    if (!st.last_hour) return;
    const to = hourToSec(st.last_hour) + 3600;
    let from = b.dataset.preset === 'all' ? hourToSec(st.first_hour || st.last_hour) : to - Number(b.dataset.preset) * 3600;
    from = Math.max(from, to - MAX_DAYS * 86400);
    go({ ...readForm(), from: secToParam(from), to: secToParam(to) });
  });
  // the date pickers fill the text fields (times are UTC, like everything on the page)
  for (const f of ['from', 'to']) {
    const pick = t(`hist-${f}-pick`);
    pick.addEventListener('change', () => { form.elements[f].value = fromPicker(pick.value); });
  }
  t('hist-back').addEventListener('click', (e) => {
    e.preventDefault();
    const p = readForm();
    go({ from: p.from, to: p.to, source: '', instance: '' }, 'history');
  });
  // instance picker: clicking an instance / table / hour row opens the per-instance view
  view.addEventListener('click', (e) => {
    const row = e.target.closest('tr[data-open-instance]');
    if (!row) return;
    const [source, id] = row.dataset.openInstance.split('/');
    const range = row.dataset.openFrom ? { from: row.dataset.openFrom, to: row.dataset.openTo } : {};
    openInstance(source, id, range);
  });

  // ---------------------------------------------------------------- renderers
  let provisional = []; // per hour of the current answers: after the last final hour
  const provOf = (hours) => {
    const lf = shared.status ? shared.status.last_final_hour : null;
    return hours.map((h) => (lf ? h > lf : true));
  };
  const drill = (row, source, id, range) => {
    row.dataset.openInstance = `${source}/${id}`;
    if (range) { row.dataset.openFrom = range.from; row.dataset.openTo = range.to; }
    row.classList.add('link');
    row.title = `open instance ${source}/${id}`;
    return row;
  };

  function renderSpill(r) {
    const hours = r.hours || [];
    const series = r.series || [];
    const prov = provOf(hours);
    provisional = prov;
    timeChart(t('chart-spill-count'), {
      title: 'spilled queries per hour', hours, height: 190, yFmt: compact, provisional: prov, onZoom: zoom,
      series: series.map((s, i) => ({ label: s.query_type, values: s.spilled, color: colorOf(i) })),
    });
    timeChart(t('chart-spill-mb'), {
      title: 'MB spilled per hour', hours, height: 190, yFmt: mb, provisional: prov, onZoom: zoom,
      series: series.map((s, i) => ({ label: s.query_type, values: s.mbytes, color: colorOf(i) })),
    });
    timeChart(t('chart-queries-stacked'), {
      title: 'queries per hour by query_type (stacked)', hours, height: 200, yFmt: compact, provisional: prov, onZoom: zoom, stacked: true,
      series: series.map((s, i) => ({ label: s.query_type, values: s.queries, color: colorOf(i) })),
    });
    const table = t('table-spill-totals');
    const totals = {};
    const rows = series.map((s, i) => {
      const tot = { spilled: sum(s.spilled), mbytes: sum(s.mbytes), queries: sum(s.queries) };
      totals[s.query_type] = tot;
      const row = tr([td(s.query_type), td(num(tot.spilled), 'r'), td(mb(tot.mbytes), 'r', `${dec(tot.mbytes, 3)} MB`), td(num(tot.queries), 'r'),
        td(tot.queries ? pct(tot.spilled / tot.queries, 2) : '—', 'r')]);
      row.dataset.queryType = s.query_type;
      row.cells[0].style.borderLeft = `4px solid ${colorOf(i)}`;
      return row;
    });
    table.dataset.values = JSON.stringify(totals);
    fillBody(table.tBodies[0], rows.length ? rows : [emptyRow(5)]);
  }

  function renderCache(r) {
    timeChart(t('chart-cache-fleet'), {
      title: 'fleet hit rate per hour (cached / queries)', hours: r.hours || [], height: 170, provisional: provOf(r.hours || []), onZoom: zoom,
      yFmt: (v) => pct(v, 0), yRange: [0, 1], series: [{ label: 'hit rate', values: r.hit_rate || [], fmt: (v) => pct(v, 2) }],
    });
    const table = t('table-cache-instances');
    const list = r.instances || [];
    table.dataset.values = JSON.stringify(list);
    const rows = list.map((x, i) => {
      const row = tr([td(String(i + 1), 'muted'), td(x.source), td(String(x.instance_id), 'r'), td(num(x.queries), 'r'),
        td(num(x.cached), 'r'), td(pct(x.hit_rate, 2), 'r'), barTd(x.hit_rate ?? 0)]);
      row.dataset.instance = `${x.source}/${x.instance_id}`;
      return drill(row, x.source, x.instance_id);
    });
    fillBody(table.tBodies[0], rows.length ? rows : [emptyRow(7)]);
    const total = typeof r.instances_total === 'number' ? r.instances_total : null; // not in every server version
    table.caption.textContent = list.length < (total ?? list.length) || (total === null && list.length >= CACHE_LIMIT)
      ? `The ${list.length} instances with the most queries${total !== null ? ` of ${num(total)}` : ''} (cached / queries over the range)`
      : 'By instance, most queries first (cached / queries over the range)';
    table.dataset.total = total === null ? '' : String(total);
  }

  function renderTop(r) {
    // ranked per (source, instance, table id): table ids only mean something within one instance
    const table = t('table-top-tables');
    const list = r.tables || [];
    table.dataset.values = JSON.stringify(list);
    const max = Math.max(1, ...list.map((x) => x.reads || 0));
    fillBody(table.tBodies[0], list.length ? list.map((x, i) => {
      const row = tr([td(String(i + 1), 'muted'), td(x.source ?? '—'), td(x.instance_id === undefined ? '—' : String(x.instance_id), 'r'),
        td(String(x.table_id), 'r'), td(num(x.reads), 'r'), barTd(x.reads / max, colorOf(2)), td(num(x.hours), 'r')]);
      row.dataset.tableId = String(x.table_id);
      row.dataset.key = `${x.source}/${x.instance_id}/${x.table_id}`;
      return x.source !== undefined && x.instance_id !== undefined ? drill(row, x.source, x.instance_id) : row;
    }) : [emptyRow(7)]);
  }

  function renderCompile(r) {
    // buckets without queries may be listed (0 queries, null avg); none with queries = no data
    const buckets = (r.buckets || []).some((b) => b.queries > 0) ? r.buckets : [];
    barChart(t('chart-compile-buckets'), {
      title: 'average compile time by joins', labels: buckets.map((b) => b.joins_bucket), label: 'avg compile',
      values: buckets.map((b) => b.compile_ms_avg), yFmt: ms, xLabel: 'joins', color: colorOf(4), height: 210,
    });
    const table = t('table-compile-buckets');
    table.dataset.values = JSON.stringify(buckets);
    fillBody(table.tBodies[0], buckets.length ? buckets.map((b) => {
      const row = tr([td(b.joins_bucket), td(num(b.queries), 'r'), td(dec(b.compile_ms_avg, 1), 'r'), td(dec(b.compile_ms_max, 1), 'r'),
        td(dec(b.compile_ms_sum / 1000, 1), 'r')]);
      row.dataset.bucket = b.joins_bucket;
      return row;
    }) : [emptyRow(5)]);
    const hours = r.hours || [];
    const corr = r.corr || [];
    let n = 0; let s = 0; let latest = null;
    for (const c of corr) if (typeof c === 'number') { n++; s += c; latest = c; }
    const mean = n ? s / n : null;
    setVal(t('compile-corr-mean'), mean, r3(mean));
    setVal(t('compile-corr-hours'), n, num(n));
    setVal(t('compile-corr-latest'), latest, r3(latest));
    timeChart(t('chart-compile-corr'), {
      title: 'Pearson r (joins, compile time) per hour', hours, height: 170, yRange: [-1, 1], yFmt: (v) => v.toFixed(1),
      provisional: provOf(hours), onZoom: zoom,
      series: [{ label: 'r', values: corr, color: colorOf(4), fmt: r3 }],
      extra: { n: r.n || [] }, // events per hour: not drawn (another scale), listed for readers
    });
  }

  function renderUtil(r) {
    const hours = r.hours || [];
    const prov = provOf(hours);
    const over = r.oversubscribed || [];
    const shade = over.map((v) => v > 0);
    let overHours = 0;
    for (const s of shade) if (s) overHours++;
    const cmax = (r.composite_max || []).reduce((m, v) => (typeof v === 'number' && (m === null || v > m) ? v : m), null);
    const threshold = typeof r.threshold === 'number' ? r.threshold : THRESHOLD;
    setVal(t('util-over-total'), sum(over), num(sum(over)));
    setVal(t('util-over-hours'), overHours, num(overHours));
    setVal(t('util-composite-max'), cmax, r3(cmax));
    setVal(t('util-threshold'), threshold, String(threshold));
    timeChart(t('chart-util-composite'), {
      title: 'composite score per hour', hours, height: 200, yRange: [0, 1], yFmt: (v) => v.toFixed(2), shade, provisional: prov, onZoom: zoom,
      hline: { value: threshold, label: `threshold ${threshold}: an instance-hour at or above it is oversubscribed (hours with one shaded)` },
      series: [{ label: 'max', values: r.composite_max || [], color: colorOf(8), fmt: r3 },
        { label: 'mean', values: r.composite_avg || [], color: colorOf(0), fmt: r3 }],
      extra: { oversubscribed_hours: shade },
    });
    timeChart(t('chart-util-over'), {
      title: 'oversubscribed instances per hour', hours, height: 130, yFmt: (v) => num(v), provisional: prov, onZoom: zoom,
      series: [{ label: 'oversubscribed', values: over, color: colorOf(8), bars: true }],
    });
    timeChart(t('chart-util-slowdown'), {
      // slowdown >= 1 and skewed (a few hours at 1000x): log scale
      title: 'slowdown (actual / fastest run of the same fingerprint, log scale)', hours, height: 160, yLog: true, provisional: prov, onZoom: zoom,
      yFmt: (v) => `${v < 10 ? +v.toFixed(2) : compact(v)}×`,
      series: [{ label: 'slowdown', values: r.slowdown_avg || [], color: colorOf(1), fmt: (v) => `${v < 100 ? +v.toFixed(3) : compact(v)}×` }],
    });
    const table = t('table-util-top');
    const top = r.top || [];
    table.dataset.values = JSON.stringify(top);
    fillBody(table.tBodies[0], top.length ? top.map((x) => {
      const row = tr([td(hour(x.hour), 'mono'), td(x.source), td(String(x.instance_id), 'r'), td(r3(x.composite), 'r'), td(r3(x.q_score), 'r'),
        td(r3(x.c_score), 'r'), td(r3(x.s_score), 'r'), td(r3(x.p_score), 'r'), td(x.slowdown === null ? '—' : `${r3(x.slowdown)}×`, 'r')],
      x.oversubscribed ? 'over' : '');
      row.dataset.oversubscribed = x.oversubscribed ? '1' : '0';
      // an instance-hour: open that instance over the day around the hour
      const h = hourToSec(x.hour);
      return drill(row, x.source, x.instance_id, { from: secToParam(h - 12 * 3600), to: secToParam(h + 13 * 3600) });
    }) : [emptyRow(9)]);
  }

  function renderInstances(r) {
    // the instance picker: a datalist of the valid ids (GET /api/v1/instances)
    const list = Array.isArray(r.instances) ? r.instances : [];
    const dl = t('hist-instance-list');
    dl.dataset.values = JSON.stringify(list);
    const frag = document.createDocumentFragment();
    for (const x of list) {
      const o = document.createElement('option');
      o.value = String(x.instance_id);
      o.label = `${x.source}/${x.instance_id} (${num(x.queries)} queries)`;
      frag.appendChild(o);
    }
    dl.replaceChildren(frag);
  }

  const PANELS = [
    ['spill', 'spill', (p) => getJson('/api/v1/spill', p), renderSpill],
    ['cache', 'cache', (p) => getJson('/api/v1/cache', { ...p, limit: CACHE_LIMIT }), renderCache],
    ['top-tables', 'top tables', (p) => getJson('/api/v1/top_tables', { ...p, k: TOP_K }), renderTop],
    // compile_* tables have no source or instance: only the range applies
    ['compile', 'compile', (p) => getJson('/api/v1/compile', { from: p.from, to: p.to }), renderCompile],
    ['utilization', 'utilization', (p) => getJson('/api/v1/utilization', { ...p, limit: UTIL_LIMIT }), renderUtil],
  ];

  function schedule() {
    if (refreshTimer) clearTimeout(refreshTimer);
    refreshTimer = null;
    view.dataset.autoRefresh = '';
    // a run is going: the newest hour is provisional, so reload every ~30 s while shown
    if (!shown || !provisional.length || !provisional[provisional.length - 1]) return;
    view.dataset.autoRefresh = String(refreshMs());
    refreshTimer = setTimeout(() => { refreshTimer = null; if (shown) load(readForm(), true); }, refreshMs());
  }

  async function load(p, force = false) {
    const key = paramsKey(p);
    if (!force && key === loadedKey && Date.now() - loadedAt < STALE_MS) return;
    loadedKey = key;
    loadedAt = Date.now();
    const my = ++token;
    view.dataset.state = 'loading';
    view.dataset.mode = mode;
    // status first: the provisional hours and the anchor of relative times ("now" = newest hour + 1 h)
    let st = shared.status;
    try { st = await loadStatus(); clearError('history:status'); } catch (e) { showError('history:status', 'status', e); }
    if (my !== token) return;
    fillSources(st);
    const anchor = st && st.last_hour ? hourToSec(st.last_hour) + 3600 : null;
    const q = { ...p };
    for (const f of ['from', 'to']) {
      const r = resolveTime(p[f], anchor);
      q[f] = r.value;
      t(`hist-${f}-pick`).value = toPicker(r.value);
    }
    t('hist-resolved').textContent = isRelative(p.from) || isRelative(p.to) || /[+-]\d\d:?\d\d$|Z$/i.test(`${p.from}|${p.to}`)
      ? `(${q.from || '…'} … ${q.to || '…'} UTC)` : '';
    t('hist-resolved').dataset.value = JSON.stringify({ from: q.from, to: q.to });
    getJson('/api/v1/instances', { from: q.from, to: q.to, source: q.source }).then((r) => { clearError('history:instances'); renderInstances(r); },
      (e) => showError('history:instances', 'instance list', e));
    const results = await Promise.allSettled(PANELS.map(([, , fetcher]) => fetcher(q)));
    if (my !== token) return; // a newer load started
    const t0 = performance.now();
    let failed = 0;
    let range = null;
    let nHours = 0;
    PANELS.forEach(([id, label, , render], i) => {
      const res = results[i];
      const panel = t(`panel-${id}`);
      if (res.status === 'fulfilled') {
        clearError(`history:${id}`);
        try {
          render(res.value);
          panel.dataset.state = 'ready';
        } catch (e) {
          failed++;
          panel.dataset.state = 'error';
          showError(`history:${id}`, label, { message: `drawing failed: ${e.message}` });
        }
        if (!range && res.value.from) range = `${res.value.from} … ${res.value.to}`;
        if (id === 'spill') nHours = (res.value.hours || []).length;
      } else {
        failed++;
        panel.dataset.state = 'error';
        showError(`history:${id}`, label, res.reason);
      }
    });
    const renderMs = performance.now() - t0;
    t('hist-range').textContent = range || '—';
    t('hist-hours').textContent = String(nHours);
    view.dataset.renderMs = renderMs.toFixed(1);
    t('hist-render-ms').textContent = `drawn in ${renderMs.toFixed(0)} ms`;
    view.dataset.loads = String(Number(view.dataset.loads || 0) + 1);
    view.dataset.state = failed ? 'error' : 'ready';
    schedule();
  }

  return {
    start(params, name = 'history') {
      shown = true;
      mode = name === 'instance' ? 'instance' : 'history';
      const p = {};
      for (const f of FIELDS) p[f] = params.get(f) || '';
      if (mode === 'instance') p.instance = params.get('id') || '';
      const title = t('hist-instance-title');
      title.hidden = mode !== 'instance';
      setVal(t('hist-instance-name'), mode === 'instance' ? `${p.source}/${p.instance}` : '', `${p.source || 'any source'} / ${p.instance || '—'}`);
      fillForm(p);
      load(p);
    },
    stop() {
      shown = false;
      if (refreshTimer) clearTimeout(refreshTimer);
      refreshTimer = null;
    },
  };
}
