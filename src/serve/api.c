/* api.c: routing, the response cache around the endpoints, and the helpers
 * the endpoint files share (api_int.h). */
#include "serve/api.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugins/redset_tables.h"
#include "serve/api_int.h"
#include "serve/csv.h"
#include "serve/db.h"
#include "util/time.h"

struct sv_api {
    char *hot_path;
    sv_db *db;
    sv_cache *cache;
};

/* ------------------------------------------------------------------------ */
/* routes                                                                   */

#define FILTERS_HOURLY (SV_P_RANGE | SV_PB(SV_P_SOURCE) | SV_PB(SV_P_INSTANCE) | SV_PB(SV_P_FINAL))
#define READS_HEALTH 1u     /* pipeline_health */
#define READS_QUARANTINE 2u /* bad_rows, late_events */

typedef struct route {
    const char *path; /* after /api/v1/ */
    sv_ep_fn fn;
    unsigned allowed; /* SV_PB bits */
    int64_t limit_def, limit_max;
    unsigned reads;       /* READS_* */
    const tb_def *t[2];   /* the metric tables it reads (named in messages) */
} route;

#define CSV SV_PB(SV_P_FORMAT)
#define READS_HISTORY 4u   /* health_history */

static const route k_routes[] = {
    {"status", sv_ep_status, 0, 0, 0, READS_HEALTH, {NULL, NULL}},
    {"live", sv_ep_live, SV_PB(SV_P_SOURCE) | SV_PB(SV_P_HOURS), 0, 0, 0, {&rs_query_hourly, NULL}},
    {"health", sv_ep_health, SV_PB(SV_P_LIMIT), 20, 200, READS_HEALTH | READS_QUARANTINE, {NULL, NULL}},
    {"health/history", sv_ep_health_history, SV_P_RANGE, 0, 0, READS_HISTORY, {NULL, NULL}},
    {"spill", sv_ep_spill, FILTERS_HOURLY | SV_PB(SV_P_QUERY_TYPE) | CSV, 0, 0, 0, {&rs_query_hourly, NULL}},
    {"cache", sv_ep_cache, FILTERS_HOURLY | SV_PB(SV_P_LIMIT) | CSV, 50, 1000, 0, {&rs_cache_hourly, NULL}},
    {"top_tables", sv_ep_top_tables, FILTERS_HOURLY | SV_PB(SV_P_K) | CSV, 0, 0, 0, {&rs_top_tables_hourly, NULL}},
    {"compile", sv_ep_compile, SV_P_RANGE | SV_PB(SV_P_FINAL) | CSV, 0, 0, 0, {&rs_compile_joins_hourly, &rs_compile_corr_hourly}},
    {"utilization", sv_ep_utilization, FILTERS_HOURLY | SV_PB(SV_P_LIMIT) | CSV, 50, 1000, 0, {&rs_utilization_hourly, NULL}},
    {"instances", sv_ep_instances, SV_P_RANGE | SV_PB(SV_P_SOURCE) | CSV, 0, 0, 0, {&rs_query_hourly, NULL}},
};
#define NROUTES (sizeof k_routes / sizeof *k_routes)

/* The parameter specs of the routes, with the names of their tables. */
static struct {
    sv_pspec spec[NROUTES];
    char endpoint[NROUTES][32];
    char tables[NROUTES][128];
} g_routes;
static pthread_once_t g_routes_once = PTHREAD_ONCE_INIT;

static void init_routes(void) {
    for (size_t i = 0; i < NROUTES; i++) {
        const route *r = &k_routes[i];
        const char *names[5];
        size_t n = 0;
        if (r->reads & READS_HEALTH) names[n++] = HR_HEALTH_TABLE;
        if (r->reads & READS_HISTORY) names[n++] = HR_HISTORY_TABLE;
        if ((r->reads & READS_QUARANTINE) && sv_bad_rows()) names[n++] = sv_bad_rows()->name;
        if ((r->reads & READS_QUARANTINE) && sv_late_events()) names[n++] = sv_late_events()->name;
        for (size_t k = 0; k < 2 && r->t[k]; k++) names[n++] = r->t[k]->name;
        size_t at = 0;
        for (size_t k = 0; k < n && at < sizeof g_routes.tables[i]; k++)
            at += (size_t)snprintf(g_routes.tables[i] + at, sizeof g_routes.tables[i] - at, "%s%s", k ? ", " : "",
                                   names[k]);
        snprintf(g_routes.endpoint[i], sizeof g_routes.endpoint[i], "/api/v1/%s", r->path);
        g_routes.spec[i] = (sv_pspec){g_routes.endpoint[i], g_routes.tables[i], r->allowed, r->limit_def, r->limit_max};
    }
}

/* ------------------------------------------------------------------------ */
/* life cycle                                                               */

static sv_body *compute(void *ctx);
static void *job_clone(const void *ctx);
static void job_release(void *ctx);

sl_err sv_api_new(sv_api **out, const sv_api_opts *o, char *err, size_t errlen) {
    *out = NULL;
    sv_api *a = calloc(1, sizeof *a);
    if (!a) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    sl_err e = sv_db_new(&a->db, o->hot_path, o->conns, err, errlen);
    if (e == SL_OK && !(a->hot_path = strdup(o->hot_path))) e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    if (e == SL_OK && o->poll_ms > 0) e = sv_db_start_poller(a->db, o->poll_ms, err, errlen);
    static const sv_cache_fns fns = {compute, job_clone, job_release};
    if (e == SL_OK && !(a->cache = sv_cache_new(o->cache_bytes, o->stale_max_s, o->conns, &fns)))
        e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    if (e != SL_OK) {
        sv_api_free(a);
        return e;
    }
    *out = a;
    return SL_OK;
}

void sv_api_free(sv_api *a) {
    if (!a) return;
    sv_cache_free(a->cache);
    sv_db_free(a->db);
    free(a->hot_path);
    free(a);
}

void sv_api_cache_stats(sv_api *a, sv_cache_stats *s) { sv_cache_get_stats(a->cache, s); }
uint64_t sv_api_store_changes(sv_api *a) { return sv_db_changes(a->db); }

sv_body *sv_error_body(int status, const char *msg) {
    sl_buf b;
    sv_json j;
    sl_buf_init(&b);
    sv_json_init(&j, &b);
    sv_json_obj(&j);
    sv_json_kstr(&j, "error", msg);
    sv_json_obj_end(&j);
    sv_body *r = b.oom ? NULL : sv_body_new(status, b.p, b.len);
    sl_buf_free(&b);
    return r;
}

/* ------------------------------------------------------------------------ */
/* helpers for the endpoints                                                */

sl_err sv_q_fail(sv_q *q, int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q->err, sizeof q->err, fmt, ap);
    va_end(ap);
    q->status = status;
    return status == 400 || status == 404 ? SL_ERR_ARG : SL_ERR_IO;
}

sl_err sv_q_readerr(sv_q *q, sl_err e, const char *msg) {
    return sv_q_fail(q, e == SL_ERR_IO || e == SL_ERR_CORRUPT ? 503 : 500, "hot store %s: %s", q->path, msg);
}

sl_err sv_q_open(sv_q *q, const hr_query *hq, hr_cursor *cur) {
    char msg[SL_ERRLEN];
    sl_err e = hr_open(q->rd, hq, cur, msg, sizeof msg);
    return e == SL_OK ? SL_OK : sv_q_readerr(q, e, msg);
}

int sv_q_next(sv_q *q, hr_cursor *cur) {
    char msg[SL_ERRLEN];
    int r = hr_next(cur, msg, sizeof msg);
    return r >= 0 ? r : sv_q_readerr(q, (sl_err)r, msg);
}

void sv_q_val(sv_q *q, const hr_cursor *cur, int i) {
    switch (hr_type_of(cur, i)) {
    case HR_INT: sv_json_i64(&q->j, hr_i64(cur, i)); break;
    case HR_REAL: sv_json_f64(&q->j, hr_f64(cur, i)); break;
    case HR_NULL: sv_json_null(&q->j); break;
    default: {
        size_t n;
        const char *s = hr_text(cur, i, &n);
        sv_json_strn(&q->j, s, n);
    }
    }
}

sl_err sv_q_newest(sv_q *q, bool *have, int64_t *hour) {
    /* an index seek: a lone max of the key's first column */
    static const hr_agg newest_hour[] = {{HR_MAX, RS_QH_HOUR, NULL, 0}};
    const hr_query hq = {.table = &rs_query_hourly, .aggs = newest_hour, .naggs = 1};
    hr_cursor cur;
    *have = false;
    sl_err e = sv_q_open(q, &hq, &cur);
    int r = e == SL_OK ? sv_q_next(q, &cur) : e;
    if (r == HR_ROW && !hr_null(&cur, 0)) {
        if (!hr_hour(&cur, 0, hour)) {
            size_t n;
            const char *s = hr_text(&cur, 0, &n);
            r = sv_q_fail(q, 500, "hot store %s: %s: hour '%.40s' is not 'YYYY-MM-DD HH:00:00'", q->path,
                          rs_query_hourly.name, s);
        }
        *have = true;
    }
    hr_close(&cur);
    return r < 0 ? (sl_err)r : SL_OK;
}

sl_err sv_q_range(sv_q *q) {
    const sv_params *p = q->p;
    bool have = false;
    int64_t newest = 0;
    if ((p->given & SV_P_RANGE) != SV_P_RANGE || p->from_rel || p->to_rel) { /* defaults, relative times */
        sl_err e = sv_q_newest(q, &have, &newest);
        if (e != SL_OK) return e;
    }
    sl_err e = sv_range_resolve(p, have, newest, &q->from, &q->to, &q->empty, q->err, sizeof q->err);
    if (e != SL_OK) {
        q->status = 400;
        return e;
    }
    if (q->empty) {
        sv_json_knull(&q->j, "from");
        sv_json_knull(&q->j, "to");
        return SL_OK;
    }
    if (!sv_fmt_time(q->from_s, q->from) || !sv_fmt_time(q->to_s, q->to))
        return sv_q_fail(q, 400, "from/to: the range leaves the years 0000..9999");
    sv_json_kstr(&q->j, "from", q->from_s);
    sv_json_kstr(&q->j, "to", q->to_s);
    return SL_OK;
}

void sv_q_where(const sv_q *q, unsigned use, hr_where *w) {
    const sv_params *p = q->p;
    memset(w, 0, sizeof *w);
    if ((use & SV_P_RANGE) && q->empty) w->none = true; /* no data, no explicit range */
    else if (use & SV_P_RANGE) {
        w->range = true;
        w->from = q->from;
        w->to = q->to;
    }
    unsigned given = p->given & use;
    if (given & SV_PB(SV_P_SOURCE)) w->source = p->source;
    if (given & SV_PB(SV_P_INSTANCE)) {
        w->instances = p->instances;
        w->ninstances = p->ninstances;
    }
    if (given & SV_PB(SV_P_QUERY_TYPE)) w->query_type = p->query_type;
    if ((use & SV_PB(SV_P_FINAL)) && p->final >= 0) w->final = p->final ? HR_FINAL_ONLY : HR_PROVISIONAL;
    if (given & SV_PB(SV_P_REASON)) w->reason = p->reason;
}

/* string table */

typedef struct strent {
    const char *s;
    size_t n;
    uint32_t idx;
} strent;
typedef struct strkey {
    const char *s;
    size_t n;
} strkey;

static bool str_eq(const void *ent, const void *key) {
    const strent *e = ent;
    const strkey *k = key;
    return e->n == k->n && !memcmp(e->s, k->s, k->n);
}

void sv_strtab_init(sv_strtab *t) {
    memset(t, 0, sizeof *t);
    hm_init(&t->map, sizeof(strent), 0);
}

void sv_strtab_free(sv_strtab *t) {
    for (size_t i = 0; i < t->n; i++) free(t->s[i]);
    free(t->s);
    free(t->len);
    hm_free(&t->map);
    memset(t, 0, sizeof *t);
}

int64_t sv_strtab_intern(sv_strtab *t, const char *s, size_t n) {
    strkey k = {s, n};
    uint64_t h = hm_hash_bytes(s, n);
    bool added = false;
    strent *e = hm_upsert(&t->map, h, &k, str_eq, &added);
    if (!e) return -1;
    if (!added) return e->idx;
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 16;
        char **ns = realloc(t->s, nc * sizeof *ns);
        if (ns) t->s = ns;
        size_t *nl = ns ? realloc(t->len, nc * sizeof *nl) : NULL;
        if (nl) t->len = nl;
        if (!ns || !nl) return -1; /* the map keeps a dangling entry; the request fails anyway */
        t->cap = nc;
    }
    char *c = malloc(n + 1);
    if (!c) return -1;
    memcpy(c, s, n);
    c[n] = '\0';
    e->s = c;
    e->n = n;
    e->idx = (uint32_t)t->n;
    t->s[t->n] = c;
    t->len[t->n] = n;
    return (int64_t)t->n++;
}

int64_t sv_hours_add(sv_hours *hs, const char *s, size_t n) {
    if (n > 19) n = 19;
    if (hs->n && strlen(hs->h[hs->n - 1]) == n && !memcmp(hs->h[hs->n - 1], s, n)) return (int64_t)hs->n - 1;
    if (hs->n == hs->cap) {
        size_t nc = hs->cap ? hs->cap * 2 : 256;
        char(*nh)[20] = realloc(hs->h, nc * sizeof *nh);
        if (!nh) return -1;
        hs->h = nh;
        hs->cap = nc;
    }
    memcpy(hs->h[hs->n], s, n);
    hs->h[hs->n][n] = '\0';
    return (int64_t)hs->n++;
}

void sv_hours_json(sv_q *q, const sv_hours *hs) {
    sv_json_key(&q->j, "hours");
    sv_json_arr(&q->j);
    for (size_t i = 0; i < hs->n; i++) sv_json_str(&q->j, hs->h[i]);
    sv_json_arr_end(&q->j);
}

/* ------------------------------------------------------------------------ */
/* computing an answer                                                      */

/* What computing an answer needs (copied for a background recomputation). */
typedef struct job {
    sv_api *a;
    sv_ep_fn fn;
    char ep[32]; /* the route ("table", "spill", ...): CSV and file names */
    sv_params p;
    char table[32];
    bool prom; /* Prometheus text, not JSON */
} job;

static void *job_clone(const void *ctx) {
    job *j = malloc(sizeof *j);
    if (j) memcpy(j, ctx, sizeof *j);
    return j;
}

static void job_release(void *ctx) { free(ctx); }

static sv_body *compute(void *ctx) {
    job *jb = ctx;
    sv_q q;
    memset(&q, 0, sizeof q);
    q.api = jb->a;
    q.path = jb->a->hot_path;
    q.p = &jb->p;
    q.table = jb->table[0] ? jb->table : NULL;
    q.status = 500;
    sl_buf_init(&q.out);
    sv_json_init(&q.j, &q.out);
    sv_conn c;
    sl_err e = sv_db_acquire(jb->a->db, &c, q.err, sizeof q.err);
    if (e != SL_OK) {
        q.status = e == SL_ERR_NOMEM ? 500 : 503;
    } else {
        char msg[SL_ERRLEN];
        q.rd = c.rd;
        e = hr_begin(c.rd, msg, sizeof msg); /* one snapshot for all reads */
        if (e == SL_OK) {
            e = jb->fn(&q);
            hr_end(c.rd);
        } else {
            e = sv_q_readerr(&q, e, msg);
        }
        sv_db_release(jb->a->db, &c, e != SL_OK && q.status == 503);
    }
    if (e == SL_OK && !jb->prom && (e = sv_json_finish(&q.j, q.err, sizeof q.err)) != SL_OK) q.status = 500;
    if (e == SL_OK && q.out.oom) e = sv_q_fail(&q, 500, "out of memory building the answer");
    if (e == SL_OK && q.out.len > SV_MAX_BODY)
        e = sv_q_fail(&q, 500, "the answer is too large (%zu bytes, at most %u): narrow the range or add filters",
                      q.out.len, SV_MAX_BODY);
    sl_buf csv;
    sl_buf_init(&csv);
    if (e == SL_OK && jb->p.csv && (e = sv_csv_from_json(jb->ep, q.out.p, q.out.len, &csv, q.err, sizeof q.err)) != SL_OK)
        q.status = 500;
    const sl_buf *body = jb->p.csv ? &csv : &q.out;
    sv_body *b = e == SL_OK ? sv_body_new(200, body->p ? body->p : "", body->len) : sv_error_body(q.status, q.err);
    if (b && e == SL_OK && jb->p.csv) {
        b->csv = true;
        snprintf(b->name, sizeof b->name, "%s", jb->table[0] ? jb->table : jb->ep);
    }
    if (b && q.has_run) {
        b->has_run = true;
        b->running = q.running;
        b->eps = q.eps;
        b->health_us = q.health_us;
    }
    sl_buf_free(&csv);
    sl_buf_free(&q.out);
    return b;
}

/* The cache key: endpoint and the parsed (canonical) parameters. */
static void cache_key(sl_buf *k, const char *ep, const char *table, const sv_params *p) {
    sl_buf_printf(k, "%s|%s|%x|%" PRId64 "|%" PRId64 "|%d|%" PRId64 "|%" PRId64 "|%" PRId64 "|", ep, table ? table : "",
                  p->given, p->from, p->to, p->final, p->limit, p->offset, p->k);
    sl_buf_printf(k, "%" PRId64 "|%" PRId64 "|%d%d%d|%" PRId64 "|", p->from_raw, p->to_raw, p->from_rel, p->to_rel,
                  p->csv, p->hours);
    sl_buf_put(k, p->source, strlen(p->source) + 1);
    sl_buf_put(k, p->query_type, strlen(p->query_type) + 1);
    sl_buf_put(k, p->reason, strlen(p->reason) + 1);
    for (size_t i = 0; i < p->ninstances; i++) sl_buf_printf(k, "%" PRId64 ",", p->instances[i]);
}

static void reply_error(sv_reply *r, int status, const char *msg) {
    r->status = status;
    r->body = sv_error_body(status, msg);
    r->how = SV_CACHE_NONE;
}

static void answer(sv_api *a, sv_reply *r, const char *ep, sv_ep_fn fn, const sv_params *p, const char *table,
                   bool prom, bool fresh) {
    char err[SL_ERRLEN];
    uint64_t v;
    sl_err e = sv_db_version(a->db, fresh, &v, err, sizeof err);
    if (e != SL_OK) {
        reply_error(r, e == SL_ERR_NOMEM ? 500 : 503, err);
        return;
    }
    sl_buf key;
    sl_buf_init(&key);
    cache_key(&key, ep, table, p);
    job jb;
    memset(&jb, 0, sizeof jb);
    jb.a = a;
    jb.fn = fn;
    snprintf(jb.ep, sizeof jb.ep, "%s", ep);
    jb.p = *p;
    snprintf(jb.table, sizeof jb.table, "%s", table ? table : "");
    jb.prom = prom;
    if (key.oom) {
        r->body = compute(&jb);
        r->how = SV_CACHE_NONE;
    } else {
        r->body = sv_cache_get(a->cache, key.p, key.len, v, fresh, &jb, &r->how);
    }
    sl_buf_free(&key);
    r->status = r->body ? r->body->status : 500;
}

const char *sv_run_state(int running, int64_t health_us, int64_t now_us) {
    if (running != 1) return "stopped";
    if (health_us == INT64_MIN || now_us - health_us > (int64_t)SV_STALE_S * SL_US_PER_SEC) return "stale";
    return "running";
}

/* /api/v1/status: "now", "state" and "events_per_second" (0 unless
 * running: they depend on the wall clock) are added to the cached part per
 * request. */
static void add_now(sv_reply *r) {
    if (!r->body || r->body->status != 200 || r->body->len < 2 || r->body->data[0] != '{') return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char t[20];
    if (!sv_fmt_time(t, (int64_t)ts.tv_sec)) return;
    int64_t now_us = (int64_t)ts.tv_sec * SL_US_PER_SEC + ts.tv_nsec / 1000;
    const sv_body *c = r->body;
    const char *state = c->has_run ? sv_run_state(c->running, c->health_us, now_us) : "stopped";
    sl_buf h;
    sl_buf_init(&h);
    sl_buf_printf(&h, "{\"now\":\"%s.%06ld\",\"state\":\"%s\",\"events_per_second\":", t, ts.tv_nsec / 1000, state);
    if (strcmp(state, "running") != 0) sl_buf_putc(&h, '0');
    else if (isnan(c->eps)) sl_buf_puts(&h, "null");
    else {
        char d[32];
        sl_buf_put(&h, d, sv_fmt_double(d, c->eps));
    }
    if (c->data[1] != '}') sl_buf_putc(&h, ',');
    sl_buf_put(&h, c->data + 1, c->len - 1);
    sv_body *b = h.oom ? NULL : sv_body_new(200, h.p, h.len);
    sl_buf_free(&h);
    if (!b) return;
    sv_body_unref(r->body);
    r->body = b;
}

void sv_api_handle(sv_api *a, const char *path, const sv_kv *kv, size_t n, bool fresh, sv_reply *r) {
    char err[SL_ERRLEN];
    sv_params p;
    memset(r, 0, sizeof *r);
    if (strncmp(path, "/api/v1/", 8) != 0) {
        snprintf(err, sizeof err, "not found: %.200s (the API is under /api/v1/)", path);
        reply_error(r, 404, err);
        return;
    }
    const char *rest = path + 8;
    if (!strncmp(rest, "table/", 6)) {
        const char *name = rest + 6;
        const sv_pspec *spec = sv_table_spec(name);
        if (!spec) {
            snprintf(err, sizeof err, "unknown table '%.64s' (tables: %s)", name, sv_table_names());
            reply_error(r, 404, err);
            return;
        }
        if (sv_params_parse(&p, spec, kv, n, err, sizeof err) != SL_OK) {
            reply_error(r, 400, err);
            return;
        }
        answer(a, r, "table", sv_ep_table, &p, name, false, fresh);
        return;
    }
    pthread_once(&g_routes_once, init_routes);
    for (size_t i = 0; i < NROUTES; i++) {
        if (strcmp(rest, k_routes[i].path) != 0) continue;
        if (sv_params_parse(&p, &g_routes.spec[i], kv, n, err, sizeof err) != SL_OK) {
            reply_error(r, 400, err);
            return;
        }
        if (k_routes[i].reads & READS_HISTORY) { /* relative to the wall clock: resolved now */
            int64_t now = (int64_t)time(NULL);
            if (p.from_rel) p.from_raw += now;
            if (p.to_rel) p.to_raw += now;
            p.from_rel = p.to_rel = false;
        }
        answer(a, r, k_routes[i].path, k_routes[i].fn, &p, NULL, false, fresh);
        if (k_routes[i].fn == sv_ep_status) add_now(r);
        return;
    }
    snprintf(err, sizeof err,
             "not found: %.200s (endpoints: status, live, table/<name>, spill, cache, top_tables, compile, "
             "utilization, instances, health, health/history)",
             path);
    reply_error(r, 404, err);
}

void sv_api_metrics(sv_api *a, bool fresh, sv_reply *r) {
    sv_params p;
    memset(&p, 0, sizeof p);
    memset(r, 0, sizeof *r);
    answer(a, r, "metrics", sv_ep_metrics, &p, NULL, true, fresh);
}

void sv_api_healthz(sv_api *a, sv_reply *r) {
    char err[SL_ERRLEN];
    uint64_t v;
    memset(r, 0, sizeof *r);
    sl_err e = sv_db_version(a->db, true, &v, err, sizeof err);
    static const char ok[] = "{\"ok\":true}";
    if (e == SL_OK) {
        r->status = 200;
        r->body = sv_body_new(200, ok, sizeof ok - 1);
        return;
    }
    sl_buf b;
    sv_json j;
    sl_buf_init(&b);
    sv_json_init(&j, &b);
    sv_json_obj(&j);
    sv_json_kbool(&j, "ok", false);
    sv_json_kstr(&j, "error", err);
    sv_json_obj_end(&j);
    r->status = 503;
    r->body = b.oom ? NULL : sv_body_new(503, b.p, b.len);
    sl_buf_free(&b);
}
