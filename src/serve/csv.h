/* csv.h: format=csv answers of the API (docs/api.md, "CSV").
 *
 * An endpoint computes its JSON answer as always; sv_csv_from_json turns the
 * answer's list into CSV (RFC 4180: a header row, fields with a comma, a
 * quote, CR or LF quoted, quotes doubled, CRLF line ends).  Which list, by
 * endpoint:
 *   table        "columns" is the header, "rows" the rows
 *   spill        long form: hour, query_type, spilled, mbytes, queries (one
 *                row per hour and query type, hour order)
 *   cache        "instances"; top_tables "tables"; instances "instances";
 *   compile      "buckets"; utilization "top"
 * Values: numbers as in the JSON text, strings unescaped, true/false as 1/0,
 * null as an empty field.  The JSON is the API's own output (well-formed);
 * anything else is SL_ERR_CORRUPT.
 */
#ifndef SV_CSV_H
#define SV_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

/* Does endpoint ("table", "spill", ...) answer CSV? */
bool sv_csv_supported(const char *endpoint);
sl_err sv_csv_from_json(const char *endpoint, const char *json, size_t n, sl_buf *out, char *err, size_t errlen);

#endif
