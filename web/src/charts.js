// Charts: thin wrappers around uPlot (canvas; thousands of points in a few ms).
//
// Every chart element gets the numbers it draws as JSON in data-values (what the
// browser test reads) and the number of x points in data-points.  A chart with no
// points shows an empty-state line instead.  Times on the axes are UTC.

import { hourToSec } from './fmt.js';

export const PALETTE = ['#2f6fdf', '#e8833a', '#3aa676', '#c94f7c', '#8a63d2', '#b59a1d', '#3b9fb5', '#7f7f7f',
  '#d9534f', '#5b8c2a'];
export const colorOf = (i) => PALETTE[i % PALETTE.length];

const U = () => {
  if (!window.uPlot) throw new Error('the chart library (/assets/uplot.min.js) did not load');
  return window.uPlot;
};
const utc = (ts) => U().tzDate(new Date(ts * 1000), 'Etc/UTC');

function reset(el) {
  if (el.__u) { el.__u.destroy(); el.__u = null; }
  el.replaceChildren();
}
function widthOf(el) { return Math.max(200, Math.floor(el.clientWidth || el.parentElement?.clientWidth || 600)); }

// One observer keeps every chart as wide as its element.
let resizeQueued = false;
const observed = new Set();
const ro = typeof ResizeObserver === 'function' ? new ResizeObserver(() => {
  if (resizeQueued) return;
  resizeQueued = true;
  requestAnimationFrame(() => {
    resizeQueued = false;
    for (const el of observed) {
      const u = el.__u;
      if (!u || !el.isConnected || el.offsetParent === null) continue;
      const w = widthOf(el);
      if (Math.abs(w - u.width) > 2) u.setSize({ width: w, height: u.height });
    }
  });
}) : null;
function observe(el) {
  if (ro && !observed.has(el)) { observed.add(el); ro.observe(el); }
}

function emptyState(el, text) {
  const p = document.createElement('div');
  p.className = 'chart-empty';
  p.textContent = text;
  el.appendChild(p);
}

// Axis colours follow the page's colour scheme (style.css: --axis, --grid), read when a chart is made.
const cssVar = (name, dflt) => (getComputedStyle(document.documentElement).getPropertyValue(name).trim() || dflt);
function axisStyleNow() {
  const grid = cssVar('--grid', '#0000000f');
  return { stroke: cssVar('--axis', '#555'), grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
}
let axisStyle = axisStyleNow();

// A hatch pattern for provisional hours (created once per canvas context).
function hatch(ctx) {
  const c = document.createElement('canvas');
  c.width = 8; c.height = 8;
  const g = c.getContext('2d');
  g.strokeStyle = cssVar('--prov', 'rgba(120, 120, 120, 0.45)');
  g.lineWidth = 1.5;
  g.beginPath(); g.moveTo(0, 8); g.lineTo(8, 0); g.stroke();
  return ctx.createPattern(c, 'repeat');
}
/** The note under a chart: what the bands and lines mean (a DOM legend next to uPlot's). */
function chartNote(el, items) {
  if (!items.length) return;
  const d = document.createElement('div');
  d.className = 'chart-note small';
  for (const { cls, text, help } of items) {
    const s = document.createElement('span');
    s.className = `key ${cls}`;
    s.dataset.key = cls;
    if (help) s.title = help;
    const sw = document.createElement('i');
    s.append(sw, text);
    d.appendChild(s);
  }
  el.appendChild(d);
}
const SYNC_KEY = 'sluice-hours';
// y axis as wide as its longest label, measured in the axis font (uPlot calls this again
// after laying out the ticks; keep the first answer then, so the layout converges)
function ySize(u, vals, axisIdx, cycle) {
  const axis = u.axes[axisIdx];
  if (cycle > 1 && axis._size) return axis._size;
  let w = 0;
  if (vals && vals.length) {
    u.ctx.font = axis.font[0];
    for (const v of vals) w = Math.max(w, u.ctx.measureText(String(v)).width);
  }
  return Math.max(36, Math.ceil((axis.ticks.size || 10) + (axis.gap || 5) + w / (window.devicePixelRatio || 1) + 4));
}
const pad2 = (n) => String(n).padStart(2, '0');
// 24-hour UTC labels: "06:00", with the date under midnight and the first tick; dates only
// when the ticks are a day or more apart.
// Tick steps of an hourly axis: whole hours at least (a few hours would otherwise get
// sub-hour ticks, each labelled with its hour: "18:00 18:00 18:00").
const HOUR_INCRS = [3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400,
  91 * 86400, 182 * 86400, 364 * 86400];
function timeVals(u, splits, axisIdx, space, incr) {
  return splits.map((s, i) => {
    const d = new Date(s * 1000);
    const md = `${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
    if (incr >= 86400) return i === 0 || (d.getUTCMonth() === 0 && d.getUTCDate() === 1) ? `${md}\n${d.getUTCFullYear()}` : md;
    const hh = `${pad2(d.getUTCHours())}:00`;
    return i === 0 || d.getUTCHours() === 0 ? `${hh}\n${md}` : hh;
  });
}

/**
 * Time series over hours.
 * spec: {title, hours: ['YYYY-MM-DD HH:00:00', ...], series: [{label, values, color?, bars?, fmt?}],
 *        height?, yFmt?, shade?: boolean per hour (background band), yRange?: [min, max],
 *        yLog?: log10 y scale (values > 0), extra?: more arrays for data-values only,
 *        provisional?: boolean per hour (hatched band, legend "provisional"),
 *        hline?: {value, label} (a dashed horizontal line, e.g. the threshold),
 *        stacked?: draw each series on top of the previous ones (data-values keep the raw values),
 *        onZoom?: (fromSec, toSec) called when the user drags over the chart (the page reloads the range)}
 * Charts of hours share the cursor (hovering one shows the same hour in the others).
 */
export function timeChart(el, spec) {
  reset(el);
  axisStyle = axisStyleNow();
  const { hours, series } = spec;
  const prov = spec.provisional && spec.provisional.some(Boolean) ? spec.provisional : null;
  const values = { hours, series: Object.fromEntries(series.map((s) => [s.label, s.values])), ...(spec.extra || {}) };
  if (spec.provisional) values.provisional = spec.provisional;
  if (spec.hline) values.hline = spec.hline.value;
  if (spec.stacked) values.stacked = true;
  el.dataset.values = JSON.stringify(values);
  el.dataset.points = String(hours.length);
  if (!hours.length) {
    if (spec.title) { const t = document.createElement('div'); t.className = 'chart-title'; t.textContent = spec.title; el.appendChild(t); }
    emptyState(el, spec.emptyText || 'no data in this range');
    return null;
  }
  const uPlot = U();
  const xs = new Float64Array(hours.length);
  for (let i = 0; i < hours.length; i++) xs[i] = hourToSec(hours[i]);
  const yFmt = spec.yFmt || ((v) => String(v));
  const shade = spec.shade;
  const opts = {
    title: spec.title,
    width: widthOf(el),
    height: spec.height || 200,
    tzDate: utc,
    scales: { x: { time: true }, y: spec.yLog ? { distr: 3, log: 10 } : spec.yRange ? { range: spec.yRange } : { auto: true } },
    legend: { live: true },
    cursor: { drag: { x: true, y: false, setScale: !spec.onZoom }, sync: { key: SYNC_KEY, setSeries: false } },
    axes: [
      { ...axisStyle, values: timeVals, incrs: HOUR_INCRS },
      { ...axisStyle, size: ySize, values: (u, splits) => splits.map((v) => (v === null || v === undefined ? null : yFmt(v))) },
    ],
    series: [
      { label: 'hour (UTC)', value: '{YYYY}-{MM}-{DD} {HH}:00' },
      ...series.map((s, i) => {
        const color = s.color || colorOf(i);
        const o = {
          label: s.label,
          stroke: color,
          width: s.bars ? 0 : 1.5,
          value: (u, v) => (v === null || v === undefined ? '—' : (s.fmt || yFmt)(v)),
          points: { show: hours.length < 60 && !s.bars },
          spanGaps: false,
        };
        if (s.bars) {
          o.fill = color;
          o.paths = uPlot.paths.bars({ size: [0.9, 40, 1], align: 0 });
        }
        return o;
      }),
    ],
    hooks: {},
  };
  if (prov || spec.hline) {
    opts.hooks.draw = [(u) => {
      const { ctx } = u;
      const { left, top, width, height: h } = u.bbox;
      ctx.save();
      if (prov) {
        ctx.fillStyle = hatch(ctx);
        for (let i = 0; i < xs.length; i++) {
          if (!prov[i]) continue;
          const x0 = u.valToPos(xs[i], 'x', true);
          const x1 = u.valToPos(xs[i] + 3600, 'x', true);
          ctx.fillRect(x0, top, Math.max(2, x1 - x0), h);
        }
      }
      if (spec.hline) {
        const y = u.valToPos(spec.hline.value, 'y', true);
        if (y >= top && y <= top + h) {
          ctx.strokeStyle = cssVar('--bad', '#d9534f');
          ctx.lineWidth = 1.5 * (window.devicePixelRatio || 1);
          ctx.setLineDash([6, 4]);
          ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(left + width, y); ctx.stroke();
        }
      }
      ctx.restore();
    }];
  }
  if (spec.onZoom) {
    opts.hooks.setSelect = [(u) => {
      if (u.select.width < 4) return;
      const a = u.posToVal(u.select.left, 'x');
      const b = u.posToVal(u.select.left + u.select.width, 'x');
      u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
      const from = Math.floor(a / 3600) * 3600;
      const to = Math.max(from + 3600, Math.ceil(b / 3600) * 3600);
      spec.onZoom(from, to);
    }];
  }
  if (shade) {
    opts.hooks.drawClear = [(u) => {
      const { ctx } = u;
      const top = u.bbox.top; const h = u.bbox.height;
      ctx.save();
      ctx.fillStyle = 'rgba(217, 83, 79, 0.16)';
      for (let i = 0; i < xs.length; i++) {
        if (!shade[i]) continue;
        const x0 = u.valToPos(xs[i], 'x', true);
        const x1 = u.valToPos(xs[i] + 3600, 'x', true);
        ctx.fillRect(x0, top, Math.max(1, x1 - x0), h);
      }
      ctx.restore();
    }];
  }
  let ys = series.map((s) => s.values.map((v) => (v === null || v === undefined ? null : Number(v))));
  if (spec.stacked) {
    // cumulative: series k is drawn at the sum of series 0..k; the legend shows its own value
    const acc = new Array(xs.length).fill(0);
    ys = ys.map((a) => a.map((v, i) => (acc[i] += v ?? 0)));
    opts.series.forEach((o, k) => {
      if (k === 0) return;
      const raw = series[k - 1].values;
      o.fill = `${o.stroke}55`;
      o.value = (u, v, si, i) => (i === null || i === undefined || raw[i] == null ? '—' : (series[k - 1].fmt || yFmt)(raw[i]));
    });
    // fill each band down to the previous series
    opts.bands = ys.slice(1).map((_, k) => ({ series: [k + 2, k + 1] }));
  }
  const data = [xs, ...ys];
  const u = new uPlot(opts, data, el);
  el.__u = u;
  const notes = [];
  if (prov) notes.push({ cls: 'prov', text: 'provisional (hour still open; values can change)' });
  if (spec.hline) notes.push({ cls: 'hline', text: spec.hline.label });
  chartNote(el, notes);
  // uPlot hides a series when its legend entry is clicked; note it for readers and tests
  u.root.querySelector('.u-legend')?.addEventListener('click', () => {
    el.dataset.hidden = JSON.stringify(u.series.slice(1).filter((x) => !x.show).map((x) => x.label));
  });
  observe(el);
  return u;
}

/**
 * Bars over categories (e.g. joins buckets), one series.
 * spec: {title, labels: [...], label, values, color?, height?, yFmt?, xLabel?}
 */
export function barChart(el, spec) {
  reset(el);
  const { labels, values } = spec;
  el.dataset.values = JSON.stringify({ labels, series: { [spec.label]: values } });
  el.dataset.points = String(labels.length);
  if (!labels.length) { emptyState(el, spec.emptyText || 'no data in this range'); return null; }
  const uPlot = U();
  const xs = labels.map((_, i) => i);
  const yFmt = spec.yFmt || ((v) => String(v));
  const color = spec.color || PALETTE[0];
  const opts = {
    title: spec.title,
    width: widthOf(el),
    height: spec.height || 200,
    scales: {
      x: { time: false, range: () => [-0.5, labels.length - 0.5] },
      y: { range: (u, min, max) => [0, max > 0 ? max * 1.08 : 1] },
    },
    legend: { live: true },
    cursor: { points: { show: false }, drag: { x: false, y: false } },
    axes: [
      { ...axisStyle, splits: () => xs, values: (u, splits) => splits.map((i) => labels[i] ?? ''), grid: { show: false } },
      { ...axisStyle, size: ySize, values: (u, splits) => splits.map((v) => (v === null || v === undefined ? null : yFmt(v))) },
    ],
    series: [
      { label: spec.xLabel || 'bucket', value: (u, i) => (i === null || i === undefined ? '—' : labels[i] ?? '') },
      {
        label: spec.label,
        stroke: color,
        fill: color,
        width: 0,
        value: (u, v) => (v === null || v === undefined ? '—' : yFmt(v)),
        paths: uPlot.paths.bars({ size: [0.7, 80], align: 0 }),
        points: { show: false },
      },
    ],
  };
  const data = [xs, values.map((v) => (v === null || v === undefined ? null : Number(v)))];
  const u = new uPlot(opts, data, el);
  el.__u = u;
  observe(el);
  return u;
}

/** A small line without axes (throughput sparkline); values in order, newest last. */
export function sparkline(el, values, { color = PALETTE[0], height = 46 } = {}) {
  el.dataset.values = JSON.stringify(values);
  const uPlot = U();
  const xs = values.map((_, i) => i);
  const data = [xs, values];
  if (el.__u && el.offsetParent !== null) {
    el.__u.setData(data, true);
    return el.__u;
  }
  reset(el);
  const u = new uPlot({
    width: widthOf(el),
    height,
    legend: { show: false },
    cursor: { show: false },
    select: { show: false },
    scales: { x: { time: false }, y: { range: (u2, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [{ show: false }, { show: false }],
    series: [{}, { stroke: color, fill: `${color}22`, width: 1.5, points: { show: false } }],
  }, data, el);
  el.__u = u;
  observe(el);
  return u;
}

// 24-hour UTC labels for wall-clock axes (seconds to days apart): "16:50:25" or "16:50",
// with the date under the first tick and under midnight.
function clockVals(u, splits, axisIdx, space, incr) {
  return splits.map((s, i) => {
    const d = new Date(s * 1000);
    const md = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
    if (incr >= 86400) return md;
    const hm = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
    const t = incr < 60 ? `${hm}:${pad2(d.getUTCSeconds())}` : hm;
    return i === 0 || (d.getUTCHours() === 0 && d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0) ? `${t}\n${md}` : t;
  });
}

/**
 * Series over wall-clock time (epoch seconds), e.g. the pipeline's health samples.
 * spec: {title, series: [{label, points: [[ts, v], ...], color?}], height?, yFmt?}
 * The x values are the union of the series' times; a series without a sample at a time
 * has a gap there (drawn across: samples are irregular).
 */
export function epochChart(el, spec) {
  reset(el);
  axisStyle = axisStyleNow();
  const series = spec.series;
  el.dataset.values = JSON.stringify(Object.fromEntries(series.map((s) => [s.label, s.points])));
  const xsSet = new Set();
  for (const s of series) for (const [x] of s.points) xsSet.add(x);
  const xs = Float64Array.from([...xsSet].sort((a, b) => a - b));
  el.dataset.points = String(xs.length);
  if (!xs.length) { emptyState(el, spec.emptyText || 'no samples in this range'); return null; }
  const uPlot = U();
  const idx = new Map();
  xs.forEach((x, i) => idx.set(x, i));
  const data = [xs, ...series.map((s) => {
    const a = new Array(xs.length).fill(null);
    for (const [x, v] of s.points) a[idx.get(x)] = v;
    return a;
  })];
  const yFmt = spec.yFmt || ((v) => String(v));
  const u = new uPlot({
    title: spec.title,
    width: widthOf(el),
    height: spec.height || 170,
    tzDate: utc,
    scales: { x: { time: true }, y: { auto: true } },
    legend: { live: true },
    axes: [{ ...axisStyle, values: clockVals }, { ...axisStyle, size: ySize, values: (u2, splits) => splits.map((v) => (v == null ? null : yFmt(v))) }],
    series: [{ label: 'time (UTC)', value: '{YYYY}-{MM}-{DD} {HH}:{mm}:{ss}' },
      ...series.map((s, i) => ({ label: s.label, stroke: s.color || colorOf(i), width: 1.5, spanGaps: true,
        value: (u2, v) => (v == null ? '—' : yFmt(v)), points: { show: xs.length < 60 } }))],
  }, data, el);
  el.__u = u;
  observe(el);
  return u;
}
