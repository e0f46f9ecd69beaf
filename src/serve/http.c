/* http.c: libmicrohttpd glue: the server object, routing of a request to the
 * API, /metrics or the embedded assets, response headers and the request
 * counters. */
#include <inttypes.h>
#include <math.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "serve/api.h"
#include "serve/assets.h"
#include "serve/listen.h"
#include "serve/prom.h"
#include "serve/serve.h"

#define MAX_ARGS 64
#define MAX_URI 8192 /* longer: 414 */
#define CONN_LIMIT 512
/* Per-connection memory of libmicrohttpd (the request, its parsed parameters,
 * at most MAX_ARGS of them (uri_seen), and the response headers): a request
 * line up to about half of it gets the JSON 414, a longer one libmicrohttpd's
 * own 414 page. */
#define CONN_MEMORY (128u << 10)
/* Idle connections are closed after this many seconds: CONN_LIMIT idle
 * connections must not lock the clients out for long. */
#define IDLE_TIMEOUT_S 5
/* libmicrohttpd's log lines (one per refused connection at the limit): at
 * most one per this many seconds; the next printed line counts the others. */
#define LOG_EVERY_S 5.0
#define STACK_SIZE (512u << 10)
/* A request may get the answer of the previous store version while another
 * request recomputes it, if that answer is at most this old (cache.h). */
#define STALE_MAX_S 5.0
/* The store is checked for commits this often (db.h). */
#define POLL_MS 5

/* status codes counted one by one; anything else under "other" slot 0 */
static const int k_codes[] = {0, 200, 304, 400, 404, 405, 414, 500, 503};
#define NCODES (int)(sizeof k_codes / sizeof *k_codes)

struct sv_server {
    struct MHD_Daemon *d;
    sv_api *api;
    int port;
    bool quiet;
    char url[96];
    char (*etags)[24]; /* per asset */
    /* counters (atomics) */
    uint64_t code_count[NCODES];
    uint64_t other_code; /* last "other" code, for the label */
    uint64_t bucket[SV_PROM_NBUCKETS];
    uint64_t count;
    uint64_t nanos;
    /* rate limit of libmicrohttpd's log lines */
    pthread_mutex_t log_mu;
    double log_last;          /* when the last line was printed (0: never) */
    uint64_t log_suppressed;  /* lines not printed since */
};

const sl_opt sv_opts_table[] = {
    {.name = "enabled", .type = SL_OPT_T_FLAG, SL_OPT_F_(sv_opts, enabled), .def = "true", .flags = SL_OPT_FILE_ONLY,
     .help = "serve the dashboard and the JSON API (docs/api.md) while the pipeline runs, and after it until Ctrl-C"},
    {.name = "hot", .type = SL_OPT_T_STRING, SL_OPT_F_(sv_opts, hot_path), .flags = SL_OPT_REQUIRED | SL_OPT_CLI_ONLY, .arg = "FILE",
     .help = "hot store (SQLite) written by sluice run --hot FILE (required)"},
    {.name = "cold", .type = SL_OPT_T_STRING, SL_OPT_F_(sv_opts, cold_dir), .flags = SL_OPT_CLI_ONLY, .arg = "DIR",
     .help = "refused: serving hours from the cold store is not implemented (the hot\nstore keeps every metric row; "
             "docs/api.md)"},
    {.name = "listen", .type = SL_OPT_T_STRING, SL_OPT_F_(sv_opts, listen), .def = "127.0.0.1:8080",
     .arg = "ADDR:PORT", .help = "address to listen on; port 0 = any free port, [::1]:PORT for IPv6 ([::ffff:127.0.0.1]:PORT\nlistens on 127.0.0.1)"},
    {.name = "listen_any", .type = SL_OPT_T_FLAG, SL_OPT_F_(sv_opts, allow_any), .def = "false",
     .help = "allow a non-loopback address (the API has no authentication)"},
    {.name = "threads", .type = SL_OPT_T_INT, SL_OPT_F_(sv_opts, threads), .def = "4", .min = 1, .max = 64, .arg = "N",
     .help = "store connections (1..64), i.e. answers computed at once; each HTTP\nconnection has its own thread, "
             "cached answers need none"},
    {.name = "cache_mb", .type = SL_OPT_T_INT, SL_OPT_F_(sv_opts, cache_mb), .def = "64", .min = 1, .max = 4096,
     .arg = "N", .help = "response cache budget in MiB (1..4096)"},
    {.name = "quiet", .type = SL_OPT_T_FLAG, SL_OPT_F_(sv_opts, quiet), .def = "false", .alias = "-q", .flags = SL_OPT_CLI_ONLY,
     .help = "no log lines on stderr"},
    SL_OPT_END,
};

sv_opts sv_opts_default(void) {
    sv_opts o;
    memset(&o, 0, sizeof o);
    sl_opt_defaults(sv_opts_table, &o, NULL, 0); /* constant defaults: cannot fail */
    return o;
}

int sv_port(const sv_server *s) { return s->port; }
const char *sv_url(const sv_server *s) { return s->url; }

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void count_request(sv_server *s, int code, double secs) {
    int slot = 0;
    for (int i = 1; i < NCODES; i++)
        if (k_codes[i] == code) slot = i;
    if (!slot) __atomic_store_n(&s->other_code, (uint64_t)code, __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->code_count[slot], 1, __ATOMIC_RELAXED);
    for (int i = 0; i < SV_PROM_NBUCKETS; i++)
        if (secs <= sv_prom_buckets[i]) __atomic_fetch_add(&s->bucket[i], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->count, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->nanos, (uint64_t)(secs * 1e9), __ATOMIC_RELAXED);
}

static void server_stats(sv_server *s, sv_prom_server_stats *ps) {
    memset(ps, 0, sizeof *ps);
    for (int i = 1; i < NCODES; i++) {
        ps->codes[ps->ncodes] = k_codes[i];
        ps->code_count[ps->ncodes++] = __atomic_load_n(&s->code_count[i], __ATOMIC_RELAXED);
    }
    uint64_t other = __atomic_load_n(&s->code_count[0], __ATOMIC_RELAXED);
    if (other) {
        ps->codes[ps->ncodes] = (int)__atomic_load_n(&s->other_code, __ATOMIC_RELAXED);
        ps->code_count[ps->ncodes++] = other;
    }
    for (int i = 0; i < SV_PROM_NBUCKETS; i++) ps->bucket[i] = __atomic_load_n(&s->bucket[i], __ATOMIC_RELAXED);
    ps->count = __atomic_load_n(&s->count, __ATOMIC_RELAXED);
    ps->seconds_total = (double)__atomic_load_n(&s->nanos, __ATOMIC_RELAXED) / 1e9;
    sv_cache_stats cs;
    sv_api_cache_stats(s->api, &cs);
    ps->cache_hits = cs.hits;
    ps->cache_misses = cs.misses;
    ps->cache_stale = cs.stale;
    ps->cache_waits = cs.waits;
    ps->cache_refreshes = cs.refreshes;
    ps->cache_entries = cs.entries;
    ps->cache_bytes = cs.bytes;
    ps->store_changes = sv_api_store_changes(s->api);
}

/* ------------------------------------------------------------------------ */
/* responses                                                                */

static void unref_body(void *cls) { sv_body_unref(cls); }

static const char JSON_TYPE[] = "application/json; charset=utf-8";
static const char PROM_TYPE[] = "text/plain; version=0.0.4; charset=utf-8";
static const char CSV_TYPE[] = "text/csv; charset=utf-8";

/* Queue body (the reference passes to the response). */
static enum MHD_Result send_body(struct MHD_Connection *c, sv_body *b, const char *type, sv_cache_how how,
                                 int *code) {
    static const char oom[] = "{\"error\":\"out of memory\"}";
    struct MHD_Response *r;
    if (!b) {
        *code = 500;
        r = MHD_create_response_from_buffer(sizeof oom - 1, (void *)oom, MHD_RESPMEM_PERSISTENT);
        type = JSON_TYPE;
    } else {
        *code = b->status;
        r = MHD_create_response_from_buffer_with_free_callback_cls(b->len, b->data, unref_body, b);
    }
    if (!r) {
        sv_body_unref(b);
        return MHD_NO;
    }
    if (b && b->csv && b->status == 200) { /* format=csv: a download */
        char cd[96];
        snprintf(cd, sizeof cd, "attachment; filename=\"%s.csv\"", b->name);
        type = CSV_TYPE;
        MHD_add_response_header(r, "Content-Disposition", cd);
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (how != SV_CACHE_NONE) MHD_add_response_header(r, "X-Sluice-Cache", sv_cache_how_name(how));
    if (*code == 405) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)*code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, int status, const char *msg, int *code) {
    return send_body(c, sv_error_body(status, msg), JSON_TYPE, SV_CACHE_NONE, code);
}

static uint64_t fnv1a(const unsigned char *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static enum MHD_Result send_asset(sv_server *s, struct MHD_Connection *c, size_t i, int *code) {
    const sv_asset *a = &sv_assets[i];
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    bool same = inm && s->etags && strstr(inm, s->etags[i]);
    struct MHD_Response *r = same ? MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT)
                                  : MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
    if (!r) return MHD_NO;
    *code = same ? 304 : 200;
    if (!same) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, a->content_type);
    if (s->etags) MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, s->etags[i]);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)*code, r);
    MHD_destroy_response(r);
    return ret;
}

/* ------------------------------------------------------------------------ */
/* requests                                                                 */

/* Per request: what the raw URI (before libmicrohttpd unescapes it) showed. */
typedef struct req {
    bool started;   /* the handler's first call (the request's announcement) happened */
    size_t uri_len; /* bytes of the raw URI, path and query */
    bool nul;       /* the raw URI holds %00: a NUL byte once unescaped */
    bool too_many;  /* more than MAX_ARGS parameters (their parsing was skipped) */
} req;

/* MHD_OPTION_URI_LOG_CALLBACK: sees the raw URI once per request, before
 * the access handler; the result becomes the request's *req_cls. */
static void *uri_seen(void *cls, const char *uri_const, struct MHD_Connection *c) {
    char *uri = (char *)uri_const; /* libmicrohttpd's read buffer: see below */
    (void)cls;
    (void)c;
    req *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->uri_len = strlen(uri);
    for (const char *p = uri; (p = strchr(p, '%')) != NULL; p++)
        if (p[1] == '0' && p[2] == '0') r->nul = true;
    char *q = strchr(uri, '?');
    if (q && q[1]) {
        size_t n = 1;
        for (const char *p = q + 1; (p = strchr(p, '&')) != NULL; p++) n++;
        r->too_many = n > MAX_ARGS;
        /* A request that is refused anyway (414, 400) must not have its
         * parameters parsed: libmicrohttpd keeps a record per parameter in the
         * connection's memory, and thousands of them ('&&&&...') exhaust it,
         * after which it closes the connection without an answer.  It calls
         * this function before it parses them, in its own (writable) buffer:
         * cutting the query short here leaves nothing to parse. */
        if (r->too_many || r->uri_len > MAX_URI) q[1] = '\0';
    }
    return r;
}

static void req_done(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)c;
    (void)toe;
    free(*req_cls);
    *req_cls = NULL;
}

typedef struct args {
    sv_kv kv[MAX_ARGS];
    size_t n;
    bool overflow;
} args;

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key, size_t klen, const char *val,
                               size_t vlen) {
    args *a = cls;
    (void)kind;
    if (a->n == MAX_ARGS) {
        a->overflow = true;
        return MHD_NO;
    }
    a->kv[a->n].key = key ? key : "";
    a->kv[a->n].klen = key ? klen : 0;
    a->kv[a->n].val = val;
    a->kv[a->n].vlen = val ? vlen : 0;
    a->n++;
    return MHD_YES;
}

/* /metrics answers 200 even when the store cannot be read (the server's own
 * metrics, the store-up gauge (HL_HTTP_STORE_UP) 0 and the reason in a comment), so a scraper
 * sees the server up and the store down. */
static enum MHD_Result metrics(sv_server *s, struct MHD_Connection *c, bool fresh, int *code) {
    sv_reply r;
    sv_api_metrics(s->api, fresh, &r);
    sl_buf b;
    sl_buf_init(&b);
    bool up = r.body && r.body->status == 200;
    if (up) {
        sl_buf_put(&b, r.body->data, r.body->len);
        /* events per second: the stored rate while the run is alive, else 0 */
        const sv_body *rb = r.body;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t now_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
        if (rb->has_run && (rb->running >= 0 || !isnan(rb->eps)))
            sv_prom_gauge(&b, HL_EVENTS_PER_SECOND,
                          !strcmp(sv_run_state(rb->running, rb->health_us, now_us), "running") ? rb->eps : 0.0);
    } else {
        sl_buf_puts(&b, "# the hot store cannot be read: ");
        for (size_t i = 0; r.body && i < r.body->len; i++) /* the JSON error, on one line */
            sl_buf_putc(&b, r.body->data[i] == '\n' || r.body->data[i] == '\r' ? ' ' : r.body->data[i]);
        sl_buf_putc(&b, '\n');
    }
    sv_body_unref(r.body);
    sv_prom_gauge(&b, HL_HTTP_STORE_UP, up ? 1 : 0);
    sv_prom_server_stats ps;
    server_stats(s, &ps);
    sv_prom_server(&b, &ps);
    sv_prom_build_info(&b);
    sv_body *body = b.oom ? NULL : sv_body_new(200, b.p, b.len);
    sl_buf_free(&b);
    return send_body(c, body, PROM_TYPE, SV_CACHE_NONE, code);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *upload_data, size_t *upload_data_size,
                               void **req_cls) {
    sv_server *s = cls;
    (void)version;
    (void)upload_data;
    req *rq = *req_cls;
    if (!rq) { /* uri_seen ran out of memory */
        if (!(rq = calloc(1, sizeof *rq))) return MHD_NO;
        rq->uri_len = strlen(url);
        *req_cls = rq;
    }
    /* The first call only announces the request: answering before the whole
     * request was received would make libmicrohttpd close the connection
     * (no keep-alive).  A body (there should be none) is discarded. */
    if (!rq->started) {
        rq->started = true;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    double t0 = now_s();
    int code = 500;
    enum MHD_Result ret;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        char m[128];
        snprintf(m, sizeof m, "method %.32s not allowed (GET and HEAD only)", method);
        ret = send_error(c, 405, m, &code);
        count_request(s, code, now_s() - t0);
        return ret;
    }
    if (rq->uri_len > MAX_URI) {
        char m[128];
        snprintf(m, sizeof m, "URI too long (%zu bytes, at most %d)", rq->uri_len, MAX_URI);
        ret = send_error(c, 414, m, &code);
        count_request(s, code, now_s() - t0);
        return ret;
    }
    args a;
    a.n = 0;
    a.overflow = false;
    MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, collect, &a);
    if (rq->too_many) a.overflow = true;
    for (size_t i = 0; i < a.n && !rq->nul; i++)
        rq->nul = memchr(a.kv[i].key, 0, a.kv[i].klen) || (a.kv[i].val && memchr(a.kv[i].val, 0, a.kv[i].vlen));
    /* X-Sluice-Fresh: 1 asks for an answer as of now (no stale answer). */
    const char *fh = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Sluice-Fresh");
    bool fresh = fh && !strcmp(fh, "1");
    if (rq->nul) {
        ret = send_error(c, 400, "NUL byte (%00) in the path or a parameter", &code);
    } else if (a.overflow) {
        char m[96];
        snprintf(m, sizeof m, "too many query parameters (at most %d)", MAX_ARGS);
        ret = send_error(c, 400, m, &code);
    } else if (!strncmp(url, "/api/", 5)) {
        sv_reply r;
        sv_api_handle(s->api, url, a.kv, a.n, fresh, &r);
        ret = send_body(c, r.body, JSON_TYPE, r.how, &code);
    } else if (!strcmp(url, "/healthz")) {
        if (a.n) {
            char m[160];
            snprintf(m, sizeof m, "unknown parameter '%.64s' (/healthz takes no parameters)", a.kv[0].key);
            ret = send_error(c, 400, m, &code);
        } else {
            sv_reply r;
            sv_api_healthz(s->api, &r);
            ret = send_body(c, r.body, JSON_TYPE, SV_CACHE_NONE, &code);
        }
    } else if (!strcmp(url, "/metrics")) {
        if (a.n) {
            char m[160];
            snprintf(m, sizeof m, "unknown parameter '%.64s' (/metrics takes no parameters)", a.kv[0].key);
            ret = send_error(c, 400, m, &code);
        } else {
            ret = metrics(s, c, fresh, &code);
        }
    } else {
        size_t i = 0;
        while (i < sv_assets_count && strcmp(sv_assets[i].path, url) != 0) i++;
        if (i < sv_assets_count) ret = send_asset(s, c, i, &code);
        else {
            char m[300];
            snprintf(m, sizeof m, "not found: %.200s", url);
            ret = send_error(c, 404, m, &code);
        }
    }
    double dt = now_s() - t0;
    count_request(s, code, dt);
    if (!s->quiet && code >= 500) fprintf(stderr, "sluice serve: %s %.200s -> %d (%.1f ms)\n", method, url, code, dt * 1e3);
    return ret;
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 0)))
#endif
static void mhd_log(void *cls, const char *fmt, va_list ap) {
    sv_server *s = cls;
    if (s->quiet) return;
    double now = now_s();
    pthread_mutex_lock(&s->log_mu);
    if (s->log_last > 0 && now - s->log_last < LOG_EVERY_S) {
        s->log_suppressed++;
        pthread_mutex_unlock(&s->log_mu);
        return;
    }
    uint64_t skipped = s->log_suppressed;
    s->log_suppressed = 0;
    s->log_last = now;
    pthread_mutex_unlock(&s->log_mu);
    char m[512];
    vsnprintf(m, sizeof m, fmt, ap);
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == '\r')) m[--n] = '\0';
    if (skipped)
        fprintf(stderr, "sluice serve: libmicrohttpd: %s (%" PRIu64 " more messages suppressed in the last %.0f s)\n", m,
                skipped, LOG_EVERY_S);
    else
        fprintf(stderr, "sluice serve: libmicrohttpd: %s\n", m);
}

/* ------------------------------------------------------------------------ */
/* start / stop                                                             */

static sl_err listen_checked(const sv_opts *o, sv_listen *l, char *err, size_t errlen) {
    sl_err e = sv_listen_parse(o->listen ? o->listen : sv_opts_default().listen, l, err, errlen);
    if (e != SL_OK) return e;
    if (!l->loopback && !o->allow_any)
        return sl_err_set(err, errlen, SL_ERR_ARG,
                          "listen address %s:%d is not a loopback address; the API has no authentication, so "
                          "exposing it must be explicit (--listen-any)",
                          l->host, l->port);
    return SL_OK;
}

sl_err sv_check_listen(const sv_opts *o, char *err, size_t errlen) {
    sv_listen l;
    return listen_checked(o, &l, err, errlen);
}

sl_err sv_start(sv_server **out, const sv_opts *o, char *err, size_t errlen) {
    *out = NULL;
    if (!o->hot_path || !*o->hot_path) return sl_err_set(err, errlen, SL_ERR_ARG, "no hot store file given");
    if (o->threads < 1 || o->threads > 64)
        return sl_err_set(err, errlen, SL_ERR_ARG, "threads must be 1..64, got %d", o->threads);
    if (o->cache_mb < 0 || o->cache_mb > 4096)
        return sl_err_set(err, errlen, SL_ERR_ARG, "cache_mb must be 1..4096, got %lld", (long long)o->cache_mb);
    if (o->cold_dir)
        return sl_err_set(err, errlen, SL_ERR_ARG,
                          "--cold %s: serving hours from the cold store is not implemented; the hot store keeps every "
                          "metric row (its retention applies to the events table only), so serve --hot alone answers "
                          "every hour (docs/api.md)",
                          o->cold_dir);
    sv_listen l;
    sl_err e = listen_checked(o, &l, err, errlen);
    if (e != SL_OK) return e;
    sv_server *s = calloc(1, sizeof *s);
    if (!s) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    s->quiet = o->quiet;
    pthread_mutex_init(&s->log_mu, NULL);
    sv_api_opts ao = {o->hot_path, o->threads, (size_t)(o->cache_mb ? o->cache_mb : sv_opts_default().cache_mb) << 20,
                      STALE_MAX_S, POLL_MS};
    e = sv_api_new(&s->api, &ao, err, errlen);
    if (e != SL_OK) {
        free(s);
        return e;
    }
    if (sv_assets_count && (s->etags = calloc(sv_assets_count, sizeof *s->etags)))
        for (size_t i = 0; i < sv_assets_count; i++)
            snprintf(s->etags[i], sizeof s->etags[i], "\"%016" PRIx64 "\"", fnv1a(sv_assets[i].data, sv_assets[i].len));
    int fd;
    e = sv_listen_open(&l, &fd, &s->port, err, errlen);
    if (e != SL_OK) {
        sv_stop(s);
        return e;
    }
    snprintf(s->url, sizeof s->url, "http://%s:%d/", l.host, s->port);
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_AUTO |
                                MHD_USE_ERROR_LOG | MHD_USE_ITC,
                            0, NULL, NULL, handler, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
                            MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                            (size_t)CONN_MEMORY, MHD_OPTION_URI_LOG_CALLBACK, uri_seen, (void *)s,
                            MHD_OPTION_NOTIFY_COMPLETED, req_done, (void *)s, MHD_OPTION_THREAD_STACK_SIZE,
                            (size_t)STACK_SIZE, MHD_OPTION_END);
    if (!s->d) {
        close(fd);
        sv_stop(s);
        return sl_err_set(err, errlen, SL_ERR_IO, "cannot start the HTTP server on %s:%d (libmicrohttpd)", l.host,
                          l.port);
    }
    *out = s;
    return SL_OK;
}

void sv_stop(sv_server *s) {
    if (!s) return;
    if (s->d) MHD_stop_daemon(s->d); /* closes the listening socket, joins the connection threads */
    if (s->log_suppressed && !s->quiet)
        fprintf(stderr, "sluice serve: libmicrohttpd: %" PRIu64 " more messages suppressed\n", s->log_suppressed);
    pthread_mutex_destroy(&s->log_mu);
    sv_api_free(s->api);
    free(s->etags);
    free(s);
}
