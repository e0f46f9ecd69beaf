/* product_events.c: a second pipeline built only from a schema, a transform
 * and a pipeline file (examples/product_events.yaml), with no change to the
 * engine: product analytics events as Segment-style trackers send them
 * (track, page, identify; design document 000).
 *
 * The schema is the wide `events` table: the common columns in a fixed
 * order, named after their JSON path in snake_case (messageId ->
 * message_id, context.userAgent -> context.user_agent), and every other
 * field in one JSON column, `properties` (the members of the message's
 * `properties` / `traits` objects lifted to its top, anything else no column
 * takes beside them).  Events are deduplicated by message id within their
 * hour; the event time is `timestamp`.
 *
 * The transform `event_rollups` writes `event_hourly`: per hour, source,
 * type and event name (a track's `event`, a page's `name`, '' otherwise):
 * events, distinct users, distinct anonymous ids. */
#include <stdlib.h>
#include <string.h>

#include "engine/transform.h"
#include "plugins/plugin.h"
#include "util/arena.h"
#include "util/hashmap.h"
#include "util/wire.h"

/* ------------------------------------------------------------------ the schema */

#define STR {.type = SL_BYTES, .logical = SL_LOG_STRING}
#define TS {.type = SL_I64, .logical = SL_LOG_TIMESTAMP, .unit = SL_UNIT_MICROS, .utc = true}

static const sc_col pe_cols[] = {
    {"message_id", STR, SC_REQUIRED | SC_TRIM, "messageId", "unique per message: the dedupe key"},
    {"type", STR, SC_REQUIRED | SC_TRIM_LOWER, NULL, "track, page, identify, screen, group or alias"},
    {"event", STR, SC_TRIM, NULL, "a track's event name"},
    {"name", STR, SC_TRIM, NULL, "a page's (or screen's) name"},
    {"user_id", STR, 0, "userId", "the known user, when identified"},
    {"anonymous_id", STR, 0, "anonymousId", "the device or browser"},
    {"timestamp", TS, SC_REQUIRED, NULL, "when it happened (the client's clock): the event time"},
    {"received_at", TS, 0, "receivedAt", "when the collector received it"},
    {"sent_at", TS, 0, "sentAt", "when the client sent it"},
    {"context.ip", STR, 0, NULL, NULL},
    {"context.locale", STR, 0, NULL, NULL},
    {"context.user_agent", STR, 0, "context.userAgent", NULL},
    {"context.library.name", STR, 0, NULL, "the tracking library"},
    {"context.library.version", STR, 0, NULL, NULL},
    {"context.page.path", STR, 0, NULL, NULL},
    {"context.page.url", STR, 0, NULL, NULL},
    {"context.page.referrer", STR, 0, NULL, NULL},
    {"context.page.title", STR, 0, NULL, NULL},
    {"context.campaign.name", STR, 0, NULL, NULL},
    {"context.campaign.source", STR, 0, NULL, NULL},
    {"context.campaign.medium", STR, 0, NULL, NULL},
    {"properties", STR, 0, NULL, "every other field, as a JSON object"},
};

const sc_def sc_product_events_def = {
    .name = "product_events",
    .help = "product analytics events (Segment-style track, page, identify) as one wide table",
    .cols = pe_cols,
    .ncols = sizeof pe_cols / sizeof pe_cols[0],
    .time = "timestamp",
    .order = {NULL, "message_id"},
    .dedupe = {"message_id"},
    .partition = {"anonymous_id"},
    .required = {"timestamp", "message_id", "type"},
    .rest = "properties",
    .hoist = {"properties", "traits"},
    .ts_min_us = INT64_C(946684800) * 1000000,  /* [2000-01-01, */
    .ts_max_us = INT64_C(4102444800) * 1000000, /*  2100-01-01) */
};

/* ------------------------------------------------------------------ the rollup table */

enum { EH_HOUR, EH_SOURCE, EH_TYPE, EH_EVENT, EH_EVENTS, EH_USERS, EH_ANONYMOUS_IDS, EH_NCOLS };

static const tb_col event_hourly_cols[EH_NCOLS] = {
    [EH_HOUR] = {"hour", TB_TS, false, true, "window start (UTC hour)"},
    [EH_SOURCE] = {"source", TB_STR, false, true, "input label"},
    [EH_TYPE] = {"type", TB_STR, false, true, NULL},
    [EH_EVENT] = {"event", TB_STR, false, true, "a track's event, a page's name, '' otherwise"},
    [EH_EVENTS] = {"events", TB_I64, false, false, NULL},
    [EH_USERS] = {"users", TB_I64, false, false, "distinct user_id (NULL not counted)"},
    [EH_ANONYMOUS_IDS] = {"anonymous_ids", TB_I64, false, false, "distinct anonymous_id (NULL not counted)"},
};

static const tb_def pe_event_hourly = {"event_hourly", TB_HOURLY, event_hourly_cols, EH_NCOLS,
                                       "events, distinct users and anonymous ids per event name and hour"};
static const tb_def *const pe_tables[] = {&pe_event_hourly, NULL};

/* ------------------------------------------------------------------ state */

typedef struct str {
    const char *p;
    uint32_t len;
} str;

/* a distinct string in a set */
typedef struct sent {
    const char *p;
    uint32_t len;
} sent;

static bool sent_eq(const void *ent, const void *key) {
    const sent *a = ent;
    const str *k = key;
    return a->len == k->len && memcmp(a->p, k->p, k->len) == 0;
}

/* an event-name group of one window */
typedef struct gent {
    uint32_t src;
    uint32_t tlen, elen;
    const char *type, *event; /* window arena */
    int64_t events;
    hm users, anons;          /* sent */
} gent;

typedef struct gkey {
    uint32_t src;
    str type, event;
} gkey;

static bool gent_eq(const void *ent, const void *key) {
    const gent *g = ent;
    const gkey *k = key;
    return g->src == k->src && g->tlen == k->type.len && g->elen == k->event.len &&
           !memcmp(g->type, k->type.p, k->type.len) && !memcmp(g->event, k->event.p, k->event.len);
}

typedef struct pwin {
    hm groups; /* gent */
    sl_arena arena;
} pwin;

typedef struct pe {
    en_env *env;
    int type, event, name, user, anon;
} pe;

static sl_err need(const sc_schema *s, const char *name, int *out, char *err, size_t errlen) {
    int c = sc_find(s, name);
    if (c < 0 || s->cols[c].type.type != SL_BYTES)
        return sl_err_set(err, errlen, SL_ERR_ARG, "schema %s has no STRING column '%s' (event_rollups needs it)",
                          s->name, name);
    *out = c;
    return SL_OK;
}

static sl_err pe_init(void **state, const void *opts, en_env *env, char *err, size_t errlen) {
    (void)opts;
    const sc_schema *s = en_env_schema(env);
    pe *x = calloc(1, sizeof *x);
    if (!x) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    x->env = env;
    sl_err e = need(s, "type", &x->type, err, errlen);
    if (e == SL_OK) e = need(s, "event", &x->event, err, errlen);
    if (e == SL_OK) e = need(s, "name", &x->name, err, errlen);
    if (e == SL_OK) e = need(s, "user_id", &x->user, err, errlen);
    if (e == SL_OK) e = need(s, "anonymous_id", &x->anon, err, errlen);
    if (e != SL_OK) {
        free(x);
        return e;
    }
    *state = x;
    return SL_OK;
}

static void pe_close(void *state) { free(state); }

static void *pe_window_new(void *state, int64_t hour) {
    (void)state, (void)hour;
    pwin *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    hm_init(&w->groups, sizeof(gent), 0);
    sl_arena_init(&w->arena);
    return w;
}

static void pe_window_free(void *state, void *wp) {
    (void)state;
    pwin *w = wp;
    if (!w) return;
    for (size_t i = 0; i < w->groups.n; i++) {
        gent *g = hm_at(&w->groups, i);
        hm_free(&g->users);
        hm_free(&g->anons);
    }
    hm_free(&w->groups);
    sl_arena_free(&w->arena);
    free(w);
}

static const char *dup(sl_arena *a, const char *p, uint32_t len) { return len ? sl_arena_dup(a, p, len) : ""; }

/* Add a string to a set (its bytes copied into a when new); false: out of memory. */
static bool set_put(hm *set, sl_arena *a, const char *p, uint32_t len) {
    str k = {p, len};
    bool added;
    sent *e = hm_upsert(set, hm_hash_bytes(p, len), &k, sent_eq, &added);
    if (!e) return false;
    if (added) {
        if (!(e->p = dup(a, p, len))) return false;
        e->len = len;
    }
    return true;
}

/* Add a non-NULL string of column c to a set. */
static bool set_add(hm *set, sl_arena *a, const sl_col *c, size_t i) {
    if (sl_col_is_null(c, i)) return true;
    sl_str v = ((const sl_str *)c->data)[i];
    return set_put(set, a, v.ptr, v.len);
}

static sl_err pe_apply(void *state, void *wp, int64_t hour, en_rows *rows, const sl_batch *b, const uint32_t *idx,
                       size_t n, char *err, size_t errlen) {
    (void)hour;
    const pe *x = state;
    pwin *w = wp;
    const uint32_t *srcid = en_rows_source(rows);
    const sl_col *tc = &b->cols[x->type], *ec = &b->cols[x->event], *nc = &b->cols[x->name];
    for (size_t k = 0; k < n; k++) {
        size_t i = idx[k];
        sl_str t = ((const sl_str *)tc->data)[i];
        /* the event name: a track's event, a page's (screen's) name, else '' */
        sl_str ev = {"", 0};
        if (!sl_col_is_null(ec, i) && ((const sl_str *)ec->data)[i].len) ev = ((const sl_str *)ec->data)[i];
        else if (!sl_col_is_null(nc, i)) ev = ((const sl_str *)nc->data)[i];
        gkey key = {srcid[i], {t.ptr, t.len}, {ev.ptr ? ev.ptr : "", ev.len}};
        bool added;
        gent *g = hm_upsert(&w->groups, hm_hash2(hm_hash2(key.src, hm_hash_bytes(t.ptr, t.len)), hm_hash_bytes(ev.ptr, ev.len)),
                            &key, gent_eq, &added);
        if (!g) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        if (added) {
            g->src = key.src;
            g->type = dup(&w->arena, t.ptr, t.len);
            g->event = dup(&w->arena, key.event.p, key.event.len);
            g->tlen = t.len;
            g->elen = key.event.len;
            hm_init(&g->users, sizeof(sent), 0);
            hm_init(&g->anons, sizeof(sent), 0);
            if (!g->type || !g->event) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        }
        g->events++;
        if (!set_add(&g->users, &w->arena, &b->cols[x->user], i) || !set_add(&g->anons, &w->arena, &b->cols[x->anon], i))
            return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    return SL_OK;
}

/* Key order: source (by label), type, event (bytes, shorter first). */
static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl) {
    size_t n = al < bl ? al : bl;
    int c = n ? memcmp(a, b, n) : 0;
    return c ? c : al < bl ? -1 : al > bl;
}

typedef struct gref {
    uint32_t rank;
    const gent *g;
} gref;

static int cmp_gref(const void *a, const void *b) {
    const gref *x = a, *y = b;
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    int c = cmp_bytes(x->g->type, x->g->tlen, y->g->type, y->g->tlen);
    return c ? c : cmp_bytes(x->g->event, x->g->elen, y->g->event, y->g->elen);
}

static sl_err pe_emit(void *state, void *wp, int64_t hour, en_emit *em, char *err, size_t errlen) {
    pe *x = state;
    pwin *w = wp;
    size_t n = w->groups.n;
    gref *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const gent *g = hm_at(&w->groups, i);
        v[i] = (gref){en_env_source_rank(x->env, g->src), g};
    }
    qsort(v, n, sizeof *v, cmp_gref);
    sl_batch *b;
    sl_err e = en_emit_begin(em, 0, n, &b, err, errlen);
    for (size_t r = 0; e == SL_OK && r < n; r++) {
        const gent *g = v[r].g;
        uint32_t sl;
        const char *s = en_env_source(x->env, g->src, &sl);
        ((int64_t *)b->cols[EH_HOUR].data)[r] = hour;
        e = en_set_str(b, EH_SOURCE, r, s, sl, err, errlen);
        if (e == SL_OK) e = en_set_str(b, EH_TYPE, r, g->type, g->tlen, err, errlen);
        if (e == SL_OK) e = en_set_str(b, EH_EVENT, r, g->event, g->elen, err, errlen);
        ((int64_t *)b->cols[EH_EVENTS].data)[r] = g->events;
        ((int64_t *)b->cols[EH_USERS].data)[r] = (int64_t)g->users.n;
        ((int64_t *)b->cols[EH_ANONYMOUS_IDS].data)[r] = (int64_t)g->anons.n;
    }
    free(v);
    return e != SL_OK ? e : en_emit_send(em, 0, err, errlen);
}

/* Contributions: u32 version (1), u32 ngroups, each {str source, str type,
 * str event, i64 events, u32 nusers x str, u32 nanons x str}; loading adds
 * the counts and unions the sets. */
#define PE_STATE_VERSION 1

static void save_set(sl_buf *out, const hm *set) {
    sl_w_u32(out, (uint32_t)set->n);
    for (size_t i = 0; i < set->n; i++) {
        const sent *e = hm_at((hm *)set, i);
        sl_w_str(out, e->p, e->len);
    }
}

static sl_err pe_window_save(void *state, const void *wp, sl_buf *out, char *err, size_t errlen) {
    const pe *x = state;
    const pwin *w = wp;
    sl_w_u32(out, PE_STATE_VERSION);
    sl_w_u32(out, (uint32_t)w->groups.n);
    for (size_t i = 0; i < w->groups.n; i++) {
        const gent *g = hm_at((hm *)&w->groups, i);
        uint32_t sl;
        const char *sp = en_env_source(x->env, g->src, &sl);
        sl_w_str(out, sp, sl);
        sl_w_str(out, g->type, g->tlen);
        sl_w_str(out, g->event, g->elen);
        sl_w_i64(out, g->events);
        save_set(out, &g->users);
        save_set(out, &g->anons);
    }
    return out->oom ? sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory") : SL_OK;
}

static bool load_set(sl_rd *rd, hm *set, sl_arena *a) {
    uint32_t n = sl_r_count(rd, 4);
    for (uint32_t i = 0; i < n && !rd->bad; i++) {
        sl_rstr v = sl_r_str(rd);
        if (!rd->bad && !set_put(set, a, v.p, v.len)) return false;
    }
    return true;
}

static sl_err pe_window_load(void *state, void *wp, const void *p, size_t len, char *err, size_t errlen) {
    const pe *x = state;
    pwin *w = wp;
    sl_rd rd = sl_rd_of(p, len);
    if (sl_r_u32(&rd) != PE_STATE_VERSION)
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "saved state: not version %d", PE_STATE_VERSION);
    uint32_t ng = sl_r_count(&rd, 12 + 8 + 8);
    for (uint32_t i = 0; i < ng && !rd.bad; i++) {
        sl_rstr src = sl_r_str(&rd), t = sl_r_str(&rd), ev = sl_r_str(&rd);
        int64_t events = sl_r_i64(&rd);
        if (rd.bad) break;
        uint32_t sid = en_env_intern(x->env, src.p, src.len);
        if (sid == UINT32_MAX) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        gkey key = {sid, {t.p, t.len}, {ev.p, ev.len}};
        bool added;
        gent *g = hm_upsert(&w->groups, hm_hash2(hm_hash2(sid, hm_hash_bytes(t.p, t.len)), hm_hash_bytes(ev.p, ev.len)),
                            &key, gent_eq, &added);
        if (!g) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        if (added) {
            g->src = sid;
            g->type = dup(&w->arena, t.p, t.len);
            g->event = dup(&w->arena, ev.p, ev.len);
            g->tlen = t.len;
            g->elen = ev.len;
            hm_init(&g->users, sizeof(sent), 0);
            hm_init(&g->anons, sizeof(sent), 0);
            if (!g->type || !g->event) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        }
        g->events += events;
        if (!load_set(&rd, &g->users, &w->arena) || !load_set(&rd, &g->anons, &w->arena))
            return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    if (rd.bad || rd.off != rd.len)
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "saved state: malformed at byte %zu of %zu", rd.off, rd.len);
    return SL_OK;
}

const tr_plugin tr_event_rollups = {
    .name = "event_rollups",
    .help = "hourly rollups per event name: events, distinct users, distinct anonymous ids (event_hourly)",
    .tables = pe_tables,
    .init = pe_init,
    .window_new = pe_window_new,
    .window_free = pe_window_free,
    .apply = pe_apply,
    .emit = pe_emit,
    .window_save = pe_window_save,
    .window_load = pe_window_load,
    .close = pe_close,
};

static const char k_example[] =
#include "plugins/product_events_example.inc" /* examples/product_events.yaml, by the Makefile */
    ;

const pl_module pm_product_events = {
    .name = "product_events",
    .schemas = (const sc_def *const[]){&sc_product_events_def, NULL},
    .transforms = (const tr_plugin *const[]){&tr_event_rollups, NULL},
    .example_name = "product_events",
    .example = k_example,
};
