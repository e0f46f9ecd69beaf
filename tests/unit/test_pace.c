/* test_pace: the replay pacer on a fake clock (nothing here really sleeps),
 * plus the replay's option values (rp_replay_opts_table through util/opt.h:
 * sl_opt_set and the command-line parser). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay/pace.h"
#include "replay/replay.h"
#include "plugins/plugin.h"
#include "schema/redset.h"
#include "t.h"
#include "util/opt.h"
#include "util/time.h"

static char err[SL_ERRLEN];

/* Test hooks defined in src/replay/pace.c. */
extern double (*rp_pace_test_now)(void);
extern void (*rp_pace_test_sleep)(double seconds);

static double fake_t;         /* the fake monotonic clock, seconds */
static double fake_overshoot; /* added to every sleep (a late wake-up) */
static int fake_sleeps;
static double fake_slept;

static double fake_now(void) { return fake_t; }
static void fake_sleep(double s) {
    fake_sleeps++;
    fake_slept += s;
    fake_t += s + fake_overshoot;
}
static void fake_reset(double t) {
    rp_pace_test_now = fake_now;
    rp_pace_test_sleep = fake_sleep;
    fake_t = t;
    fake_overshoot = 0;
    fake_sleeps = 0;
    fake_slept = 0;
}

#define SEC 1000000LL
static const int64_t T0 = 1709251200LL * SEC; /* 2024-03-01T00:00:00Z */

static int near(double a, double b, double eps) { return fabs(a - b) <= eps; }

static void test_releases_on_schedule(void) {
    fake_reset(1000.0);
    rp_pacer p;
    rp_pacer_init(&p, 10, INT64_MIN); /* 10 event seconds per wall second */
    int64_t ts[] = {T0, T0 + 1 * SEC, T0 + 2 * SEC, T0 + 2 * SEC, T0 + 30 * SEC};
    /* the first event is the origin: due at once, the next is not */
    CHECK_EQ_I64(rp_pacer_release(&p, ts, 5, -1), 1);
    CHECK_EQ_I64(fake_sleeps, 0);
    CHECK_EQ_I64(p.position_us, T0);
    CHECK(near(p.w0, 1000.0, 1e-12));
    /* T0+1s is due 0.1 s later: the pacer sleeps exactly that long */
    CHECK_EQ_I64(rp_pacer_release(&p, ts + 1, 4, -1), 1);
    CHECK(near(fake_t, 1000.1, 1e-9));
    CHECK_EQ_I64(p.position_us, T0 + 1 * SEC);
    /* two events with the same time come out together */
    CHECK_EQ_I64(rp_pacer_release(&p, ts + 2, 3, -1), 2);
    CHECK(near(fake_t, 1000.2, 1e-9));
    CHECK(p.lag_s < 1e-9);
    /* a bounded wait returns 0 with nothing released, and reports no lag */
    CHECK_EQ_I64(rp_pacer_release(&p, ts + 4, 1, 0.25), 0);
    CHECK(near(fake_t, 1000.45, 1e-9));
    CHECK_EQ_I64(p.position_us, T0 + 2 * SEC);
    CHECK(p.lag_s == 0);
    /* ... and the schedule, not the number of calls, decides: due at 1003.0 */
    CHECK_EQ_I64(rp_pacer_release(&p, ts + 4, 1, -1), 1);
    CHECK(near(fake_t, 1003.0, 1e-9));
    CHECK_EQ_I64(p.position_us, T0 + 30 * SEC);
    /* empty input */
    CHECK_EQ_I64(rp_pacer_release(&p, ts, 0, -1), 0);
}

static void test_origin(void) {
    fake_reset(50.0);
    rp_pacer p;
    rp_pacer_init(&p, 60, T0 - 60 * SEC); /* --from one event minute before the first event */
    int64_t ts[] = {T0 - 90 * SEC, T0};
    /* an event before the origin is due at once (never "negative" lateness) */
    CHECK_EQ_I64(rp_pacer_release(&p, ts, 2, -1), 1);
    CHECK_EQ_I64(fake_sleeps, 0);
    /* T0 is due 60 event seconds / 60 = 1 wall second after the start */
    CHECK_EQ_I64(rp_pacer_release(&p, ts + 1, 1, -1), 1);
    CHECK(near(fake_t, 51.0, 1e-9));
}

static void test_no_drift(void) {
    /* 10000 events 100 ms apart at speed 100 = one every 1 ms of wall time;
     * every sleep wakes 0.3 ms late.  A schedule relative to the previous
     * release would drift by 10000 x 0.3 ms = 3 s; the absolute one ends
     * exactly one overshoot after the last due time. */
    fake_reset(0.0);
    fake_overshoot = 0.0003;
    rp_pacer p;
    rp_pacer_init(&p, 100, INT64_MIN);
    enum { N = 10000 };
    int64_t *ts = malloc(N * sizeof *ts);
    CHECK(ts != NULL);
    if (!ts) return;
    for (int i = 0; i < N; i++) ts[i] = T0 + (int64_t)i * 100000;
    size_t done = 0;
    int calls = 0;
    double worst_lag = 0;
    while (done < N && calls < 3 * N) {
        size_t k = rp_pacer_release(&p, ts + done, 1, -1); /* one at a time: many small releases */
        done += k;
        calls++;
        if (p.lag_s > worst_lag) worst_lag = p.lag_s;
    }
    CHECK_EQ_I64(done, N);
    double expect = (N - 1) * 0.001 + 0.0003;
    CHECK(near(fake_t, expect, 1e-6));
    if (!near(fake_t, expect, 1e-6)) fprintf(stderr, "  clock %.9f, expected %.9f\n", fake_t, expect);
    /* the lag is the overshoot, never more: it does not accumulate either */
    CHECK(worst_lag <= 0.0003 + 1e-9);
    CHECK(near(p.max_lag_s, worst_lag, 1e-12));
    CHECK_EQ_I64(p.position_us, ts[N - 1]);
    free(ts);
}

static void test_max_speed(void) {
    fake_reset(7.0);
    rp_pacer p;
    rp_pacer_init(&p, 0, INT64_MIN);
    int64_t ts[] = {INT64_MIN, T0, T0 + 3600 * SEC, T0 + 86400 * SEC};
    CHECK_EQ_I64(rp_pacer_release(&p, ts, 4, -1), 4);
    CHECK_EQ_I64(fake_sleeps, 0);
    CHECK(fake_t == 7.0);
    CHECK(p.lag_s == 0);
    CHECK_EQ_I64(p.position_us, T0 + 86400 * SEC);
    /* a negative or non-finite speed also means max */
    rp_pacer_init(&p, -5, INT64_MIN);
    CHECK(p.speed == 0);
    rp_pacer_init(&p, INFINITY, INT64_MIN);
    CHECK(p.speed == 0);
    CHECK_EQ_I64(rp_pacer_release(&p, ts + 1, 3, 0), 3);
}

static void test_slow_consumer_lag(void) {
    fake_reset(100.0);
    rp_pacer p;
    rp_pacer_init(&p, 60, INT64_MIN); /* one event minute per wall second */
    enum { N = 600 };
    int64_t ts[N];
    for (int i = 0; i < N; i++) ts[i] = T0 + (int64_t)i * SEC; /* one event per event second */
    CHECK_EQ_I64(rp_pacer_release(&p, ts, N, -1), 1);
    /* the consumer takes 5 wall seconds for it: 300 event seconds are due */
    fake_t += 5.0;
    size_t k = rp_pacer_release(&p, ts + 1, 50, -1); /* a batch of 50, all overdue */
    CHECK_EQ_I64(k, 50);
    CHECK_EQ_I64(fake_sleeps, 0);
    /* last released: T0+50s, due at 100 + 50/60; now 105 */
    double want = 105.0 - (100.0 + 50.0 / 60.0);
    CHECK(near(p.lag_s, want, 1e-9));
    CHECK(near(p.max_lag_s, want, 1e-9));
    /* next call: everything due up to now (event second 300) and nothing dropped */
    k = rp_pacer_release(&p, ts + 51, N - 51, -1);
    CHECK_EQ_I64(k, 300 - 51 + 1);
    CHECK(p.lag_s < 1e-9);
    CHECK(near(p.max_lag_s, want, 1e-9)); /* the maximum is kept */
    CHECK_EQ_I64(p.position_us, T0 + 300 * SEC);
    /* caught up: the next one waits for its time again */
    k = rp_pacer_release(&p, ts + 301, N - 301, -1);
    CHECK_EQ_I64(k, 1);
    CHECK(near(fake_t, 100.0 + 301.0 / 60.0, 1e-9));
}

static void test_null_times_always_due(void) {
    fake_reset(10.0);
    rp_pacer p;
    rp_pacer_init(&p, 1, INT64_MIN);
    int64_t a[] = {INT64_MIN, INT64_MIN, INT64_MIN};
    /* only untimed rows: all due, before the schedule even starts */
    CHECK_EQ_I64(rp_pacer_release(&p, a, 3, -1), 3);
    CHECK(!p.started);
    CHECK_EQ_I64(p.position_us, INT64_MIN);
    int64_t b[] = {INT64_MIN, INT64_MIN, T0, T0 + 100 * SEC};
    /* untimed rows before a not-yet-due event are released without waiting */
    CHECK_EQ_I64(rp_pacer_release(&p, b, 4, -1), 3); /* T0 is the origin: due now */
    CHECK_EQ_I64(fake_sleeps, 0);
    CHECK_EQ_I64(rp_pacer_release(&p, b + 3, 1, 0.5), 0);
    CHECK(near(fake_t, 10.5, 1e-9));
    /* once started, untimed rows are still released at once */
    CHECK_EQ_I64(rp_pacer_release(&p, a, 3, 0), 3);
    CHECK(near(fake_t, 10.5, 1e-9));
    int64_t c[] = {INT64_MIN, T0 + 100 * SEC};
    CHECK_EQ_I64(rp_pacer_release(&p, c, 2, 0), 1);
    CHECK_EQ_I64(rp_pacer_release(&p, c + 1, 1, -1), 1);
    CHECK(near(fake_t, 110.0, 1e-9));
}

static void test_real_clock(void) {
    /* the real clock and sleep, briefly: 50 ms of schedule */
    rp_pace_test_now = NULL;
    rp_pace_test_sleep = NULL;
    rp_pacer p;
    rp_pacer_init(&p, 1000, INT64_MIN);
    int64_t ts[] = {T0, T0 + 25 * SEC, T0 + 50 * SEC};
    double t0 = rp_now();
    size_t done = 0;
    while (done < 3) done += rp_pacer_release(&p, ts + done, 3 - done, -1);
    double dt = rp_now() - t0;
    CHECK(dt >= 0.049);
    CHECK(dt < 1.0);
    CHECK(p.max_lag_s < 0.5);
}

/* Set replay option `name` (an entry of rp_replay_opts_table) to v. */
static sl_err ropt(rp_replay_opts *ro, const char *name, const char *v) {
    const sl_opt *o = sl_opt_find(rp_replay_opts_table, name);
    CHECK(o != NULL);
    if (!o) return SL_ERR_ARG;
    err[0] = '\0';
    return sl_opt_set(o, ro, v, err, sizeof err);
}

static void test_parse_size(void) {
    size_t v = 0;
    CHECK(sl_parse_size("1G", &v) == SL_OK && v == (size_t)1 << 30);
    CHECK(sl_parse_size("256M", &v) == SL_OK && v == (size_t)256 << 20);
    CHECK(sl_parse_size("512k", &v) == SL_OK && v == (size_t)512 << 10);
    CHECK(sl_parse_size("1.5G", &v) == SL_OK && v == (size_t)3 << 29);
    CHECK(sl_parse_size("2GiB", &v) == SL_OK && v == (size_t)2 << 30);
    CHECK(sl_parse_size("64MB", &v) == SL_OK && v == (size_t)64 << 20);
    CHECK(sl_parse_size("1000", &v) == SL_OK && v == 1000);
    CHECK(sl_parse_size("", &v) == SL_ERR_ARG);
    CHECK(sl_parse_size("-1G", &v) == SL_ERR_ARG);
    CHECK(sl_parse_size("0", &v) == SL_ERR_ARG);
    CHECK(sl_parse_size("12X", &v) == SL_ERR_ARG);
    CHECK(sl_parse_size("G", &v) == SL_ERR_ARG);
    CHECK(sl_parse_size("nan", &v) == SL_ERR_ARG);
    /* memory: a size of at least 1M (a rejected value leaves the field as it was) */
    rp_replay_opts ro = rp_replay_opts_default();
    CHECK(ropt(&ro, "memory", "16M") == SL_OK && ro.memory == (size_t)16 << 20);
    CHECK(ropt(&ro, "memory", "100K") == SL_ERR_ARG && ro.memory == (size_t)16 << 20);
    CHECK(strstr(err, "at least 1M") && strstr(err, "'100K'"));
    CHECK(ropt(&ro, "memory", "1M") == SL_OK && ro.memory == (size_t)1 << 20);
    CHECK(ropt(&ro, "memory", "lots") == SL_ERR_ARG);
    CHECK(ro.memory == (size_t)1 << 20);
}

/* from / to: sl_parse_time, UTC only.  0 = accepted, 1 = rejected (as the
 * CLI's exit status was). */
static int from_opt(const char *v, int64_t *us) {
    rp_replay_opts ro = rp_replay_opts_default();
    sl_err e = ropt(&ro, "from", v);
    if (e != SL_OK) CHECK(strstr(err, "UTC time") != NULL);
    *us = ro.from_us;
    return e == SL_OK ? 0 : 1;
}

static void test_parse_time(void) {
    int64_t v = 0;
    CHECK(from_opt("2024-03-01", &v) == 0 && v == T0);
    CHECK(from_opt("2024-03-01T05", &v) == 0 && v == T0 + 5 * 3600 * SEC);
    CHECK(from_opt("2024-03-01T05:00:00Z", &v) == 0 && v == T0 + 5 * 3600 * SEC);
    CHECK(from_opt("2024-03-01t05:00:00z", &v) == 0 && v == T0 + 5 * 3600 * SEC);
    CHECK(from_opt("2024-03-01 05:06:07", &v) == 0 && v == T0 + (5 * 3600 + 6 * 60 + 7) * SEC);
    CHECK(from_opt("2024-03-01T00:00:01.25Z", &v) == 0 && v == T0 + SEC + 250000);
    CHECK(from_opt("2024-03-01T00:00:00.1234567", &v) == 0 && v == T0 + 123456);
    CHECK(from_opt("2024-03-01T00:00:00+00:00", &v) == 0 && v == T0);
    CHECK(from_opt("2024-03-01T00:00:00+00", &v) == 0 && v == T0);
    CHECK(from_opt("2024-03-01T00:00:00+0000", &v) == 0 && v == T0);
    CHECK(from_opt("2024-03-01T00:00:00-00:00", &v) == 0 && v == T0);
    CHECK(from_opt("2024-03-01 UTC", &v) == 0 && v == T0);
    CHECK(from_opt("2024-02-29", &v) == 0 && v == T0 - 86400 * SEC);
    CHECK(from_opt("2023-02-29", &v) == 1);
    CHECK(from_opt("2024-04-31", &v) == 1);
    CHECK(from_opt("2024-3-1", &v) == 1);
    CHECK(from_opt("yesterday", &v) == 1);
    CHECK(from_opt("2024-03-01T25", &v) == 1);
    CHECK(from_opt("2024-03-01T05:00:00+02:00", &v) == 1); /* UTC only */
    CHECK(from_opt("2024-03-01T05:00:00-08", &v) == 1);
    CHECK(from_opt("2024-03-01+0100", &v) == 1);
    CHECK(from_opt("2024-03-01T05:00:00.", &v) == 1);
    /* to: the same syntax, into to_us */
    rp_replay_opts ro = rp_replay_opts_default();
    CHECK(ropt(&ro, "to", "2024-03-01T05") == SL_OK && ro.to_us == T0 + 5 * 3600 * SEC && ro.from_us == INT64_MIN);
    CHECK(ropt(&ro, "to", "soon") == SL_ERR_ARG && ro.to_us == T0 + 5 * 3600 * SEC);
    CHECK(ropt(&ro, "to", "2024-03-01T05:00:00+01:00") == SL_ERR_ARG); /* UTC only */
}

/* speed: a positive finite number of event seconds per wall second, or max (= 0). */
static void test_parse_speed(void) {
    rp_replay_opts ro = rp_replay_opts_default();
    CHECK(ro.speed == 60);
    CHECK(ropt(&ro, "speed", "max") == SL_OK && ro.speed == 0);
    CHECK(ropt(&ro, "speed", "3600") == SL_OK && ro.speed == 3600);
    CHECK(ropt(&ro, "speed", "0.5") == SL_OK && ro.speed == 0.5);
    const char *bad[] = {"0", "-1", "fast", "", "inf", "nan", "1e400", "60x", "MAX"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(ropt(&ro, "speed", bad[i]) == SL_ERR_ARG);
        CHECK(strstr(err, "a positive number") && strstr(err, "'max'"));
        CHECK(ro.speed == 0.5);
    }
    /* tmpdir: any non-empty text (whether it is a directory is checked by the
     * commands: src/cli/cmd_replay.c and src/pipeline/config.c) */
    CHECK(ropt(&ro, "tmpdir", "/no/such/dir") == SL_OK && !strcmp(ro.tmpdir, "/no/such/dir"));
    CHECK(ropt(&ro, "tmpdir", "") == SL_ERR_ARG);
}

/* The table's defaults are rp_replay_opts_default's. */
static void test_opts_defaults(void) {
    rp_replay_opts a = rp_replay_opts_default(), b;
    memset(&b, 0x5a, sizeof b);
    CHECK(sl_opt_defaults(rp_replay_opts_table, &b, err, sizeof err) == SL_OK);
    CHECK(a.speed == b.speed);
    CHECK_EQ_I64(b.from_us, INT64_MIN);
    CHECK_EQ_I64(b.to_us, INT64_MAX);
    CHECK_EQ_I64(b.memory, a.memory);
    CHECK_EQ_I64(b.memory, (int64_t)1 << 30);
    CHECK(b.tmpdir == NULL);
    CHECK(!b.force_sort);
    CHECK_EQ_I64(b.batch_rows, a.batch_rows);
    for (const char *const *n = (const char *const[]){"speed", "from", "to", "memory", "tmpdir", NULL}; *n; n++)
        CHECK(sl_opt_find(rp_replay_opts_table, *n) != NULL);
}

/* The options as command-line flags (sluice replay / run): the messages name
 * the flag, a later flag wins. */
static int argv_parse(rp_replay_opts *ro, int argc, char **argv) {
    const sl_opt *const tables[] = {rp_replay_opts_table, NULL};
    void *const objs[] = {ro};
    sl_opt_cmd cmd = {.name = "replay", .tables = tables, .objs = objs};
    err[0] = '\0';
    return sl_opt_parse_argv(&cmd, argc, argv, err, sizeof err);
}

static void test_flags(void) {
    rp_replay_opts ro = rp_replay_opts_default();
    char *ok[] = {"--speed", "max", "--from=2024-03-01T05:00:00Z", "--to", "2024-03-02", "--memory", "64M",
                  "--tmpdir", "/var/tmp", "--speed", "120"};
    CHECK(argv_parse(&ro, 11, ok) == SL_OK);
    CHECK(ro.speed == 120);
    CHECK_EQ_I64(ro.from_us, T0 + 5 * 3600 * SEC);
    CHECK_EQ_I64(ro.to_us, T0 + 86400 * SEC);
    CHECK_EQ_I64(ro.memory, (int64_t)64 << 20);
    CHECK(ro.tmpdir && !strcmp(ro.tmpdir, "/var/tmp"));
    char *b1[] = {"--speed", "fast"};
    CHECK(argv_parse(&ro, 2, b1) == SL_ERR_ARG);
    CHECK_EQ_STR(err, "--speed needs a positive number (event seconds per wall second) or 'max', got 'fast'");
    char *b2[] = {"--from", "yesterday"};
    CHECK(argv_parse(&ro, 2, b2) == SL_ERR_ARG);
    CHECK_EQ_STR(err, "--from needs a UTC time like 2024-03-01 or 2024-03-01T05:00:00Z, got 'yesterday'");
    char *b3[] = {"--memory", "100K"};
    CHECK(argv_parse(&ro, 2, b3) == SL_ERR_ARG);
    CHECK(strstr(err, "--memory needs a size") && strstr(err, "at least 1M") && strstr(err, "got '100K'"));
    char *b4[] = {"--to"};
    CHECK(argv_parse(&ro, 1, b4) == SL_ERR_ARG);
    CHECK(strstr(err, "--to needs a value") != NULL);
    char *b5[] = {"--sped", "max"};
    CHECK(argv_parse(&ro, 2, b5) == SL_ERR_ARG);
    CHECK(strstr(err, "unknown option '--sped'") && strstr(err, "--speed"));
    CHECK(ro.speed == 120); /* the failed flags changed nothing */
}

/* "--to must be after --from" is a check of the command (src/cli/cmd_replay.c,
 * src/pipeline/config.c) and of rp_replay_open, before any input is opened. */
static void test_empty_range(void) {
    const sc_schema *s = NULL;
    CHECK(sc_open(&s, &sc_redset_def, err, sizeof err) == SL_OK);
    if (!s) return;
    rp_replay_input in = {.path = "/no/such/dir/input.csv"};
    rp_replay_opts ro = rp_replay_opts_default();
    ro.schema = s;
    rp_replay *r = NULL;
    CHECK(ropt(&ro, "from", "2024-03-01T05") == SL_OK && ropt(&ro, "to", "2024-03-01T05") == SL_OK);
    CHECK(rp_replay_open(&r, &in, 1, &ro, err, sizeof err) == SL_ERR_ARG && r == NULL);
    CHECK(strstr(err, "empty") && strstr(err, "from >= to"));
    CHECK(ropt(&ro, "to", "2024-03-01T04") == SL_OK);
    CHECK(rp_replay_open(&r, &in, 1, &ro, err, sizeof err) == SL_ERR_ARG && r == NULL);
    CHECK(strstr(err, "from >= to") != NULL);
    /* a non-empty range gets as far as the input */
    CHECK(ropt(&ro, "to", "2024-03-01T06") == SL_OK);
    CHECK(rp_replay_open(&r, &in, 1, &ro, err, sizeof err) != SL_OK && r == NULL);
    CHECK(strstr(err, "from >= to") == NULL && strstr(err, "input.csv") != NULL);
    rp_replay_close(r);
    sc_close(s);
}

/* A batch spans less than a day of event time: a sparse input (an event
 * every 5 hours for 20 days, two untimed rows first) comes in many batches,
 * each within RP_BATCH_SPAN_US, every row exactly once, in order. */
static void test_batch_span(void) {
    rp_pace_test_now = NULL;
    rp_pace_test_sleep = NULL;
    const sc_schema *s = NULL;
    CHECK(sc_open(&s, &sc_redset_def, err, sizeof err) == SL_OK);
    if (!s) return;
    char dir[] = "/tmp/sluice-test-pace-XXXXXX", path[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/sparse.csv", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs("instance_id,query_id,arrival_timestamp,query_type\n1,100,,select\n1,101,,select\n", f);
    int nrows = 2;
    for (int h = 0; h < 20 * 24; h += 5, nrows++) {
        char ts[40];
        sl_fmt_time(ts, sizeof ts, T0 + (int64_t)h * 3600 * SEC, SL_TIME_ISO);
        fprintf(f, "1,%d,%s,select\n", nrows, ts);
    }
    fclose(f);
    rp_replay_input in = {.path = path};
    rp_replay_opts ro = rp_replay_opts_default();
    ro.schema = s;
    ro.formats = reg_inputs();
    ro.speed = 0; /* max */
    rp_replay *r = NULL;
    CHECK(rp_replay_open(&r, &in, 1, &ro, err, sizeof err) == SL_OK);
    sl_batch b;
    sl_batch_init(&b);
    CHECK(sc_init_batch(s, &b, err, sizeof err) == SL_OK);
    int batches = 0, rows = 0, over = 0;
    int64_t prev = INT64_MIN;
    long n;
    while (r && (n = rp_replay_next(r, &b, -1, err, sizeof err)) > 0) {
        const sl_col *c = &b.cols[s->time];
        int64_t lo = INT64_MAX, hi = INT64_MIN;
        for (long i = 0; i < n; i++) {
            if (sl_col_is_null(c, (size_t)i)) continue;
            int64_t t = ((const int64_t *)c->data)[i];
            if (t < prev) over++; /* out of order */
            prev = t;
            if (t < lo) lo = t;
            if (t > hi) hi = t;
        }
        if (hi != INT64_MIN && hi - lo >= RP_BATCH_SPAN_US) over++;
        batches++;
        rows += (int)n;
    }
    CHECK(rows == nrows);
    CHECK(over == 0);
    CHECK(batches >= 20); /* 20 days: at least one batch a day */
    rp_replay_close(r);
    sl_batch_free(&b);
    sc_close(s);
    remove(path);
    rmdir(dir);
}

int main(void) {
    RUN(test_releases_on_schedule);
    RUN(test_origin);
    RUN(test_no_drift);
    RUN(test_max_speed);
    RUN(test_slow_consumer_lag);
    RUN(test_null_times_always_due);
    RUN(test_real_clock);
    RUN(test_parse_size);
    RUN(test_parse_time);
    RUN(test_parse_speed);
    RUN(test_opts_defaults);
    RUN(test_flags);
    RUN(test_empty_range);
    RUN(test_batch_span);
    return T_DONE();
}
