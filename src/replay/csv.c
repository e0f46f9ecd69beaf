#include "replay/csv.h"

#include <stdlib.h>
#include <string.h>

#define DEF_BUF (1u << 20)
#define DEF_MAX (64u << 20)

void rp_tstream_init(rp_tstream *s, rp_read_fn read, void *ctx, size_t bufsize, size_t max_record) {
    memset(s, 0, sizeof *s);
    s->read = read;
    s->ctx = ctx;
    s->cap = bufsize ? bufsize : DEF_BUF;
    s->max_record = max_record ? max_record : DEF_MAX;
    if (s->max_record < s->cap) s->max_record = s->cap;
}

void rp_tstream_free(rp_tstream *s) {
    free(s->buf);
    s->buf = NULL;
}

int rp_tstream_fill(rp_tstream *s, char *err, size_t errlen) {
    if (s->eof) return 0;
    if (!s->buf) {
        s->buf = malloc(s->cap + 1);
        if (!s->buf) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    if (s->start > 0 && s->end == s->cap) {
        memmove(s->buf, s->buf + s->start, s->end - s->start);
        s->end -= s->start;
        s->start = 0;
    }
    if (s->end == s->cap) {
        if (s->cap >= s->max_record) return RP_TS_FULL;
        size_t nc = s->cap * 2;
        if (nc > s->max_record) nc = s->max_record;
        char *nb = realloc(s->buf, nc + 1);
        if (!nb) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        s->buf = nb;
        s->cap = nc;
    }
    for (;;) {
        long n = s->read(s->ctx, s->buf + s->end, s->cap - s->end, err, errlen);
        if (n < 0) return (int)n;
        if (n == 0) {
            s->eof = true;
            return 0;
        }
        s->end += (size_t)n;
        s->bytes += (uint64_t)n;
        return 1;
    }
}

int rp_tstream_line(rp_tstream *s, const char **line, size_t *len, bool *too_long, char *err, size_t errlen) {
    *too_long = false;
    size_t scanned = 0;
    for (;;) {
        const char *p = s->buf ? s->buf + s->start : NULL;
        size_t avail = s->end - s->start;
        const char *nl = avail > scanned ? memchr(p + scanned, '\n', avail - scanned) : NULL;
        if (nl) {
            *line = p;
            *len = (size_t)(nl - p);
            s->start += *len + 1;
            return 1;
        }
        scanned = avail;
        int r = rp_tstream_fill(s, err, errlen);
        if (r < 0) return r;
        if (r == 0) {
            if (s->end == s->start) return 0;
            *line = s->buf + s->start;
            *len = s->end - s->start;
            s->start = s->end;
            return 1;
        }
        if (r == RP_TS_FULL) {
            /* skip to the next LF */
            *too_long = true;
            for (;;) {
                s->start = s->end = 0;
                r = rp_tstream_fill(s, err, errlen);
                if (r < 0) return r;
                if (r == 0) break;
                const char *q = memchr(s->buf, '\n', s->end);
                if (q) {
                    s->start = (size_t)(q - s->buf) + 1;
                    break;
                }
            }
            *line = s->buf ? s->buf + s->start : "";
            *len = 0;
            return 1;
        }
    }
}

/* ------------------------------------------------------------------------ */

void rp_csv_init(rp_csv *c, rp_tstream *s) {
    memset(c, 0, sizeof *c);
    c->s = s;
    c->next_line = 1;
}

void rp_csv_free(rp_csv *c) {
    free(c->f);
    c->f = NULL;
}

static bool add_field(rp_csv *c, const char *p, size_t len, bool quoted) {
    if (c->nf == c->fcap) {
        size_t nc = c->fcap ? c->fcap * 2 : 32;
        rp_csv_field *nf = realloc(c->f, nc * sizeof *nf);
        if (!nf) return false;
        c->f = nf;
        c->fcap = nc;
    }
    c->f[c->nf].p = p;
    c->f[c->nf].len = (uint32_t)len;
    c->f[c->nf].quoted = quoted;
    c->nf++;
    return true;
}

/* 256-entry table: 1 for bytes that end an unquoted run (',' '\n' '"'). */
static const uint8_t stop_tab[256] = {[','] = 1, ['\n'] = 1, ['"'] = 1};

/* Try to tokenize one record from buf[start, end).  Returns 1 with fields
 * set and *consumed the record's bytes (incl. terminator), 0 when more bytes
 * are needed (nothing modified), -1 out of memory. */
static int tokenize(rp_csv *c, char *b, size_t n, bool eof, size_t *consumed, uint64_t *lines) {
    c->nf = 0;
    c->status = RP_CSV_OK;
    size_t i = 0;
    uint64_t nl = 0;
    /* pass 1: field boundaries; escapes unfolded afterwards (so a restart
     * after refilling sees unmodified bytes) */
    for (;;) {
        size_t fs = i;
        bool esc = false;
        if (i < n && b[i] == '"') {
            i++;
            size_t q0 = i;
            for (;;) {
                const char *qq = memchr(b + i, '"', n - i);
                if (!qq) {
                    if (!eof) return 0;
                    /* unterminated at EOF: the rest is the field */
                    for (size_t k = q0; k < n; k++) nl += b[k] == '\n';
                    c->status = RP_CSV_UNTERMINATED;
                    if (!add_field(c, b + q0, n - q0, true)) return -1;
                    c->f[c->nf - 1].quoted = esc ? 2 : 1;
                    *consumed = n;
                    *lines = nl;
                    goto unfold;
                }
                size_t j = (size_t)(qq - b);
                if (j + 1 < n && b[j + 1] == '"') {
                    esc = true;
                    i = j + 2;
                    continue;
                }
                if (j + 1 >= n && !eof) return 0;
                for (size_t k = q0; k < j; k++) nl += b[k] == '\n';
                i = j + 1;
                break;
            }
            /* after the closing quote: separator, line end or (lenient) data */
            size_t closing = i - 1, after = i;
            while (i < n && b[i] != ',' && b[i] != '\n') i++;
            if (i == n && !eof) return 0;
            size_t dend = i;
            if (dend > after && b[dend - 1] == '\r' && (i == n || b[i] == '\n')) dend--;
            if (dend > after) esc = true; /* trailing data joins the field */
            if (esc) {
                /* raw span (escapes, closing quote, trailing data), unfolded below */
                if (!add_field(c, b + fs + 1, dend - (fs + 1), true)) return -1;
                c->f[c->nf - 1].quoted = 2;
            } else if (!add_field(c, b + fs + 1, closing - (fs + 1), true)) {
                return -1;
            }
        } else {
            while (i < n && !stop_tab[(uint8_t)b[i]]) i++;
            while (i < n && b[i] == '"') { /* stray quote: keep as data */
                i++;
                while (i < n && !stop_tab[(uint8_t)b[i]]) i++;
            }
            if (i == n && !eof) return 0;
            size_t dend = i;
            if (i < n && b[i] == '\n' && dend > fs && b[dend - 1] == '\r') dend--;
            if (i == n && dend > fs && b[dend - 1] == '\r') dend--;
            if (!add_field(c, b + fs, dend - fs, false)) return -1;
        }
        if (i >= n) { /* EOF without a final line break */
            *consumed = n;
            break;
        }
        if (b[i] == ',') {
            i++;
            if (i == n && eof) { /* trailing comma at EOF: one more empty field */
                if (!add_field(c, b + i, 0, false)) return -1;
                *consumed = n;
                break;
            }
            continue;
        }
        /* '\n' */
        nl++;
        *consumed = i + 1;
        break;
    }
    *lines = nl;
unfold:
    for (size_t k = 0; k < c->nf; k++) {
        rp_csv_field *f = &c->f[k];
        if (f->quoted != 2) continue;
        /* raw: body "" escapes, closing quote, then maybe trailing data */
        char *src = (char *)f->p, *dst = src;
        const char *e = f->p + f->len;
        bool inq = true;
        while (src < e) {
            char ch = *src++;
            if (inq && ch == '"') {
                if (src < e && *src == '"') {
                    *dst++ = '"';
                    src++;
                } else {
                    inq = false;
                }
                continue;
            }
            *dst++ = ch;
        }
        f->len = (uint32_t)(dst - f->p);
        f->quoted = 1;
    }
    return 1;
}

int rp_csv_next(rp_csv *c, char *err, size_t errlen) {
    rp_tstream *s = c->s;
    for (;;) {
        if (!c->started) {
            if (s->end - s->start < 3 && !s->eof) {
                int r = rp_tstream_fill(s, err, errlen);
                if (r < 0) return r;
                if (r == 1) continue;
            }
            c->started = true;
            if (s->end - s->start >= 3 && memcmp(s->buf + s->start, "\xEF\xBB\xBF", 3) == 0) s->start += 3;
        }
        size_t avail = s->end - s->start;
        if (avail == 0 && s->eof) return 0;
        size_t consumed = 0;
        uint64_t lines = 0;
        int t = avail ? tokenize(c, s->buf + s->start, avail, s->eof, &consumed, &lines) : 0;
        if (t < 0) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        if (t == 1) {
            s->start += consumed;
            c->line = c->next_line;
            c->next_line += lines;
            if (c->nf == 1 && c->f[0].len == 0 && !c->f[0].quoted) continue; /* empty line */
            return 1;
        }
        int r = rp_tstream_fill(s, err, errlen);
        if (r < 0) return r;
        if (r == RP_TS_FULL) {
            /* record longer than max_record: skip to its end (LF outside quotes,
             * tracked by quote parity) */
            bool inq = false;
            uint64_t nl = 0;
            c->line = c->next_line;
            for (;;) {
                char *p = s->buf + s->start, *e = s->buf + s->end;
                for (; p < e; p++) {
                    if (*p == '"') inq = !inq;
                    else if (*p == '\n') {
                        nl++;
                        if (!inq) break;
                    }
                }
                if (p < e) {
                    s->start = (size_t)(p - s->buf) + 1;
                    break;
                }
                s->start = s->end = 0;
                r = rp_tstream_fill(s, err, errlen);
                if (r < 0) return r;
                if (r == 0) break;
            }
            c->next_line += nl;
            c->nf = 0;
            c->status = RP_CSV_TOO_LONG;
            return 1;
        }
        /* r == 1: more bytes, retry; r == 0: EOF reached, retry with eof */
    }
}
