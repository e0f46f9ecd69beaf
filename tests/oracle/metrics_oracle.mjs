// metrics_oracle.mjs: the final metric tables of docs/metrics.md section 4,
// computed in DuckDB SQL from the set of ACCEPTED, CLEANED events (after
// dedupe and lateness: exactly the events sluice applied).  Section 3.6: for
// any input order the final tables of sluice must equal these (integers and
// text exactly, doubles within 1e-9 relative).
//
// Input: the name of a DuckDB table or view with the canonical Redset columns
// (names of docs/metrics.md 1.2) plus `source`.  Values are expected to be
// cleaned already (durations capped; query_type trimmed and lower-cased);
// NULL measures are read as 0 and flags as 0/1 here as well, so the raw
// columns of an accepted event also work.  `read_table_ids` is the raw text:
// it is parsed here by the rules of section 2.2.
//
// Every function takes a @duckdb/node-api connection and returns the rows as
// objects (getRowObjects(): BIGINT -> bigint, DOUBLE -> number, TIMESTAMP ->
// DuckDBTimestampValue, whose .micros is the hour start), sorted by the
// table's key exactly as sluice emits them (strings bytewise).  The *Sql
// functions return the SQL text, e.g. to COPY the result to Parquet.
//
//   import { allTables } from './metrics_oracle.mjs';
//   const t = await allTables(conn, 'accepted_events', { k: 10, slots: 5 });
//   t.utilization_hourly[0].busy_ms ...

const HOUR_US = 3600000000n;

const ident = (s) => `"${String(s).replace(/"/g, '""')}"`;

export const DEFAULTS = Object.freeze({ k: 10, slots: 5, w_q: 1, w_s: 1, w_p: 1, w_c: 1, threshold: 0.5 });

// The accepted events with the derived columns every table uses.
function eventsCte(ev) {
  return `ev AS (
  SELECT
    row_number() OVER () AS _eid,
    date_trunc('hour', arrival_timestamp) AS hour,
    epoch_us(arrival_timestamp) AS ts_us,
    source,
    instance_id::INTEGER AS instance_id,
    query_id,
    lower(trim(query_type, ' ')) AS query_type,
    COALESCE(compile_duration_ms, 0)::DOUBLE AS compile_ms,
    COALESCE(queue_duration_ms, 0)::BIGINT AS queue_ms,
    COALESCE(execution_duration_ms, 0)::BIGINT AS exec_ms,
    (COALESCE(was_aborted, 0) <> 0)::INTEGER AS aborted,
    (COALESCE(was_cached, 0) <> 0)::INTEGER AS cached,
    COALESCE(mbytes_scanned, 0)::DOUBLE AS mbytes_scanned,
    COALESCE(mbytes_spilled, 0)::DOUBLE AS mbytes_spilled,
    COALESCE(num_joins, 0)::BIGINT AS num_joins,
    feature_fingerprint,
    read_table_ids
  FROM ${ident(ev)}
)`;
}

export function queryHourlySql(ev) {
  return `WITH ${eventsCte(ev)}
SELECT hour, source, instance_id, query_type,
  count(*)::BIGINT AS queries,
  sum(aborted)::BIGINT AS aborted,
  sum(cached)::BIGINT AS cached,
  count(*) FILTER (WHERE mbytes_spilled > 0)::BIGINT AS spilled,
  sum(compile_ms)::DOUBLE AS compile_ms_sum,
  sum(queue_ms)::BIGINT AS queue_ms_sum,
  sum(exec_ms)::BIGINT AS exec_ms_sum,
  sum(mbytes_scanned)::DOUBLE AS mbytes_scanned_sum,
  sum(mbytes_spilled)::DOUBLE AS mbytes_spilled_sum
FROM ev
GROUP BY ALL
ORDER BY hour, source, instance_id, query_type`;
}

export function spillHourlySql(ev) {
  return `WITH q AS (${queryHourlySql(ev)})
SELECT hour, query_type,
  sum(spilled)::BIGINT AS spilled,
  sum(mbytes_spilled_sum)::DOUBLE AS mbytes_spilled_sum,
  sum(queries)::BIGINT AS queries
FROM q GROUP BY ALL ORDER BY hour, query_type`;
}

export function cacheHourlySql(ev) {
  return `WITH q AS (${queryHourlySql(ev)})
SELECT hour, source, instance_id,
  sum(cached)::BIGINT AS cached,
  sum(queries)::BIGINT AS queries,
  sum(cached)::DOUBLE / sum(queries)::DOUBLE AS hit_rate
FROM q GROUP BY ALL ORDER BY hour, source, instance_id`;
}

export function topTablesHourlySql(ev, k = DEFAULTS.k) {
  const kk = Math.trunc(Number(k));
  if (!(kk >= 1)) throw new Error(`k must be >= 1 (got ${k})`);
  // 2.2: split on ',', trim spaces, digits only, fits int64 (TRY_CAST NULL on overflow), a set per event.
  return `WITH ${eventsCte(ev)},
tok AS (
  SELECT _eid, hour, source, instance_id, trim(t.tok, ' ') AS tok
  FROM ev, unnest(string_split(read_table_ids, ',')) AS t(tok)
  WHERE read_table_ids IS NOT NULL AND trim(read_table_ids, ' ') <> ''
),
ids AS (
  SELECT DISTINCT _eid, hour, source, instance_id, TRY_CAST(tok AS BIGINT) AS table_id
  FROM tok
  WHERE regexp_full_match(tok, '[0-9]+') AND TRY_CAST(tok AS BIGINT) IS NOT NULL
),
reads AS (
  SELECT hour, source, instance_id, table_id, count(*)::BIGINT AS reads FROM ids GROUP BY ALL
),
ranked AS (
  SELECT *, row_number() OVER (PARTITION BY hour, source, instance_id ORDER BY reads DESC, table_id ASC) AS rnk
  FROM reads
)
SELECT hour, source, instance_id, rnk::INTEGER AS rank, table_id, reads
FROM ranked WHERE rnk <= ${kk}
ORDER BY hour, source, instance_id, rank`;
}

function selectUncached(ev) {
  return `WITH ${eventsCte(ev)},
sel AS (SELECT * FROM ev WHERE query_type = 'select' AND cached = 0)`;
}

export function compileJoinsHourlySql(ev) {
  return `${selectUncached(ev)}
SELECT hour,
  CASE WHEN num_joins <= 3 THEN num_joins::VARCHAR WHEN num_joins <= 5 THEN '4-5'
       WHEN num_joins <= 9 THEN '6-9' ELSE '10+' END AS joins_bucket,
  count(*)::BIGINT AS queries,
  sum(compile_ms)::DOUBLE AS compile_ms_sum,
  max(compile_ms)::DOUBLE AS compile_ms_max
FROM sel GROUP BY ALL ORDER BY hour, joins_bucket`;
}

export function compileCorrHourlySql(ev) {
  return `${selectUncached(ev)}
SELECT hour, count(*)::BIGINT AS n,
  CASE WHEN count(*) < 2 OR min(num_joins) = max(num_joins) OR min(compile_ms) = max(compile_ms) THEN NULL
       ELSE corr(num_joins::DOUBLE, compile_ms) END::DOUBLE AS corr
FROM sel GROUP BY ALL ORDER BY hour`;
}

export function utilizationHourlySql(ev, opts = {}) {
  const o = { ...DEFAULTS, ...opts };
  const num = (v, name) => {
    const x = Number(v);
    if (!Number.isFinite(x)) throw new Error(`${name} must be a finite number`);
    return `${x}::DOUBLE`;
  };
  const wq = num(o.w_q, 'w_q'), ws = num(o.w_s, 'w_s'), wp = num(o.w_p, 'w_p'), wc = num(o.w_c, 'w_c');
  const slots = num(o.slots, 'slots'), thr = num(o.threshold, 'threshold');
  const H = `${HOUR_US}::BIGINT`;
  return `WITH ${eventsCte(ev)},
iv AS (  -- execution interval in microseconds (compile rounded to the nearest us)
  SELECT source, instance_id,
    ts_us + queue_ms * 1000 + round(compile_ms * 1000)::BIGINT AS s,
    ts_us + queue_ms * 1000 + round(compile_ms * 1000)::BIGINT + exec_ms * 1000 AS e
  FROM ev WHERE exec_ms > 0
),
busy AS (
  SELECT make_timestamp(h) AS hour, source, instance_id,
    sum(least(e, h + ${H}) - greatest(s, h))::BIGINT AS busy_us
  FROM (SELECT *, unnest(generate_series((s // ${H}) * ${H}, ((e - 1) // ${H}) * ${H}, ${H})) AS h FROM iv)
  GROUP BY ALL
),
arr AS (
  SELECT hour, source, instance_id,
    count(*)::BIGINT AS queries,
    count(*) FILTER (WHERE mbytes_spilled > 0)::BIGINT AS spilled,
    sum(queue_ms)::DOUBLE AS q_sum, sum(compile_ms)::DOUBLE AS c_sum, sum(exec_ms)::DOUBLE AS e_sum
  FROM ev GROUP BY ALL
),
fpg AS (
  SELECT hour, source, instance_id, feature_fingerprint,
    count(*)::BIGINT AS cnt, sum(exec_ms)::BIGINT AS sum_exec, min(exec_ms)::BIGINT AS min_exec
  FROM ev
  WHERE query_type = 'select' AND cached = 0 AND aborted = 0 AND feature_fingerprint IS NOT NULL AND exec_ms >= 1
  GROUP BY ALL HAVING count(*) >= 2
),
slow AS (
  SELECT hour, source, instance_id, count(*)::BIGINT AS fp_groups,
    sum(sum_exec)::DOUBLE / sum(cnt * min_exec)::DOUBLE AS slowdown
  FROM fpg GROUP BY ALL
),
keys AS (
  SELECT hour, source, instance_id FROM arr
  UNION SELECT hour, source, instance_id FROM busy WHERE busy_us > 0
),
j AS (
  SELECT k.hour, k.source, k.instance_id,
    COALESCE(b.busy_us, 0) AS busy_us,
    COALESCE(a.queries, 0) AS queries, COALESCE(a.spilled, 0) AS spilled,
    COALESCE(a.q_sum, 0) AS q_sum, COALESCE(a.c_sum, 0) AS c_sum, COALESCE(a.e_sum, 0) AS e_sum,
    s.slowdown, COALESCE(s.fp_groups, 0)::BIGINT AS fp_groups
  FROM keys k
  LEFT JOIN busy b USING (hour, source, instance_id)
  LEFT JOIN arr a USING (hour, source, instance_id)
  LEFT JOIN slow s USING (hour, source, instance_id)
),
sc AS (
  SELECT *,
    busy_us / 1000.0 AS busy_ms,
    busy_us / 1000.0 / 3600000.0 AS avg_concurrency,
    CASE WHEN q_sum + c_sum + e_sum > 0 THEN q_sum / (q_sum + c_sum + e_sum) ELSE 0 END AS q_score,
    CASE WHEN q_sum + c_sum + e_sum > 0 THEN c_sum / (q_sum + c_sum + e_sum) ELSE 0 END AS c_score,
    CASE WHEN queries > 0 THEN spilled::DOUBLE / queries ELSE 0 END AS s_score,
    least(1.0, busy_us / 1000.0 / 3600000.0 / ${slots}) AS p_score
  FROM j
),
comp AS (
  SELECT *, (${wq} * q_score + ${ws} * s_score + ${wp} * p_score + ${wc} * c_score) / (${wq} + ${ws} + ${wp} + ${wc}) AS composite
  FROM sc
)
SELECT hour, source, instance_id,
  busy_ms::DOUBLE AS busy_ms, avg_concurrency::DOUBLE AS avg_concurrency,
  q_score::DOUBLE AS q_score, c_score::DOUBLE AS c_score, s_score::DOUBLE AS s_score, p_score::DOUBLE AS p_score,
  composite::DOUBLE AS composite, (composite >= ${thr})::INTEGER AS oversubscribed,
  slowdown::DOUBLE AS slowdown, fp_groups
FROM comp ORDER BY hour, source, instance_id`;
}

async function rows(conn, sql) {
  const r = await conn.runAndReadAll(sql);
  return r.getRowObjects();
}

export const queryHourly = (conn, ev) => rows(conn, queryHourlySql(ev));
export const spillHourly = (conn, ev) => rows(conn, spillHourlySql(ev));
export const cacheHourly = (conn, ev) => rows(conn, cacheHourlySql(ev));
export const topTablesHourly = (conn, ev, k) => rows(conn, topTablesHourlySql(ev, k));
export const compileJoinsHourly = (conn, ev) => rows(conn, compileJoinsHourlySql(ev));
export const compileCorrHourly = (conn, ev) => rows(conn, compileCorrHourlySql(ev));
export const utilizationHourly = (conn, ev, opts) => rows(conn, utilizationHourlySql(ev, opts));

/** Every final metric table, keyed by its sluice name (st_table_name). */
export async function allTables(conn, ev, opts = {}) {
  const o = { ...DEFAULTS, ...opts };
  return {
    query_hourly: await queryHourly(conn, ev),
    spill_hourly: await spillHourly(conn, ev),
    cache_hourly: await cacheHourly(conn, ev),
    top_tables_hourly: await topTablesHourly(conn, ev, o.k),
    compile_joins_hourly: await compileJoinsHourly(conn, ev),
    compile_corr_hourly: await compileCorrHourly(conn, ev),
    utilization_hourly: await utilizationHourly(conn, ev, o),
  };
}

/** The SQL of every table (same keys as allTables). */
export function allTablesSql(ev, opts = {}) {
  const o = { ...DEFAULTS, ...opts };
  return {
    query_hourly: queryHourlySql(ev),
    spill_hourly: spillHourlySql(ev),
    cache_hourly: cacheHourlySql(ev),
    top_tables_hourly: topTablesHourlySql(ev, o.k),
    compile_joins_hourly: compileJoinsHourlySql(ev),
    compile_corr_hourly: compileCorrHourlySql(ev),
    utilization_hourly: utilizationHourlySql(ev, o),
  };
}
