/* time.c: calendar and clock arithmetic (see time.h). */
#include "util/time.h"

#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ calendar */

/* H. Hinnant's days_from_civil / civil_from_days (public domain), on a
 * calendar whose years start on March 1st so that the leap day is last. */
int64_t sl_days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);                       /* [0, 399] */
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + (int64_t)doe - 719468;
}

void sl_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d) {
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static inline bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static inline unsigned days_in_month(int64_t y, unsigned m) {
    static const unsigned char dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

void sl_civil_from_us(int64_t us, sl_civil *out) {
    int64_t days = sl_floor_div(us, SL_US_PER_DAY);
    int64_t rem = sl_floor_mod(us, SL_US_PER_DAY); /* [0, 86400e6) */
    sl_civil_from_days(days, &out->year, &out->month, &out->day);
    unsigned sod = (unsigned)(rem / SL_US_PER_SEC);
    out->hour = sod / 3600;
    out->minute = sod / 60 % 60;
    out->second = sod % 60;
    out->micros = (unsigned)(rem % SL_US_PER_SEC);
}

bool sl_us_from_civil(const sl_civil *c, int64_t *us) {
    if (c->month < 1 || c->month > 12 || c->day < 1 || c->day > days_in_month(c->year, c->month) || c->hour > 23 ||
        c->minute > 59 || c->second > 59 || c->micros > 999999)
        return false;
    /* int64 micros span +-292,277 years: beyond that the sum below overflows */
    if (c->year < -300000 || c->year > 300000) return false;
    int64_t days = sl_days_from_civil(c->year, c->month, c->day), v;
    int64_t in_day = ((int64_t)c->hour * 3600 + c->minute * 60 + c->second) * SL_US_PER_SEC + c->micros;
    if (days < 0) { /* the day's start may be below INT64_MIN while the time is not */
        days++;
        in_day -= SL_US_PER_DAY;
    }
    if (__builtin_mul_overflow(days, SL_US_PER_DAY, &v) || __builtin_add_overflow(v, in_day, &v)) return false;
    *us = v;
    return true;
}

/* ------------------------------------------------------------------ formatting */

static const char k_pairs[200] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                 "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                 "8081828384858687888990919293949596979899";

static inline char *put2(char *p, unsigned v) {
    memcpy(p, k_pairs + 2 * v, 2);
    return p + 2;
}

/* "YYYY-MM-DD" */
static inline char *put_date(char *p, const sl_civil *c) {
    unsigned y = (unsigned)c->year;
    p = put2(p, y / 100);
    p = put2(p, y % 100);
    *p++ = '-';
    p = put2(p, c->month);
    *p++ = '-';
    return put2(p, c->day);
}

/* "HH:MM:SS" */
static inline char *put_clock(char *p, const sl_civil *c) {
    p = put2(p, c->hour);
    *p++ = ':';
    p = put2(p, c->minute);
    *p++ = ':';
    return put2(p, c->second);
}

/* ".ffffff" */
static inline char *put_micros(char *p, unsigned f) {
    *p++ = '.';
    p = put2(p, f / 10000);
    p = put2(p, f / 100 % 100);
    return put2(p, f % 100);
}

size_t sl_fmt_time(char *out, size_t n, int64_t us, sl_time_style style) {
    static const unsigned char width[] = {27, 20, 19, 26, 10, 21};
    if (n == 0) return 0;
    out[0] = '\0';
    if ((unsigned)style >= sizeof width || n <= width[style] || us < SL_TIME_MIN_US || us > SL_TIME_MAX_US) return 0;
    sl_civil c;
    sl_civil_from_us(us, &c);
    char *p = out;
    switch (style) {
    case SL_TIME_ISO:
    case SL_TIME_ISO_S:
        p = put_date(p, &c);
        *p++ = 'T';
        p = put_clock(p, &c);
        if (style == SL_TIME_ISO) p = put_micros(p, c.micros);
        *p++ = 'Z';
        break;
    case SL_TIME_SQL:
    case SL_TIME_SQL_US:
        p = put_date(p, &c);
        *p++ = ' ';
        p = put_clock(p, &c);
        if (style == SL_TIME_SQL_US) p = put_micros(p, c.micros);
        break;
    case SL_TIME_DATE: p = put_date(p, &c); break;
    case SL_TIME_PARTITION:
        memcpy(p, "date=", 5);
        p = put_date(p + 5, &c);
        memcpy(p, "/hr=", 4);
        p = put2(p + 4, c.hour);
        break;
    }
    *p = '\0';
    return (size_t)(p - out);
}

/* ------------------------------------------------------------------ parsing */

static inline bool is_digit(char c) { return (unsigned)(c - '0') < 10; }
static inline unsigned dig2(const char *p) { return (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0'); }
static inline bool two_digits(const char *p, const char *e) { return e - p >= 2 && is_digit(p[0]) && is_digit(p[1]); }

static sl_err time_fail(const char **why, const char *what) {
    if (why) *why = what;
    return SL_ERR_ARG;
}

/* The whole syntax is checked first, the field ranges after, so a text gets
 * "range" only when it is well formed. */
sl_err sl_parse_time(const char *s, size_t n, int64_t *us, const char **why) {
    const char *p = s, *e = s + n;
    while (p < e && (*p == ' ' || *p == '\t')) p++;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t')) e--;
    if (e - p < 10 || !is_digit(p[0]) || !is_digit(p[1]) || !is_digit(p[2]) || !is_digit(p[3]) || p[4] != '-' ||
        !is_digit(p[5]) || !is_digit(p[6]) || p[7] != '-' || !is_digit(p[8]) || !is_digit(p[9]))
        return time_fail(why, "syntax");
    unsigned y = dig2(p) * 100 + dig2(p + 2), mo = dig2(p + 5), d = dig2(p + 8);
    unsigned hh = 0, mi = 0, ss = 0, frac = 0, oh = 0, om = 0;
    int sign = 0;
    const char *q = p + 10;
    if (q < e && (*q == 'T' || *q == 't' || *q == ' ') && q + 1 < e && is_digit(q[1])) {
        if (!two_digits(q + 1, e)) return time_fail(why, "syntax");
        hh = dig2(q + 1);
        q += 3;
        if (q < e && *q == ':') {
            if (!two_digits(q + 1, e)) return time_fail(why, "syntax");
            mi = dig2(q + 1);
            q += 3;
            if (q < e && *q == ':') {
                if (!two_digits(q + 1, e)) return time_fail(why, "syntax");
                ss = dig2(q + 1);
                q += 3;
                if (q < e && (*q == '.' || *q == ',')) {
                    const char *f0 = ++q;
                    while (q < e && is_digit(*q)) {
                        if (q - f0 < 6) frac = frac * 10 + (unsigned)(*q - '0');
                        q++;
                    }
                    ptrdiff_t k = q - f0;
                    if (k == 0 || k > 9) return time_fail(why, "syntax");
                    for (; k < 6; k++) frac *= 10;
                }
            }
        }
    }
    if (q < e) { /* the zone */
        if (*q == ' ') q++;
        if (q < e && (*q == 'Z' || *q == 'z')) {
            q++;
        } else if (e - q >= 3 && (q[0] | 0x20) == 'u' && (q[1] | 0x20) == 't' && (q[2] | 0x20) == 'c') {
            q += 3;
        } else if (q < e && (*q == '+' || *q == '-')) {
            sign = *q++ == '-' ? -1 : 1;
            if (!two_digits(q, e)) return time_fail(why, "syntax");
            oh = dig2(q);
            q += 2;
            if (q < e) {
                if (*q == ':') q++;
                if (!two_digits(q, e)) return time_fail(why, "syntax");
                om = dig2(q);
                q += 2;
            }
        } else {
            return time_fail(why, "syntax");
        }
        if (q != e) return time_fail(why, "syntax");
    }
    if (mo - 1 > 11 || d - 1 >= days_in_month(y, mo) || hh > 23 || mi > 59 || ss > 59 || oh > 23 || om > 59)
        return time_fail(why, "range");
    int64_t secs = sl_days_from_civil(y, mo, d) * 86400 + (int64_t)(hh * 3600 + mi * 60 + ss) -
                   (int64_t)sign * (int64_t)(oh * 3600 + om * 60);
    *us = secs * SL_US_PER_SEC + frac;
    return SL_OK;
}

sl_err sl_parse_time_utc(const char *s, size_t n, int64_t *us) {
    int64_t v;
    if (sl_parse_time(s, n, &v, NULL) != SL_OK) return SL_ERR_ARG;
    const char *p = s, *e = s + n;
    while (p < e && (*p == ' ' || *p == '\t')) p++;
    for (const char *z = p + 10; z < e; z++) /* past the date: an offset must be zero */
        if (*z == '+' || *z == '-') {
            for (z++; z < e; z++)
                if (*z != '0' && *z != ':' && *z != ' ' && *z != '\t') return SL_ERR_ARG;
            break;
        }
    *us = v;
    return SL_OK;
}

/* A decimal number "12", "1.5", ".5", "5.", "1e3", "2.5E-1" at *pp, split
 * into its integer part and its fraction (the first 18 digits after the
 * point: frac / 10^nfrac).  false when there is no digit or the integer part
 * does not fit 64 bits; *pp moves past the number. */
typedef struct dec {
    uint64_t ip, frac;
    int nfrac;
} dec;

static bool parse_dec(const char **pp, dec *out) {
    const char *p = *pp;
    char dg[48];         /* significant digits (no leading zeros) */
    int nd = 0, pos = 0; /* value = 0.dg * 10^pos */
    bool any = false;
    for (; is_digit(*p); p++) {
        any = true;
        if (nd == 0 && *p == '0') continue;
        if (nd == (int)sizeof dg) return false;
        dg[nd++] = *p;
        pos++;
    }
    if (*p == '.') {
        for (p++; is_digit(*p); p++) {
            any = true;
            if (nd == 0 && *p == '0') {
                pos--;
                continue;
            }
            if (nd < (int)sizeof dg) dg[nd++] = *p; /* digits further down are truncated */
        }
    }
    if (!any) return false;
    if ((*p == 'e' || *p == 'E') && (is_digit(p[1]) || ((p[1] == '+' || p[1] == '-') && is_digit(p[2])))) {
        int esign = p[1] == '-' ? -1 : 1, ex = 0;
        p += is_digit(p[1]) ? 1 : 2;
        for (; is_digit(*p); p++)
            if (ex < 10000) ex = ex * 10 + (*p - '0');
        if (nd) pos += esign * ex;
    }
    *pp = p;
    out->ip = out->frac = 0;
    out->nfrac = 0;
    if (nd == 0) return true;
    if (pos > 20) return false;
    for (int i = 0; i < pos; i++) {
        unsigned dv = i < nd ? (unsigned)(dg[i] - '0') : 0;
        if (__builtin_mul_overflow(out->ip, 10, &out->ip) || __builtin_add_overflow(out->ip, dv, &out->ip))
            return false;
    }
    /* fraction digits: -pos zeros (pos < 0), then dg[max(pos, 0)..nd) */
    for (int i = pos; i < nd && out->nfrac < 18; i++) {
        out->frac = out->frac * 10 + (i < 0 ? 0 : (unsigned)(dg[i] - '0'));
        out->nfrac++;
    }
    return true;
}

/* floor(number * mul); false on overflow of 64 bits. */
static bool scale_dec(const dec *v, uint64_t mul, uint64_t *out) {
    uint64_t a;
    if (__builtin_mul_overflow(v->ip, mul, &a)) return false;
    uint64_t den = 1;
    for (int i = 0; i < v->nfrac; i++) den *= 10;
    uint64_t f = (uint64_t)((unsigned __int128)v->frac * mul / den);
    return !__builtin_add_overflow(a, f, out);
}

/* Blanks and a '+' before a number (strtod skipped them, so the parsers
 * replaced here took them). */
static const char *skip_lead(const char *p) {
    while (*p == ' ' || (*p >= '\t' && *p <= '\r')) p++;
    return *p == '+' ? p + 1 : p;
}

sl_err sl_parse_duration(const char *s, int64_t *us) {
    if (!s) return SL_ERR_ARG;
    const char *p = skip_lead(s);
    if (!*p) return SL_ERR_ARG;
    uint64_t total = 0;
    int parts = 0;
    while (*p) {
        dec v;
        if (!(is_digit(*p) || *p == '.') || !parse_dec(&p, &v)) return SL_ERR_ARG;
        uint64_t mul;
        if (!*p) {
            if (parts) return SL_ERR_ARG; /* "1h30": the unit of 30 is unclear */
            mul = SL_US_PER_SEC;
        } else if (p[0] == 'u' && p[1] == 's') {
            mul = 1, p += 2;
        } else if (p[0] == 'm' && p[1] == 's') {
            mul = SL_US_PER_MS, p += 2;
        } else if (p[0] == 'm' && p[1] == 'i' && p[2] == 'n') {
            mul = SL_US_PER_MIN, p += 3;
        } else if (*p == 's') {
            mul = SL_US_PER_SEC, p++;
        } else if (*p == 'm') {
            mul = SL_US_PER_MIN, p++;
        } else if (*p == 'h') {
            mul = SL_US_PER_HOUR, p++;
        } else if (*p == 'd') {
            mul = SL_US_PER_DAY, p++;
        } else {
            return SL_ERR_ARG;
        }
        uint64_t x;
        if (!scale_dec(&v, mul, &x) || __builtin_add_overflow(total, x, &total) || total > (uint64_t)INT64_MAX)
            return SL_ERR_ARG;
        parts++;
    }
    *us = (int64_t)total;
    return SL_OK;
}

sl_err sl_parse_size(const char *s, size_t *out) {
    if (!s) return SL_ERR_ARG;
    const char *p = skip_lead(s);
    dec v;
    if (!(is_digit(*p) || *p == '.') || !parse_dec(&p, &v)) return SL_ERR_ARG;
    uint64_t mul = 1;
    switch (*p) {
    case 'k': case 'K': mul = UINT64_C(1) << 10; break;
    case 'm': case 'M': mul = UINT64_C(1) << 20; break;
    case 'g': case 'G': mul = UINT64_C(1) << 30; break;
    case 't': case 'T': mul = UINT64_C(1) << 40; break;
    default: break;
    }
    if (mul > 1) p++;
    if (mul > 1 && (p[0] == 'i' || p[0] == 'I') && (p[1] == 'B' || p[1] == 'b')) p += 2;
    else if (*p == 'B' || *p == 'b') p++;
    uint64_t bytes;
    if (*p || !scale_dec(&v, mul, &bytes) || bytes == 0 || bytes > SIZE_MAX) return SL_ERR_ARG;
    *out = (size_t)bytes;
    return SL_OK;
}

/* ------------------------------------------------------------------ clocks */

double sl_now_mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t sl_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * SL_US_PER_SEC + ts.tv_nsec / 1000;
}
