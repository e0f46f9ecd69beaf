#!/usr/bin/env node
// Usage: node scripts/redset_csv_to_parquet.mjs IN.csv OUT.parquet
// Converts Redset rows exported as CSV to Parquet with the real physical types
// of the Redset files (DuckDB does the writing; read/write_table_ids are forced
// to strings so a type sniffer cannot turn "156,90" into a number).
import { exec, sqlStr, closeDuck, REDSET_COLUMNS } from '../tests/oracle/lib.mjs';

const [inp, out] = process.argv.slice(2);
if (!inp || !out) {
  console.error('usage: redset_csv_to_parquet.mjs IN.csv OUT.parquet');
  process.exit(1);
}
const types = REDSET_COLUMNS.map(([n, t]) => `'${n}': '${t}'`).join(', ');
await exec(`COPY (SELECT * FROM read_csv(${sqlStr(inp)}, header=true, columns={${types}}))
            TO ${sqlStr(out)} (FORMAT parquet, COMPRESSION zstd)`);
closeDuck();
console.log(out);
