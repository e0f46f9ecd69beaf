/* params.h: strict parsing and validation of the API's query parameters
 * (docs/api.md, "Common filters").
 *
 * Pure functions, no I/O: the HTTP layer hands over the decoded key/value
 * pairs of the query string; every endpoint declares which parameters it
 * takes (sv_pspec).  Any problem is an SL_ERR_ARG whose message names the
 * parameter and says why (the API answers it with a 400): an unknown name,
 * a parameter given twice, a parameter the endpoint does not take (naming
 * the endpoint and its tables), a malformed or out-of-range value.
 * User text echoed in messages is cut to 64 bytes.
 */
#ifndef SV_PARAMS_H
#define SV_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum {
    SV_P_FROM,
    SV_P_TO,
    SV_P_SOURCE,
    SV_P_INSTANCE,
    SV_P_QUERY_TYPE,
    SV_P_FINAL,
    SV_P_LIMIT,
    SV_P_OFFSET,
    SV_P_K,
    SV_P_REASON,
    SV_P_FORMAT,
    SV_P_HOURS,
    SV_P_N
};
#define SV_PB(p) (1u << (p))
#define SV_P_RANGE (SV_PB(SV_P_FROM) | SV_PB(SV_P_TO))

#define SV_SOURCE_MAX 64
#define SV_QTYPE_MAX 32
#define SV_REASON_MAX 64
#define SV_INSTANCES_MAX 200
#define SV_OFFSET_MAX 10000000
#define SV_K_MAX 100
#define SV_HOURS_MAX 168
#define SV_DEFAULT_RANGE_S (7 * 86400)
#define SV_MAX_RANGE_S (400 * 86400)
#define SV_HOUR_S 3600

/* One decoded query parameter; val == NULL when the pair had no '='. */
typedef struct sv_kv {
    const char *key;
    size_t klen;
    const char *val;
    size_t vlen;
} sv_kv;

/* What an endpoint accepts. */
typedef struct sv_pspec {
    const char *endpoint; /* "/api/v1/spill", for messages */
    const char *tables;   /* "query_hourly", for messages about filters */
    unsigned allowed;     /* SV_PB bits */
    int64_t limit_def, limit_max;
} sv_pspec;

typedef struct sv_params {
    unsigned given;                 /* SV_PB bits of the parameters present */
    int64_t from, to;               /* epoch seconds: from floored, to rounded up to the hour
                                       (absolute times; relative ones: set by sv_range_resolve) */
    int64_t from_raw, to_raw;       /* as given: epoch seconds, or the offset in seconds when relative */
    bool from_rel, to_rel;          /* now[(+|-)N(s|m|h|d|w)] or (+|-)N(s|m|h|d|w) */
    char source[SV_SOURCE_MAX + 1];
    int64_t instances[SV_INSTANCES_MAX]; /* sorted, distinct */
    size_t ninstances;
    char query_type[SV_QTYPE_MAX + 1];
    int final;                      /* -1 all (default), 0 or 1 */
    int64_t limit, offset, k;       /* defaults filled in (limit_def, 0, 10) */
    char reason[SV_REASON_MAX + 1];
    bool csv;                       /* format=csv */
    int64_t hours;                  /* live: hours of the series (default 1) */
} sv_params;

/* Parse n pairs against spec into p. */
sl_err sv_params_parse(sv_params *p, const sv_pspec *spec, const sv_kv *kv, size_t n, char *err, size_t errlen);

/* A time parameter: YYYY-MM-DD, YYYY-MM-DD(T| )HH[:MM[:SS[.fraction]]] with an
 * optional Z or offset (+HH:MM, -HHMM, +HH), or integer epoch seconds; years
 * 0000..9999.  *out = epoch seconds (a fraction is dropped).  Or a relative
 * time: `now`, `now-24h`, `now+1h`, `-7d` (units s, m, h, d, w): *rel true
 * and *out the offset in seconds (rel may be NULL: then refused).  name is
 * used in the message. */
sl_err sv_parse_time(const char *name, const char *s, size_t n, int64_t *out, bool *rel, char *err, size_t errlen);

/* The effective hour range [*from, *to) of a request.  newest: the newest
 * hour in the store (epoch seconds), have_newest false when the store holds
 * no hour.  Neither from nor to: the last 7 days ending after the newest
 * hour; only to: the 7 days before it; only from: up to the hour after the
 * newest one (at least one hour).  Returns SL_ERR_ARG when the result spans
 * more than 400 days; *empty is set (and the range unset) when there is no
 * data and no explicit range. */
sl_err sv_range_resolve(const sv_params *p, bool have_newest, int64_t newest, int64_t *from, int64_t *to, bool *empty,
                        char *err, size_t errlen);
/* The anchor of relative times for hourly data: the newest hour + 1 h, or
 * (an empty store) the current wall-clock hour + 1 h. */
int64_t sv_rel_anchor(bool have_newest, int64_t newest, int64_t now_s);
/* A range in seconds (not hours) relative to the wall clock now_s, for the
 * health history: relative times are now_s + offset; only `from`: up to
 * now_s... see docs/api.md.  def_from/def_to: the range without either. */
sl_err sv_range_wall(const sv_params *p, int64_t now_s, int64_t def_from, int64_t def_to, int64_t *from, int64_t *to,
                     char *err, size_t errlen);

/* 'YYYY-MM-DD HH:00:00'-style text of epoch seconds: out gets
 * 'YYYY-MM-DD HH:MM:SS' (20 bytes with the NUL); false outside years 0..9999. */
bool sv_fmt_time(char out[20], int64_t s);

/* Parameter name by index ("from", ...). */
const char *sv_param_name(int p);

#endif
