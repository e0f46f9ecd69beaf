/* inputs.c: INPUT lists, globs, --source labels and the replay options shared
 * by `sluice replay` and `sluice run` (see inputs.h). */
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/inputs.h"
#include "util/time.h"

int cli_inputs_init(cli_inputs *in, const char *cmd, int argc) {
    memset(in, 0, sizeof *in);
    in->cmd = cmd;
    in->format = RP_FMT_AUTO;
    in->args = calloc((size_t)(argc > 0 ? argc : 0) + 1, sizeof *in->args);
    in->labels = calloc((size_t)(argc > 0 ? argc : 0) + 1, sizeof *in->labels);
    if (!in->args || !in->labels) {
        cli_inputs_free(in);
        return cli_fail(2, "out of memory");
    }
    return 0;
}

int cli_inputs_arg(cli_inputs *in, const char *arg) {
    in->labels[in->nargs] = in->pending_source;
    in->pending_source = NULL;
    in->args[in->nargs++] = arg;
    return 0;
}

int cli_inputs_source(cli_inputs *in, const char *label) {
    if (in->pending_source)
        return cli_fail(1, "%s: --source '%s' is not followed by an INPUT", in->cmd, in->pending_source);
    if (!*label) return cli_fail(1, "%s: --source needs a non-empty label", in->cmd);
    in->pending_source = label;
    return 0;
}

int cli_inputs_format(cli_inputs *in, const char *v) {
    if (!strcmp(v, "parquet")) in->format = RP_FMT_PARQUET;
    else if (!strcmp(v, "csv")) in->format = RP_FMT_CSV;
    else if (!strcmp(v, "jsonl") || !strcmp(v, "json") || !strcmp(v, "ndjson")) in->format = RP_FMT_JSONL;
    else return cli_fail(1, "--input-format must be parquet, csv or jsonl, got '%s'", v);
    return 0;
}

int cli_inputs_check(cli_inputs *in) {
    if (in->pending_source)
        return cli_fail(1, "%s: --source '%s' is not followed by an INPUT", in->cmd, in->pending_source);
    if (in->nargs == 0) return cli_fail(1, "%s: no INPUT given (see sluice %s --help)", in->cmd, in->cmd);
    return 0;
}

static int in_add(cli_inputs *l, const char *path, const char *source, rp_format fmt) {
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        rp_replay_input *nv = realloc(l->v, nc * sizeof *nv);
        if (!nv) return cli_fail(2, "out of memory");
        l->v = nv;
        l->cap = nc;
    }
    char *p = strdup(path);
    if (!p) return cli_fail(2, "out of memory");
    if (l->nowned == l->owncap) {
        size_t nc = l->owncap ? l->owncap * 2 : 16;
        char **no = realloc(l->owned, nc * sizeof *no);
        if (!no) {
            free(p);
            return cli_fail(2, "out of memory");
        }
        l->owned = no;
        l->owncap = nc;
    }
    l->owned[l->nowned++] = p;
    l->v[l->n].path = p;
    l->v[l->n].source = source;
    l->v[l->n].format = fmt;
    l->n++;
    return 0;
}

static int check_file(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return cli_fail(2, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) return cli_fail(2, "%s: is a directory (give files or a glob like '%s/*.parquet')", path, path);
    return 0;
}

/* Expand one INPUT argument (a file or a glob) into l. */
static int expand_input(cli_inputs *l, const char *arg, const char *source, rp_format fmt) {
    if (!strpbrk(arg, "*?[")) {
        int rc = check_file(arg);
        return rc ? rc : in_add(l, arg, source, fmt);
    }
    glob_t g;
    memset(&g, 0, sizeof g);
    int r = glob(arg, GLOB_ERR, NULL, &g);
    if (r == GLOB_NOMATCH) {
        globfree(&g);
        return cli_fail(2, "%s: no file matches '%s'", l->cmd, arg);
    }
    if (r != 0) {
        globfree(&g);
        return cli_fail(2, "%s: cannot expand '%s': %s", l->cmd, arg, r == GLOB_NOSPACE ? "out of memory" : "read error");
    }
    int rc = 0;
    size_t added = 0;
    for (size_t i = 0; i < g.gl_pathc && !rc; i++) {
        struct stat st;
        if (stat(g.gl_pathv[i], &st) == 0 && S_ISDIR(st.st_mode)) continue; /* a glob may match directories */
        rc = in_add(l, g.gl_pathv[i], source, fmt);
        added++;
    }
    globfree(&g);
    if (!rc && added == 0) rc = cli_fail(2, "%s: no file matches '%s' (only directories)", l->cmd, arg);
    return rc;
}

int cli_inputs_expand(cli_inputs *in) {
    int rc = 0;
    for (size_t k = 0; k < in->nargs && !rc; k++) rc = expand_input(in, in->args[k], in->labels[k], in->format);
    return rc;
}

void cli_inputs_free(cli_inputs *in) {
    for (size_t i = 0; i < in->nowned; i++) free(in->owned[i]);
    free(in->owned);
    free(in->v);
    free(in->args);
    free(in->labels);
    memset(in, 0, sizeof *in);
}

/* --from/--to: sl_parse_time, but UTC only: an offset other than zero
 * ("+00", "+00:00", "-0000") is refused. */
static bool parse_utc_time(const char *v, int64_t *t) {
    if (sl_parse_time(v, strlen(v), t, NULL) != SL_OK) return false;
    while (*v == ' ' || *v == '\t') v++;
    const char *z = strpbrk(v + 10, "+-"); /* past the date: an offset */
    if (z)
        for (z++; *z; z++)
            if (*z != '0' && *z != ':' && *z != ' ' && *z != '\t') return false;
    return true;
}

int cli_replay_opt(const char *name, const char *v, rp_replay_opts *ro, const char **tmpdir, bool *handled) {
    *handled = true;
    if (!strcmp(name, "--speed")) {
        char *end;
        errno = 0;
        if (!strcmp(v, "max")) {
            ro->speed = 0;
            return 0;
        }
        double s = strtod(v, &end);
        if (errno || end == v || *end || !(s > 0) || !isfinite(s))
            return cli_fail(1, "--speed needs a positive number (event seconds per wall second) or 'max', got '%s'", v);
        ro->speed = s;
        return 0;
    }
    if (!strcmp(name, "--from") || !strcmp(name, "--to")) {
        int64_t t;
        if (!parse_utc_time(v, &t))
            return cli_fail(1, "%s needs a UTC time like 2024-03-01 or 2024-03-01T05:00:00Z, got '%s'", name, v);
        if (name[2] == 'f') ro->from_us = t;
        else ro->to_us = t;
        return 0;
    }
    if (!strcmp(name, "--memory")) {
        size_t m;
        if (sl_parse_size(v, &m) != SL_OK) return cli_fail(1, "--memory needs a size like 512M or 2G, got '%s'", v);
        if (m < ((size_t)1 << 20)) return cli_fail(1, "--memory must be at least 1M, got '%s'", v);
        ro->memory = m;
        return 0;
    }
    if (!strcmp(name, "--tmpdir")) {
        *tmpdir = v;
        return 0;
    }
    *handled = false;
    return 0;
}

int cli_replay_opts_check(const char *cmd, rp_replay_opts *ro, const char *tmpdir) {
    if (ro->from_us >= ro->to_us) return cli_fail(1, "%s: --to must be after --from", cmd);
    if (tmpdir) {
        struct stat st;
        if (stat(tmpdir, &st) != 0) return cli_fail(2, "--tmpdir %s: %s", tmpdir, strerror(errno));
        if (!S_ISDIR(st.st_mode)) return cli_fail(2, "--tmpdir %s: not a directory", tmpdir);
    }
    ro->tmpdir = tmpdir;
    return 0;
}
