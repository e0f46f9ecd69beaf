/* test_progress.c: % done, ETA from the last ~30 s, the cadence of lines. */
#include <math.h>
#include <stdlib.h>

#include "t.h"
#include "util/progress.h"

static void test_pct(void) {
    CHECK(sl_progress_pct(0, 1000) == 0.0);
    CHECK(sl_progress_pct(421, 1000) == 42.1);
    CHECK(sl_progress_pct(4219, 10000) == 42.1); /* floored, not rounded */
    CHECK(sl_progress_pct(999999, 1000000) == 99.9); /* 99.9999: not yet 100.0 */
    CHECK(sl_progress_pct(1000000, 1000000) == 100.0);
    CHECK(sl_progress_pct(UINT64_MAX - 1, UINT64_MAX) == 99.9);
    CHECK(sl_progress_pct(5, 3) == 100.0);
}

static void test_fmt_dur(void) {
    char b[32];
    sl_progress_fmt_dur(b, sizeof b, 0);
    CHECK_EQ_STR(b, "0s");
    sl_progress_fmt_dur(b, sizeof b, 44.6);
    CHECK_EQ_STR(b, "45s");
    sl_progress_fmt_dur(b, sizeof b, 83);
    CHECK_EQ_STR(b, "1m23s");
    sl_progress_fmt_dur(b, sizeof b, 2 * 3600 + 5 * 60 + 7);
    CHECK_EQ_STR(b, "2h05m");
    sl_progress_fmt_dur(b, sizeof b, 3 * 86400 + 4 * 3600);
    CHECK_EQ_STR(b, "3d04h");
    sl_progress_fmt_dur(b, sizeof b, -1);
    CHECK_EQ_STR(b, "?");
}

/* 60 s at 100 rows/s, then 1000 rows/s: 30 s later the rate (and the ETA)
 * is the new pace's, not the average since the start. */
static void test_rate_window(void) {
    sl_progress p;
    sl_progress_init(&p, SL_PROGRESS_LINES, 10, 0);
    uint64_t done = 0;
    double t = 0;
    CHECK(sl_progress_rate(&p, 0, 0) < 0); /* no sample */
    sl_progress_sample(&p, 0, 0);
    CHECK(sl_progress_rate(&p, 0.5, 50) < 0); /* nothing 1 s old at 0.5 s */
    for (; t <= 60.0; t += 0.25) {
        done = (uint64_t)llround(t * 100);
        sl_progress_sample(&p, t, done);
    }
    double r = sl_progress_rate(&p, 60, 6000);
    CHECK(fabs(r - 100) < 1e-6);
    for (; t <= 100.0; t += 0.25) {
        done = 6000 + (uint64_t)llround((t - 60) * 1000);
        sl_progress_sample(&p, t, done);
    }
    t -= 0.25; /* the last sample's time: 100 */
    r = sl_progress_rate(&p, t, done);
    CHECK(fabs(r - 1000) < 1e-6); /* the average since the start is 460/s */
    double eta = sl_progress_eta_s(&p, t, done, done + 50000);
    CHECK(fabs(eta - 50) < 1e-6);
    CHECK(sl_progress_eta_s(&p, t, done, done) == 0);
    char text[64], json[64];
    sl_progress_fmt(&p, t, done, done * 4, text, sizeof text, json, sizeof json); /* 46000 of 184000 */
    CHECK_EQ_STR(text, "25.0% done, ETA 2m18s");
    CHECK_EQ_STR(json, ",\"pct\":25.0,\"eta_s\":138");
    sl_progress_fmt(&p, t, done, 0, text, sizeof text, json, sizeof json); /* total unknown: nothing */
    CHECK_EQ_STR(text, "");
    CHECK_EQ_STR(json, "");
}

/* A stall: no row for 40 s makes the rate 0 and the ETA unknown. */
static void test_stall(void) {
    sl_progress p;
    sl_progress_init(&p, SL_PROGRESS_LINES, 10, 0);
    for (double t = 0; t <= 10; t += 1) sl_progress_sample(&p, t, (uint64_t)(t * 10));
    for (double t = 11; t <= 50; t += 1) sl_progress_sample(&p, t, 100);
    CHECK(sl_progress_rate(&p, 50, 100) == 0.0);
    CHECK(sl_progress_eta_s(&p, 50, 100, 200) < 0);
    char text[64], json[64];
    sl_progress_fmt(&p, 50, 100, 200, text, sizeof text, json, sizeof json);
    CHECK_EQ_STR(text, "50.0% done, ETA ?");
    CHECK_EQ_STR(json, ",\"pct\":50.0,\"eta_s\":null");
}

/* Sparse samples (one every 45 s): the youngest sample older than the window. */
static void test_sparse(void) {
    sl_progress p;
    sl_progress_init(&p, SL_PROGRESS_LINES, 10, 0);
    sl_progress_sample(&p, 0, 0);
    sl_progress_sample(&p, 45, 900);
    CHECK(fabs(sl_progress_rate(&p, 90, 2700) - 40) < 1e-6); /* from the sample at 45 s */
}

static void test_cadence(void) {
    sl_progress p;
    sl_progress_init(&p, SL_PROGRESS_LINES, 10, 100);
    int lines = 0;
    for (double t = 100; t < 135; t += 0.25) lines += sl_progress_due(&p, t);
    CHECK_EQ_I64(lines, 3); /* at 110, 120, 130 */
    sl_progress_init(&p, SL_PROGRESS_TTY, 10, 100);
    lines = 0;
    for (double t = 100; t < 101.99; t += 0.05) lines += sl_progress_due(&p, t);
    CHECK(lines >= 7 && lines <= 8); /* four a second, the first at once */
    sl_progress_init(&p, SL_PROGRESS_OFF, 10, 100);
    lines = 0;
    for (double t = 100; t < 200; t += 1) lines += sl_progress_due(&p, t);
    CHECK_EQ_I64(lines, 0);
}

/* The last line of a log: needed unless the last line formatted said it. */
static void test_final(void) {
    sl_progress p;
    sl_progress_init(&p, SL_PROGRESS_LINES, 10, 0);
    CHECK(sl_progress_final(&p, 0)); /* no line yet */
    char text[64];
    sl_progress_fmt(&p, 5, 40, 100, text, sizeof text, NULL, 0);
    CHECK(sl_progress_final(&p, 100));
    sl_progress_fmt(&p, 6, 100, 100, text, sizeof text, NULL, 0);
    CHECK_EQ_STR(text, "100.0% done, ETA 0s");
    CHECK(!sl_progress_final(&p, 100));
    sl_progress_init(&p, SL_PROGRESS_TTY, 10, 0);
    CHECK(!sl_progress_final(&p, 100)); /* a terminal's line is cleared, not ended */
}

int main(void) {
    RUN(test_final);
    RUN(test_pct);
    RUN(test_fmt_dur);
    RUN(test_rate_window);
    RUN(test_stall);
    RUN(test_sparse);
    RUN(test_cadence);
    return T_DONE();
}
