/* target.c: byte targets: a local file (temporary sibling + rename) and a
 * memory buffer (see target.h). */
#include "io/target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------ checks */

sl_err sl_target_write(sl_target *t, const void *p, size_t n, char *err, size_t errlen) {
    if (t->state != SL_TARGET_OPEN)
        return sl_err_set(err, errlen, SL_ERR_ARG, "%s: write after finish or failure", t->name);
    if (!n) return SL_OK;
    sl_err e = t->ops->write(t, p, n, err, errlen);
    if (e != SL_OK) t->state = SL_TARGET_FAILED;
    else t->bytes_written += n;
    return e;
}

sl_err sl_target_finish(sl_target *t, bool sync, char *err, size_t errlen) {
    if (t->state != SL_TARGET_OPEN) return sl_err_set(err, errlen, SL_ERR_ARG, "%s: finish twice or after a failure", t->name);
    sl_err e = t->ops->finish(t, sync, err, errlen);
    t->state = e == SL_OK ? SL_TARGET_FINISHED : SL_TARGET_FAILED;
    return e;
}

sl_err sl_target_commit(sl_target *t, bool sync, char *err, size_t errlen) {
    if (t->state != SL_TARGET_FINISHED) return sl_err_set(err, errlen, SL_ERR_ARG, "%s: commit before finish", t->name);
    sl_err e = t->ops->commit(t, sync, err, errlen);
    t->state = e == SL_OK ? SL_TARGET_COMMITTED : SL_TARGET_FAILED;
    return e;
}

void sl_target_abort(sl_target *t) {
    if (!t) return;
    if (t->state != SL_TARGET_COMMITTED) t->ops->abort(t);
    t->ops->free(t);
}

void sl_target_close(sl_target *t) {
    if (!t) return;
    if (t->state != SL_TARGET_COMMITTED) t->ops->abort(t); /* never leave a half object behind */
    t->ops->free(t);
}

/* ------------------------------------------------------------------ file */

typedef struct ftarget {
    sl_target t;
    char *tmp;
    int fd;
} ftarget;

static atomic_uint tmp_counter;

static sl_err f_write(sl_target *t, const void *p, size_t n, char *err, size_t errlen) {
    ftarget *f = (ftarget *)t;
    const char *q = p;
    while (n) {
        ssize_t k = write(f->fd, q, n > (1u << 30) ? (1u << 30) : n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return sl_err_set(err, errlen, SL_ERR_IO, "%s: write failed: %s", t->name, strerror(errno));
        }
        q += k;
        n -= (size_t)k;
    }
    return SL_OK;
}

static sl_err f_finish(sl_target *t, bool sync, char *err, size_t errlen) {
    ftarget *f = (ftarget *)t;
    sl_err e = SL_OK;
    if (sync && fsync(f->fd) != 0) e = sl_err_set(err, errlen, SL_ERR_IO, "%s: fsync failed: %s", t->name, strerror(errno));
    if (close(f->fd) != 0 && e == SL_OK)
        e = sl_err_set(err, errlen, SL_ERR_IO, "%s: close failed: %s", t->name, strerror(errno));
    f->fd = -1;
    return e;
}

static void sync_dir_of(const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path ? 1 : 0)) : strdup(".");
    if (!dir) return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

static sl_err f_commit(sl_target *t, bool sync, char *err, size_t errlen) {
    ftarget *f = (ftarget *)t;
    if (rename(f->tmp, t->name) != 0)
        return sl_err_set(err, errlen, SL_ERR_IO, "%s: cannot rename %s into place: %s", t->name, f->tmp, strerror(errno));
    free(f->tmp);
    f->tmp = NULL;
    if (sync) sync_dir_of(t->name);
    return SL_OK;
}

static void f_abort(sl_target *t) {
    ftarget *f = (ftarget *)t;
    if (f->fd >= 0) close(f->fd);
    f->fd = -1;
    if (f->tmp) unlink(f->tmp);
}

static void f_free(sl_target *t) {
    ftarget *f = (ftarget *)t;
    free(f->tmp);
    free(t->name);
    free(f);
}

static const sl_target_ops file_ops = {f_write, f_finish, f_commit, f_abort, f_free};

sl_err sl_target_open_file(sl_target **out, const char *path, char *err, size_t errlen) {
    *out = NULL;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (!*base) return sl_err_set(err, errlen, SL_ERR_ARG, "%s: output path names a directory", path);
    ftarget *f = calloc(1, sizeof *f);
    size_t dlen = slash ? (size_t)(slash - path) + 1 : 0, tl = dlen + strlen(base) + 64;
    if (f) {
        f->fd = -1;
        f->t.ops = &file_ops;
        f->t.name = strdup(path);
        f->tmp = malloc(tl);
    }
    if (!f || !f->t.name || !f->tmp) {
        if (f) f_free(&f->t);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    snprintf(f->tmp, tl, "%.*s.%s.tmp-%ld-%u", (int)dlen, path, base, (long)getpid(), atomic_fetch_add(&tmp_counter, 1));
    f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (f->fd < 0) {
        sl_err e = sl_err_set(err, errlen, SL_ERR_IO, "%s: cannot create temporary file %s: %s", path, f->tmp,
                              strerror(errno));
        free(f->tmp);
        f->tmp = NULL;
        f_free(&f->t);
        return e;
    }
    *out = &f->t;
    return SL_OK;
}

const char *sl_target_file_tmp(const sl_target *t) {
    return t && t->ops == &file_ops ? ((const ftarget *)t)->tmp : NULL;
}

/* ------------------------------------------------------------------ memory */

typedef struct mtarget {
    sl_target t;
    char *p;
    size_t len, cap;
    uint64_t fail_at;
    bool fail_commit;
    bool published;
} mtarget;

static sl_err m_write(sl_target *t, const void *p, size_t n, char *err, size_t errlen) {
    mtarget *m = (mtarget *)t;
    if (m->fail_at != UINT64_MAX && m->len + n > m->fail_at)
        return sl_err_set(err, errlen, SL_ERR_IO, "%s: write failed: injected at byte %llu", t->name,
                          (unsigned long long)m->fail_at);
    if (m->len + n > m->cap) {
        size_t nc = m->cap ? m->cap : 4096;
        while (nc < m->len + n) nc *= 2;
        char *np = realloc(m->p, nc);
        if (!np) return sl_err_set(err, errlen, SL_ERR_NOMEM, "%s: out of memory", t->name);
        m->p = np;
        m->cap = nc;
    }
    memcpy(m->p + m->len, p, n);
    m->len += n;
    return SL_OK;
}

static sl_err m_finish(sl_target *t, bool sync, char *err, size_t errlen) {
    (void)t;
    (void)sync;
    (void)err;
    (void)errlen;
    return SL_OK;
}

static sl_err m_commit(sl_target *t, bool sync, char *err, size_t errlen) {
    (void)sync;
    mtarget *m = (mtarget *)t;
    if (m->fail_commit) return sl_err_set(err, errlen, SL_ERR_IO, "%s: commit failed: injected", t->name);
    m->published = true;
    return SL_OK;
}

static void m_abort(sl_target *t) {
    mtarget *m = (mtarget *)t;
    m->len = 0;
}

static void m_free(sl_target *t) {
    mtarget *m = (mtarget *)t;
    free(m->p);
    free(t->name);
    free(m);
}

static const sl_target_ops mem_ops = {m_write, m_finish, m_commit, m_abort, m_free};

sl_err sl_target_open_mem(sl_target **out, const char *name, char *err, size_t errlen) {
    *out = NULL;
    mtarget *m = calloc(1, sizeof *m);
    if (m) m->t.name = strdup(name ? name : "memory");
    if (!m || !m->t.name) {
        free(m);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    m->t.ops = &mem_ops;
    m->fail_at = UINT64_MAX;
    *out = &m->t;
    return SL_OK;
}

const void *sl_target_mem_data(const sl_target *t, size_t *n) {
    if (!t || t->ops != &mem_ops || !((const mtarget *)t)->published) {
        *n = 0;
        return NULL;
    }
    *n = ((const mtarget *)t)->len;
    return ((const mtarget *)t)->p;
}

void sl_target_mem_fail(sl_target *t, uint64_t at, bool fail_commit) {
    if (!t || t->ops != &mem_ops) return;
    ((mtarget *)t)->fail_at = at;
    ((mtarget *)t)->fail_commit = fail_commit;
}
