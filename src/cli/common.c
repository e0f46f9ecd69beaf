#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "util/paths.h"

#include "batch/format.h"
#include "cli/cli.h"
#include "util/time.h"

int cli_fail(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = sl_err_vreport(code, fmt, ap);
    va_end(ap);
    return r;
}

int cli_pq_open(cli_pq *p, const char *cmd, const char *path) {
    char err[SL_ERRLEN];
    memset(p, 0, sizeof *p);
    /* a glob (not a file of that name): it must match exactly one file */
    struct stat st;
    if (strpbrk(path, "*?[") && stat(path, &st) != 0) {
        sl_paths ps = {0};
        if (sl_paths_add(&ps, path, err, sizeof err) != SL_OK) {
            sl_paths_free(&ps);
            return cli_fail(2, "%s: %s", cmd, err);
        }
        if (ps.n != 1) {
            size_t n = ps.n;
            sl_paths_free(&ps);
            return cli_fail(1, "%s: '%s' matches %zu files; %s reads one", cmd, path, n, cmd);
        }
        p->path = ps.v[0];
        ps.v[0] = NULL;
        ps.n = 0;
        sl_paths_free(&ps);
        path = p->path;
    }
    if (sl_source_open_file(&p->src, path, err, sizeof err) != SL_OK ||
        pq_reader_open(&p->r, p->src, NULL, err, sizeof err) != SL_OK) {
        sl_source_close(p->src);
        free(p->path);
        memset(p, 0, sizeof *p);
        return cli_fail(2, "%s", err);
    }
    return 0;
}

void cli_pq_close(cli_pq *p) {
    pq_reader_close(p->r);
    sl_source_close(p->src);
    free(p->path);
    memset(p, 0, sizeof *p);
}

char **cli_split_list(const char *s, size_t *n) {
    size_t cnt = 1, len = strlen(s);
    for (const char *q = s; *q; q++) cnt += *q == ',';
    char **v = malloc((cnt + 1) * sizeof *v + len + 1);
    if (!v) return NULL;
    char *buf = (char *)(v + cnt + 1);
    memcpy(buf, s, len + 1);
    size_t k = 0;
    char *tok = buf;
    for (char *q = buf;; q++) {
        if (*q == ',' || *q == '\0') {
            bool end = *q == '\0';
            *q = '\0';
            while (*tok == ' ') tok++;
            char *e = tok + strlen(tok);
            while (e > tok && e[-1] == ' ') *--e = '\0';
            if (*tok) v[k++] = tok;
            tok = q + 1;
            if (end) break;
        }
    }
    v[k] = NULL;
    *n = k;
    return v;
}

int cli_select_columns(cli_pq *p, const char *list) {
    char err[SL_ERRLEN];
    if (list) {
        size_t n;
        char **names = cli_split_list(list, &n);
        if (!names) return cli_fail(2, "out of memory");
        if (n == 0) {
            free(names);
            return cli_fail(1, "--columns needs at least one column name");
        }
        sl_err e = pq_reader_select(p->r, (const char *const *)names, n, err, sizeof err);
        free(names);
        if (e != SL_OK) return cli_fail(e == SL_ERR_NOTFOUND ? 1 : 2, "%s", err);
        return 0;
    }
    for (size_t i = 0; i < pq_reader_num_leaves(p->r); i++) {
        const pq_leaf *L = pq_reader_leaf(p->r, i);
        if (!L->supported)
            fprintf(stderr, "sluice: warning: %s: column '%s' skipped: %s\n", p->src->name, L->name, L->why);
    }
    return 0;
}

size_t cli_peak_rss(void) {
    /* VmHWM belongs to this process image; getrusage's ru_maxrss survives
     * exec and so would report a forking parent's (e.g. node's) peak. */
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        char line[256];
        size_t kb = 0;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "VmHWM: %zu kB", &kb) == 1) break;
        fclose(f);
        if (kb) return kb * 1024;
    }
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (size_t)ru.ru_maxrss * 1024;
}

void cli_fmt_time(char *out, size_t n, int64_t us) {
    if (us == INT64_MIN) {
        snprintf(out, n, "-");
        return;
    }
    if (sl_fmt_time(out, n, us, SL_TIME_ISO)) return;
    sl_buf b; /* years outside 0000..9999 (or n too small): as sl_fmt_timestamp writes them */
    sl_buf_init(&b);
    sl_fmt_timestamp(&b, us, SL_UNIT_MICROS, true);
    snprintf(out, n, "%.*s", b.p && !b.oom ? (int)b.len : 0, b.p ? b.p : "");
    sl_buf_free(&b);
}

int cli_usage(const sl_opt_cmd *cmd, FILE *f) {
    sl_buf b;
    sl_buf_init(&b);
    sl_opt_cmd_help(cmd, &b);
    fputs(sl_buf_cstr(&b), f);
    sl_buf_free(&b);
    return f == stderr ? 1 : 0;
}

int cli_parse(const sl_opt_cmd *cmd, int argc, char **argv) {
    char err[SL_ERRLEN];
    int r = sl_opt_cmd_parse(cmd, argc, argv, err, sizeof err);
    if (r == SL_OPT_HELP) {
        cli_usage(cmd, stdout);
        return CLI_HELP;
    }
    if (r != SL_OK) return *err ? cli_fail(1, "%s", err) : 1;
    return 0;
}

sl_err cli_files_arg(void *ctx, const char *word, char *err, size_t errlen) {
    cli_files *f = ctx;
    if (f->n < f->max) {
        f->v[f->n++] = word;
        return SL_OK;
    }
    if (f->max == 1)
        return sl_err_set(err, errlen, SL_ERR_ARG, "%s: only one %s is accepted (got '%s' and '%s')", f->cmd,
                          f->what ? f->what : "FILE", f->v[0], word);
    return sl_err_set(err, errlen, SL_ERR_ARG, "%s: expected IN and OUT, got an extra argument '%s'", f->cmd, word);
}

int cli_parse_files(const sl_opt_cmd *doc, void *obj, cli_files *files, int argc, char **argv) {
    sl_opt_cmd cmd = *doc;
    void *const objs[] = {obj};
    cmd.objs = objs;
    cmd.positional = cli_files_arg;
    cmd.ctx = files;
    int rc = cli_parse(&cmd, argc, argv);
    if (!rc && files->n < files->max) rc = cli_usage(&cmd, stderr);
    return rc;
}

pq_codec cli_codec(int choice) {
    static const pq_codec codecs[] = {PQ_CODEC_ZSTD,    PQ_CODEC_SNAPPY,  PQ_CODEC_GZIP,         PQ_CODEC_BROTLI,
                                      PQ_CODEC_LZ4_RAW, PQ_CODEC_LZ4_RAW, PQ_CODEC_UNCOMPRESSED, PQ_CODEC_UNCOMPRESSED};
    return choice >= 0 && choice < (int)(sizeof codecs / sizeof *codecs) ? codecs[choice] : PQ_CODEC_ZSTD;
}
