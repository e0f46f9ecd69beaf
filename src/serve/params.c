#include "serve/params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/hot_read.h"
#include "util/time.h"

static const char *const k_names[SV_P_N] = {"from",  "to",    "source", "instance", "query_type", "final",
                                            "limit", "offset", "k",      "reason",   "format",     "hours"};
/* The store filter (hot_read.h) of a parameter, for "the table has no X
 * column" messages; -1: not a filter. */
static const int k_filter[SV_P_N] = {HR_F_HOUR, HR_F_HOUR, HR_F_SOURCE, HR_F_INSTANCE, HR_F_QUERY_TYPE, HR_F_FINAL,
                                     -1,        -1,        -1,          HR_F_REASON,   -1,              -1};

const char *sv_param_name(int p) { return p >= 0 && p < SV_P_N ? k_names[p] : "?"; }

#define MIN_EPOCH (-62167219200LL) /* 0000-01-01 00:00:00 */
#define MAX_EPOCH 253402300799LL   /* 9999-12-31 23:59:59 */

bool sv_fmt_time(char out[20], int64_t s) {
    if (s < MIN_EPOCH || s > MAX_EPOCH) return false; /* out untouched */
    return sl_fmt_time(out, 20, s * SL_US_PER_SEC, SL_TIME_SQL) != 0;
}

static bool digits(const char *s, size_t n, int64_t *v) {
    int64_t x = 0;
    if (n == 0 || n > 18) return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return true;
}

/* The datetimes sv_parse_time takes, YYYY-MM-DD[(T| )HH[:MM[:SS[.f{1,9}]]]][Z],
 * are those of sl_parse_time without its extensions (blanks around, 't',
 * 'z', UTC, offsets, ',' before the fraction, a space before the zone).  Of
 * the texts sl_parse_time reads, these are the ones that pass this check:
 * no blank first, and after the date only digits, ':', '.', 'T', a ' ' right
 * after the date and before a digit, and a 'Z' last. */
static bool serve_form(const char *s, size_t n) {
    if (n == 0 || s[0] == ' ' || s[0] == '\t') return false;
    for (size_t i = 10; i < n; i++) {
        char ch = s[i];
        if ((ch >= '0' && ch <= '9') || ch == ':' || ch == '.' || ch == 'T') continue;
        if (ch == ' ' && i == 10 && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9') continue;
        if (ch == 'Z' && i == n - 1) continue;
        /* an offset after a time: +HH[[:]MM] or -HH[[:]MM], digits and ':' to the end */
        if ((ch == '+' || ch == '-') && i > 12 && i + 1 < n) {
            for (size_t k = i + 1; k < n; k++)
                if (!((s[k] >= '0' && s[k] <= '9') || s[k] == ':')) return false;
            return true;
        }
        return false;
    }
    return true;
}

/* Copy of user text for messages: at most 64 bytes, control bytes as '?'. */
static const char *clip(char out[72], const char *s, size_t n) {
    size_t m = n > 64 ? 64 : n;
    for (size_t i = 0; i < m; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    if (n > 64) memcpy(out + m, "...", 4);
    else out[m] = '\0';
    return out;
}

/* now[(+|-)N(s|m|h|d|w)] or (+|-)N(s|m|h|d|w): the offset in seconds; false
 * when s is not a relative time. */
static bool relative_time(const char *s, size_t n, int64_t *off) {
    size_t i = 0;
    if (n >= 3 && !memcmp(s, "now", 3)) {
        i = 3;
        if (i == n) {
            *off = 0;
            return true;
        }
    }
    if (i == n || (s[i] != '-' && s[i] != '+')) return false;
    bool neg = s[i] == '-';
    i++;
    size_t j = i;
    while (j < n && s[j] >= '0' && s[j] <= '9') j++;
    int64_t v;
    if (j + 1 != n || j - i > 6 || !digits(s + i, j - i, &v)) return false;
    int64_t unit;
    switch (s[j]) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    default: return false;
    }
    *off = (neg ? -v : v) * unit;
    return true;
}

sl_err sv_parse_time(const char *name, const char *s, size_t n, int64_t *out, bool *rel, char *err, size_t errlen) {
    char c[72];
    int64_t v;
    if (rel) *rel = false;
    if (rel && n > 0 && (s[0] == 'n' || s[0] == '-' || s[0] == '+') && relative_time(s, n, &v)) {
        *rel = true;
        *out = v;
        return SL_OK;
    }
    if (n > 0 && s[0] >= '0' && s[0] <= '9' && digits(s, n, &v)) {
        if (v > MAX_EPOCH)
            return sl_err_set(err, errlen, SL_ERR_ARG, "%s: epoch seconds %s are after the year 9999", name,
                              clip(c, s, n));
        *out = v;
        return SL_OK;
    }
    const char *why = "syntax";
    int64_t us;
    if (n <= 40 && serve_form(s, n) && sl_parse_time(s, n, &us, &why) == SL_OK) {
        *out = sl_floor_div(us, SL_US_PER_SEC); /* the fraction dropped */
        return SL_OK;
    }
    if (!strcmp(why, "range"))
        return sl_err_set(err, errlen, SL_ERR_ARG, "%s: '%s' is not a valid date and time", name, clip(c, s, n));
    return sl_err_set(err, errlen, SL_ERR_ARG,
                      "%s: expected YYYY-MM-DD[THH[:MM[:SS]]][Z|+HH:MM], epoch seconds or a relative time (now, now-24h, "
                      "-7d), got '%s'",
                      name, clip(c, s, n));
}

/* ------------------------------------------------------------------------ */
/* values                                                                   */

static size_t utf8_seq(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return len;
}

/* A text filter: 1..max bytes of UTF-8 without control characters. */
static sl_err text_value(const char *name, const char *v, size_t n, size_t max, char *out, char *err, size_t errlen) {
    char c[72];
    if (n > max)
        return sl_err_set(err, errlen, SL_ERR_ARG, "%s: longer than %zu bytes: '%s'", name, max, clip(c, v, n));
    for (size_t i = 0; i < n;) {
        unsigned char ch = (unsigned char)v[i];
        if (ch < 0x20 || ch == 0x7f)
            return sl_err_set(err, errlen, SL_ERR_ARG, "%s: contains a control character: '%s'", name, clip(c, v, n));
        size_t l = utf8_seq((const unsigned char *)v + i, n - i);
        if (!l) return sl_err_set(err, errlen, SL_ERR_ARG, "%s: not valid UTF-8", name);
        i += l;
    }
    memcpy(out, v, n);
    out[n] = '\0';
    return SL_OK;
}

static sl_err int_value(const char *name, const char *v, size_t n, int64_t lo, int64_t hi, int64_t *out, char *err,
                        size_t errlen) {
    char c[72];
    int64_t x;
    if (!digits(v, n, &x) || x < lo || x > hi)
        return sl_err_set(err, errlen, SL_ERR_ARG, "%s: expected an integer from %lld to %lld, got '%s'", name,
                          (long long)lo, (long long)hi, clip(c, v, n));
    *out = x;
    return SL_OK;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static sl_err instance_value(sv_params *p, const char *v, size_t n, char *err, size_t errlen) {
    char c[72];
    size_t i = 0;
    p->ninstances = 0;
    for (;;) {
        size_t j = i;
        while (j < n && v[j] != ',') j++;
        bool neg = j > i && v[i] == '-';
        int64_t x;
        if (!digits(v + i + neg, j - i - neg, &x) || (neg ? -x < INT32_MIN : x > INT32_MAX))
            return sl_err_set(err, errlen, SL_ERR_ARG,
                              "instance: expected an integer or a comma-separated list of up to %d integers, got '%s'",
                              SV_INSTANCES_MAX, clip(c, v, n));
        if (p->ninstances == SV_INSTANCES_MAX)
            return sl_err_set(err, errlen, SL_ERR_ARG, "instance: more than %d instances", SV_INSTANCES_MAX);
        p->instances[p->ninstances++] = neg ? -x : x;
        if (j == n) break;
        i = j + 1;
    }
    qsort(p->instances, p->ninstances, sizeof *p->instances, cmp_i64);
    size_t m = 0;
    for (size_t k = 0; k < p->ninstances; k++)
        if (m == 0 || p->instances[m - 1] != p->instances[k]) p->instances[m++] = p->instances[k];
    p->ninstances = m;
    return SL_OK;
}

static sl_err reason_value(sv_params *p, const char *v, size_t n, char *err, size_t errlen) {
    char c[72];
    bool ok = n <= SV_REASON_MAX;
    for (size_t i = 0; ok && i < n; i++) ok = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') || v[i] == '_';
    if (!ok)
        return sl_err_set(err, errlen, SL_ERR_ARG,
                          "reason: expected a bad-row reason like 'malformed' (a-z, 0-9, _; up to %d bytes), got '%s'",
                          SV_REASON_MAX, clip(c, v, n));
    memcpy(p->reason, v, n);
    p->reason[n] = '\0';
    return SL_OK;
}

static void allowed_list(char *out, size_t n, unsigned allowed) {
    size_t at = 0;
    out[0] = '\0';
    for (int i = 0; i < SV_P_N; i++) {
        if (!(allowed & SV_PB(i))) continue;
        int w = snprintf(out + at, n - at, "%s%s", at ? ", " : "", k_names[i]);
        if (w < 0 || (size_t)w >= n - at) break;
        at += (size_t)w;
    }
}

sl_err sv_params_parse(sv_params *p, const sv_pspec *spec, const sv_kv *kv, size_t n, char *err, size_t errlen) {
    char c[72];
    memset(p, 0, sizeof *p);
    p->final = -1;
    p->limit = spec->limit_def;
    p->k = 10;
    p->hours = 1;
    int64_t raw_from = 0, raw_to = 0;
    for (size_t i = 0; i < n; i++) {
        if (kv[i].klen == 0 && (!kv[i].val || kv[i].vlen == 0)) continue; /* an empty segment: "?&k=1" */
        int which = -1;
        for (int q = 0; q < SV_P_N; q++)
            if (strlen(k_names[q]) == kv[i].klen && !memcmp(k_names[q], kv[i].key, kv[i].klen)) which = q;
        if (which < 0) {
            char list[160];
            allowed_list(list, sizeof list, spec->allowed);
            if (!spec->allowed)
                return sl_err_set(err, errlen, SL_ERR_ARG, "unknown parameter '%s' (%s takes no parameters)",
                                  clip(c, kv[i].key, kv[i].klen), spec->endpoint);
            return sl_err_set(err, errlen, SL_ERR_ARG, "unknown parameter '%s' (%s takes: %s)",
                              clip(c, kv[i].key, kv[i].klen), spec->endpoint, list);
        }
        const char *name = k_names[which];
        if (!(spec->allowed & SV_PB(which))) {
            if (which == SV_P_FROM || which == SV_P_TO)
                return sl_err_set(err, errlen, SL_ERR_ARG, "%s: %s takes no time range", name, spec->endpoint);
            if (k_filter[which] >= 0)
                return sl_err_set(err, errlen, SL_ERR_ARG, "%s: %s cannot filter by %s (%s: no %s column)", name,
                                  spec->endpoint, name, spec->tables, hr_filter_name((hr_filter)k_filter[which]));
            return sl_err_set(err, errlen, SL_ERR_ARG, "%s: not a parameter of %s", name, spec->endpoint);
        }
        if (p->given & SV_PB(which)) return sl_err_set(err, errlen, SL_ERR_ARG, "%s: given more than once", name);
        p->given |= SV_PB(which);
        const char *v = kv[i].val;
        size_t vn = kv[i].vlen;
        if (!v) return sl_err_set(err, errlen, SL_ERR_ARG, "%s: missing value (%s=...)", name, name);
        if (vn == 0) return sl_err_set(err, errlen, SL_ERR_ARG, "%s: empty value", name);
        if (memchr(v, '\0', vn)) return sl_err_set(err, errlen, SL_ERR_ARG, "%s: contains a NUL byte", name);
        sl_err e = SL_OK;
        switch (which) {
        case SV_P_FROM: e = sv_parse_time(name, v, vn, &raw_from, &p->from_rel, err, errlen); break;
        case SV_P_TO: e = sv_parse_time(name, v, vn, &raw_to, &p->to_rel, err, errlen); break;
        case SV_P_SOURCE: e = text_value(name, v, vn, SV_SOURCE_MAX, p->source, err, errlen); break;
        case SV_P_QUERY_TYPE: /* the store keeps query types lower-cased: any case matches */
            e = text_value(name, v, vn, SV_QTYPE_MAX, p->query_type, err, errlen);
            for (char *t = p->query_type; e == SL_OK && *t; t++)
                if (*t >= 'A' && *t <= 'Z') *t = (char)(*t - 'A' + 'a');
            break;
        case SV_P_INSTANCE: e = instance_value(p, v, vn, err, errlen); break;
        case SV_P_FINAL:
            if (vn == 1 && (v[0] == '0' || v[0] == '1')) p->final = v[0] - '0';
            else if (vn == 3 && !memcmp(v, "all", 3)) p->final = -1;
            else e = sl_err_set(err, errlen, SL_ERR_ARG, "final: expected 1, 0 or all, got '%s'", clip(c, v, vn));
            break;
        case SV_P_LIMIT: e = int_value(name, v, vn, 1, spec->limit_max, &p->limit, err, errlen); break;
        case SV_P_OFFSET: e = int_value(name, v, vn, 0, SV_OFFSET_MAX, &p->offset, err, errlen); break;
        case SV_P_K: e = int_value(name, v, vn, 1, SV_K_MAX, &p->k, err, errlen); break;
        case SV_P_REASON: e = reason_value(p, v, vn, err, errlen); break;
        case SV_P_FORMAT:
            if (vn == 3 && !memcmp(v, "csv", 3)) p->csv = true;
            else if (vn == 4 && !memcmp(v, "json", 4)) p->csv = false;
            else e = sl_err_set(err, errlen, SL_ERR_ARG, "format: expected json or csv, got '%s'", clip(c, v, vn));
            break;
        case SV_P_HOURS: e = int_value(name, v, vn, 1, SV_HOURS_MAX, &p->hours, err, errlen); break;
        }
        if (e != SL_OK) return e;
    }
    p->from_raw = raw_from;
    p->to_raw = raw_to;
    /* relative times: checked when resolved (sv_range_resolve, sv_range_wall) */
    if (p->from_rel || p->to_rel) return SL_OK;
    /* from floored, to rounded up to the hour: hour >= from and hour < to
     * select every hour that overlaps [from, to). */
    if (p->given & SV_PB(SV_P_FROM)) p->from = sl_floor_div(raw_from, SV_HOUR_S) * SV_HOUR_S;
    if (p->given & SV_PB(SV_P_TO)) p->to = -sl_floor_div(-raw_to, SV_HOUR_S) * SV_HOUR_S;
    if ((p->given & SV_P_RANGE) == SV_P_RANGE) {
        char a[20], b[20];
        if (raw_to <= raw_from) {
            sv_fmt_time(a, raw_from);
            sv_fmt_time(b, raw_to);
            return sl_err_set(err, errlen, SL_ERR_ARG, "to: must be after from (from %s, to %s)", a, b);
        }
        if (p->to - p->from > SV_MAX_RANGE_S)
            return sl_err_set(err, errlen, SL_ERR_ARG, "to: the range is longer than 400 days (%lld hours)",
                              (long long)((p->to - p->from) / SV_HOUR_S));
    }
    return SL_OK;
}

int64_t sv_rel_anchor(bool have_newest, int64_t newest, int64_t now_s) {
    return have_newest ? newest + SV_HOUR_S : sl_floor_div(now_s, SV_HOUR_S) * SV_HOUR_S + SV_HOUR_S;
}

static sl_err check_order(int64_t from, int64_t to, int64_t max, const char *unit, int64_t per, char *err,
                          size_t errlen) {
    char a[20] = "?", b[20] = "?";
    if (to <= from) {
        sv_fmt_time(a, from);
        sv_fmt_time(b, to);
        return sl_err_set(err, errlen, SL_ERR_ARG, "to: must be after from (from %s, to %s)", a, b);
    }
    if (to - from > max)
        return sl_err_set(err, errlen, SL_ERR_ARG, "to: the range is longer than 400 days (%lld %s)",
                          (long long)((to - from) / per), unit);
    return SL_OK;
}

sl_err sv_range_resolve(const sv_params *p0, bool have_newest, int64_t newest, int64_t *from, int64_t *to, bool *empty,
                        char *err, size_t errlen) {
    bool hf = p0->given & SV_PB(SV_P_FROM), ht = p0->given & SV_PB(SV_P_TO);
    *empty = false;
    sv_params rp;
    const sv_params *p = p0;
    if ((hf && p0->from_rel) || (ht && p0->to_rel)) {
        /* relative to the newest hour + 1 h (the wall clock's next hour when empty) */
        rp = *p0;
        p = &rp;
        int64_t anchor = sv_rel_anchor(have_newest, newest, (int64_t)time(NULL));
        int64_t f = rp.from_rel ? anchor + rp.from_raw : rp.from_raw;
        int64_t t = rp.to_rel ? anchor + rp.to_raw : rp.to_raw;
        if (hf) rp.from = sl_floor_div(f, SV_HOUR_S) * SV_HOUR_S;
        if (ht) rp.to = -sl_floor_div(-t, SV_HOUR_S) * SV_HOUR_S;
        if (hf && ht) {
            if (t <= f) {
                char a[20] = "?", b[20] = "?";
                sv_fmt_time(a, f);
                sv_fmt_time(b, t);
                return sl_err_set(err, errlen, SL_ERR_ARG, "to: must be after from (from %s, to %s)", a, b);
            }
            sl_err e = check_order(rp.from, rp.to, SV_MAX_RANGE_S, "hours", SV_HOUR_S, err, errlen);
            if (e != SL_OK) return e;
        }
    }
    if (hf && ht) {
        *from = p->from;
        *to = p->to;
        return SL_OK;
    }
    if (ht) {
        *to = p->to;
        *from = p->to - SV_DEFAULT_RANGE_S;
        return SL_OK;
    }
    if (hf) {
        *from = p->from;
        *to = have_newest && newest + SV_HOUR_S > p->from ? newest + SV_HOUR_S : p->from + SV_HOUR_S;
        if (*to - *from > SV_MAX_RANGE_S) {
            char a[20] = "?", b[20] = "?";
            sv_fmt_time(a, *from);
            sv_fmt_time(b, *to);
            return sl_err_set(err, errlen, SL_ERR_ARG,
                              "from: the range from %s to the end of the data (%s) is longer than 400 days; give to as well",
                              a, b);
        }
        return SL_OK;
    }
    if (!have_newest) {
        *empty = true;
        return SL_OK;
    }
    *to = newest + SV_HOUR_S;
    *from = *to - SV_DEFAULT_RANGE_S;
    return SL_OK;
}

sl_err sv_range_wall(const sv_params *p, int64_t now_s, int64_t def_from, int64_t def_to, int64_t *from, int64_t *to,
                     char *err, size_t errlen) {
    bool hf = p->given & SV_PB(SV_P_FROM), ht = p->given & SV_PB(SV_P_TO);
    int64_t f = hf ? (p->from_rel ? now_s + p->from_raw : p->from_raw) : 0;
    int64_t t = ht ? (p->to_rel ? now_s + p->to_raw : p->to_raw) : 0;
    if (!hf && !ht) {
        f = def_from;
        t = def_to;
    } else if (!hf) {
        f = t - SV_HOUR_S;
    } else if (!ht) {
        t = now_s > f ? now_s + 1 : f + SV_HOUR_S; /* up to now (inclusive) */
    }
    sl_err e = check_order(f, t, SV_MAX_RANGE_S, "days", 86400, err, errlen);
    if (e != SL_OK) return e;
    *from = f;
    *to = t;
    return SL_OK;
}
