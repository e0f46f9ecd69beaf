/* opt.c: declarative option tables (see opt.h). */
#include "util/opt.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/time.h"

size_t sl_opt_count(const sl_opt *t) {
    size_t n = 0;
    while (t && t[n].name) n++;
    return n;
}

const sl_opt *sl_opt_find(const sl_opt *t, const char *name) {
    for (size_t i = 0; t && t[i].name; i++)
        if (!strcmp(t[i].name, name)) return &t[i];
    return NULL;
}

/* Levenshtein distance, capped (names are short). */
int sl_opt_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return 99;
    int prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++) prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int c = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < c) c = prev[j] + 1;
            if (cur[j - 1] + 1 < c) c = cur[j - 1] + 1;
            cur[j] = c;
        }
        memcpy(prev, cur, (lb + 1) * sizeof *prev);
    }
    return prev[lb];
}

const sl_opt *sl_opt_suggest(const sl_opt *t, const char *name) {
    const sl_opt *best = NULL;
    int bd = 3;
    for (size_t i = 0; t && t[i].name; i++) {
        if (t[i].flags & SL_OPT_HIDDEN) continue;
        int d = sl_opt_distance(name, t[i].name);
        if (d < bd) {
            bd = d;
            best = &t[i];
        }
    }
    return best;
}

/* ------------------------------------------------------------------ values */

static bool has_range(const sl_opt *o) { return !(o->min == 0 && o->max == 0); }

/* A TIME's "min" / "max" is an open end of a range, not a value. */
static bool open_time(const sl_opt *o) {
    return o->type == SL_OPT_T_TIME && o->def && (!strcmp(o->def, "min") || !strcmp(o->def, "max"));
}

static void fmt_num(sl_buf *out, double v) {
    if (v == floor(v) && fabs(v) < 1e15) sl_buf_printf(out, "%.0f", v);
    else sl_buf_printf(out, "%g", v);
}

/* 1048576 -> "1M", 4096 -> "4K", 1536 -> "1536" */
static void fmt_size(sl_buf *out, double v) {
    static const char units[] = "KMGT";
    int u = -1;
    while (u < 3 && v >= 1024 && fmod(v, 1024) == 0) {
        v /= 1024;
        u++;
    }
    fmt_num(out, v);
    if (u >= 0) sl_buf_putc(out, units[u]);
}

/* 600000000 us -> "10m"; 1500 us -> "1500us" */
static void fmt_duration(sl_buf *out, int64_t us) {
    static const struct {
        int64_t n;
        const char *u;
    } k[] = {{SL_US_PER_DAY, "d"}, {SL_US_PER_HOUR, "h"}, {SL_US_PER_MIN, "m"}, {SL_US_PER_SEC, "s"}, {SL_US_PER_MS, "ms"}};
    if (us == 0) {
        sl_buf_puts(out, "0");
        return;
    }
    for (size_t i = 0; i < sizeof k / sizeof *k; i++)
        if (us % k[i].n == 0) {
            sl_buf_printf(out, "%" PRId64 "%s", us / k[i].n, k[i].u);
            return;
        }
    sl_buf_printf(out, "%" PRId64 "us", us);
}

/* "a|b|c" -> "a, b or c" */
static void choices_text(sl_buf *out, const char *ch) {
    size_t n = 1;
    for (const char *p = ch; *p; p++) n += *p == '|';
    size_t k = 0;
    const char *p = ch;
    while (*p) {
        const char *e = strchr(p, '|');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (k) sl_buf_puts(out, k == n - 1 ? " or " : ", ");
        sl_buf_put(out, p, l);
        k++;
        p += l;
        if (*p) p++;
    }
}

void sl_opt_expect(const sl_opt *o, sl_buf *out) {
    if (o->expect) {
        sl_buf_puts(out, o->expect);
        return;
    }
    switch (o->type) {
    case SL_OPT_T_FLAG: sl_buf_puts(out, "true or false"); break;
    case SL_OPT_T_INT:
        if (!has_range(o) || (o->min <= -9.2e18 && o->max >= 9.2e18)) {
            sl_buf_puts(out, "an integer");
        } else if (o->max >= 9.2e18 || (o->max >= 2147483647.0 && o->size <= 4)) {
            sl_buf_puts(out, "an integer >= ");
            fmt_num(out, o->min);
        } else {
            sl_buf_puts(out, "an integer in ");
            fmt_num(out, o->min);
            sl_buf_puts(out, "..");
            fmt_num(out, o->max);
        }
        break;
    case SL_OPT_T_DOUBLE:
    case SL_OPT_T_DOUBLES:
        if (o->type == SL_OPT_T_DOUBLES) sl_buf_printf(out, "%d comma-separated numbers", o->count);
        else sl_buf_puts(out, "a number");
        if (has_range(o)) {
            bool lo = isfinite(o->min), hi = isfinite(o->max) && o->max < 1e300;
            const char *each = o->type == SL_OPT_T_DOUBLES ? " each" : "";
            if (lo && hi) {
                sl_buf_printf(out, "%s in %s", each, (o->flags & SL_OPT_MIN_EXCL) ? "(" : "[");
                fmt_num(out, o->min);
                sl_buf_puts(out, ", ");
                fmt_num(out, o->max);
                sl_buf_putc(out, ']');
            } else if (lo) {
                sl_buf_printf(out, "%s %s ", each, (o->flags & SL_OPT_MIN_EXCL) ? ">" : ">=");
                fmt_num(out, o->min);
            } else if (hi) {
                sl_buf_printf(out, "%s <= ", each);
                fmt_num(out, o->max);
            }
        }
        if (o->flags & SL_OPT_SUM_POS) sl_buf_puts(out, " with a positive sum");
        break;
    case SL_OPT_T_STRING: sl_buf_puts(out, (o->flags & SL_OPT_EMPTY_OK) ? "a value" : "a non-empty value"); break;
    case SL_OPT_T_DURATION:
        sl_buf_puts(out, "a duration");
        if (o->flags & SL_OPT_MS) sl_buf_puts(out, " of whole milliseconds");
        if (has_range(o) && o->min > 0) {
            sl_buf_puts(out, " of at least ");
            fmt_duration(out, (int64_t)o->min);
        }
        sl_buf_puts(out, " like 10m, 90s or 1h30m");
        break;
    case SL_OPT_T_SIZE: sl_buf_puts(out, "a size like 512M or 2G"); break; /* the minimum: range_text */
    case SL_OPT_T_TIME: sl_buf_puts(out, "a UTC time like 2024-03-01 or 2024-03-01T05:00:00Z"); break;
    case SL_OPT_T_ENUM:
        if (o->choices && strchr(o->choices, '|') && strchr(strchr(o->choices, '|') + 1, '|')) sl_buf_puts(out, "one of ");
        choices_text(out, o->choices ? o->choices : "");
        break;
    case SL_OPT_T_CUSTOM: sl_buf_puts(out, "a valid value"); break;
    }
}

/* "needs <what>, got '<v>'" (v clipped to 64 bytes, control bytes as '?'). */
static sl_err needs(const char *what, const char *v, char *err, size_t errlen) {
    char clip[72];
    size_t n = v ? strlen(v) : 0, m = n > 64 ? 64 : n;
    for (size_t i = 0; i < m; i++) clip[i] = (unsigned char)v[i] < 0x20 || v[i] == 0x7f ? '?' : v[i];
    clip[m] = 0;
    return sl_err_set(err, errlen, SL_ERR_ARG, "needs %s, got '%s%s'", what, clip, n > 64 ? "..." : "");
}

static sl_err bad_value(const sl_opt *o, const char *v, char *err, size_t errlen) {
    sl_buf b;
    sl_buf_init(&b);
    sl_opt_expect(o, &b);
    sl_err e = needs(b.oom ? "a valid value" : sl_buf_cstr(&b), v, err, errlen);
    sl_buf_free(&b);
    return e;
}

/* A size below the option's minimum: "needs a size of at least 1M, got '100K'". */
static sl_err size_too_small(const sl_opt *o, const char *v, char *err, size_t errlen) {
    sl_buf b;
    sl_buf_init(&b);
    sl_buf_puts(&b, "a size of at least ");
    fmt_size(&b, o->min);
    sl_err e = needs(b.oom ? "a larger size" : sl_buf_cstr(&b), v, err, errlen);
    sl_buf_free(&b);
    return e;
}

static bool parse_bool(const char *v, bool *out) {
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (!strcasecmp(v, yes[i])) return *out = true, true;
        if (!strcasecmp(v, no[i])) return *out = false, true;
    }
    return false;
}

static bool parse_i64(const char *v, int64_t *out) {
    if (!*v) return false;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || *end || end == v) return false;
    *out = x;
    return true;
}

static bool parse_u64(const char *v, uint64_t *out) {
    if (!*v || strchr(v, '-')) return false; /* strtoull would wrap "-1" */
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end || end == v) return false;
    *out = x;
    return true;
}

static bool parse_dbl(const char *v, double *out) {
    if (!*v) return false;
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno == ERANGE || *end || end == v || !isfinite(x)) return false;
    *out = x;
    return true;
}

static bool in_range(const sl_opt *o, double x) {
    if (!has_range(o)) return true;
    if ((o->flags & SL_OPT_MIN_EXCL) ? !(x > o->min) : !(x >= o->min)) return false;
    return x <= o->max;
}

static void store_int(const sl_opt *o, void *obj, int64_t v) {
    char *f = (char *)obj + o->offset;
    if (o->size == sizeof(int32_t)) {
        int32_t x = (int32_t)v;
        memcpy(f, &x, sizeof x);
    } else if (o->size == sizeof(int64_t)) {
        memcpy(f, &v, sizeof v);
    } else if (o->size == sizeof(int16_t)) {
        int16_t x = (int16_t)v;
        memcpy(f, &x, sizeof x);
    } else {
        int8_t x = (int8_t)v;
        memcpy(f, &x, sizeof x);
    }
}

sl_err sl_opt_set(const sl_opt *o, void *obj, const char *v, char *err, size_t errlen) {
    char *f = (char *)obj + o->offset;
    if (!v && o->type != SL_OPT_T_FLAG) return bad_value(o, "", err, errlen);
    switch (o->type) {
    case SL_OPT_T_FLAG: {
        bool b = true;
        if (v && !parse_bool(v, &b)) return bad_value(o, v, err, errlen);
        memcpy(f, &b, sizeof b);
        return SL_OK;
    }
    case SL_OPT_T_INT: {
        if (o->flags & SL_OPT_UNSIGNED) {
            uint64_t u;
            if (o->size != sizeof u || !parse_u64(v, &u) || !in_range(o, (double)u)) return bad_value(o, v, err, errlen);
            memcpy(f, &u, sizeof u);
            return SL_OK;
        }
        int64_t x;
        double lo = o->size == 4 ? -2147483648.0 : -9.3e18, hi = o->size == 4 ? 2147483647.0 : 9.3e18;
        if (!parse_i64(v, &x) || !in_range(o, (double)x) || (double)x < lo || (double)x > hi)
            return bad_value(o, v, err, errlen);
        store_int(o, obj, x);
        return SL_OK;
    }
    case SL_OPT_T_DOUBLE: {
        double x;
        if (!parse_dbl(v, &x) || !in_range(o, x)) return bad_value(o, v, err, errlen);
        memcpy(f, &x, sizeof x);
        return SL_OK;
    }
    case SL_OPT_T_STRING:
        if (!*v && !(o->flags & SL_OPT_EMPTY_OK)) return bad_value(o, v, err, errlen);
        memcpy(f, &v, sizeof v);
        return SL_OK;
    case SL_OPT_T_DURATION: {
        int64_t us;
        if (sl_parse_duration(v, &us) != SL_OK || !in_range(o, (double)us)) return bad_value(o, v, err, errlen);
        if (o->flags & SL_OPT_MS) {
            if (us % SL_US_PER_MS) return bad_value(o, v, err, errlen);
            us /= SL_US_PER_MS;
        }
        memcpy(f, &us, sizeof us);
        return SL_OK;
    }
    case SL_OPT_T_SIZE: {
        size_t s;
        if (sl_parse_size(v, &s) != SL_OK) return bad_value(o, v, err, errlen);
        if (!in_range(o, (double)s)) return has_range(o) && (double)s < o->min ? size_too_small(o, v, err, errlen)
                                                                             : bad_value(o, v, err, errlen);
        memcpy(f, &s, sizeof s);
        return SL_OK;
    }
    case SL_OPT_T_TIME: {
        int64_t us;
        if (sl_parse_time_utc(v, strlen(v), &us) != SL_OK) return bad_value(o, v, err, errlen);
        memcpy(f, &us, sizeof us);
        return SL_OK;
    }
    case SL_OPT_T_ENUM: {
        const char *p = o->choices ? o->choices : "";
        int k = 0;
        size_t vl = strlen(v);
        while (*p) {
            const char *e = strchr(p, '|');
            size_t l = e ? (size_t)(e - p) : strlen(p);
            if (l == vl && !strncasecmp(p, v, l)) {
                memcpy(f, &k, sizeof k);
                return SL_OK;
            }
            k++;
            p += l;
            if (*p) p++;
        }
        return bad_value(o, v, err, errlen);
    }
    case SL_OPT_T_DOUBLES: {
        /* "1, 1,1 ,1" */
        const char *vals[32];
        char buf[512];
        size_t len = strlen(v), n = 0;
        if (len >= sizeof buf) return bad_value(o, v, err, errlen);
        memcpy(buf, v, len + 1);
        char *s = buf;
        for (;;) {
            char *c = strchr(s, ',');
            if (c) *c = 0;
            while (*s == ' ') s++;
            char *e = s + strlen(s);
            while (e > s && e[-1] == ' ') *--e = 0;
            if (n == 32) return bad_value(o, v, err, errlen);
            vals[n++] = s;
            if (!c) break;
            s = c + 1;
        }
        sl_err e = sl_opt_set_list(o, obj, vals, n, err, errlen);
        return e == SL_OK ? e : bad_value(o, v, err, errlen);
    }
    case SL_OPT_T_CUSTOM: {
        if (err && errlen) err[0] = 0;
        sl_err e = o->parse ? o->parse(f, v, err, errlen) : SL_ERR_ARG;
        if (e == SL_OK) return e;
        if (err && errlen && err[0]) return e;
        return bad_value(o, v, err, errlen);
    }
    }
    return sl_err_set(err, errlen, SL_ERR_ARG, "option '%s' has no type", o->name);
}

sl_err sl_opt_set_list(const sl_opt *o, void *obj, const char *const *values, size_t n, char *err, size_t errlen) {
    if (o->type != SL_OPT_T_DOUBLES) return sl_err_set(err, errlen, SL_ERR_ARG, "needs a single value, not a list");
    double v[32], sum = 0;
    if (n != (size_t)o->count || n > 32) return bad_value(o, n ? values[0] : "", err, errlen);
    for (size_t i = 0; i < n; i++) {
        if (!parse_dbl(values[i], &v[i]) || !in_range(o, v[i])) return bad_value(o, values[i], err, errlen);
        sum += v[i];
    }
    if ((o->flags & SL_OPT_SUM_POS) && !(sum > 0)) return bad_value(o, values[0], err, errlen);
    memcpy((char *)obj + o->offset, v, n * sizeof *v);
    return SL_OK;
}

sl_err sl_opt_defaults(const sl_opt *t, void *obj, char *err, size_t errlen) {
    for (size_t i = 0; t && t[i].name; i++) {
        const sl_opt *o = &t[i];
        if (!o->def) {
            memset((char *)obj + o->offset, 0, o->size);
            continue;
        }
        if (open_time(o)) {
            int64_t v = o->def[1] == 'i' ? INT64_MIN : INT64_MAX;
            memcpy((char *)obj + o->offset, &v, sizeof v);
            continue;
        }
        sl_err e = sl_opt_set(o, obj, o->def, err, errlen);
        if (e != SL_OK) {
            sl_err_prefix(err, errlen, "default of option '%s'", o->name);
            return e;
        }
    }
    return SL_OK;
}

void sl_opt_format(const sl_opt *o, const void *obj, sl_buf *out) {
    const char *f = (const char *)obj + o->offset;
    switch (o->type) {
    case SL_OPT_T_FLAG: {
        bool b;
        memcpy(&b, f, sizeof b);
        sl_buf_puts(out, b ? "true" : "false");
        break;
    }
    case SL_OPT_T_INT: {
        int64_t v = 0;
        if (o->size == 4) {
            int32_t x;
            memcpy(&x, f, 4);
            v = x;
        } else if (o->size == 8) {
            memcpy(&v, f, 8);
        }
        if (o->flags & SL_OPT_UNSIGNED) sl_buf_printf(out, "%" PRIu64, (uint64_t)v);
        else sl_buf_printf(out, "%" PRId64, v);
        break;
    }
    case SL_OPT_T_DOUBLE: {
        double d;
        memcpy(&d, f, sizeof d);
        sl_buf_printf(out, "%.17g", d);
        break;
    }
    case SL_OPT_T_STRING: {
        const char *s;
        memcpy(&s, f, sizeof s);
        sl_buf_puts(out, s ? s : "");
        break;
    }
    case SL_OPT_T_DURATION: {
        int64_t us;
        memcpy(&us, f, sizeof us);
        if (o->flags & SL_OPT_MS) us *= SL_US_PER_MS;
        fmt_duration(out, us);
        break;
    }
    case SL_OPT_T_SIZE: {
        size_t s;
        memcpy(&s, f, sizeof s);
        fmt_size(out, (double)s);
        break;
    }
    case SL_OPT_T_TIME: {
        int64_t us;
        memcpy(&us, f, sizeof us);
        char t[SL_TIME_BUF];
        if (us == INT64_MIN || us == INT64_MAX || !sl_fmt_time(t, sizeof t, us, SL_TIME_ISO)) sl_buf_puts(out, "");
        else sl_buf_puts(out, t);
        break;
    }
    case SL_OPT_T_ENUM: {
        int k;
        memcpy(&k, f, sizeof k);
        const char *p = o->choices ? o->choices : "";
        for (int i = 0; i < k && p; i++) {
            p = strchr(p, '|');
            if (p) p++;
        }
        if (p) {
            const char *e = strchr(p, '|');
            sl_buf_put(out, p, e ? (size_t)(e - p) : strlen(p));
        }
        break;
    }
    case SL_OPT_T_DOUBLES: {
        double v[32];
        int n = o->count > 32 ? 32 : o->count;
        memcpy(v, f, (size_t)n * sizeof *v);
        for (int i = 0; i < n; i++) sl_buf_printf(out, "%s%g", i ? "," : "", v[i]);
        break;
    }
    case SL_OPT_T_CUSTOM:
        if (o->format) o->format(f, out);
        else sl_buf_puts(out, "?");
        break;
    }
}

/* ------------------------------------------------------------------ help and docs */

#define HELP_COL 24    /* --help: the column of the options' text */
#define HELP_WIDTH 100 /* and the width it is wrapped to */

static const char *arg_of(const sl_opt *o) {
    if (o->arg) return o->arg;
    switch (o->type) {
    case SL_OPT_T_FLAG: return NULL;
    case SL_OPT_T_INT: return "N";
    case SL_OPT_T_DOUBLE: return "X";
    case SL_OPT_T_DURATION: return "DUR";
    case SL_OPT_T_SIZE: return "SIZE";
    case SL_OPT_T_TIME: return "TIME";
    case SL_OPT_T_DOUBLES: return "X,X,...";
    default: return "VALUE";
    }
}

static const char *type_name(const sl_opt *o) {
    switch (o->type) {
    case SL_OPT_T_FLAG: return "bool";
    case SL_OPT_T_INT: return "integer";
    case SL_OPT_T_DOUBLE: return "number";
    case SL_OPT_T_STRING: return "string";
    case SL_OPT_T_DURATION: return "duration";
    case SL_OPT_T_SIZE: return "size";
    case SL_OPT_T_TIME: return "time";
    case SL_OPT_T_ENUM: return "enum";
    case SL_OPT_T_DOUBLES: return "list of numbers";
    case SL_OPT_T_CUSTOM: return "string";
    }
    return "?";
}

static bool show_default(const sl_opt *o) {
    return o->def && *o->def && o->type != SL_OPT_T_FLAG && !open_time(o) && !strstr(o->help ? o->help : "", "(default");
}

/* "--hot-name" (underscores as dashes) */
static void flag_name(const sl_opt *o, const char *prefix, sl_buf *out) {
    sl_buf_printf(out, "--%s", prefix ? prefix : "");
    for (const char *c = o->name; *c; c++) sl_buf_putc(out, *c == '_' ? '-' : *c);
}

/* The help text names every choice ("a|b|c"): no list after it. */
static bool names_choices(const char *help, const char *choices) {
    for (const char *p = choices; *p;) {
        size_t l = strcspn(p, "|");
        char c[64];
        snprintf(c, sizeof c, "%.*s", (int)(l < 63 ? l : 63), p);
        if (!help || !strstr(help, c)) return false;
        p += l + (p[l] == '|');
    }
    return true;
}

/* Text of the column starting at col, words wrapped so no line passes width
 * (a longer word overflows); each '\n' of text starts a new line. */
static void wrap_text(sl_buf *out, const char *text, int col, int width) {
    int x = col;
    bool first = true;
    for (const char *p = text; *p;) {
        if (*p == '\n') {
            sl_buf_printf(out, "\n%*s", col, "");
            x = col;
            first = true;
            p++;
            continue;
        }
        if (*p == ' ') {
            p++;
            continue;
        }
        size_t l = strcspn(p, " \n");
        if (!first && x + 1 + (int)l > width) {
            sl_buf_printf(out, "\n%*s", col, "");
            x = col;
            first = true;
        }
        if (!first) {
            sl_buf_putc(out, ' ');
            x++;
        }
        sl_buf_put(out, p, l);
        x += (int)l;
        first = false;
        p += l;
    }
}

void sl_opt_help(const sl_opt *t, const char *prefix, sl_buf *out) {
    const char *section = NULL;
    for (size_t i = 0; t && t[i].name; i++) {
        const sl_opt *o = &t[i];
        if (o->section && (!section || strcmp(section, o->section))) {
            section = o->section;
            sl_buf_printf(out, "\n%s:\n", section);
        }
        if (o->flags & (SL_OPT_FILE_ONLY | SL_OPT_HIDDEN)) continue;
        size_t start = out->len;
        sl_buf_puts(out, "  ");
        flag_name(o, prefix, out);
        if (o->alias) sl_buf_printf(out, ", %s", o->alias);
        const char *a = arg_of(o);
        if (a) sl_buf_printf(out, " %s", a);
        size_t w = out->len - start;
        if (w + 2 <= HELP_COL) sl_buf_printf(out, "%*s", (int)(HELP_COL - w), ""); /* at least two spaces */
        else sl_buf_printf(out, "\n%*s", HELP_COL, "");
        /* the text: help, its default, its choices; wrapped under the column */
        sl_buf text;
        sl_buf_init(&text);
        sl_buf_puts(&text, o->help ? o->help : "");
        if (show_default(o)) sl_buf_printf(&text, " (default %s)", o->def);
        if (o->type == SL_OPT_T_ENUM && o->choices && !o->expect && !names_choices(o->help, o->choices)) {
            sl_buf_puts(&text, ": ");
            choices_text(&text, o->choices);
        }
        wrap_text(out, sl_buf_cstr(&text), HELP_COL, HELP_WIDTH);
        sl_buf_free(&text);
        sl_buf_putc(out, '\n');
    }
}

static void md_cell(sl_buf *out, const char *s) {
    for (; s && *s; s++) {
        if (*s == '|') sl_buf_puts(out, "\\|");
        else if (*s == '\n') sl_buf_putc(out, ' ');
        else sl_buf_putc(out, *s);
    }
}

/* The columns after the first of a docs row: "type | default | meaning |\n". */
static void doc_row(const sl_opt *o, sl_buf *out) {
    sl_buf_printf(out, " | %s | ", type_name(o));
    if (open_time(o)) {
        sl_buf_puts(out, "open");
    } else if (o->def && *o->def) {
        sl_buf_putc(out, '`');
        md_cell(out, o->def);
        sl_buf_putc(out, '`');
    } else {
        sl_buf_puts(out, (o->flags & SL_OPT_REQUIRED) ? "required" : "-");
    }
    sl_buf_puts(out, " | ");
    md_cell(out, o->help);
    if (o->type != SL_OPT_T_FLAG && o->type != SL_OPT_T_STRING && o->type != SL_OPT_T_TIME) {
        sl_buf tmp;
        sl_buf_init(&tmp);
        sl_opt_expect(o, &tmp);
        if (o->type == SL_OPT_T_SIZE && has_range(o) && o->min > 1) {
            sl_buf_puts(&tmp, ", at least ");
            fmt_size(&tmp, o->min);
        }
        if (!strstr(o->help ? o->help : "", sl_buf_cstr(&tmp))) { /* not said already ("1 or 2") */
            sl_buf_puts(out, " (");
            md_cell(out, sl_buf_cstr(&tmp));
            sl_buf_putc(out, ')');
        }
        sl_buf_free(&tmp);
    }
    sl_buf_puts(out, " |\n");
}

void sl_opt_doc_md(const sl_opt *t, sl_buf *out) {
    sl_buf_puts(out, "| key | type | default | meaning |\n|---|---|---|---|\n");
    for (size_t i = 0; t && t[i].name; i++) {
        if (t[i].flags & (SL_OPT_CLI_ONLY | SL_OPT_HIDDEN)) continue;
        sl_buf_printf(out, "| `%s`", t[i].name);
        doc_row(&t[i], out);
    }
}

static const char k_flags_head[] = "| flag | type | default | meaning |\n|---|---|---|---|\n";

/* "| `--out FILE` (`-o`)" and the rest of the row */
static void flag_row(const sl_opt *o, sl_buf *out) {
    sl_buf f;
    sl_buf_init(&f);
    flag_name(o, "", &f);
    if (arg_of(o)) sl_buf_printf(&f, " %s", arg_of(o));
    sl_buf_puts(out, "| `");
    md_cell(out, sl_buf_cstr(&f));
    sl_buf_putc(out, '`');
    if (o->alias) sl_buf_printf(out, " (`%s`)", o->alias);
    sl_buf_free(&f);
    doc_row(o, out);
}

/* ------------------------------------------------------------------ argv */

/* A key's flag: "duration_cap" is --duration-cap. */
static bool flag_is(const char *name, const char *w, size_t n) {
    if (strlen(name) != n) return false;
    for (size_t i = 0; i < n; i++)
        if (w[i] != (name[i] == '_' ? '-' : name[i])) return false;
    return true;
}

static const sl_opt *find_flag(const sl_opt *const *tables, const char *word, size_t len, size_t *table) {
    for (size_t k = 0; tables && tables[k]; k++) {
        const sl_opt *t = tables[k];
        for (size_t i = 0; t[i].name; i++) {
            if (t[i].flags & SL_OPT_FILE_ONLY) continue;
            bool hit = (len >= 2 && word[0] == '-' && word[1] == '-' && flag_is(t[i].name, word + 2, len - 2)) ||
                       (t[i].alias && strlen(t[i].alias) == len && !memcmp(t[i].alias, word, len));
            if (hit) {
                *table = k;
                return &t[i];
            }
        }
    }
    return NULL;
}

int sl_opt_parse_argv(const sl_opt_cmd *cmd, int argc, char **argv, char *err, size_t errlen) {
    bool flags_done = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!flags_done && (!strcmp(a, "-h") || !strcmp(a, "--help"))) return SL_OPT_HELP;
        if (!flags_done && !strcmp(a, "--")) {
            flags_done = true;
            continue;
        }
        if (flags_done || a[0] != '-' || a[1] == '\0') {
            if (!cmd->positional)
                return sl_err_set(err, errlen, SL_ERR_ARG, "unexpected argument '%s'", a);
            sl_err e = cmd->positional(cmd->ctx, a, err, errlen);
            if (e != SL_OK) return e;
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t len = eq && a[1] == '-' ? (size_t)(eq - a) : strlen(a);
        size_t tk = 0;
        const sl_opt *o = find_flag(cmd->tables, a, len, &tk);
        if (!o) {
            const sl_opt *near = NULL;
            if (a[1] == '-')
                for (size_t k = 0; !near && cmd->tables && cmd->tables[k]; k++) {
                    char nm[64];
                    snprintf(nm, sizeof nm, "%.*s", (int)(len - 2 < 63 ? len - 2 : 63), a + 2);
                    for (char *c = nm; *c; c++)
                        if (*c == '-') *c = '_';
                    near = sl_opt_suggest(cmd->tables[k], nm);
                    if (near && (near->flags & SL_OPT_FILE_ONLY)) near = NULL;
                }
            if (near)
            {
                char nm[64];
                snprintf(nm, sizeof nm, "%s", near->name);
                for (char *c = nm; *c; c++)
                    if (*c == '_') *c = '-';
                return sl_err_set(err, errlen, SL_ERR_ARG, "unknown option '%.*s' (did you mean --%s?)", (int)len, a, nm);
            }
            return sl_err_set(err, errlen, SL_ERR_ARG, "unknown option '%.*s'", (int)len, a);
        }
        const char *v = NULL;
        if (eq && a[1] == '-') {
            v = eq + 1;
        } else if (o->type != SL_OPT_T_FLAG) {
            if (i + 1 >= argc) return sl_err_set(err, errlen, SL_ERR_ARG, "option %.*s needs a value", (int)len, a);
            v = argv[++i];
        }
        sl_err e = sl_opt_set(o, cmd->objs[tk], v, err, errlen);
        if (e != SL_OK) {
            /* "--batch-rows needs ..." (a custom parser's own text after a colon) */
            char fl[80];
            snprintf(fl, sizeof fl, "%.*s", (int)(len < 79 ? len : 79), a);
            if (o->alias && !strcmp(fl, o->alias)) snprintf(fl, sizeof fl, "--%s", o->name);
            for (char *c = fl + 2; *c; c++)
                if (*c == '_') *c = '-';
            sl_err_prefix(err, errlen, "%s", fl);
            char *c = err ? strstr(err, ": needs ") : NULL;
            if (c && c == err + strlen(fl)) memmove(c, c + 1, strlen(c + 1) + 1);
            return e;
        }
        if (cmd->after && (e = cmd->after(cmd->ctx, o, v, err, errlen)) != SL_OK) return e;
    }
    return SL_OK;
}

int sl_opt_cmd_parse(const sl_opt_cmd *cmd, int argc, char **argv, char *err, size_t errlen) {
    for (size_t k = 0; cmd->tables && cmd->tables[k]; k++) {
        sl_err e = sl_opt_defaults(cmd->tables[k], cmd->objs[k], err, errlen);
        if (e != SL_OK) return e;
    }
    if (err && errlen) err[0] = '\0';
    return sl_opt_parse_argv(cmd, argc, argv, err, errlen);
}

const char *sl_opt_peek(const sl_opt *const *tables, int argc, char **argv, const char *name) {
    const char *found = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) break;
        if (a[0] != '-' || a[1] == '\0') continue;
        const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
        size_t len = eq ? (size_t)(eq - a) : strlen(a), tk;
        const sl_opt *o = find_flag(tables, a, len, &tk);
        if (!o) continue;
        const char *v = eq ? eq + 1 : o->type == SL_OPT_T_FLAG ? "true" : i + 1 < argc ? argv[++i] : NULL;
        if (v && !strcmp(o->name, name)) found = v;
    }
    return found;
}

/* ------------------------------------------------------------------ a command's help and reference */

/* The heading of table k's entries before their first section: the
 * command's title for it, else "options" for the first table, else none. */
static const char *table_title(const sl_opt_cmd *cmd, size_t k) {
    if (cmd->titles && cmd->titles[k]) return cmd->titles[k];
    return k == 0 ? "options" : NULL;
}

/* Lines of text, each after indent. */
static void indent_lines(sl_buf *out, const char *text, const char *indent, const char *first_indent) {
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        sl_buf_puts(out, p == text ? first_indent : indent);
        sl_buf_put(out, p, l);
        sl_buf_putc(out, '\n');
        p += l + (nl != NULL);
    }
}

void sl_opt_cmd_help(const sl_opt_cmd *cmd, sl_buf *out) {
    indent_lines(out, cmd->usage, "       ", "usage: ");
    indent_lines(out, cmd->about, "  ", "  ");
    for (size_t k = 0; cmd->tables && cmd->tables[k]; k++) {
        const sl_opt *t = cmd->tables[k];
        const char *title = table_title(cmd, k);
        if (title && t->name && !t->section) sl_buf_printf(out, "\n%s:\n", title);
        sl_opt_help(t, "", out);
    }
    if (cmd->notes) {
        sl_buf_putc(out, '\n');
        indent_lines(out, cmd->notes, "", "");
    }
}

void sl_opt_cmd_doc_md(const sl_opt_cmd *cmd, sl_buf *out) {
    sl_buf_puts(out, "```\n");
    indent_lines(out, cmd->usage, "", "");
    sl_buf_puts(out, "```\n");
    if (cmd->about) {
        sl_buf_putc(out, '\n');
        indent_lines(out, cmd->about, "", "");
    }
    /* a table per section, headed by the section in bold */
    const char *cur = NULL, *printed = NULL;
    for (size_t k = 0; cmd->tables && cmd->tables[k]; k++) {
        const sl_opt *t = cmd->tables[k];
        for (size_t i = 0; t[i].name; i++) {
            if (t[i].section) cur = t[i].section;
            else if (i == 0 && table_title(cmd, k)) cur = table_title(cmd, k);
            if (t[i].flags & (SL_OPT_FILE_ONLY | SL_OPT_HIDDEN)) continue;
            if (!cur) cur = "options";
            if (!printed || strcmp(cur, printed)) {
                sl_buf_printf(out, "\n**%s**\n\n%s", cur, k_flags_head);
                printed = cur;
            }
            flag_row(&t[i], out);
        }
    }
    if (cmd->notes) {
        sl_buf_putc(out, '\n');
        indent_lines(out, cmd->notes, "", "");
    }
}
