/* paths.h: input arguments -> files: a path must be a readable regular file;
 * a glob ("data/STAR.parquet", STAR being '*') expands to its matching files,
 * sorted, skipping directories, and matching nothing is an error (a directory
 * of the glob that does not exist matches nothing).  file:///x is the path /x;
 * other URL schemes (s3://, kafka://) are refused by name until an input
 * reads them (SL_ERR_UNSUPPORTED).
 *
 *   sl_paths p = {0};
 *   if (sl_paths_add(&p, pattern, err, sizeof err)) fail(err);  // "no file matches 'data/STAR.parquet'"
 *   for (size_t i = 0; i < p.n; i++) use(p.v[i]);
 *   sl_paths_free(&p);
 *
 * The list owns its strings.  Errors: SL_ERR_IO with "PATH: No such file or
 * directory", "PATH: is a directory (give files or a glob like
 * 'PATH/STAR.parquet')", "no file matches 'GLOB'"; SL_ERR_NOMEM. */
#ifndef SL_PATHS_H
#define SL_PATHS_H

#include <stddef.h>

#include "util/err.h"

typedef struct sl_paths {
    char **v;
    size_t n, cap;
} sl_paths;

/* Append the files of one argument; returns the error and adds nothing on failure. */
sl_err sl_paths_add(sl_paths *p, const char *arg, char *err, size_t errlen);
void sl_paths_free(sl_paths *p);

#endif
