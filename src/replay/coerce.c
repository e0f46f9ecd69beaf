#include "replay/coerce.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "batch/batch.h"

static void trim(const char **s, size_t *n) {
    const char *p = *s;
    size_t k = *n;
    while (k && (*p == ' ' || *p == '\t')) p++, k--;
    while (k && (p[k - 1] == ' ' || p[k - 1] == '\t')) k--;
    *s = p;
    *n = k;
}

static inline bool is_digit(char c) { return (unsigned)(c - '0') < 10; }

/* Strict [+-]digits into int64. */
static bool parse_int_strict(const char *s, size_t n, int64_t *out) {
    if (n == 0) return false;
    bool neg = false;
    size_t i = 0;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n) return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (d > 9) return false;
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1) return false;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX) return false;
        *out = (int64_t)v;
    }
    return true;
}

static const double pow10_tab[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                     1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Fast exact path (Clinger): returns 1 parsed, 0 not a plain decimal at all
 * (syntax error), -1 needs the slow path. */
static int parse_double_fast(const char *s, size_t n, double *out) {
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    uint64_t m = 0;
    int sig = 0, exp10 = 0;
    bool any = false, lead = true;
    while (i < n && is_digit(s[i])) {
        any = true;
        unsigned d = (unsigned)(s[i] - '0');
        if (lead && d == 0) {
            i++;
            continue;
        }
        lead = false;
        if (sig < 19) m = m * 10 + d, sig++;
        else exp10++;
        i++;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i])) {
            any = true;
            unsigned d = (unsigned)(s[i] - '0');
            if (lead && d == 0) {
                exp10--;
                i++;
                continue;
            }
            lead = false;
            if (sig < 19) m = m * 10 + d, sig++, exp10--;
            i++;
        }
    }
    if (!any) return -1; /* maybe nan/inf/hex: slow path decides */
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
        if (i == n || !is_digit(s[i])) return 0;
        int e = 0;
        while (i < n && is_digit(s[i])) {
            if (e < 100000) e = e * 10 + (s[i] - '0');
            i++;
        }
        exp10 += eneg ? -e : e;
    }
    if (i != n) return -1;
    if (sig > 15 || exp10 < -22 || exp10 > 22) return -1;
    double v = (double)m;
    if (exp10 < 0) v /= pow10_tab[-exp10];
    else v *= pow10_tab[exp10];
    *out = neg ? -v : v;
    return 1;
}

bool rp_parse_f64(const char *s, size_t n, double *out) {
    trim(&s, &n);
    if (n == 0) return false;
    int r = parse_double_fast(s, n, out);
    if (r == 1) return true;
    if (r == 0) return false;
    /* slow path: strtod on a NUL-terminated copy; only characters of the
     * decimal/special syntax (no hex floats, no locale surprises) */
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!(is_digit(c) || c == '.' || c == '+' || c == '-' || c == 'e' || c == 'E' || (c | 0x20) == 'n' ||
              (c | 0x20) == 'a' || (c | 0x20) == 'i' || (c | 0x20) == 'f' || (c | 0x20) == 't' || (c | 0x20) == 'y'))
            return false;
    }
    char tmp[512];
    char *buf = tmp;
    if (n >= sizeof tmp) {
        buf = malloc(n + 1);
        if (!buf) return false;
    }
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    double v = strtod(buf, &end);
    bool ok = end == buf + n;
    if (buf != tmp) free(buf);
    if (!ok) return false;
    *out = v;
    return true;
}

bool rp_parse_i64(const char *s, size_t n, int64_t *out) {
    trim(&s, &n);
    if (parse_int_strict(s, n, out)) return true;
    /* integral decimal forms: 12.0, 1e3 (not NaN/inf, not 1.5) */
    bool plain = n > 0;
    for (size_t i = 0; i < n; i++)
        if (!(is_digit(s[i]) || s[i] == '.' || s[i] == '+' || s[i] == '-' || s[i] == 'e' || s[i] == 'E')) plain = false;
    double d;
    if (!plain || !rp_parse_f64(s, n, &d)) return false;
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != floor(d)) return false;
    *out = (int64_t)d;
    return true;
}

bool rp_parse_i32(const char *s, size_t n, int32_t *out) {
    int64_t v;
    if (!rp_parse_i64(s, n, &v) || v < INT32_MIN || v > INT32_MAX) return false;
    *out = (int32_t)v;
    return true;
}

static bool ieq(const char *s, size_t n, const char *lit) {
    size_t k = strlen(lit);
    if (n != k) return false;
    for (size_t i = 0; i < n; i++)
        if ((char)(s[i] | 0x20) != lit[i]) return false;
    return true;
}

bool rp_parse_flag(const char *s, size_t n, int32_t *out) {
    trim(&s, &n);
    if (n == 1 && (s[0] == '0' || s[0] == '1')) {
        *out = s[0] - '0';
        return true;
    }
    if (ieq(s, n, "true")) {
        *out = 1;
        return true;
    }
    if (ieq(s, n, "false")) {
        *out = 0;
        return true;
    }
    return rp_parse_i32(s, n, out);
}

/* ------------------------------------------------------------------------ */

size_t rp_cv_i64_to_i32(const int64_t *src, int32_t *dst, size_t n, uint32_t *bad) {
    size_t nb = 0;
    uint64_t oor = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t v = src[i];
        dst[i] = (int32_t)v;
        oor |= (uint64_t)((v < INT32_MIN) | (v > INT32_MAX));
    }
    if (!oor) return 0;
    for (size_t i = 0; i < n; i++)
        if (src[i] < INT32_MIN || src[i] > INT32_MAX) {
            dst[i] = 0;
            bad[nb++] = (uint32_t)i;
        }
    return nb;
}

void rp_cv_u8_to_i32(const uint8_t *src, int32_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = src[i];
}

void rp_cv_i32_to_i64(const int32_t *src, int64_t *dst, size_t n, bool is_unsigned) {
    if (is_unsigned)
        for (size_t i = 0; i < n; i++) dst[i] = (int64_t)(uint32_t)src[i];
    else
        for (size_t i = 0; i < n; i++) dst[i] = src[i];
}

void rp_cv_i32_to_f64(const int32_t *src, double *dst, size_t n, bool is_unsigned) {
    if (is_unsigned)
        for (size_t i = 0; i < n; i++) dst[i] = (double)(uint32_t)src[i];
    else
        for (size_t i = 0; i < n; i++) dst[i] = (double)src[i];
}

void rp_cv_i64_to_f64(const int64_t *src, double *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = (double)src[i];
}

void rp_cv_f32_to_f64(const float *src, double *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = (double)src[i];
}

static inline bool f64_fits_i64(double r) { return r >= -9223372036854775808.0 && r < 9223372036854775808.0; }

size_t rp_cv_f64_to_i64(const double *src, int64_t *dst, size_t n, uint32_t *bad) {
    size_t nb = 0;
    for (size_t i = 0; i < n; i++) {
        double r = round(src[i]);
        if (f64_fits_i64(r)) {
            dst[i] = (int64_t)r;
        } else {
            dst[i] = 0;
            bad[nb++] = (uint32_t)i;
        }
    }
    return nb;
}

size_t rp_cv_f64_to_i32(const double *src, int32_t *dst, size_t n, uint32_t *bad) {
    size_t nb = 0;
    for (size_t i = 0; i < n; i++) {
        double r = round(src[i]);
        if (r >= -2147483648.0 && r <= 2147483647.0) {
            dst[i] = (int32_t)r;
        } else {
            dst[i] = 0;
            bad[nb++] = (uint32_t)i;
        }
    }
    return nb;
}

size_t rp_cv_u64_check(int64_t *v, size_t n, uint32_t *bad) {
    size_t nb = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] < 0) {
            v[i] = 0;
            bad[nb++] = (uint32_t)i;
        }
    return nb;
}

size_t rp_cv_ms_to_us(const int64_t *src, int64_t *dst, size_t n, uint32_t *bad) {
    size_t nb = 0;
    const int64_t lim = INT64_MAX / 1000;
    for (size_t i = 0; i < n; i++) {
        int64_t v = src[i];
        if (v > lim || v < -lim) {
            dst[i] = 0;
            bad[nb++] = (uint32_t)i;
        } else {
            dst[i] = v * 1000;
        }
    }
    return nb;
}

void rp_cv_ns_to_us(const int64_t *src, int64_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) {
        int64_t v = src[i], q = v / 1000;
        dst[i] = q - (v % 1000 < 0);
    }
}

void rp_cv_days_to_us(const int32_t *src, int64_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = (int64_t)src[i] * SL_US_PER_DAY;
}
