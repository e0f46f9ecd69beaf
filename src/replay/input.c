/* input.c: replay input dispatch (format detection, source labels) and the
 * canonical-batch helpers the input plugins share. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "replay/input_plugin.h"
#include "util/hashmap.h"

rp_kind rp_col_kind(const sc_schema *s, int col) {
    const sc_col *c = &s->cols[col];
    switch (c->type.type) {
    case SL_I32: return (c->rules & SC_FLAG01) ? RP_K_FLAG : RP_K_I32;
    case SL_I64: return c->type.logical == SL_LOG_TIMESTAMP ? RP_K_TS : RP_K_I64;
    case SL_BYTES: return RP_K_STR;
    default: return RP_K_F64;
    }
}

uint64_t rp_key_hash(const char *p, size_t n) { return hm_hash_bytes(p, n); }

void rp_keys_from_batch(const sc_schema *s, const sl_batch *b, size_t n, int64_t *ts, int32_t *k1, int64_t *k2) {
    const sl_col *ct = &b->cols[s->time];
    const int64_t *tv = ct->data;
    for (size_t i = 0; i < n; i++) ts[i] = sl_col_is_null(ct, i) ? INT64_MIN : tv[i];
    if (s->order[0] >= 0) memcpy(k1, b->cols[s->order[0]].data, n * sizeof *k1);
    else memset(k1, 0, n * sizeof *k1);
    if (s->order[1] < 0) {
        memset(k2, 0, n * sizeof *k2);
    } else if (b->cols[s->order[1]].t.type == SL_BYTES) {
        const sl_col *c = &b->cols[s->order[1]];
        const sl_str *v = c->data;
        for (size_t i = 0; i < n; i++) k2[i] = sl_col_is_null(c, i) ? 0 : (int64_t)rp_key_hash(v[i].ptr, v[i].len);
    } else {
        memcpy(k2, b->cols[s->order[1]].data, n * sizeof *k2);
    }
}

/* ------------------------------------------------------------------------ */

static bool is_digits(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return n > 0;
}

void rp_default_source(const char *path, char *out, size_t n) {
    if (!n) return;
    out[0] = 0;
    if (!path) path = "";
    /* a directory named provisioned/serverless (the nearest one) */
    const char *fleet = NULL;
    size_t fleet_len = 0;
    const char *p = path;
    for (;;) {
        const char *sl = strchr(p, '/');
        if (!sl) break;
        size_t k = (size_t)(sl - p);
        if ((k == 11 && memcmp(p, "provisioned", 11) == 0) || (k == 10 && memcmp(p, "serverless", 10) == 0)) {
            fleet = p;
            fleet_len = k;
        }
        p = sl + 1;
    }
    const char *base = p;
    size_t bl = strlen(base);
    if (fleet) {
        base = fleet;
        bl = fleet_len;
    } else {
        const char *dot = NULL;
        for (size_t i = 1; i < bl; i++)
            if (base[i] == '.') dot = base + i;
        if (dot) bl = (size_t)(dot - base);
        /* part number: -00012 / _00012 (5+ digits) */
        for (size_t i = bl; i-- > 0;) {
            if (base[i] == '-' || base[i] == '_') {
                if (i > 0 && bl - i - 1 >= 5 && is_digits(base + i + 1, bl - i - 1)) bl = i;
                break;
            }
            if (base[i] < '0' || base[i] > '9') break;
        }
    }
    if (bl == 0) {
        base = "input";
        bl = 5;
    }
    if (bl >= n) bl = n - 1;
    memcpy(out, base, bl);
    out[bl] = 0;
}

static bool ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcasecmp(s + a - b, suf) == 0;
}

const in_plugin *rp_detect_format(const char *path, const unsigned char *head, size_t n,
                                  const in_plugin *const *candidates) {
    for (size_t k = 0; candidates && candidates[k]; k++)
        for (const char *const *x = candidates[k]->extensions; x && *x; x++)
            if (ends_with(path, *x)) return candidates[k];
    unsigned char h[64];
    if (!head) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) return NULL;
        ssize_t r = read(fd, h, sizeof h);
        close(fd);
        n = r > 0 ? (size_t)r : 0;
        head = h;
    }
    const in_plugin *best = NULL;
    int bs = 0;
    for (size_t k = 0; candidates && candidates[k]; k++) {
        int sc = candidates[k]->sniff ? candidates[k]->sniff(head, n) : 0;
        if (sc > bs) {
            bs = sc;
            best = candidates[k];
        }
    }
    return best;
}

static sl_err open_common(rp_input **out, const rp_input_opts *o, const void *mem, size_t memlen, bool is_mem, char *err,
                          size_t errlen) {
    *out = NULL;
    if (!o || !o->path) return sl_err_set(err, errlen, SL_ERR_ARG, "replay input: no path");
    if (!o->schema) return sl_err_set(err, errlen, SL_ERR_ARG, "%s: replay input: no schema", o->path);
    rp_input *in = calloc(1, sizeof *in);
    if (!in) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    in->path = strdup(o->path);
    if (!in->path) {
        free(in);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    in->schema = o->schema;
    in->index = o->index;
    in->mem = is_mem ? (mem ? mem : "") : NULL;
    in->memlen = memlen;
    if (o->source) snprintf(in->source, sizeof in->source, "%s", o->source);
    else rp_default_source(o->path, in->source, sizeof in->source);
    const in_plugin *f = o->format;
    if (!f) {
        if (is_mem) {
            f = rp_detect_format(o->path, mem ? mem : (const void *)"", memlen < 64 ? memlen : 64, o->candidates);
        } else {
            int fd = open(o->path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                sl_err e = sl_err_set(err, errlen, SL_ERR_IO, "%s: cannot open: %s", o->path, strerror(errno));
                rp_input_close(in);
                return e;
            }
            close(fd);
            f = rp_detect_format(o->path, NULL, 0, o->candidates);
        }
        if (!f) {
            rp_input_close(in);
            return sl_err_set(err, errlen, SL_ERR_ARG, "%s: cannot tell the file's format (name it with --input-format)",
                              o->path);
        }
    }
    in->fmt = f;
    sl_err e = f->open(in, err, errlen);
    if (e != SL_OK) {
        rp_input_close(in);
        return e;
    }
    *out = in;
    return SL_OK;
}

sl_err rp_input_open(rp_input **out, const rp_input_opts *o, char *err, size_t errlen) {
    return open_common(out, o, NULL, 0, false, err, errlen);
}

sl_err rp_input_open_mem(rp_input **out, const rp_input_opts *o, const void *data, size_t n, char *err, size_t errlen) {
    return open_common(out, o, data, n, true, err, errlen);
}

void rp_input_close(rp_input *in) {
    if (!in) return;
    if (in->fmt && in->fmt->close) in->fmt->close(in);
    if (in->kb_init) sl_batch_free(&in->kb);
    free(in->path);
    free(in);
}

const char *rp_input_source(const rp_input *in) { return in->source; }
const char *rp_input_path(const rp_input *in) { return in->path; }
const in_plugin *rp_input_format(const rp_input *in) { return in->fmt; }
const sc_schema *rp_input_schema(const rp_input *in) { return in->schema; }
int64_t rp_input_rows(const rp_input *in) { return in->fmt->rows ? in->fmt->rows(in) : -1; }
const rp_input_stats *rp_input_get_stats(const rp_input *in) { return &in->st; }

long rp_input_next(rp_input *in, sl_batch *b, size_t max_rows, char *err, size_t errlen) {
    if (b->ncols != in->schema->nall)
        return sl_err_set(err, errlen, SL_ERR_ARG, "rp_input_next: batch is not canonical (use sc_init_batch)");
    if (max_rows == 0) max_rows = 65536;
    if (max_rows > UINT32_MAX) max_rows = UINT32_MAX;
    return in->fmt->next(in, b, max_rows, err, errlen);
}

sl_err rp_input_seek(rp_input *in, uint64_t row, char *err, size_t errlen) { return in->fmt->seek(in, row, err, errlen); }

long rp_input_next_keys(rp_input *in, int64_t *ts, int32_t *k1, int64_t *k2, size_t max_rows, char *err,
                        size_t errlen) {
    if (max_rows == 0) max_rows = 65536;
    if (max_rows > UINT32_MAX) max_rows = UINT32_MAX;
    if (in->fmt->next_keys) return in->fmt->next_keys(in, ts, k1, k2, max_rows, err, errlen);
    if (!in->kb_init) {
        sl_batch_init(&in->kb);
        in->kb_init = true;
        sl_err e = sc_init_batch(in->schema, &in->kb, err, errlen);
        if (e != SL_OK) return e;
    }
    long n = in->fmt->next(in, &in->kb, max_rows, err, errlen);
    if (n <= 0) return n;
    rp_keys_from_batch(in->schema, &in->kb, (size_t)n, ts, k1, k2);
    return n;
}

/* ------------------------------------------------------------------------ */
/* batch helpers                                                            */

sl_err rp_batch_begin(sl_batch *b, size_t n, char *err, size_t errlen) {
    sl_batch_reset(b);
    return sl_batch_reserve(b, n, err, errlen);
}

sl_err rp_fill_system(rp_input *in, sl_batch *b, size_t n, char *err, size_t errlen) {
    size_t sl = strlen(in->source);
    const char *lab = sl_arena_dup(&b->arena, in->source, sl ? sl : 1);
    if (!lab) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    const sc_schema *s = in->schema;
    sl_str *src = b->cols[s->source].data;
    int32_t *ix = b->cols[s->input].data;
    int64_t *row = b->cols[s->row].data;
    sl_str v = {lab, (uint32_t)sl};
    int64_t base = (int64_t)in->next_row;
    for (size_t i = 0; i < n; i++) {
        src[i] = v;
        ix[i] = in->index;
        row[i] = base + (int64_t)i;
    }
    return SL_OK;
}

void rp_set_null(sl_batch *b, int c, size_t i) {
    sl_col *col = &b->cols[c];
    uint8_t *v = col->valid ? col->valid : sl_col_valid_alloc(b, (size_t)c);
    switch (col->t.type) {
    case SL_BOOL: ((uint8_t *)col->data)[i] = 0; break;
    case SL_I32:
    case SL_F32: ((int32_t *)col->data)[i] = 0; break;
    case SL_I64:
    case SL_F64: ((int64_t *)col->data)[i] = 0; break;
    case SL_BYTES: ((sl_str *)col->data)[i] = (sl_str){NULL, 0}; break;
    }
    if (!v) return; /* out of memory: value zeroed, NULL-ness lost */
    if (sl_bit_get(v, i)) {
        sl_bit_clear(v, i);
        col->null_count++;
    }
}

bool rp_set_str(sl_batch *b, int c, size_t i, const char *s, size_t n) {
    char *p = n ? sl_arena_dup(&b->arena, s, n) : (char *)"";
    if (!p) return false;
    ((sl_str *)b->cols[c].data)[i] = (sl_str){p, (uint32_t)n};
    return true;
}

void rp_msg_value(sl_buf *o, const char *v, size_t n) {
    sl_buf_putc(o, '\'');
    size_t k = n > 60 ? 60 : n;
    for (size_t i = 0; i < k; i++) {
        unsigned char ch = (unsigned char)v[i];
        sl_buf_putc(o, ch < 0x20 || ch >= 0x7f ? '?' : (char)ch);
    }
    if (k < n) sl_buf_puts(o, "...");
    sl_buf_putc(o, '\'');
}

void rp_batch_finish(sl_batch *b) {
    for (size_t c = 0; c < b->ncols; c++) {
        sl_col *col = &b->cols[c];
        if (col->valid && col->null_count == 0) {
            free(col->valid);
            col->valid = NULL;
        }
    }
}
