/* paths.c: input arguments -> files (see paths.h). */
#include "util/paths.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static sl_err push(sl_paths *p, const char *path, char *err, size_t errlen) {
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 16;
        char **nv = realloc(p->v, nc * sizeof *nv);
        if (!nv) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        p->v = nv;
        p->cap = nc;
    }
    if (!(p->v[p->n] = strdup(path))) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    p->n++;
    return SL_OK;
}

/* glob's error callback: the first directory that could not be read, and why.
   A directory that does not exist is no match, not an error. */
static _Thread_local char g_bad_dir[512];
static _Thread_local int g_bad_errno;
static int glob_error(const char *path, int eno) {
    if (eno == ENOENT || eno == ENOTDIR) return 0;
    if (!g_bad_errno) {
        snprintf(g_bad_dir, sizeof g_bad_dir, "%s", path);
        g_bad_errno = eno;
    }
    return 1;
}

/* Length of a URL scheme at the start of arg ("s3" of "s3://b/k"), else 0. */
static size_t url_scheme(const char *arg) {
    size_t i = 0;
    if (!((arg[0] | 32) >= 'a' && (arg[0] | 32) <= 'z')) return 0;
    while (arg[i] && (((arg[i] | 32) >= 'a' && (arg[i] | 32) <= 'z') || (arg[i] >= '0' && arg[i] <= '9') ||
                      arg[i] == '+' || arg[i] == '.' || arg[i] == '-'))
        i++;
    return strncmp(arg + i, "://", 3) ? 0 : i;
}

sl_err sl_paths_add(sl_paths *p, const char *arg, char *err, size_t errlen) {
    struct stat st;
    size_t sch = url_scheme(arg);
    if (sch == 4 && !strncasecmp(arg, "file", 4)) {
        arg += 7; /* file:///data/x.parquet is /data/x.parquet */
    } else if (sch) {
        return sl_err_set(err, errlen, SL_ERR_UNSUPPORTED,
                          "%s: no input reads '%.*s://' URLs yet (local files, globs and file:// URLs)", arg, (int)sch,
                          arg);
    }
    if (!strpbrk(arg, "*?[")) {
        if (stat(arg, &st) != 0) return sl_err_set(err, errlen, SL_ERR_IO, "%s: %s", arg, strerror(errno));
        if (S_ISDIR(st.st_mode))
            return sl_err_set(err, errlen, SL_ERR_IO, "%s: is a directory (give files or a glob like '%s/*.parquet')", arg,
                              arg);
        return push(p, arg, err, errlen);
    }
    glob_t g;
    memset(&g, 0, sizeof g);
    g_bad_errno = 0;
    int r = glob(arg, GLOB_ERR, glob_error, &g);
    if (r == GLOB_NOMATCH) {
        globfree(&g);
        return sl_err_set(err, errlen, SL_ERR_IO, "no file matches '%s'", arg);
    }
    if (r != 0) {
        globfree(&g);
        if (r == GLOB_ABORTED && g_bad_errno)
            return sl_err_set(err, errlen, SL_ERR_IO, "cannot expand '%s': %s: %s", arg, g_bad_dir, strerror(g_bad_errno));
        return sl_err_set(err, errlen, SL_ERR_IO, "cannot expand '%s': %s", arg,
                          r == GLOB_NOSPACE ? "out of memory" : "read error");
    }
    size_t n0 = p->n, added = 0;
    sl_err e = SL_OK;
    for (size_t i = 0; i < g.gl_pathc && e == SL_OK; i++) {
        if (stat(g.gl_pathv[i], &st) == 0 && S_ISDIR(st.st_mode)) continue; /* a glob may match directories */
        e = push(p, g.gl_pathv[i], err, errlen);
        added++;
    }
    globfree(&g);
    if (e == SL_OK && added == 0) e = sl_err_set(err, errlen, SL_ERR_IO, "no file matches '%s' (only directories)", arg);
    if (e != SL_OK)
        while (p->n > n0) free(p->v[--p->n]);
    return e;
}

void sl_paths_free(sl_paths *p) {
    for (size_t i = 0; i < p->n; i++) free(p->v[i]);
    free(p->v);
    memset(p, 0, sizeof *p);
}
