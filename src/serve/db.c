#include "serve/db.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "schema/redset.h"

#define MAX_CONNS 64
/* A published version older than this is not trusted (the poller may be
 * stuck waiting on a lock): the request checks itself. */
#define PUB_MAX_AGE_NS 250000000ULL

struct sv_db {
    char *path;
    pthread_mutex_t wmu; /* the watcher */
    pthread_mutex_t mu;  /* the pool */
    pthread_cond_t cv;
    uint64_t pub_version; /* atomic: the version of the last successful check */
    int pub_ok;           /* atomic: the last check succeeded */
    uint64_t pub_at;      /* atomic: monotonic ns of the last successful check */
    /* poller thread */
    pthread_t poller;
    bool polling;
    int stop;             /* atomic */
    int poll_ms;
    /* watcher (guarded by wmu) */
    sqlite3 *watch;
    sqlite3_stmt *dv;    /* PRAGMA data_version */
    dev_t dev;
    ino_t ino;
    int64_t last_dv;
    uint64_t version;    /* bumped on every change seen */
    uint64_t epoch;      /* atomic; bumped (under wmu) when the file is replaced / reopened */
    /* pool (guarded by mu) */
    sv_conn idle[MAX_CONNS];
    int nidle, open, max;
};

sl_err sv_db_new(sv_db **out, const char *path, int max_conns, char *err, size_t errlen) {
    *out = NULL;
    if (!path || !*path) return sl_err_set(err, errlen, SL_ERR_ARG, "hot store path is empty");
    if (max_conns < 1 || max_conns > MAX_CONNS)
        return sl_err_set(err, errlen, SL_ERR_ARG, "store connections must be 1..%d, got %d", MAX_CONNS, max_conns);
    sv_db *d = calloc(1, sizeof *d);
    if (!d || !(d->path = strdup(path))) {
        free(d);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&d->wmu, NULL);
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    d->max = max_conns;
    d->version = 1;
    d->epoch = 1;
    *out = d;
    return SL_OK;
}

const char *sv_db_path(const sv_db *d) { return d->path; }

static void close_watch(sv_db *d) {
    sqlite3_finalize(d->dv);
    sqlite3_close(d->watch);
    d->dv = NULL;
    d->watch = NULL;
}

static void close_conn(sv_conn *c) {
    hr_conn_free(c->rd);
    sqlite3_close(c->db);
    c->rd = NULL;
    c->db = NULL;
}

void sv_db_free(sv_db *d) {
    if (!d) return;
    if (d->polling) {
        __atomic_store_n(&d->stop, 1, __ATOMIC_RELEASE);
        pthread_join(d->poller, NULL);
    }
    close_watch(d);
    for (int i = 0; i < d->nidle; i++) close_conn(&d->idle[i]);
    pthread_mutex_destroy(&d->wmu);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    free(d->path);
    free(d);
}

static sl_err missing(const sv_db *d, int e, char *err, size_t errlen) {
    if (e == ENOENT)
        return sl_err_set(err, errlen, SL_ERR_NOTFOUND,
                          "hot store %s does not exist (yet): it is created by sluice run --hot %s", d->path, d->path);
    return sl_err_set(err, errlen, SL_ERR_IO, "hot store %s: %s", d->path, strerror(e));
}

/* Open a read-only connection with the server's settings. */
static sl_err open_conn(const sv_db *d, sqlite3 **out, char *err, size_t errlen) {
    sqlite3 *db = NULL;
    *out = NULL;
    int rc = sqlite3_open_v2(d->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        sl_err e = sl_err_set(err, errlen, SL_ERR_IO, "hot store %s: cannot open: %s", d->path,
                              db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return e;
    }
    sqlite3_busy_timeout(db, 2000);
    /* Read-only anyway; 16 MiB page cache per connection; sorts in memory. */
    sqlite3_exec(db, "PRAGMA query_only = 1; PRAGMA cache_size = -16384; PRAGMA temp_store = MEMORY;", NULL, NULL,
                 NULL);
    *out = db;
    return SL_OK;
}

/* Is the watcher's file a hot store this server reads (layout version,
 * Redset's tables)? */
static sl_err check_store(sv_db *d, char *err, size_t errlen) {
    hr_conn *rd = NULL;
    char why[SL_ERRLEN], schema[64];
    int64_t v = 0;
    sl_err e = hr_conn_new(&rd, d->watch, err, errlen);
    if (e != SL_OK) return e;
    sl_err r = hr_schema_version(rd, &v, why, sizeof why);
    if (r == SL_ERR_NOTFOUND)
        e = sl_err_set(err, errlen, SL_ERR_CORRUPT, "%s is not a sluice hot store (no schema_version table)", d->path);
    else if (r != SL_OK)
        e = sl_err_set(err, errlen, r == SL_ERR_CORRUPT ? SL_ERR_CORRUPT : SL_ERR_IO, "hot store %s: %s", d->path, why);
    else if (v < HR_SCHEMA_VERSION_MIN || v > HR_SCHEMA_VERSION)
        e = sl_err_set(err, errlen, SL_ERR_CORRUPT,
                       "hot store %s: schema version %lld, this server reads versions %d to %d", d->path, (long long)v,
                       HR_SCHEMA_VERSION_MIN, HR_SCHEMA_VERSION);
    else if ((r = hr_store_schema(rd, schema, sizeof schema, why, sizeof why)) != SL_OK)
        e = sl_err_set(err, errlen, SL_ERR_IO, "hot store %s: %s", d->path, why);
    else if (schema[0] && strcmp(schema, sc_redset_def.name) != 0)
        e = sl_err_set(err, errlen, SL_ERR_CORRUPT, "hot store %s holds the tables of schema '%s'; this server reads '%s'",
                       d->path, schema, sc_redset_def.name);
    hr_conn_free(rd);
    return e;
}

/* Open the watcher and check the file. */
static sl_err open_watch(sv_db *d, char *err, size_t errlen) {
    struct stat st;
    if (stat(d->path, &st) != 0) return missing(d, errno, err, errlen);
    if (S_ISDIR(st.st_mode)) return sl_err_set(err, errlen, SL_ERR_IO, "hot store %s: is a directory", d->path);
    sl_err e = open_conn(d, &d->watch, err, errlen);
    if (e != SL_OK) return e;
    e = check_store(d, err, errlen);
    if (e == SL_OK && sqlite3_prepare_v3(d->watch, "PRAGMA data_version", -1, SQLITE_PREPARE_PERSISTENT, &d->dv, NULL) !=
                          SQLITE_OK)
        e = sl_err_set(err, errlen, SL_ERR_IO, "hot store %s: %s", d->path, sqlite3_errmsg(d->watch));
    if (e != SL_OK) {
        close_watch(d);
        return e;
    }
    d->dev = st.st_dev;
    d->ino = st.st_ino;
    d->last_dv = -1;
    __atomic_fetch_add(&d->epoch, 1, __ATOMIC_RELAXED);
    d->version++;
    return SL_OK;
}

static uint64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The check itself; wmu held. */
static sl_err check_locked(sv_db *d, uint64_t *version, char *err, size_t errlen) {
    sl_err e = SL_OK;
    if (d->watch) { /* replaced or removed since? */
        struct stat st;
        if (stat(d->path, &st) != 0 || st.st_dev != d->dev || st.st_ino != d->ino) close_watch(d);
    }
    if (!d->watch) e = open_watch(d, err, errlen);
    if (e == SL_OK) {
        int rc = sqlite3_step(d->dv);
        if (rc == SQLITE_ROW) {
            int64_t v = sqlite3_column_int64(d->dv, 0);
            if (v != d->last_dv) {
                if (d->last_dv != -1) d->version++;
                d->last_dv = v;
            }
            sqlite3_reset(d->dv);
        } else {
            sqlite3_reset(d->dv);
            e = sl_err_set(err, errlen, SL_ERR_IO, "hot store %s: %s", d->path, sqlite3_errmsg(d->watch));
            close_watch(d);
        }
    }
    *version = d->version;
    __atomic_store_n(&d->pub_version, d->version, __ATOMIC_RELEASE);
    if (e == SL_OK) __atomic_store_n(&d->pub_at, mono_ns(), __ATOMIC_RELEASE);
    __atomic_store_n(&d->pub_ok, e == SL_OK, __ATOMIC_RELEASE);
    return e;
}

sl_err sv_db_version(sv_db *d, bool fresh, uint64_t *version, char *err, size_t errlen) {
    bool ok = __atomic_load_n(&d->pub_ok, __ATOMIC_ACQUIRE);
    /* The poller keeps the published version current (every poll_ms). */
    if (!fresh && ok && d->polling && mono_ns() - __atomic_load_n(&d->pub_at, __ATOMIC_ACQUIRE) < PUB_MAX_AGE_NS) {
        *version = __atomic_load_n(&d->pub_version, __ATOMIC_ACQUIRE);
        return SL_OK;
    }
    /* Otherwise one check at a time.  Without `fresh`, a request arriving
     * while another one checks uses the last version instead of queueing
     * behind it: a check can wait on SQLite's locks (WAL recovery, a
     * checkpoint restarting the log) and must not stall every request. */
    if (pthread_mutex_trylock(&d->wmu) != 0) {
        if (!fresh && ok) {
            *version = __atomic_load_n(&d->pub_version, __ATOMIC_ACQUIRE);
            return SL_OK;
        }
        pthread_mutex_lock(&d->wmu);
    }
    sl_err e = check_locked(d, version, err, errlen);
    pthread_mutex_unlock(&d->wmu);
    return e;
}

static void *poll_main(void *arg) {
    sv_db *d = arg;
    char err[256];
    while (!__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE)) {
        uint64_t v;
        pthread_mutex_lock(&d->wmu);
        check_locked(d, &v, err, sizeof err);
        pthread_mutex_unlock(&d->wmu);
        struct timespec ts = {0, (long)d->poll_ms * 1000000L};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

sl_err sv_db_start_poller(sv_db *d, int poll_ms, char *err, size_t errlen) {
    if (d->polling) return SL_OK;
    d->poll_ms = poll_ms < 1 ? 1 : poll_ms;
    if (pthread_create(&d->poller, NULL, poll_main, d) != 0)
        return sl_err_set(err, errlen, SL_ERR_IO, "cannot start the store poller thread");
    d->polling = true;
    return SL_OK;
}

uint64_t sv_db_changes(sv_db *d) { return __atomic_load_n(&d->pub_version, __ATOMIC_ACQUIRE); }

sl_err sv_db_acquire(sv_db *d, sv_conn *out, char *err, size_t errlen) {
    out->db = NULL;
    out->rd = NULL;
    pthread_mutex_lock(&d->mu);
    for (;;) {
        while (d->nidle > 0) {
            sv_conn p = d->idle[--d->nidle];
            if (p.epoch == __atomic_load_n(&d->epoch, __ATOMIC_RELAXED)) {
                pthread_mutex_unlock(&d->mu);
                *out = p;
                return SL_OK;
            }
            close_conn(&p); /* opened for a file that was replaced since */
            d->open--;
        }
        if (d->open < d->max) break;
        pthread_cond_wait(&d->cv, &d->mu);
    }
    d->open++;
    uint64_t epoch = __atomic_load_n(&d->epoch, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&d->mu);
    sqlite3 *db = NULL;
    hr_conn *rd = NULL;
    struct stat st;
    sl_err e = stat(d->path, &st) != 0 ? missing(d, errno, err, errlen) : open_conn(d, &db, err, errlen);
    if (e == SL_OK && (e = hr_conn_new(&rd, db, err, errlen)) != SL_OK) sqlite3_close(db);
    if (e != SL_OK) {
        pthread_mutex_lock(&d->mu);
        d->open--;
        pthread_cond_signal(&d->cv);
        pthread_mutex_unlock(&d->mu);
        return e;
    }
    out->db = db;
    out->rd = rd;
    out->epoch = epoch;
    return SL_OK;
}

void sv_db_release(sv_db *d, sv_conn *c, bool broken) {
    if (!c->db) return;
    if (!sqlite3_get_autocommit(c->db)) sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_lock(&d->mu);
    if (broken || c->epoch != __atomic_load_n(&d->epoch, __ATOMIC_RELAXED) || d->nidle >= MAX_CONNS) {
        close_conn(c);
        d->open--;
    } else {
        d->idle[d->nidle++] = *c;
    }
    c->db = NULL;
    c->rd = NULL;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
}
