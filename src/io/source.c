#define _XOPEN_SOURCE 700
#include "io/source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct file_source {
    sl_source base;
    int fd;
} file_source;

typedef struct mem_source {
    sl_source base;
    const uint8_t *data;
} mem_source;

static sl_err file_read_at(sl_source *s, uint64_t off, void *buf, size_t n, char *err, size_t errlen) {
    file_source *f = (file_source *)s;
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(f->fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (r < 0) {
            if (errno == EINTR) continue;
            return sl_err_set(err, errlen, SL_ERR_IO, "%s: read of %zu bytes at offset %llu failed: %s",
                              s->name, n, (unsigned long long)off, strerror(errno));
        }
        if (r == 0)
            return sl_err_set(err, errlen, SL_ERR_CORRUPT,
                              "%s: unexpected end of file reading %zu bytes at offset %llu (file is %llu bytes)",
                              s->name, n, (unsigned long long)off, (unsigned long long)s->size);
        got += (size_t)r;
    }
    return SL_OK;
}

static void file_close(sl_source *s) {
    file_source *f = (file_source *)s;
    close(f->fd);
    free(s->name);
    free(f);
}

static const sl_source_ops file_ops = {file_read_at, file_close};

sl_err sl_source_open_file(sl_source **out, const char *path, char *err, size_t errlen) {
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return sl_err_set(err, errlen, SL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return sl_err_set(err, errlen, SL_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return sl_err_set(err, errlen, SL_ERR_ARG, "%s: is a directory", path);
    }
    file_source *f = calloc(1, sizeof *f);
    char *name = strdup(path);
    if (!f || !name) {
        free(f);
        free(name);
        close(fd);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    f->fd = fd;
    f->base.ops = &file_ops;
    f->base.size = (uint64_t)st.st_size;
    f->base.name = name;
#ifdef POSIX_FADV_SEQUENTIAL
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    *out = &f->base;
    return SL_OK;
}

static sl_err mem_read_at(sl_source *s, uint64_t off, void *buf, size_t n, char *err, size_t errlen) {
    mem_source *m = (mem_source *)s;
    if (off > s->size || n > s->size - off)
        return sl_err_set(err, errlen, SL_ERR_CORRUPT,
                          "%s: unexpected end of data reading %zu bytes at offset %llu (size %llu)", s->name, n,
                          (unsigned long long)off, (unsigned long long)s->size);
    memcpy(buf, m->data + off, n);
    return SL_OK;
}

static void mem_close(sl_source *s) {
    free(s->name);
    free(s);
}

static const sl_source_ops mem_ops = {mem_read_at, mem_close};

sl_err sl_source_open_mem(sl_source **out, const void *data, size_t n, const char *name, char *err,
                          size_t errlen) {
    mem_source *m = calloc(1, sizeof *m);
    char *nm = strdup(name ? name : "<memory>");
    if (!m || !nm) {
        free(m);
        free(nm);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    m->data = data;
    m->base.ops = &mem_ops;
    m->base.size = n;
    m->base.name = nm;
    *out = &m->base;
    return SL_OK;
}

sl_err sl_source_read_at(sl_source *s, uint64_t off, void *buf, size_t n, char *err, size_t errlen) {
    if (n == 0) return SL_OK;
    if (off > s->size || n > s->size - off)
        return sl_err_set(err, errlen, SL_ERR_CORRUPT,
                          "%s: read of %zu bytes at offset %llu is past the end (size %llu)", s->name, n,
                          (unsigned long long)off, (unsigned long long)s->size);
    sl_err e = s->ops->read_at(s, off, buf, n, err, errlen);
    if (e == SL_OK) {
        s->bytes_read += n;
        s->reads++;
    }
    return e;
}

void sl_source_close(sl_source *s) {
    if (s) s->ops->close(s);
}
