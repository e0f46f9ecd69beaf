#!/usr/bin/env node
// Usage: node bench/serve_profile.mjs OUT.parquet [INSTANCES] [START] [END]
// A flat hourly profile for `sluice gen --profile`: every instance is active in
// every hour (query_count 10..30 with a mild diurnal shape), so a store built
// from it holds a row for every instance-hour (the real Redset profiles are
// sparse: most serverless instance-hours have no query).  Used by
// bench/run_serve.sh.
import fs from 'node:fs';
import { closeDuck, exec, sqlStr } from '../tests/oracle/lib.mjs';

const [out, inst = '200', start = '2024-02-26', end = '2024-07-01'] = process.argv.slice(2);
if (!out) { console.error('usage: serve_profile.mjs OUT.parquet [INSTANCES] [START] [END]'); process.exit(2); }
const tmp = out + '.tmp';
await exec(`COPY (
  SELECT i::INTEGER AS instance_id, strftime(h, '%Y-%m-%d %H:00:00') AS "timestamp",
         (20 + round(10 * sin(2 * pi() * (hour(h) + i) / 24)))::BIGINT AS query_count
  FROM range(${Number(inst)}) r(i),
       range(TIMESTAMP ${sqlStr(start)}, TIMESTAMP ${sqlStr(end)}, INTERVAL 1 HOUR) t(h)
  ORDER BY instance_id, "timestamp") TO ${sqlStr(tmp)} (FORMAT parquet)`);
fs.renameSync(tmp, out);
closeDuck();
console.log(`wrote ${out}`);
