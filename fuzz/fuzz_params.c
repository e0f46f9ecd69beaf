/* libFuzzer target for the HTTP API's query parameters (src/serve/params.c):
 * the input is a query string, split on '&' and '=' like the server's
 * decoded arguments, parsed against a spec that allows every parameter (and
 * one that allows none), then the time parsers (the API's, the hot store's)
 * on the whole input and the range resolution.  Any bytes must give values or a clean error message:
 * no crash, leak or out-of-range read. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/params.h"
#include "store/hot_read.h"

#define MAX_KV 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *s = (const char *)data;
    sv_kv kv[MAX_KV];
    size_t n = 0, i = 0;
    while (i <= size && n < MAX_KV) {
        size_t j = i;
        while (j < size && s[j] != '&') j++;
        size_t eq = i;
        while (eq < j && s[eq] != '=') eq++;
        kv[n].key = s + i;
        kv[n].klen = eq - i;
        kv[n].val = eq < j ? s + eq + 1 : NULL;
        kv[n].vlen = eq < j ? j - eq - 1 : 0;
        n++;
        i = j + 1;
    }
    char err[512];
    sv_pspec all = {.endpoint = "/api/v1/fuzz", .tables = "fuzz_table", .allowed = SV_PB(SV_P_N) - 1,
                    .limit_def = 50, .limit_max = 1000};
    sv_pspec none = {.endpoint = "/api/v1/status", .tables = "none", .allowed = 0, .limit_def = 1, .limit_max = 1};
    sv_params p;
    memset(&p, 0, sizeof p);
    if (sv_params_parse(&p, &all, kv, n, err, sizeof err) == SL_OK) {
        int64_t from, to;
        bool empty;
        (void)sv_range_resolve(&p, true, INT64_C(1709251200), &from, &to, &empty, err, sizeof err);
        (void)sv_range_resolve(&p, false, 0, &from, &to, &empty, err, sizeof err);
    } else if (strlen(err) == 0) {
        abort(); /* an error must say why */
    }
    memset(&p, 0, sizeof p);
    (void)sv_params_parse(&p, &none, kv, n, err, sizeof err);
    int64_t t;
    bool rel = false;
    if (sv_parse_time("from", s, size, &t, &rel, err, sizeof err) == SL_OK) {
        char out[20];
        (void)sv_fmt_time(out, t);
    }
    (void)hr_parse_ts(s, size, &t); /* the hot store's timestamp text */
    return 0;
}
