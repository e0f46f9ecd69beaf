#include "serve/prom.h"
#include "util/version.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/cache.h"
#include "serve/json.h"

const double sv_prom_buckets[SV_PROM_NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                  0.05,   0.1,   0.25,   0.5,   1,    2.5};

static bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

bool sv_prom_split(const char *s, size_t *flen) {
    size_t i = 0;
    if (!name_start(s[0]) && s[0] != ':') return false;
    while (name_char(s[i]) || s[i] == ':') i++;
    *flen = i;
    if (s[i] == '\0') return true;
    if (s[i] != '{') return false;
    i++;
    if (s[i] == '}') return s[i + 1] == '\0';
    for (;;) {
        if (!name_start(s[i])) return false;
        while (name_char(s[i])) i++;
        if (s[i++] != '=' || s[i++] != '"') return false;
        for (;;) {
            char c = s[i];
            if (c == '\0' || c == '\n') return false;
            if (c == '"') break;
            if (c == '\\') {
                char e = s[i + 1];
                if (e != '\\' && e != '"' && e != 'n') return false;
                i += 2;
                continue;
            }
            i++;
        }
        i++; /* closing quote */
        if (s[i] == ',') {
            i++;
            continue;
        }
        if (s[i] == '}') return s[i + 1] == '\0';
        return false;
    }
}

void sv_prom_value(sl_buf *out, double v) {
    if (isnan(v)) sl_buf_puts(out, "NaN");
    else if (isinf(v)) sl_buf_puts(out, v > 0 ? "+Inf" : "-Inf");
    else {
        char t[32];
        sl_buf_put(out, t, sv_fmt_double(t, v));
    }
}

/* HELP and TYPE of a family named family[0..flen): its registry entry d, or
 * a generic text and the _total rule. */
static void family_head(sl_buf *out, const char *family, size_t flen, const hl_def *d) {
    sl_buf_puts(out, "# HELP ");
    sl_buf_put(out, family, flen);
    sl_buf_putc(out, ' ');
    if (d) {
        sl_buf_puts(out, d->help);
    } else {
        sl_buf_puts(out, "pipeline_health value ");
        sl_buf_put(out, family, flen);
        sl_buf_puts(out, " (docs/pipeline.md).");
    }
    sl_buf_puts(out, "\n# TYPE ");
    sl_buf_put(out, family, flen);
    sl_buf_putc(out, ' ');
    sl_buf_puts(out, d ? hl_type_name(d->type) : flen >= 6 && !memcmp(family + flen - 6, "_total", 6) ? "counter" : "gauge");
    sl_buf_putc(out, '\n');
}

typedef struct item {
    const hr_health_row *r;
    size_t flen;
    const hl_def *def; /* NULL: not in the registry */
} item;

static int cmp_item(const void *a, const void *b) {
    const item *x = a, *y = b;
    size_t n = x->flen < y->flen ? x->flen : y->flen;
    int c = memcmp(x->r->name, y->r->name, n);
    if (c) return c;
    if (x->flen != y->flen) return x->flen < y->flen ? -1 : 1;
    return strcmp(x->r->name + x->flen, y->r->name + y->flen);
}

/* A comment line with the name made safe (no newlines). */
static void skip_comment(sl_buf *out, const char *name) {
    sl_buf_puts(out, "# skipped pipeline_health row, not a valid metric name: ");
    for (size_t i = 0; name[i] && i < 200; i++) sl_buf_putc(out, name[i] == '\n' || name[i] == '\r' ? ' ' : name[i]);
    sl_buf_putc(out, '\n');
}

size_t sv_prom_health(sl_buf *out, const hr_health_row *rows, size_t n) {
    size_t skipped = 0, m = 0;
    item *it = malloc((n ? n : 1) * sizeof *it);
    if (!it) {
        out->oom = true;
        return n;
    }
    for (size_t i = 0; i < n; i++) {
        size_t fl;
        const hl_def *d = NULL;
        /* the server's own families are written by sv_prom_server only */
        if (!rows[i].name || !sv_prom_split(rows[i].name, &fl) ||
            ((d = hl_find(rows[i].name, fl)) && d->id >= HL_N)) {
            skip_comment(out, rows[i].name ? rows[i].name : "(null)");
            skipped++;
            continue;
        }
        it[m].r = &rows[i];
        it[m].flen = fl;
        it[m].def = d;
        m++;
    }
    qsort(it, m, sizeof *it, cmp_item);
    for (size_t i = 0; i < m; i++) {
        const char *nm = it[i].r->name;
        size_t fl = it[i].flen;
        bool first = i == 0 || it[i - 1].flen != fl || memcmp(it[i - 1].r->name, nm, fl) != 0;
        if (first) {
            family_head(out, nm, fl, it[i].def);
        } else if (!strcmp(it[i - 1].r->name, nm)) {
            continue; /* the same name twice (cannot happen with a primary key) */
        }
        sl_buf_puts(out, nm);
        sl_buf_putc(out, ' ');
        sv_prom_value(out, it[i].r->null ? NAN : it[i].r->value);
        sl_buf_putc(out, '\n');
    }
    free(it);
    return skipped;
}

static void family(sl_buf *out, hl_id id) { family_head(out, hl_defs[id].name, strlen(hl_defs[id].name), &hl_defs[id]); }

/* "family[{label="value"}] v" */
static void sample_u64(sl_buf *out, hl_id id, const char *label, uint64_t v) {
    hl_name(out, id, label);
    sl_buf_printf(out, " %" PRIu64 "\n", v);
}

/* A family with one unlabelled integer sample. */
static void family_u64(sl_buf *out, hl_id id, uint64_t v) {
    family(out, id);
    sample_u64(out, id, NULL, v);
}

static void sample_f64(sl_buf *out, const char *name, const char *suffix, double v) {
    sl_buf_puts(out, name);
    sl_buf_puts(out, suffix);
    sl_buf_putc(out, ' ');
    sv_prom_value(out, v);
    sl_buf_putc(out, '\n');
}

void sv_prom_server(sl_buf *out, const sv_prom_server_stats *s) {
    family(out, HL_HTTP_REQUESTS);
    for (int i = 0; i < s->ncodes; i++) {
        char code[16];
        snprintf(code, sizeof code, "%d", s->codes[i]);
        sample_u64(out, HL_HTTP_REQUESTS, code, s->code_count[i]);
    }
    family(out, HL_HTTP_REQUEST_SECONDS);
    sample_f64(out, hl_defs[HL_HTTP_REQUEST_SECONDS].name, "", s->seconds_total);
    const char *hist = hl_defs[HL_HTTP_REQUEST_DURATION].name;
    family(out, HL_HTTP_REQUEST_DURATION);
    for (int i = 0; i <= SV_PROM_NBUCKETS; i++) {
        sl_buf_printf(out, "%s_bucket{le=\"", hist);
        sv_prom_value(out, i < SV_PROM_NBUCKETS ? sv_prom_buckets[i] : INFINITY);
        sl_buf_printf(out, "\"} %" PRIu64 "\n", i < SV_PROM_NBUCKETS ? s->bucket[i] : s->count);
    }
    sample_f64(out, hist, "_sum", s->seconds_total);
    sl_buf_printf(out, "%s_count %" PRIu64 "\n", hist, s->count);
    family(out, HL_HTTP_CACHE_REQUESTS);
    sample_u64(out, HL_HTTP_CACHE_REQUESTS, sv_cache_how_name(SV_CACHE_HIT), s->cache_hits);
    sample_u64(out, HL_HTTP_CACHE_REQUESTS, sv_cache_how_name(SV_CACHE_MISS), s->cache_misses);
    sample_u64(out, HL_HTTP_CACHE_REQUESTS, sv_cache_how_name(SV_CACHE_STALE), s->cache_stale);
    sample_u64(out, HL_HTTP_CACHE_REQUESTS, sv_cache_how_name(SV_CACHE_WAIT), s->cache_waits);
    family_u64(out, HL_HTTP_CACHE_REFRESHES, s->cache_refreshes);
    family_u64(out, HL_HTTP_CACHE_ENTRIES, s->cache_entries);
    family_u64(out, HL_HTTP_CACHE_BYTES, s->cache_bytes);
    family_u64(out, HL_HTTP_STORE_CHANGES, s->store_changes);
}

void sv_prom_gauge(sl_buf *out, hl_id id, double v) {
    family(out, id);
    sample_f64(out, hl_defs[id].name, "", v);
}

void sv_prom_build_info(sl_buf *out) {
    sl_buf_puts(out, "# HELP sluice_build_info The version and commit of this sluice build (value 1).\n"
                     "# TYPE sluice_build_info gauge\n"
                     "sluice_build_info{version=\"" SLUICE_VERSION "\",commit=\"" SLUICE_COMMIT "\"} 1\n");
}
