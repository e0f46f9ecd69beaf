/* conf.c: the configuration tree (see conf.h).
 *
 * Memory: a document is one malloc'd cf_doc holding an arena (util/arena.h);
 * every node and every string of the document (keys, values, flags, file
 * names) is allocated from that arena, so cf_free releases all of it at once
 * and a node replaced by cf_set/cf_merge simply stays unreferenced in the
 * arena until then.  Nodes are allocated as cf_inode, a cf_node followed by
 * the name of the file it came from (merged nodes keep their origin).
 * Loading uses libyaml's event API with an explicit stack (no recursion on
 * the input); the only temporary heap memory of a load is the file buffer
 * and the member arrays of the duplicate-key check. */
#include "util/conf.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/arena.h"

#define CF_MAX_DEPTH 64                   /* nested maps/sequences, the root included */
#define CF_MAX_SIZE ((size_t)16 << 20)     /* bytes of a document */
#define CF_SIMPLE_KEY_MAX 1000            /* longer keys are dumped as "? key" (libyaml: 1024) */

typedef struct cf_inode {
    cf_node pub;      /* first: a cf_node * of the document is a cf_inode * */
    const char *file; /* the document it came from (its name, owned by the arena) */
} cf_inode;

struct cf_doc {
    sl_arena arena;
    const char *name;
    cf_node *root;
};

/* ------------------------------------------------------------------ small helpers */

#if defined(__GNUC__) || defined(__clang__)
#define CF_VFMT(i) __attribute__((format(printf, i, 0)))
#else
#define CF_VFMT(i)
#endif

static void buf_vprintf(sl_buf *b, const char *fmt, va_list ap) CF_VFMT(2);
static void buf_vprintf(sl_buf *b, const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || !sl_buf_reserve(b, (size_t)n + 1)) return;
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

static char *dupn(cf_doc *d, const char *s, size_t n) {
    char *p = sl_arena_alloc(&d->arena, n + 1);
    if (!p) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = 0;
    return p;
}

static char *dups(cf_doc *d, const char *s) { return dupn(d, s, strlen(s)); }

static cf_node *new_node(cf_doc *d, cf_kind kind) {
    cf_inode *in = sl_arena_alloc(&d->arena, sizeof *in);
    if (!in) return NULL;
    memset(in, 0, sizeof *in);
    in->pub.kind = kind;
    in->file = d->name;
    return &in->pub;
}

static const char *node_file(const cf_doc *d, const cf_node *n) {
    const char *f = n ? ((const cf_inode *)n)->file : NULL;
    return f ? f : cf_name(d);
}

static void link_child(cf_node *parent, cf_node *c) {
    c->parent = parent;
    c->next = NULL;
    if (parent->last) parent->last->next = c;
    else parent->first = c;
    parent->last = c;
    parent->n++;
}

/* Put c where old is among old's parent's children. */
static void replace_child(cf_node *old, cf_node *c) {
    cf_node *p = old->parent, *prev = NULL;
    for (cf_node *k = p->first; k && k != old; k = k->next) prev = k;
    c->parent = p;
    c->next = old->next;
    if (prev) prev->next = c;
    else p->first = c;
    if (p->last == old) p->last = c;
    old->parent = NULL;
    old->next = NULL;
}

static cf_node *find_member(const cf_node *map, const char *key) {
    if (!map || map->kind != CF_MAP || !key) return NULL;
    for (cf_node *m = map->first; m; m = m->next)
        if (m->key && !strcmp(m->key, key)) return m;
    return NULL;
}

static const char *kind_name(cf_kind k) {
    switch (k) {
    case CF_SCALAR: return "scalar";
    case CF_MAP: return "map";
    case CF_SEQ: return "list";
    }
    return "?";
}

/* ------------------------------------------------------------------ documents */

static cf_doc *doc_alloc(const char *name) {
    cf_doc *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    sl_arena_init(&d->arena);
    d->name = dups(d, name);
    if (!d->name) {
        free(d);
        return NULL;
    }
    return d;
}

sl_err cf_new(cf_doc **out, const char *name, char *err, size_t errlen) {
    *out = NULL;
    cf_doc *d = doc_alloc(name ? name : "command line");
    if (d) d->root = new_node(d, CF_MAP);
    if (!d || !d->root) {
        cf_free(d);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "%s: out of memory", name ? name : "command line");
    }
    *out = d;
    return SL_OK;
}

void cf_free(cf_doc *d) {
    if (!d) return;
    sl_arena_free(&d->arena);
    free(d);
}

cf_node *cf_root(cf_doc *d) { return d ? d->root : NULL; }

const char *cf_name(const cf_doc *d) { return d && d->name ? d->name : "command line"; }

/* ------------------------------------------------------------------ lookups */

cf_node *cf_get(const cf_node *map, const char *key) {
    cf_node *m = find_member(map, key);
    if (m) m->used = true;
    return m;
}

cf_node *cf_at(const cf_node *seq, size_t i) {
    if (!seq || seq->kind == CF_SCALAR || i >= seq->n) return NULL;
    cf_node *c = seq->first;
    while (c && i--) c = c->next;
    return c;
}

void cf_mark_used(cf_node *n) {
    if (n) n->used = true;
}

/* ------------------------------------------------------------------ building */

static cf_node *add_coll(cf_doc *d, cf_node *parent, const char *key, cf_kind kind) {
    if (!d || !parent || parent->kind == CF_SCALAR) return NULL;
    cf_node *old = NULL;
    if (parent->kind == CF_MAP) {
        if (!key) return NULL;
        old = find_member(parent, key);
        if (old && old->kind == kind) return old;
    }
    cf_node *c = new_node(d, kind);
    if (!c) return NULL;
    if (parent->kind == CF_MAP && !(c->key = dups(d, key))) return NULL;
    if (old) replace_child(old, c);
    else link_child(parent, c);
    return c;
}

cf_node *cf_add_map(cf_doc *d, cf_node *parent, const char *key) { return add_coll(d, parent, key, CF_MAP); }
cf_node *cf_add_seq(cf_doc *d, cf_node *parent, const char *key) { return add_coll(d, parent, key, CF_SEQ); }

static cf_node *new_scalar(cf_doc *d, const char *value, const char *flag) {
    cf_node *c = new_node(d, CF_SCALAR);
    if (!c) return NULL;
    c->null = value == NULL;
    c->value = dups(d, value ? value : "");
    if (!c->value) return NULL;
    if (flag && !(c->flag = dups(d, flag))) return NULL;
    return c;
}

cf_node *cf_set(cf_doc *d, cf_node *map, const char *key, const char *value, const char *flag) {
    if (!d || !map || map->kind != CF_MAP || !key) return NULL;
    cf_node *c = new_scalar(d, value, flag);
    if (!c || !(c->key = dups(d, key))) return NULL;
    cf_node *old = find_member(map, key);
    if (old) replace_child(old, c);
    else link_child(map, c);
    return c;
}

cf_node *cf_append(cf_doc *d, cf_node *seq, const char *value, const char *flag) {
    if (!d || !seq || seq->kind != CF_SEQ) return NULL;
    cf_node *c = new_scalar(d, value, flag);
    if (c) link_child(seq, c);
    return c;
}

/* ------------------------------------------------------------------ messages */

static size_t child_index(const cf_node *n) {
    size_t i = 0;
    for (const cf_node *c = n->parent->first; c && c != n; c = c->next) i++;
    return i;
}

static void put_path(const cf_node *n, sl_buf *out) {
    if (!n->parent) return;
    put_path(n->parent, out);
    if (n->parent->kind == CF_SEQ) {
        sl_buf_printf(out, "[%zu]", child_index(n));
    } else {
        if (n->parent->parent) sl_buf_putc(out, '.');
        sl_buf_puts(out, n->key ? n->key : "?");
    }
}

void cf_where(const cf_doc *d, const cf_node *n, sl_buf *out) {
    if (n && n->flag) {
        sl_buf_puts(out, n->flag);
        return;
    }
    sl_buf_puts(out, node_file(d, n));
    if (!n || !n->parent) return;
    if (n->line > 0) sl_buf_printf(out, ":%d", n->line);
    sl_buf_puts(out, ": ");
    put_path(n, out);
}

static sl_err vfail(const cf_doc *d, const cf_node *n, char *err, size_t errlen, sl_err code, const char *fmt,
                    va_list ap) CF_VFMT(6);
static sl_err vfail(const cf_doc *d, const cf_node *n, char *err, size_t errlen, sl_err code, const char *fmt,
                    va_list ap) {
    sl_buf b;
    sl_buf_init(&b);
    cf_where(d, n, &b);
    size_t wl = b.len;
    sl_buf_puts(&b, ": ");
    buf_vprintf(&b, fmt, ap);
    const char *s = sl_buf_cstr(&b);
    /* "--k: needs ..." -> "--k needs ...", as sl_opt_parse_argv words it */
    if (!b.oom && n && n->flag && !strncmp(s + wl + 2, "needs ", 6)) {
        memmove(b.p + wl, b.p + wl + 1, b.len - wl); /* drop the ':' (the NUL moves too) */
        b.len--;
    }
    sl_err_set(err, errlen, code, "%s", b.oom ? "out of memory" : sl_buf_cstr(&b));
    sl_buf_free(&b);
    return code;
}

sl_err cf_fail(const cf_doc *d, const cf_node *n, char *err, size_t errlen, sl_err code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail(d, n, err, errlen, code, fmt, ap);
    va_end(ap);
    return code;
}

/* ------------------------------------------------------------------ loading */

typedef struct frame {
    cf_node *node;
    bool have_key; /* map: the key of the next member was read */
    const char *key;
    int kline, kcol;
} frame;

typedef struct loader {
    cf_doc *d;
    const char *text;
    size_t len;
    frame st[CF_MAX_DEPTH];
    int depth;
    int docs;
    char *err;
    size_t errlen;
} loader;

static int mark_int(size_t v) { return v >= (size_t)INT_MAX ? INT_MAX : (int)v + 1; }

/* "FILE:LINE: path: text", the path of node (none for the root). */
static sl_err fail_at(loader *L, const cf_node *node, int line, sl_err code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
static sl_err fail_at(loader *L, const cf_node *node, int line, sl_err code, const char *fmt, ...) {
    sl_buf b;
    sl_buf_init(&b);
    sl_buf_printf(&b, "%s:%d: ", cf_name(L->d), line);
    if (node && node->parent) {
        put_path(node, &b);
        sl_buf_puts(&b, ": ");
    }
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    sl_err_set(L->err, L->errlen, code, "%s", b.oom ? "out of memory" : sl_buf_cstr(&b));
    sl_buf_free(&b);
    return code;
}

/* libyaml's own error: "FILE:LINE:COL: problem context". */
static sl_err yaml_fail(loader *L, const yaml_parser_t *p) {
    const char *name = cf_name(L->d);
    if (p->error == YAML_MEMORY_ERROR) return sl_err_set(L->err, L->errlen, SL_ERR_NOMEM, "%s: out of memory", name);
    size_t line, col;
    char val[32] = "";
    if (p->error == YAML_READER_ERROR) {
        /* a reader error has a byte offset, not a mark: count lines and characters */
        size_t off = p->problem_offset < L->len ? p->problem_offset : L->len;
        line = col = 0;
        for (size_t i = 0; i < off; i++) {
            unsigned char c = (unsigned char)L->text[i];
            if (c == '\n' || (c == '\r' && (i + 1 >= L->len || L->text[i + 1] != '\n'))) line++, col = 0;
            else if ((c & 0xc0) != 0x80 && c != '\r') col++;
        }
        if (p->problem_value != -1) snprintf(val, sizeof val, " (#x%X)", (unsigned)p->problem_value);
    } else {
        line = p->problem_mark.line;
        col = p->problem_mark.column;
    }
    return sl_err_set(L->err, L->errlen, SL_ERR_ARG, "%s:%d:%d: %s%s%s%s", name, mark_int(line), mark_int(col),
                      p->problem ? p->problem : "syntax error", val, p->context ? " " : "",
                      p->context ? p->context : "");
}

typedef struct keyref {
    const cf_node *m;
    size_t i;
} keyref;

static int keyref_cmp(const void *a, const void *b) {
    const keyref *x = a, *y = b;
    int c = strcmp(x->m->key, y->m->key);
    if (c) return c;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Duplicate keys of a finished map: the earliest repeat in document order. */
static sl_err check_dups(loader *L, const cf_node *map) {
    if (map->n < 2) return SL_OK;
    if (map->n <= 8) {
        for (const cf_node *b = map->first; b; b = b->next)
            for (const cf_node *a = map->first; a != b; a = a->next)
                if (!strcmp(a->key, b->key))
                    return fail_at(L, b, b->line, SL_ERR_ARG, "duplicate key '%s' (first at line %d)", b->key,
                                   a->line);
        return SL_OK;
    }
    keyref *r = malloc(map->n * sizeof *r);
    if (!r) return sl_err_set(L->err, L->errlen, SL_ERR_NOMEM, "%s: out of memory", cf_name(L->d));
    size_t n = 0;
    for (const cf_node *m = map->first; m; m = m->next, n++) r[n] = (keyref){m, n};
    qsort(r, n, sizeof *r, keyref_cmp);
    const keyref *first = NULL, *second = NULL;
    for (size_t i = 1; i < n; i++) {
        if (strcmp(r[i].m->key, r[i - 1].m->key)) continue;
        size_t g = i - 1; /* r[g] is the group's first occurrence (sorted by index within a key) */
        while (g > 0 && !strcmp(r[g - 1].m->key, r[i].m->key)) g--;
        if (!second || r[i].i < second->i) {
            first = &r[g];
            second = &r[i];
        }
    }
    sl_err e = SL_OK;
    if (second)
        e = fail_at(L, second->m, second->m->line, SL_ERR_ARG, "duplicate key '%s' (first at line %d)",
                    second->m->key, first->m->line);
    free(r);
    return e;
}

static bool is_null_text(const char *s) {
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

/* A plain null (~, null, Null, NULL, nothing), untagged or tagged !!null. */
static bool scalar_is_null(const yaml_event_t *ev) {
    const char *tag = (const char *)ev->data.scalar.tag;
    return ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && (!tag || !strcmp(tag, YAML_NULL_TAG)) &&
           is_null_text((const char *)ev->data.scalar.value);
}

/* One event. *done at the stream's end. */
static sl_err on_event(loader *L, const yaml_event_t *ev, bool *done) {
    cf_doc *d = L->d;
    int line = mark_int(ev->start_mark.line), col = mark_int(ev->start_mark.column);
    frame *top = L->depth ? &L->st[L->depth - 1] : NULL;
    const char *anchor = NULL;
    switch (ev->type) {
    case YAML_NO_EVENT:
    case YAML_STREAM_START_EVENT:
    case YAML_DOCUMENT_END_EVENT: return SL_OK;
    case YAML_STREAM_END_EVENT: *done = true; return SL_OK;
    case YAML_DOCUMENT_START_EVENT:
        if (++L->docs > 1) return fail_at(L, NULL, line, SL_ERR_UNSUPPORTED, "multiple documents are not supported");
        return SL_OK;
    case YAML_ALIAS_EVENT: break;
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT: {
        sl_err e = ev->type == YAML_MAPPING_END_EVENT ? check_dups(L, top->node) : SL_OK;
        L->depth--;
        return e;
    }
    case YAML_SCALAR_EVENT: anchor = (const char *)ev->data.scalar.anchor; break;
    case YAML_MAPPING_START_EVENT: anchor = (const char *)ev->data.mapping_start.anchor; break;
    case YAML_SEQUENCE_START_EVENT: anchor = (const char *)ev->data.sequence_start.anchor; break;
    }
    bool alias = ev->type == YAML_ALIAS_EVENT;
    const char *alias_name = alias ? (const char *)ev->data.alias.anchor : NULL;
    cf_kind kind = ev->type == YAML_MAPPING_START_EVENT    ? CF_MAP
                   : ev->type == YAML_SEQUENCE_START_EVENT ? CF_SEQ
                                                           : CF_SCALAR;

    const char *text = NULL;
    size_t tlen = 0;
    if (ev->type == YAML_SCALAR_EVENT) {
        text = (const char *)ev->data.scalar.value;
        tlen = ev->data.scalar.length;
    }
    if (top && top->node->kind == CF_MAP && !top->have_key) {
        /* a key */
        if (alias)
            return fail_at(L, top->node, line, SL_ERR_UNSUPPORTED, "aliases are not supported (*%s)", alias_name);
        if (anchor)
            return fail_at(L, top->node, line, SL_ERR_UNSUPPORTED, "anchors and aliases are not supported (&%s)",
                           anchor);
        if (kind != CF_SCALAR)
            return fail_at(L, top->node, line, SL_ERR_ARG, "a map key must be a scalar (text), not a %s",
                           kind_name(kind));
        if (memchr(text, 0, tlen))
            return fail_at(L, top->node, line, SL_ERR_UNSUPPORTED, "a key with a NUL character is not supported");
        if (!(top->key = dupn(d, text, tlen))) goto nomem;
        top->have_key = true;
        top->kline = line;
        top->kcol = col;
        return SL_OK;
    }

    cf_node *n = new_node(d, kind);
    if (!n) goto nomem;
    n->line = line;
    n->col = col;
    if (!top) {
        /* the root */
        if (alias) return fail_at(L, NULL, line, SL_ERR_UNSUPPORTED, "aliases are not supported (*%s)", alias_name);
        if (kind == CF_SCALAR) {
            if (!scalar_is_null(ev))
                return fail_at(L, NULL, line, SL_ERR_ARG, "the root must be a map of keys, not a scalar");
            n->kind = CF_MAP; /* an empty document: an empty map */
        } else if (kind == CF_SEQ) {
            return fail_at(L, NULL, line, SL_ERR_ARG, "the root must be a map of keys, not a list");
        }
        if (L->d->root) return fail_at(L, NULL, line, SL_ERR_UNSUPPORTED, "multiple documents are not supported");
        L->d->root = n;
        if (kind == CF_SCALAR) return SL_OK;
    } else {
        if (top->node->kind == CF_MAP) {
            n->key = top->key;
            n->line = top->kline;
            n->col = top->kcol;
            top->have_key = false;
        }
        link_child(top->node, n);
    }
    if (alias) return fail_at(L, n, n->line, SL_ERR_UNSUPPORTED, "aliases are not supported (*%s)", alias_name);
    if (anchor)
        return fail_at(L, n, n->line, SL_ERR_UNSUPPORTED, "anchors and aliases are not supported (&%s)", anchor);

    if (kind == CF_SCALAR) {
        if (memchr(text, 0, tlen))
            return fail_at(L, n, n->line, SL_ERR_UNSUPPORTED, "a NUL character is not supported");
        yaml_scalar_style_t style = ev->data.scalar.style;
        n->quoted = style == YAML_SINGLE_QUOTED_SCALAR_STYLE || style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
        n->null = scalar_is_null(ev);
        n->value = n->null ? "" : dupn(d, text, tlen);
        if (!n->value) goto nomem;
        return SL_OK;
    }
    if (L->depth >= CF_MAX_DEPTH)
        return fail_at(L, n, n->line, SL_ERR_UNSUPPORTED, "nesting deeper than %d levels is not supported",
                       CF_MAX_DEPTH);
    L->st[L->depth++] = (frame){.node = n};
    return SL_OK;
nomem:
    return sl_err_set(L->err, L->errlen, SL_ERR_NOMEM, "%s: out of memory", cf_name(d));
}

sl_err cf_load_mem(cf_doc **out, const char *name, const char *text, size_t len, char *err, size_t errlen) {
    *out = NULL;
    if (!name) name = "config";
    if (len > CF_MAX_SIZE)
        return sl_err_set(err, errlen, SL_ERR_UNSUPPORTED, "%s: too large (%zu bytes; the limit is %zu MiB)", name, len,
                          CF_MAX_SIZE >> 20);
    loader L = {.text = text, .len = len, .err = err, .errlen = errlen};
    if (!(L.d = doc_alloc(name))) return sl_err_set(err, errlen, SL_ERR_NOMEM, "%s: out of memory", name);
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        cf_free(L.d);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "%s: out of memory", name);
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)(text ? text : ""), text ? len : 0);
    sl_err e = SL_OK;
    for (bool done = false; !done && e == SL_OK;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            e = yaml_fail(&L, &p);
            break;
        }
        e = on_event(&L, &ev, &done);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    if (e == SL_OK && !L.d->root && !(L.d->root = new_node(L.d, CF_MAP)))
        e = sl_err_set(err, errlen, SL_ERR_NOMEM, "%s: out of memory", name);
    if (e != SL_OK) {
        cf_free(L.d);
        return e;
    }
    *out = L.d;
    return SL_OK;
}

sl_err cf_load_file(cf_doc **out, const char *path, char *err, size_t errlen) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return sl_err_set(err, errlen, SL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 64 * 1024, len = 0;
    char *buf = malloc(cap);
    sl_err e = SL_OK;
    while (buf) {
        if (len == cap) {
            if (len > CF_MAX_SIZE) {
                e = sl_err_set(err, errlen, SL_ERR_UNSUPPORTED, "%s: too large (more than %zu MiB)", path,
                               CF_MAX_SIZE >> 20);
                break;
            }
            size_t nc = cap * 2 > CF_MAX_SIZE + 1 ? CF_MAX_SIZE + 1 : cap * 2;
            char *nb = realloc(buf, nc);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap = nc;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0) {
            if (ferror(f)) e = sl_err_set(err, errlen, SL_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
            break;
        }
    }
    fclose(f);
    if (!buf) return sl_err_set(err, errlen, SL_ERR_NOMEM, "%s: out of memory", path);
    if (e == SL_OK) e = cf_load_mem(out, path, buf, len, err, errlen);
    free(buf);
    return e;
}

/* ------------------------------------------------------------------ binding */

static bool in_skip(const char *const *skip, const char *key) {
    for (size_t i = 0; skip && skip[i]; i++)
        if (!strcmp(skip[i], key)) return true;
    return false;
}

static bool listed(const sl_opt *o) { return !(o->flags & (SL_OPT_CLI_ONLY | SL_OPT_HIDDEN)); }

static sl_err unknown_key(const cf_doc *d, const cf_node *m, const sl_opt *t, const char *const *skip,
                          const sl_opt *cli_only, char *err, size_t errlen) {
    const char *best = NULL;
    int bd = 3;
    for (size_t i = 0; t && t[i].name; i++) {
        int dist = listed(&t[i]) ? sl_opt_distance(m->key, t[i].name) : 99;
        if (dist < bd) bd = dist, best = t[i].name;
    }
    for (size_t i = 0; skip && skip[i]; i++) {
        int dist = sl_opt_distance(m->key, skip[i]);
        if (dist < bd) bd = dist, best = skip[i];
    }
    sl_buf b;
    sl_buf_init(&b);
    size_t nk = 0;
    for (size_t i = 0; t && t[i].name; i++)
        if (listed(&t[i])) sl_buf_printf(&b, "%s%s", nk++ ? ", " : "", t[i].name);
    for (size_t i = 0; skip && skip[i]; i++) sl_buf_printf(&b, "%s%s", nk++ ? ", " : "", skip[i]);
    const char *known = sl_buf_cstr(&b);
    sl_err e;
    if (cli_only)
        e = cf_fail(d, m, err, errlen, SL_ERR_ARG, "unknown key '%s' (--%s is a command-line flag only%s%s)", m->key,
                    cli_only->name, nk ? "; known: " : "", known);
    else if (best)
        e = cf_fail(d, m, err, errlen, SL_ERR_ARG, "unknown key '%s' (did you mean '%s'?; known: %s)", m->key, best,
                    known);
    else if (nk)
        e = cf_fail(d, m, err, errlen, SL_ERR_ARG, "unknown key '%s' (known: %s)", m->key, known);
    else
        e = cf_fail(d, m, err, errlen, SL_ERR_ARG, "unknown key '%s' (no keys are known here)", m->key);
    sl_buf_free(&b);
    return e;
}

static sl_err bind_member(const cf_doc *d, cf_node *m, const sl_opt *o, void *obj, char *err, size_t errlen) {
    char msg[SL_ERRLEN];
    sl_err e = SL_OK;
    sl_buf ex;
    sl_buf_init(&ex);
    sl_opt_expect(o, &ex);
    if (m->kind == CF_MAP) {
        e = cf_fail(d, m, err, errlen, SL_ERR_ARG, "needs %s, not a map", sl_buf_cstr(&ex));
    } else if (m->kind == CF_SEQ) {
        if (o->type != SL_OPT_T_DOUBLES) {
            e = cf_fail(d, m, err, errlen, SL_ERR_ARG, "needs a single value, not a list");
        } else {
            const char *vals[32];
            size_t n = 0;
            for (cf_node *it = m->first; it && e == SL_OK; it = it->next) {
                if (it->kind != CF_SCALAR)
                    e = cf_fail(d, it, err, errlen, SL_ERR_ARG, "needs a number, not a %s", kind_name(it->kind));
                else if (n < 32)
                    vals[n++] = it->value;
                it->used = true;
            }
            if (e == SL_OK && m->n > 32)
                e = cf_fail(d, m, err, errlen, SL_ERR_ARG, "needs %s, got %zu values", sl_buf_cstr(&ex), m->n);
            if (e == SL_OK && (e = sl_opt_set_list(o, obj, vals, n, msg, sizeof msg)) != SL_OK)
                cf_fail(d, m, err, errlen, e, "%s", msg);
        }
    } else if (m->null) {
        if (o->type == SL_OPT_T_STRING && (o->flags & SL_OPT_EMPTY_OK)) e = sl_opt_set(o, obj, "", msg, sizeof msg);
        else if (o->type == SL_OPT_T_FLAG && m->flag) e = sl_opt_set(o, obj, NULL, msg, sizeof msg); /* "--quiet" */
        else if (o->type == SL_OPT_T_STRING) e = sl_err_set(msg, sizeof msg, SL_ERR_ARG, "needs a value");
        else e = sl_err_set(msg, sizeof msg, SL_ERR_ARG, "needs a value (%s)", sl_buf_cstr(&ex));
        if (e != SL_OK) cf_fail(d, m, err, errlen, e, "%s", msg);
    } else if ((e = sl_opt_set(o, obj, m->value, msg, sizeof msg)) != SL_OK) {
        cf_fail(d, m, err, errlen, e, "%s", msg);
    }
    sl_buf_free(&ex);
    return e;
}

sl_err cf_bind(const cf_doc *d, cf_node *map, const sl_opt *t, void *obj, const char *const *skip, char *err,
               size_t errlen) {
    if (!map) return SL_OK;
    if (map->kind != CF_MAP)
        return cf_fail(d, map, err, errlen, SL_ERR_ARG, "needs a map of keys, not a %s", kind_name(map->kind));
    map->used = true;
    for (cf_node *m = map->first; m; m = m->next) {
        if (in_skip(skip, m->key)) continue;
        const sl_opt *o = sl_opt_find(t, m->key);
        if (!o || ((o->flags & SL_OPT_CLI_ONLY) && !m->flag))
            return unknown_key(d, m, t, skip, o, err, errlen);
        sl_err e = bind_member(d, m, o, obj, err, errlen);
        if (e != SL_OK) return e;
        m->used = true;
    }
    return SL_OK;
}

/* ------------------------------------------------------------------ merging */

typedef struct merger {
    cf_doc *d;
    const char *src_file, *dst_file; /* the last file name copied (most nodes share one) */
} merger;

static cf_node *copy_node(merger *M, const cf_doc *sd, const cf_node *s) {
    cf_doc *d = M->d;
    cf_node *c = new_node(d, s->kind);
    if (!c) return NULL;
    const char *f = node_file(sd, s);
    if (f != M->src_file) {
        M->src_file = f;
        M->dst_file = !strcmp(f, d->name) ? d->name : dups(d, f);
        if (!M->dst_file) return NULL;
    }
    ((cf_inode *)c)->file = M->dst_file;
    if (s->key && !(c->key = dups(d, s->key))) return NULL;
    if (s->value && !(c->value = s->null ? "" : dups(d, s->value))) return NULL;
    if (s->flag && !(c->flag = dups(d, s->flag))) return NULL;
    c->null = s->null;
    c->quoted = s->quoted;
    c->line = s->line;
    c->col = s->col;
    for (const cf_node *k = s->first; k; k = k->next) {
        cf_node *ck = copy_node(M, sd, k);
        if (!ck) return NULL;
        link_child(c, ck);
    }
    return c;
}

static bool merge_map(merger *M, cf_node *dst, const cf_doc *sd, const cf_node *src) {
    const cf_node *next;
    for (const cf_node *m = src->first; m; m = next) {
        next = m->next; /* before m may be replaced (dst == src) */
        cf_node *old = find_member(dst, m->key);
        if (old && old->kind == CF_MAP && m->kind == CF_MAP) {
            if (!merge_map(M, old, sd, m)) return false;
            continue;
        }
        cf_node *c = copy_node(M, sd, m);
        if (!c) return false;
        if (old) replace_child(old, c);
        else link_child(dst, c);
    }
    return true;
}

sl_err cf_merge(cf_doc *d, cf_node *dst, const cf_doc *sd, const cf_node *src, char *err, size_t errlen) {
    if (!dst || dst->kind != CF_MAP)
        return cf_fail(d, dst, err, errlen, SL_ERR_ARG, "cannot merge into a %s",
                       dst ? kind_name(dst->kind) : "missing node");
    if (!src) return SL_OK;
    if (src->kind != CF_MAP)
        return cf_fail(sd, src, err, errlen, SL_ERR_ARG, "needs a map of keys to merge, not a %s",
                       kind_name(src->kind));
    merger M = {.d = d};
    if (!merge_map(&M, dst, sd, src)) return sl_err_set(err, errlen, SL_ERR_NOMEM, "%s: out of memory", cf_name(d));
    return SL_OK;
}

/* ------------------------------------------------------------------ dumping */

/* Plain text that reads back as the same string in block context. */
static bool plain_ok(const char *s) {
    size_t n = strlen(s);
    if (!n || strchr("?:,[]{}#&*!|>'\"%@` ", s[0])) return false;
    if (s[0] == '-' && (s[1] == 0 || s[1] == ' ')) return false;
    if (!strncmp(s, "---", 3) || !strncmp(s, "...", 3)) return false;
    if (s[n - 1] == ' ' || s[n - 1] == ':') return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f) return false;
        if (c == ':' && s[i + 1] == ' ') return false;
        if (c == '#' && i > 0 && s[i - 1] == ' ') return false;
    }
    return true;
}

/* The code point of the UTF-8 sequence at s (len bytes left), its length in
 * *w; -1 when not valid UTF-8 (overlong, surrogate, out of range, cut). */
static long utf8_cp(const unsigned char *s, size_t len, size_t *w) {
    unsigned c = s[0];
    long cp;
    size_t k;
    if (c < 0x80) {
        *w = 1;
        return c;
    } else if (c >= 0xc2 && c < 0xe0) {
        k = 2, cp = c & 0x1f;
    } else if (c >= 0xe0 && c < 0xf0) {
        k = 3, cp = c & 0x0f;
    } else if (c >= 0xf0 && c < 0xf5) {
        k = 4, cp = c & 0x07;
    } else {
        return -1;
    }
    if (len < k) return -1;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80) return -1;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *w = k;
    return cp;
}

static void put_dquoted(const char *str, sl_buf *out) {
    const unsigned char *s = (const unsigned char *)str;
    size_t len = strlen(str);
    sl_buf_putc(out, '"');
    for (size_t i = 0; i < len;) {
        size_t w = 1;
        long cp = utf8_cp(s + i, len - i, &w);
        if (cp < 0) {
            sl_buf_printf(out, "\\x%02X", s[i]);
            i++;
            continue;
        }
        switch (cp) {
        case '"': sl_buf_puts(out, "\\\""); break;
        case '\\': sl_buf_puts(out, "\\\\"); break;
        case '\n': sl_buf_puts(out, "\\n"); break;
        case '\t': sl_buf_puts(out, "\\t"); break;
        case '\r': sl_buf_puts(out, "\\r"); break;
        case 0x2028: sl_buf_puts(out, "\\L"); break;
        case 0x2029: sl_buf_puts(out, "\\P"); break;
        default:
            if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) sl_buf_printf(out, "\\x%02lX", cp);
            else if (cp == 0xfeff || cp == 0xfffe || cp == 0xffff) sl_buf_printf(out, "\\u%04lX", cp);
            else sl_buf_put(out, s + i, w);
        }
        i += w;
    }
    sl_buf_putc(out, '"');
}

static void put_scalar(const cf_node *n, sl_buf *out) {
    if (n->null) sl_buf_putc(out, '~');
    else if (n->quoted || !plain_ok(n->value) || is_null_text(n->value)) put_dquoted(n->value, out);
    else sl_buf_puts(out, n->value);
}

static void put_indent(sl_buf *out, int n) {
    for (int i = 0; i < n; i++) sl_buf_putc(out, ' ');
}

static bool is_empty_coll(const cf_node *n) { return n->kind != CF_SCALAR && !n->first; }

static void dump_block(const cf_node *n, int indent, bool cont, sl_buf *out);

/* The rest of a line after "key:" or "-": " value\n", or a block below. */
static void dump_value(const cf_node *v, int indent, bool compact, sl_buf *out) {
    if (v->kind == CF_SCALAR) {
        sl_buf_putc(out, ' ');
        put_scalar(v, out);
        sl_buf_putc(out, '\n');
    } else if (is_empty_coll(v)) {
        sl_buf_puts(out, v->kind == CF_MAP ? " {}\n" : " []\n");
    } else if (compact) {
        sl_buf_putc(out, ' ');
        dump_block(v, indent + 2, true, out);
    } else {
        sl_buf_putc(out, '\n');
        dump_block(v, indent + 2, false, out);
    }
}

/* A non-empty map or sequence; cont: the first line's indentation is written. */
static void dump_block(const cf_node *n, int indent, bool cont, sl_buf *out) {
    sl_buf k;
    sl_buf_init(&k);
    for (const cf_node *c = n->first; c; c = c->next, cont = false) {
        if (!cont) put_indent(out, indent);
        if (n->kind == CF_SEQ) {
            sl_buf_putc(out, '-');
            dump_value(c, indent, true, out);
            continue;
        }
        k.len = 0;
        const char *key = c->key ? c->key : "";
        if (plain_ok(key)) sl_buf_puts(&k, key);
        else put_dquoted(key, &k);
        if (k.len > CF_SIMPLE_KEY_MAX) {
            /* too long for a simple key: "? key" then ": value" */
            sl_buf_puts(out, "? ");
            sl_buf_put(out, k.p, k.len);
            sl_buf_putc(out, '\n');
            put_indent(out, indent);
        } else {
            sl_buf_put(out, k.p, k.len);
        }
        sl_buf_putc(out, ':');
        dump_value(c, indent, false, out);
    }
    sl_buf_free(&k);
}

void cf_dump(const cf_node *n, int indent, sl_buf *out) {
    if (!n) return;
    if (n->kind == CF_SCALAR || is_empty_coll(n)) {
        put_indent(out, indent);
        if (n->kind == CF_SCALAR) put_scalar(n, out);
        else sl_buf_puts(out, n->kind == CF_MAP ? "{}" : "[]");
        sl_buf_putc(out, '\n');
        return;
    }
    dump_block(n, indent, false, out);
}
