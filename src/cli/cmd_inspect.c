/* sluice inspect FILE [--json]: schema, row groups, per-column codec,
 * encodings, sizes and statistics. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch/format.h"
#include "cli/cli.h"

static void logical_desc(sl_buf *o, const pq_schema_elem *e) {
    const pq_logical *l = &e->logical;
    static const char *units[] = {"?", "MILLIS", "MICROS", "NANOS"};
    const char *u = (l->unit >= 1 && l->unit <= 3) ? units[l->unit] : "?";
    switch (l->kind) {
    case PQ_LT_NONE: return;
    case PQ_LT_STRING: sl_buf_puts(o, "STRING"); return;
    case PQ_LT_MAP: sl_buf_puts(o, "MAP"); return;
    case PQ_LT_LIST: sl_buf_puts(o, "LIST"); return;
    case PQ_LT_ENUM: sl_buf_puts(o, "ENUM"); return;
    case PQ_LT_DECIMAL: sl_buf_printf(o, "DECIMAL(%d,%d)", l->precision, l->scale); return;
    case PQ_LT_DATE: sl_buf_puts(o, "DATE"); return;
    case PQ_LT_TIME: sl_buf_printf(o, "TIME(%s,%s)", u, l->utc ? "UTC" : "local"); return;
    case PQ_LT_TIMESTAMP: sl_buf_printf(o, "TIMESTAMP(%s,%s)", u, l->utc ? "UTC" : "local"); return;
    case PQ_LT_INTEGER: sl_buf_printf(o, "INT(%d,%s)", l->bit_width, l->is_signed ? "signed" : "unsigned"); return;
    case PQ_LT_UNKNOWN: sl_buf_puts(o, "UNKNOWN"); return;
    case PQ_LT_JSON: sl_buf_puts(o, "JSON"); return;
    case PQ_LT_BSON: sl_buf_puts(o, "BSON"); return;
    case PQ_LT_UUID: sl_buf_puts(o, "UUID"); return;
    case PQ_LT_FLOAT16: sl_buf_puts(o, "FLOAT16"); return;
    }
}

/* Render a statistics value; JSON null when absent or undecodable. */
static void stat_value(sl_buf *o, const pq_leaf *L, bool has, pq_bytes v, sl_fmt_mode mode) {
    pq_scalar s;
    if (!has || !L->supported || pq_stat_decode(L, v, &s) != SL_OK) {
        sl_buf_puts(o, mode == SL_FMT_JSON ? "null" : "-");
        return;
    }
    sl_fmt_scalar(o, &L->ctype, &s, mode);
}

static void json_kv_str(sl_buf *o, const char *k, const char *v, bool comma) {
    if (comma) sl_buf_putc(o, ',');
    sl_fmt_json_str(o, k, strlen(k));
    sl_buf_putc(o, ':');
    if (v) sl_fmt_json_str(o, v, strlen(v));
    else sl_buf_puts(o, "null");
}

static const pq_leaf *leaf_for_chunk(pq_reader *r, uint32_t ci) {
    return pq_reader_leaf(r, ci);
}

static void encodings_list(sl_buf *o, const pq_column_meta *m, bool json) {
    if (json) sl_buf_putc(o, '[');
    for (uint32_t k = 0; k < m->n_encodings; k++) {
        if (k) sl_buf_putc(o, json ? ',' : '+');
        const char *en = pq_encoding_name(m->encodings[k]);
        if (json) sl_fmt_json_str(o, en, strlen(en));
        else sl_buf_puts(o, en);
    }
    if (json) sl_buf_putc(o, ']');
}

static void inspect_json(cli_pq *p, sl_buf *o) {
    const pq_meta *m = pq_reader_meta(p->r);
    sl_buf_putc(o, '{');
    json_kv_str(o, "file", p->src->name, false);
    sl_buf_printf(o, ",\"size\":%" PRIu64 ",\"num_rows\":%" PRId64 ",\"version\":%d", p->src->size, m->num_rows, m->version);
    json_kv_str(o, "created_by", m->created_by, true);
    sl_buf_puts(o, ",\"key_value\":{");
    for (uint32_t i = 0; i < m->n_kv; i++) json_kv_str(o, m->kv[i].key ? m->kv[i].key : "", m->kv[i].value, i > 0);
    sl_buf_puts(o, "},\"schema\":[");
    size_t nl = pq_reader_num_leaves(p->r);
    for (size_t i = 0; i < nl; i++) {
        const pq_leaf *L = pq_reader_leaf(p->r, i);
        const pq_schema_elem *e = L->elem;
        sl_buf lg;
        sl_buf_init(&lg);
        logical_desc(&lg, e);
        if (i) sl_buf_putc(o, ',');
        sl_buf_putc(o, '{');
        json_kv_str(o, "name", L->name, false);
        json_kv_str(o, "physical", e->has_type ? pq_type_name(e->type) : NULL, true);
        json_kv_str(o, "repetition", e->has_repetition ? pq_repetition_name(e->repetition) : "REQUIRED", true);
        json_kv_str(o, "logical", lg.len ? sl_buf_cstr(&lg) : NULL, true);
        json_kv_str(o, "converted", e->converted != PQ_CT_NONE ? pq_converted_name(e->converted) : NULL, true);
        sl_buf_puts(o, ",\"type_length\":");
        if (e->has_type_length) sl_buf_printf(o, "%d", e->type_length);
        else sl_buf_puts(o, "null");
        sl_buf_puts(o, ",\"precision\":");
        if (e->has_precision) sl_buf_printf(o, "%d", e->precision);
        else sl_buf_puts(o, "null");
        sl_buf_puts(o, ",\"scale\":");
        if (e->has_scale) sl_buf_printf(o, "%d", e->scale);
        else sl_buf_puts(o, "null");
        sl_buf_printf(o, ",\"supported\":%s", L->supported ? "true" : "false");
        if (!L->supported) json_kv_str(o, "unsupported_reason", L->why, true);
        sl_buf_putc(o, '}');
        sl_buf_free(&lg);
    }
    sl_buf_puts(o, "],\"row_groups\":[");
    for (uint32_t g = 0; g < m->n_row_groups; g++) {
        const pq_row_group *rg = &m->row_groups[g];
        if (g) sl_buf_putc(o, ',');
        sl_buf_printf(o, "{\"num_rows\":%" PRId64 ",\"total_byte_size\":%" PRId64 ",\"columns\":[", rg->num_rows, rg->total_byte_size);
        for (uint32_t c = 0; c < rg->n_columns; c++) {
            const pq_column_chunk *cc = &rg->columns[c];
            const pq_column_meta *cm = &cc->meta;
            const pq_leaf *L = leaf_for_chunk(p->r, c);
            if (c) sl_buf_putc(o, ',');
            sl_buf_putc(o, '{');
            json_kv_str(o, "path", L ? L->name : "?", false);
            if (!cc->has_meta) {
                sl_buf_puts(o, ",\"meta\":null}");
                continue;
            }
            json_kv_str(o, "physical", pq_type_name(cm->type), true);
            json_kv_str(o, "codec", pq_codec_name(cm->codec), true);
            sl_buf_puts(o, ",\"encodings\":");
            encodings_list(o, cm, true);
            sl_buf_printf(o, ",\"num_values\":%" PRId64 ",\"compressed_size\":%" PRId64 ",\"uncompressed_size\":%" PRId64
                             ",\"data_page_offset\":%" PRId64 ",\"dictionary_page_offset\":",
                          cm->num_values, cm->total_compressed_size, cm->total_uncompressed_size, cm->data_page_offset);
            if (cm->has_dictionary_page_offset) sl_buf_printf(o, "%" PRId64, cm->dictionary_page_offset);
            else sl_buf_puts(o, "null");
            sl_buf_puts(o, ",\"stats\":");
            if (!cm->has_stats) sl_buf_puts(o, "null");
            else {
                const pq_stats *s = &cm->stats;
                sl_buf_puts(o, "{\"min\":");
                stat_value(o, L, s->has_min, s->min, SL_FMT_JSON);
                sl_buf_puts(o, ",\"max\":");
                stat_value(o, L, s->has_max, s->max, SL_FMT_JSON);
                sl_buf_puts(o, ",\"null_count\":");
                if (s->has_null_count) sl_buf_printf(o, "%" PRId64, s->null_count);
                else sl_buf_puts(o, "null");
                sl_buf_puts(o, ",\"distinct_count\":");
                if (s->has_distinct_count) sl_buf_printf(o, "%" PRId64, s->distinct_count);
                else sl_buf_puts(o, "null");
                sl_buf_printf(o, ",\"legacy\":%s}", s->legacy_minmax ? "true" : "false");
            }
            sl_buf_putc(o, '}');
        }
        sl_buf_puts(o, "]}");
    }
    sl_buf_puts(o, "]}\n");
}

static void inspect_text(cli_pq *p, sl_buf *o) {
    const pq_meta *m = pq_reader_meta(p->r);
    size_t nl = pq_reader_num_leaves(p->r);
    sl_buf_printf(o, "file:        %s (%" PRIu64 " bytes)\n", p->src->name, p->src->size);
    sl_buf_printf(o, "created by:  %s\n", m->created_by ? m->created_by : "(unknown)");
    sl_buf_printf(o, "rows:        %" PRId64 " in %u row group%s, %zu column%s, format version %d\n", m->num_rows, m->n_row_groups,
                  m->n_row_groups == 1 ? "" : "s", nl, nl == 1 ? "" : "s", m->version);
    for (uint32_t i = 0; i < m->n_kv; i++) {
        const char *v = m->kv[i].value ? m->kv[i].value : "";
        size_t vl = strlen(v);
        sl_buf_printf(o, "metadata:    %s = %.*s%s\n", m->kv[i].key ? m->kv[i].key : "", (int)(vl > 100 ? 100 : vl), v,
                      vl > 100 ? "..." : "");
    }
    sl_buf_puts(o, "\nschema:\n");
    sl_buf_printf(o, "  %-4s %-32s %-22s %-9s %s\n", "#", "column", "physical", "repet.", "logical");
    for (size_t i = 0; i < nl; i++) {
        const pq_leaf *L = pq_reader_leaf(p->r, i);
        const pq_schema_elem *e = L->elem;
        sl_buf lg;
        sl_buf_init(&lg);
        logical_desc(&lg, e);
        if (!lg.len && e->converted != PQ_CT_NONE) sl_buf_printf(&lg, "%s (converted)", pq_converted_name(e->converted));
        char phys[48];
        if (e->type == PQ_FIXED_LEN_BYTE_ARRAY) snprintf(phys, sizeof phys, "FIXED_LEN_BYTE_ARRAY(%d)", e->type_length);
        else snprintf(phys, sizeof phys, "%s", e->has_type ? pq_type_name(e->type) : "-");
        sl_buf_printf(o, "  %-4zu %-32s %-22s %-9s %s%s%s\n", i, L->name, phys,
                      e->has_repetition ? pq_repetition_name(e->repetition) : "REQUIRED", lg.len ? sl_buf_cstr(&lg) : "-",
                      L->supported ? "" : "  [not supported: ", L->supported ? "" : L->why);
        if (!L->supported) {
            o->len--; /* drop newline */
            sl_buf_puts(o, "]\n");
        }
        sl_buf_free(&lg);
    }
    for (uint32_t g = 0; g < m->n_row_groups; g++) {
        const pq_row_group *rg = &m->row_groups[g];
        sl_buf_printf(o, "\nrow group %u: %" PRId64 " rows, %" PRId64 " bytes uncompressed\n", g, rg->num_rows, rg->total_byte_size);
        sl_buf_printf(o, "  %-28s %-12s %-36s %10s %12s %12s %8s  %s .. %s\n", "column", "codec", "encodings", "values", "compressed",
                      "uncompressed", "nulls", "min", "max");
        for (uint32_t c = 0; c < rg->n_columns; c++) {
            const pq_column_chunk *cc = &rg->columns[c];
            const pq_column_meta *cm = &cc->meta;
            const pq_leaf *L = leaf_for_chunk(p->r, c);
            if (!cc->has_meta) {
                sl_buf_printf(o, "  %-28s (no metadata)\n", L ? L->name : "?");
                continue;
            }
            sl_buf enc;
            sl_buf_init(&enc);
            encodings_list(&enc, cm, false);
            char nulls[32] = "-";
            if (cm->has_stats && cm->stats.has_null_count) snprintf(nulls, sizeof nulls, "%" PRId64, cm->stats.null_count);
            sl_buf_printf(o, "  %-28s %-12s %-36s %10" PRId64 " %12" PRId64 " %12" PRId64 " %8s  ", L ? L->name : "?",
                          pq_codec_name(cm->codec), sl_buf_cstr(&enc), cm->num_values, cm->total_compressed_size,
                          cm->total_uncompressed_size, nulls);
            sl_buf_free(&enc);
            sl_buf v;
            sl_buf_init(&v);
            stat_value(&v, L, cm->has_stats && cm->stats.has_min, cm->stats.min, SL_FMT_TEXT);
            sl_buf_puts(&v, " .. ");
            stat_value(&v, L, cm->has_stats && cm->stats.has_max, cm->stats.max, SL_FMT_TEXT);
            const char *vs = sl_buf_cstr(&v);
            size_t vl = strlen(vs);
            sl_buf_printf(o, "%.*s%s\n", (int)(vl > 80 ? 80 : vl), vs, vl > 80 ? "..." : "");
            sl_buf_free(&v);
        }
    }
}

typedef struct inspect_opts {
    bool json;
} inspect_opts;

static const sl_opt k_inspect_opts[] = {
    {.name = "json", .type = SL_OPT_T_FLAG, SL_OPT_F_(inspect_opts, json), .def = "false",
     .help = "a machine-readable JSON document instead of the text report"},
    SL_OPT_END,
};
static const sl_opt *const k_inspect_tables[] = {k_inspect_opts, NULL};
static const sl_opt_cmd k_inspect_cmd = {
    .name = "inspect",
    .tables = k_inspect_tables,
    .usage = "sluice inspect FILE [--json]",
    .about = "Show the Parquet FILE's schema (physical, logical and converted types, repetition), its row\n"
             "groups and per column chunk: codec, encodings, value count, compressed and uncompressed size,\n"
             "statistics (min, max, null count).",
    .notes = "Exit status: 0 ok, 1 bad option, 2 the file cannot be read or is corrupt.",
};
const sl_opt_cmd *cli_inspect_doc(void) { return &k_inspect_cmd; }

int cli_inspect(int argc, char **argv) {
    inspect_opts io;
    cli_files files = {.cmd = "inspect", .max = 1};
    int rc = cli_parse_files(&k_inspect_cmd, &io, &files, argc, argv);
    if (rc) return rc == CLI_HELP ? 0 : rc;
    const char *path = files.v[0];
    bool json = io.json;
    cli_pq p;
    if ((rc = cli_pq_open(&p, "inspect", path))) return rc;
    sl_buf o;
    sl_buf_init(&o);
    if (json) inspect_json(&p, &o);
    else inspect_text(&p, &o);
    int ok = sl_buf_flush(&o, stdout);
    sl_buf_free(&o);
    cli_pq_close(&p);
    return ok ? 0 : cli_fail(2, "write to stdout failed");
}
