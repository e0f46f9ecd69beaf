/* test_target.c: byte targets (io/target.h) -- the file target (a hidden
 * temporary sibling, invisible until commit, renamed into place; abort and
 * close without commit remove it; errors name the file), the memory target
 * (data after commit, injected write and commit failures), the state rules,
 * and the Parquet writer on a memory target (pq_writer_open_target,
 * pq_writer_finish then commit, read back with the reader over
 * sl_source_open_mem; a write failure injected at many byte offsets leaves
 * nothing published). */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/source.h"
#include "io/target.h"
#include "parquet/reader.h"
#include "parquet/writer.h"
#include "t.h"

static char tmpdir[64];
static char err[SL_ERRLEN];

/* ------------------------------------------------------------------ files */

static void path_in(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", tmpdir, name); }

static void rm_rf(const char *p) {
    struct stat st;
    if (lstat(p, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(p);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
                char q[1024];
                snprintf(q, sizeof q, "%s/%s", p, e->d_name);
                rm_rf(q);
            }
            closedir(d);
        }
        rmdir(p);
    } else {
        unlink(p);
    }
}

/* Names in dir (sorted, ',' separated) into out. */
static const char *listing(const char *dir, char *out, size_t n) {
    char *names[64];
    size_t k = 0;
    DIR *d = opendir(dir);
    out[0] = '\0';
    if (!d) return out;
    struct dirent *e;
    while ((e = readdir(d)) && k < 64) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        names[k++] = strdup(e->d_name);
    }
    closedir(d);
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *x = names[j];
            names[j] = names[j - 1];
            names[j - 1] = x;
        }
    size_t len = 0;
    for (size_t i = 0; i < k; i++) {
        len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s%s", i ? "," : "", names[i]);
        free(names[i]);
    }
    return out;
}

static bool exists(const char *p) { return access(p, F_OK) == 0; }

/* The whole file as a string (static buffer; "<missing>" when absent). */
static const char *contents(const char *p) {
    static char buf[4096];
    FILE *f = fopen(p, "rb");
    if (!f) return "<missing>";
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void put_file(const char *p, const char *text) {
    FILE *f = fopen(p, "wb");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static bool ok(sl_err e) {
    if (e != SL_OK) fprintf(stderr, "  error: %s\n", err);
    return e == SL_OK;
}

/* ------------------------------------------------------------------ file target */

static void test_file_commit(void) {
    char dir[128], path[256], ls[1024];
    path_in(dir, sizeof dir, "commit");
    CHECK(mkdir(dir, 0777) == 0);
    snprintf(path, sizeof path, "%s/part.bin", dir);
    sl_target *t = NULL;
    CHECK(ok(sl_target_open_file(&t, path, err, sizeof err)));
    if (!t) return;
    CHECK_EQ_STR(t->name, path);
    CHECK_EQ_I64(t->state, SL_TARGET_OPEN);
    CHECK_EQ_I64(t->bytes_written, 0);
    /* the bytes go to a hidden temporary sibling ".part.bin.tmp-PID-N" */
    const char *tmp = sl_target_file_tmp(t);
    CHECK(tmp != NULL);
    char prefix[300];
    snprintf(prefix, sizeof prefix, "%s/.part.bin.tmp-%ld-", dir, (long)getpid());
    CHECK(tmp && !strncmp(tmp, prefix, strlen(prefix)));
    CHECK(tmp && exists(tmp));
    CHECK(!exists(path));
    CHECK(ok(sl_target_write(t, "hello ", 6, err, sizeof err)));
    CHECK(ok(sl_target_write(t, "", 0, err, sizeof err)));
    CHECK(ok(sl_target_write(t, "world", 5, err, sizeof err)));
    CHECK_EQ_I64(t->bytes_written, 11);
    CHECK(!exists(path)); /* invisible while written */
    CHECK_EQ_STR(contents(tmp), "hello world");
    CHECK(ok(sl_target_finish(t, true, err, sizeof err)));
    CHECK_EQ_I64(t->state, SL_TARGET_FINISHED);
    CHECK(!exists(path)); /* finished: durable, still invisible */
    /* writes end with finish; a second finish is refused */
    CHECK(sl_target_write(t, "x", 1, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, path) != NULL);
    CHECK(sl_target_finish(t, true, err, sizeof err) == SL_ERR_ARG);
    CHECK_EQ_I64(t->state, SL_TARGET_FINISHED);
    char tmpcopy[300];
    snprintf(tmpcopy, sizeof tmpcopy, "%s", tmp ? tmp : "");
    CHECK(ok(sl_target_commit(t, true, err, sizeof err)));
    CHECK_EQ_I64(t->state, SL_TARGET_COMMITTED);
    CHECK_EQ_STR(contents(path), "hello world");
    CHECK(!exists(tmpcopy)); /* renamed, not copied */
    CHECK(sl_target_file_tmp(t) == NULL);
    CHECK(sl_target_commit(t, true, err, sizeof err) == SL_ERR_ARG); /* once */
    sl_target_close(t);
    CHECK_EQ_STR(contents(path), "hello world"); /* close after commit keeps it */
    CHECK_EQ_STR(listing(dir, ls, sizeof ls), "part.bin");

    /* a commit replaces an older object atomically (a new inode under the name) */
    struct stat st0, st1;
    CHECK(stat(path, &st0) == 0);
    CHECK(ok(sl_target_open_file(&t, path, err, sizeof err)));
    if (!t) return;
    CHECK_EQ_STR(contents(path), "hello world"); /* the old object stays visible meanwhile */
    CHECK(ok(sl_target_write(t, "second", 6, err, sizeof err)));
    CHECK(ok(sl_target_finish(t, false, err, sizeof err)));
    CHECK_EQ_STR(contents(path), "hello world");
    CHECK(ok(sl_target_commit(t, false, err, sizeof err)));
    sl_target_close(t);
    CHECK(stat(path, &st1) == 0);
    CHECK(st0.st_ino != st1.st_ino);
    CHECK_EQ_STR(contents(path), "second");
    CHECK_EQ_STR(listing(dir, ls, sizeof ls), "part.bin");

    /* two open targets of one name get distinct temporary files */
    sl_target *a = NULL, *b = NULL;
    CHECK(ok(sl_target_open_file(&a, path, err, sizeof err)));
    CHECK(ok(sl_target_open_file(&b, path, err, sizeof err)));
    if (a && b) CHECK(strcmp(sl_target_file_tmp(a), sl_target_file_tmp(b)) != 0);
    sl_target_close(a);
    sl_target_close(b);
    /* a relative name (no directory part) */
    char cwd[512];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(chdir(dir) == 0);
    CHECK(ok(sl_target_open_file(&t, "rel.bin", err, sizeof err)));
    if (t) {
        CHECK(!strncmp(sl_target_file_tmp(t), ".rel.bin.tmp-", 13));
        CHECK(ok(sl_target_write(t, "r", 1, err, sizeof err)));
        CHECK(ok(sl_target_finish(t, true, err, sizeof err)));
        CHECK(ok(sl_target_commit(t, true, err, sizeof err)));
        sl_target_close(t);
    }
    CHECK(chdir(cwd) == 0);
    CHECK_EQ_STR(listing(dir, ls, sizeof ls), "part.bin,rel.bin");
}

static void test_file_abort_and_close(void) {
    char dir[128], path[256], ls[1024];
    path_in(dir, sizeof dir, "abort");
    CHECK(mkdir(dir, 0777) == 0);
    snprintf(path, sizeof path, "%s/out.bin", dir);
    /* abort while open: the temporary file goes, nothing is published */
    sl_target *t = NULL;
    CHECK(ok(sl_target_open_file(&t, path, err, sizeof err)));
    if (!t) return;
    CHECK(ok(sl_target_write(t, "partial", 7, err, sizeof err)));
    CHECK_EQ_I64(strlen(listing(dir, ls, sizeof ls)) > 0, 1);
    sl_target_abort(t);
    CHECK_EQ_STR(listing(dir, ls, sizeof ls), "");
    /* abort after finish */
    CHECK(ok(sl_target_open_file(&t, path, err, sizeof err)));
    if (!t) return;
    CHECK(ok(sl_target_write(t, "partial", 7, err, sizeof err)));
    CHECK(ok(sl_target_finish(t, true, err, sizeof err)));
    sl_target_abort(t);
    CHECK_EQ_STR(listing(dir, ls, sizeof ls), "");
    /* close without commit (open, or finished) removes it too */
    CHECK(ok(sl_target_open_file(&t, path, err, sizeof err)));
    if (!t) return;
    CHECK(ok(sl_target_write(t, "partial", 7, err, sizeof err)));
    sl_target_close(t);
    CHECK_EQ_STR(listing(dir, ls, sizeof ls), "");
    CHECK(ok(sl_target_open_file(&t, path, err, sizeof err)));
    if (!t) return;
    CHECK(ok(sl_target_finish(t, false, err, sizeof err))); /* an empty object */
    sl_target_close(t);
    CHECK_EQ_STR(listing(dir, ls, sizeof ls), "");
    /* neither touches an object already published under the name */
    put_file(path, "published");
    CHECK(ok(sl_target_open_file(&t, path, err, sizeof err)));
    if (!t) return;
    CHECK(ok(sl_target_write(t, "new", 3, err, sizeof err)));
    sl_target_abort(t);
    CHECK(ok(sl_target_open_file(&t, path, err, sizeof err)));
    if (!t) return;
    CHECK(ok(sl_target_write(t, "new", 3, err, sizeof err)));
    CHECK(ok(sl_target_finish(t, true, err, sizeof err)));
    sl_target_close(t);
    CHECK_EQ_STR(contents(path), "published");
    CHECK_EQ_STR(listing(dir, ls, sizeof ls), "out.bin");
    sl_target_abort(NULL);
    sl_target_close(NULL);
}

static void test_file_errors(void) {
    char dir[128], path[256], ls[1024];
    path_in(dir, sizeof dir, "errors");
    CHECK(mkdir(dir, 0777) == 0);
    /* a target in a missing directory: the message names the file and why */
    snprintf(path, sizeof path, "%s/no/such/dir/x.bin", dir);
    sl_target *t = (sl_target *)&t; /* must be reset */
    err[0] = '\0';
    CHECK(sl_target_open_file(&t, path, err, sizeof err) == SL_ERR_IO && t == NULL);
    CHECK(strstr(err, path) && strstr(err, "No such file or directory"));
    fprintf(stderr, "  (message: %s)\n", err);
    /* a path that names a directory */
    snprintf(path, sizeof path, "%s/", dir);
    CHECK(sl_target_open_file(&t, path, err, sizeof err) == SL_ERR_ARG && t == NULL);
    CHECK(strstr(err, path) && strstr(err, "directory"));
    /* commit fails when the name is taken by a non-empty directory: the message
     * names the file and its temporary; the temporary is removed at close */
    snprintf(path, sizeof path, "%s/taken", dir);
    CHECK(mkdir(path, 0777) == 0);
    char inner[300];
    snprintf(inner, sizeof inner, "%s/keep", path);
    put_file(inner, "k");
    CHECK(ok(sl_target_open_file(&t, path, err, sizeof err)));
    if (!t) return;
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s", sl_target_file_tmp(t));
    CHECK(ok(sl_target_write(t, "data", 4, err, sizeof err)));
    CHECK(ok(sl_target_finish(t, true, err, sizeof err)));
    err[0] = '\0';
    CHECK(sl_target_commit(t, true, err, sizeof err) == SL_ERR_IO);
    CHECK(strstr(err, path) && strstr(err, tmp) && strstr(err, "rename"));
    fprintf(stderr, "  (message: %s)\n", err);
    CHECK_EQ_I64(t->state, SL_TARGET_FAILED);
    CHECK(sl_target_commit(t, true, err, sizeof err) == SL_ERR_ARG);
    CHECK(exists(tmp));
    sl_target_close(t);
    CHECK(!exists(tmp));
    CHECK_EQ_STR(contents(inner), "k");
    CHECK_EQ_STR(listing(dir, ls, sizeof ls), "taken");
    /* commit before finish is refused and changes nothing */
    snprintf(path, sizeof path, "%s/early.bin", dir);
    CHECK(ok(sl_target_open_file(&t, path, err, sizeof err)));
    if (!t) return;
    CHECK(sl_target_commit(t, true, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, path) && strstr(err, "before finish"));
    CHECK_EQ_I64(t->state, SL_TARGET_OPEN);
    CHECK(ok(sl_target_write(t, "ok", 2, err, sizeof err)));
    sl_target_close(t);
    CHECK(!exists(path));
    /* a failing write (the file size limit: EFBIG) names the file; the target
     * is failed and its temporary removed at close */
    struct rlimit old, lim;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
    snprintf(path, sizeof path, "%s/big.bin", dir);
    CHECK(ok(sl_target_open_file(&t, path, err, sizeof err)));
    if (!t) return;
    lim = old;
    lim.rlim_cur = 64;
    CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    char buf[256];
    memset(buf, 'x', sizeof buf);
    err[0] = '\0';
    sl_err e = sl_target_write(t, buf, sizeof buf, err, sizeof err);
    CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
    signal(SIGXFSZ, prev);
    CHECK(e == SL_ERR_IO);
    CHECK(strstr(err, path) && strstr(err, "write failed"));
    fprintf(stderr, "  (message: %s)\n", err);
    CHECK_EQ_I64(t->state, SL_TARGET_FAILED);
    CHECK_EQ_I64(t->bytes_written, 0);
    CHECK(sl_target_write(t, "x", 1, err, sizeof err) == SL_ERR_ARG);
    CHECK(sl_target_finish(t, true, err, sizeof err) == SL_ERR_ARG);
    sl_target_close(t);
    CHECK(!exists(path));
    CHECK_EQ_STR(listing(dir, ls, sizeof ls), "taken");
}

/* ------------------------------------------------------------------ memory target */

static void test_mem_target(void) {
    sl_target *t = NULL;
    size_t n = 99;
    CHECK(ok(sl_target_open_mem(&t, "mem:a", err, sizeof err)));
    if (!t) return;
    CHECK_EQ_STR(t->name, "mem:a");
    CHECK(sl_target_file_tmp(t) == NULL);
    CHECK(sl_target_mem_data(t, &n) == NULL && n == 0); /* nothing published yet */
    CHECK(ok(sl_target_write(t, "abc", 3, err, sizeof err)));
    char big[10000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)('a' + i % 26);
    CHECK(ok(sl_target_write(t, big, sizeof big, err, sizeof err)));
    CHECK_EQ_I64(t->bytes_written, 3 + sizeof big);
    n = 99;
    CHECK(sl_target_mem_data(t, &n) == NULL && n == 0);
    CHECK(ok(sl_target_finish(t, true, err, sizeof err)));
    n = 99;
    CHECK(sl_target_mem_data(t, &n) == NULL && n == 0); /* finished is not published */
    CHECK(ok(sl_target_commit(t, true, err, sizeof err)));
    const char *d = sl_target_mem_data(t, &n);
    CHECK(d != NULL);
    CHECK_EQ_I64(n, 3 + sizeof big);
    CHECK(d && !memcmp(d, "abc", 3) && !memcmp(d + 3, big, sizeof big));
    sl_target_close(t);
    /* no name: "memory" */
    CHECK(ok(sl_target_open_mem(&t, NULL, err, sizeof err)));
    if (!t) return;
    CHECK_EQ_STR(t->name, "memory");
    CHECK(ok(sl_target_finish(t, false, err, sizeof err)));
    CHECK(ok(sl_target_commit(t, false, err, sizeof err)));
    CHECK(sl_target_mem_data(t, &n) != NULL || n == 0);
    CHECK_EQ_I64(n, 0);
    sl_target_close(t);
    /* abort and close without commit free it (ASan: no leak) */
    CHECK(ok(sl_target_open_mem(&t, "mem:b", err, sizeof err)));
    if (!t) return;
    CHECK(ok(sl_target_write(t, "abc", 3, err, sizeof err)));
    sl_target_abort(t);
    CHECK(ok(sl_target_open_mem(&t, "mem:c", err, sizeof err)));
    if (!t) return;
    CHECK(ok(sl_target_write(t, "abc", 3, err, sizeof err)));
    CHECK(ok(sl_target_finish(t, true, err, sizeof err)));
    sl_target_close(t);
    /* fault injection is for memory targets only: a file target ignores it */
    char path[256];
    path_in(path, sizeof path, "nofault.bin");
    CHECK(ok(sl_target_open_file(&t, path, err, sizeof err)));
    if (!t) return;
    sl_target_mem_fail(t, 0, true);
    CHECK(ok(sl_target_write(t, "abc", 3, err, sizeof err)));
    CHECK(sl_target_mem_data(t, &n) == NULL && n == 0);
    CHECK(ok(sl_target_finish(t, true, err, sizeof err)));
    CHECK(ok(sl_target_commit(t, true, err, sizeof err)));
    sl_target_close(t);
    CHECK_EQ_STR(contents(path), "abc");
}

static void test_mem_injected_failures(void) {
    sl_target *t = NULL;
    size_t n = 0;
    /* the write that would pass byte 10 fails; up to byte 10 is fine */
    CHECK(ok(sl_target_open_mem(&t, "mem:w", err, sizeof err)));
    if (!t) return;
    sl_target_mem_fail(t, 10, false);
    CHECK(ok(sl_target_write(t, "012345", 6, err, sizeof err)));
    CHECK(ok(sl_target_write(t, "6789", 4, err, sizeof err)));
    err[0] = '\0';
    CHECK(sl_target_write(t, "X", 1, err, sizeof err) == SL_ERR_IO);
    CHECK(strstr(err, "mem:w") && strstr(err, "injected"));
    CHECK_EQ_I64(t->state, SL_TARGET_FAILED);
    CHECK_EQ_I64(t->bytes_written, 10);
    /* a failed target takes nothing more and cannot be published */
    CHECK(sl_target_write(t, "Y", 1, err, sizeof err) == SL_ERR_ARG);
    CHECK(sl_target_finish(t, true, err, sizeof err) == SL_ERR_ARG);
    CHECK(sl_target_commit(t, true, err, sizeof err) == SL_ERR_ARG);
    CHECK(sl_target_mem_data(t, &n) == NULL && n == 0);
    sl_target_close(t);
    /* at byte 0: the first write fails (an empty one does not count) */
    CHECK(ok(sl_target_open_mem(&t, "mem:0", err, sizeof err)));
    if (!t) return;
    sl_target_mem_fail(t, 0, false);
    CHECK(ok(sl_target_write(t, "", 0, err, sizeof err)));
    CHECK(sl_target_write(t, "a", 1, err, sizeof err) == SL_ERR_IO);
    CHECK_EQ_I64(t->bytes_written, 0);
    sl_target_abort(t);
    /* a write across the byte fails whole */
    CHECK(ok(sl_target_open_mem(&t, "mem:x", err, sizeof err)));
    if (!t) return;
    sl_target_mem_fail(t, 5, false);
    CHECK(ok(sl_target_write(t, "abc", 3, err, sizeof err)));
    CHECK(sl_target_write(t, "defg", 4, err, sizeof err) == SL_ERR_IO);
    CHECK_EQ_I64(t->bytes_written, 3);
    sl_target_close(t);
    /* commit failure: finished, not published */
    CHECK(ok(sl_target_open_mem(&t, "mem:c", err, sizeof err)));
    if (!t) return;
    sl_target_mem_fail(t, UINT64_MAX, true);
    CHECK(ok(sl_target_write(t, "abc", 3, err, sizeof err)));
    CHECK(ok(sl_target_finish(t, true, err, sizeof err)));
    err[0] = '\0';
    CHECK(sl_target_commit(t, true, err, sizeof err) == SL_ERR_IO);
    CHECK(strstr(err, "mem:c") && strstr(err, "commit failed") && strstr(err, "injected"));
    CHECK_EQ_I64(t->state, SL_TARGET_FAILED);
    CHECK(sl_target_mem_data(t, &n) == NULL && n == 0);
    CHECK(sl_target_commit(t, true, err, sizeof err) == SL_ERR_ARG); /* no retry */
    sl_target_close(t);
}

/* ------------------------------------------------------------------ a spy target
 *
 * Wraps a memory target and logs the calls it gets, in a log that outlives
 * it: proof of what a writer did with a target it owned and freed. */

typedef struct spy_log {
    int writes, finishes, commits, aborts, frees;
    uint64_t bytes;
    bool published;
} spy_log;

typedef struct spy {
    sl_target t;
    sl_target *inner;
    spy_log *log;
} spy;

static sl_err spy_write(sl_target *t, const void *p, size_t n, char *e, size_t el) {
    spy *s = (spy *)t;
    s->log->writes++;
    sl_err r = sl_target_write(s->inner, p, n, e, el);
    if (r == SL_OK) s->log->bytes += n;
    return r;
}
static sl_err spy_finish(sl_target *t, bool sync, char *e, size_t el) {
    spy *s = (spy *)t;
    s->log->finishes++;
    return sl_target_finish(s->inner, sync, e, el);
}
static sl_err spy_commit(sl_target *t, bool sync, char *e, size_t el) {
    spy *s = (spy *)t;
    s->log->commits++;
    sl_err r = sl_target_commit(s->inner, sync, e, el);
    size_t n;
    if (r == SL_OK) s->log->published = sl_target_mem_data(s->inner, &n) != NULL;
    return r;
}
static void spy_abort(sl_target *t) { ((spy *)t)->log->aborts++; }
static void spy_free(sl_target *t) {
    spy *s = (spy *)t;
    s->log->frees++;
    sl_target_close(s->inner);
    free(t->name);
    free(s);
}
static const sl_target_ops spy_ops = {spy_write, spy_finish, spy_commit, spy_abort, spy_free};

/* A spy over a new memory target that fails at byte fail_at (UINT64_MAX: never). */
static sl_target *spy_open(spy_log *log, uint64_t fail_at, bool fail_commit) {
    memset(log, 0, sizeof *log);
    spy *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->t.ops = &spy_ops;
    s->t.name = strdup("mem:part.parquet");
    s->log = log;
    if (!s->t.name || sl_target_open_mem(&s->inner, "mem:part.parquet", err, sizeof err) != SL_OK) {
        free(s->t.name);
        free(s);
        return NULL;
    }
    sl_target_mem_fail(s->inner, fail_at, fail_commit);
    return &s->t;
}

/* ------------------------------------------------------------------ Parquet on a memory target */

enum { C_ID, C_NAME, C_TS, C_SCORE, C_FLAG, NCOLS };
static const pq_write_col COLS[NCOLS] = {
    {"id", {.type = SL_I64}, false},
    {"name", {.type = SL_BYTES, .logical = SL_LOG_STRING}, true},
    {"ts", {.type = SL_I64, .logical = SL_LOG_TIMESTAMP, .unit = SL_UNIT_MICROS, .utc = true}, false},
    {"score", {.type = SL_F64}, true},
    {"flag", {.type = SL_I32}, false},
};
#define T0 INT64_C(1709251200000000) /* 2024-03-01 00:00:00 UTC */
#define NROWS 30000

static bool name_null(size_t r) { return r % 7 == 3; }
static bool score_null(size_t r) { return r % 5 == 4; }
static void name_of(size_t r, char *out, size_t n) { snprintf(out, n, "name-%zu-%s", r % 97, r % 2 ? "odd" : "even"); }

/* Rows [r0, r0 + n) into a new batch. */
static void make_batch(sl_batch *b, size_t r0, size_t n) {
    sl_batch_init(b);
    for (size_t c = 0; c < NCOLS; c++)
        CHECK(sl_batch_add_col(b, COLS[c].name, &COLS[c].type, COLS[c].nullable, err, sizeof err) >= 0);
    CHECK(sl_batch_reserve(b, n, err, sizeof err) == SL_OK);
    b->nrows = n;
    uint8_t *vn = sl_col_valid_alloc(b, C_NAME), *vs = sl_col_valid_alloc(b, C_SCORE);
    for (size_t i = 0; i < n; i++) {
        size_t r = r0 + i;
        ((int64_t *)b->cols[C_ID].data)[i] = (int64_t)r * 1000003;
        ((int64_t *)b->cols[C_TS].data)[i] = T0 + (int64_t)r * 1000;
        ((int32_t *)b->cols[C_FLAG].data)[i] = (int32_t)(r % 3) - 1;
        if (name_null(r)) {
            sl_bit_clear(vn, i);
            b->cols[C_NAME].null_count++;
            ((sl_str *)b->cols[C_NAME].data)[i] = (sl_str){NULL, 0};
        } else {
            char s[64];
            name_of(r, s, sizeof s);
            size_t l = strlen(s);
            ((sl_str *)b->cols[C_NAME].data)[i] = (sl_str){sl_arena_dup(&b->arena, s, l), (uint32_t)l};
        }
        if (score_null(r)) {
            sl_bit_clear(vs, i);
            b->cols[C_SCORE].null_count++;
            ((double *)b->cols[C_SCORE].data)[i] = 0;
        } else {
            ((double *)b->cols[C_SCORE].data)[i] = (double)r / 8 - 100;
        }
    }
}

static pq_writer_opts small_groups(void) {
    pq_writer_opts o = pq_writer_opts_default();
    o.codec = PQ_CODEC_UNCOMPRESSED; /* ~1 MB: the writer also writes out while rows arrive */
    o.row_group_rows = 10000;        /* 3 row groups */
    o.page_bytes = 8192;             /* many pages */
    return o;
}

/* Write NROWS rows (two batches) into target t (the writer owns it) and finish.
 * Returns the first error (and where: 1 open, 2 write, 3 finish) or SL_OK with *out. */
static sl_err write_all(sl_target *t, sl_target **out, pq_writer_stats *st, int *where) {
    pq_writer_opts o = small_groups();
    pq_writer *w = NULL;
    *out = NULL;
    *where = 1;
    sl_err e = pq_writer_open_target(&w, t, COLS, NCOLS, &o, err, sizeof err);
    if (e != SL_OK) return e;
    for (size_t part = 0; part < 2; part++) {
        sl_batch b;
        make_batch(&b, part * 17000, part ? NROWS - 17000 : 17000);
        e = pq_writer_write(w, &b, err, sizeof err);
        sl_batch_free(&b);
        if (e != SL_OK) {
            *where = 2;
            pq_writer_abort(w);
            return e;
        }
    }
    *where = 3;
    return pq_writer_finish(w, st, out, err, sizeof err);
}

/* Read a Parquet file held in memory and compare every value. */
static void check_parquet(const void *data, size_t n) {
    sl_source *src = NULL;
    CHECK(ok(sl_source_open_mem(&src, data, n, "mem:part.parquet", err, sizeof err)));
    if (!src) return;
    pq_reader *r = NULL;
    CHECK(ok(pq_reader_open(&r, src, NULL, err, sizeof err)));
    if (!r) {
        sl_source_close(src);
        return;
    }
    const pq_meta *m = pq_reader_meta(r);
    CHECK_EQ_I64(m->num_rows, NROWS);
    CHECK_EQ_I64(m->n_row_groups, 3);
    CHECK_EQ_I64(pq_reader_num_leaves(r), NCOLS);
    for (size_t c = 0; c < NCOLS && c < pq_reader_num_leaves(r); c++) {
        const pq_leaf *l = pq_reader_leaf(r, c);
        CHECK_EQ_STR(l->name, COLS[c].name);
        CHECK(l->supported);
        CHECK(l->ctype.type == COLS[c].type.type && l->ctype.logical == COLS[c].type.logical);
        CHECK(l->nullable == COLS[c].nullable);
    }
    sl_batch b;
    sl_batch_init(&b);
    CHECK(ok(pq_reader_init_batch(r, &b, err, sizeof err)));
    size_t row = 0, bad = 0;
    long k;
    while ((k = pq_reader_next(r, &b, 4096, err, sizeof err)) > 0) {
        for (size_t i = 0; i < (size_t)k; i++, row++) {
            bad += ((int64_t *)b.cols[C_ID].data)[i] != (int64_t)row * 1000003;
            bad += ((int64_t *)b.cols[C_TS].data)[i] != T0 + (int64_t)row * 1000;
            bad += ((int32_t *)b.cols[C_FLAG].data)[i] != (int32_t)(row % 3) - 1;
            bad += sl_col_is_null(&b.cols[C_NAME], i) != name_null(row);
            if (!name_null(row)) {
                char s[64];
                name_of(row, s, sizeof s);
                sl_str g = ((sl_str *)b.cols[C_NAME].data)[i];
                bad += g.len != strlen(s) || memcmp(g.ptr, s, g.len) != 0;
            }
            bad += sl_col_is_null(&b.cols[C_SCORE], i) != score_null(row);
            if (!score_null(row)) bad += ((double *)b.cols[C_SCORE].data)[i] != (double)row / 8 - 100;
        }
    }
    CHECK_EQ_I64(k, 0);
    if (k < 0) fprintf(stderr, "  read: %s\n", err);
    CHECK_EQ_I64(row, NROWS);
    CHECK_EQ_I64(bad, 0);
    sl_batch_free(&b);
    pq_reader_close(r);
    sl_source_close(src);
}

static uint8_t *g_good;   /* the file written without failures */
static size_t g_good_len;

static void test_parquet_on_mem(void) {
    sl_target *t = NULL, *done = NULL;
    CHECK(ok(sl_target_open_mem(&t, "mem:part.parquet", err, sizeof err)));
    if (!t) return;
    pq_writer_stats st;
    int where = 0;
    CHECK(ok(write_all(t, &done, &st, &where)));
    CHECK(done == t); /* the same target, handed back finished */
    if (!done) return;
    CHECK_EQ_I64(done->state, SL_TARGET_FINISHED);
    size_t n = 99;
    CHECK(sl_target_mem_data(done, &n) == NULL && n == 0); /* finished, not published */
    CHECK_EQ_I64(st.rows, NROWS);
    CHECK_EQ_I64(st.row_groups, 3);
    CHECK(st.pages > 3);
    CHECK_EQ_I64(st.bytes_written, done->bytes_written);
    CHECK(ok(sl_target_commit(done, true, err, sizeof err)));
    const uint8_t *d = sl_target_mem_data(done, &n);
    CHECK(d != NULL);
    CHECK_EQ_I64(n, st.bytes_written);
    if (d && n > 8) {
        CHECK(!memcmp(d, "PAR1", 4) && !memcmp(d + n - 4, "PAR1", 4));
        check_parquet(d, n);
        g_good = malloc(n);
        if (g_good) {
            memcpy(g_good, d, n);
            g_good_len = n;
        }
    }
    sl_target_close(done);

    /* the same bytes as a file written by pq_writer_open (a file target) */
    char path[256];
    path_in(path, sizeof path, "part.parquet");
    pq_writer_opts o = small_groups();
    pq_writer *w = NULL;
    CHECK(ok(pq_writer_open(&w, path, COLS, NCOLS, &o, err, sizeof err)));
    if (!w) return;
    sl_batch b;
    make_batch(&b, 0, NROWS);
    CHECK(ok(pq_writer_write(w, &b, err, sizeof err)));
    sl_batch_free(&b);
    CHECK(ok(pq_writer_finish(w, NULL, &done, err, sizeof err)));
    CHECK(done && sl_target_file_tmp(done) != NULL);
    CHECK(!exists(path));
    if (done) CHECK(ok(sl_target_commit(done, true, err, sizeof err)));
    sl_target_close(done);
    struct stat fs;
    CHECK(stat(path, &fs) == 0 && (size_t)fs.st_size == g_good_len);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (f && g_good) {
        uint8_t *fb = malloc(g_good_len);
        CHECK(fb && fread(fb, 1, g_good_len, f) == g_good_len && !memcmp(fb, g_good, g_good_len));
        free(fb);
    }
    if (f) fclose(f);

    /* pq_writer_close commits the target itself (and frees it): a commit
     * failure is its error, and nothing is published */
    spy_log log;
    t = spy_open(&log, UINT64_MAX, true);
    CHECK(t != NULL);
    if (!t) return;
    o = small_groups();
    CHECK(ok(pq_writer_open_target(&w, t, COLS, NCOLS, &o, err, sizeof err)));
    if (!w) return;
    make_batch(&b, 0, 10);
    CHECK(ok(pq_writer_write(w, &b, err, sizeof err)));
    sl_batch_free(&b);
    err[0] = '\0';
    CHECK(pq_writer_close(w, err, sizeof err) == SL_ERR_IO);
    CHECK(strstr(err, "commit failed") && strstr(err, "injected"));
    CHECK_EQ_I64(log.commits, 1);
    CHECK(!log.published);
    CHECK_EQ_I64(log.frees, 1);
    /* ... and pq_writer_close on a good one commits and frees it */
    t = spy_open(&log, UINT64_MAX, false);
    CHECK(t != NULL);
    if (!t) return;
    CHECK(ok(pq_writer_open_target(&w, t, COLS, NCOLS, &o, err, sizeof err)));
    if (!w) return;
    make_batch(&b, 0, 10);
    CHECK(ok(pq_writer_write(w, &b, err, sizeof err)));
    sl_batch_free(&b);
    CHECK(ok(pq_writer_close(w, err, sizeof err)));
    CHECK_EQ_I64(log.commits, 1);
    CHECK(log.published);
    CHECK_EQ_I64(log.aborts, 0);
    CHECK_EQ_I64(log.frees, 1);
    /* the writer owns the target also when opening fails */
    t = spy_open(&log, UINT64_MAX, false);
    CHECK(t != NULL);
    if (!t) return;
    w = (pq_writer *)&w;
    CHECK(pq_writer_open_target(&w, t, COLS, 0, &o, err, sizeof err) == SL_ERR_ARG && w == NULL);
    CHECK(strstr(err, "mem:part.parquet") != NULL);
    CHECK_EQ_I64(log.commits, 0);
    CHECK_EQ_I64(log.frees, 1);
}

/* A write failure injected at many byte offsets: the writer reports it
 * (naming the target), aborts and frees its target; nothing is published. */
static void test_parquet_write_failures(void) {
    CHECK(g_good != NULL);
    if (!g_good) return;
    uint64_t S = g_good_len;
    const uint64_t at[] = {0, 1, 3, 4, 5, 100, 4096, S / 3, S / 2, (2 * S) / 3, S - 9, S - 8, S - 5, S - 4, S - 1};
    int where_seen[4] = {0};
    for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
        spy_log log;
        sl_target *t = spy_open(&log, at[k], false);
        CHECK(t != NULL);
        if (!t) return;
        sl_target *done = (sl_target *)&done;
        pq_writer_stats st;
        int where = 0;
        err[0] = '\0';
        sl_err e = write_all(t, &done, &st, &where);
        if (e == SL_OK) {
            fprintf(stderr, "  a failure at byte %llu of %llu was not reported\n", (unsigned long long)at[k],
                    (unsigned long long)S);
            CHECK(0);
            sl_target_close(done);
            continue;
        }
        CHECK(e == SL_ERR_IO);
        if (where == 3) CHECK(done == NULL);
        where_seen[where]++;
        CHECK(strstr(err, "mem:part.parquet") != NULL);
        CHECK(strstr(err, "injected") != NULL);
        if (!strstr(err, "injected")) fprintf(stderr, "  at %llu: %s\n", (unsigned long long)at[k], err);
        CHECK(log.bytes <= at[k]);  /* no byte past the failure */
        CHECK_EQ_I64(log.commits, 0); /* nothing published */
        CHECK(!log.published);
        CHECK_EQ_I64(log.aborts, 1);  /* what was written is removed ... */
        CHECK_EQ_I64(log.frees, 1);   /* ... and the target freed, once */
    }
    /* the failures surfaced while writing and at the finish */
    fprintf(stderr, "  (a file of %llu bytes: %d failures at open, %d while writing, %d at the finish)\n",
            (unsigned long long)S, where_seen[1], where_seen[2], where_seen[3]);
    CHECK(where_seen[2] > 0);
    CHECK(where_seen[3] > 0);
    /* a failure point at the very end is never reached: the same bytes */
    spy_log log;
    sl_target *t = spy_open(&log, S, false);
    CHECK(t != NULL);
    if (!t) return;
    sl_target *done = NULL;
    pq_writer_stats st;
    int where = 0;
    CHECK(ok(write_all(t, &done, &st, &where)));
    if (!done) return;
    CHECK(ok(sl_target_commit(done, true, err, sizeof err)));
    CHECK(log.published);
    size_t n = 0;
    const void *d = sl_target_mem_data(((spy *)done)->inner, &n);
    CHECK(d && n == S && !memcmp(d, g_good, n));
    sl_target_close(done);
    CHECK_EQ_I64(log.aborts, 0);
    CHECK_EQ_I64(log.frees, 1);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sluice-test-target-XXXXXX");
    if (!mkdtemp(tmpdir)) return 2;
    RUN(test_file_commit);
    RUN(test_file_abort_and_close);
    RUN(test_file_errors);
    RUN(test_mem_target);
    RUN(test_mem_injected_failures);
    RUN(test_parquet_on_mem);
    RUN(test_parquet_write_failures);
    free(g_good);
    rm_rf(tmpdir);
    return T_DONE();
}
