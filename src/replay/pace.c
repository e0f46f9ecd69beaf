/* pace.c: the wall-clock schedule of the replay (see pace.h).
 *
 * Event time t is due at wall time w0 + max(0, t - t0) / speed.  Every due
 * time is computed from the origin (w0, t0), never from the previous release,
 * so sleep overshoot and rounding cannot accumulate into drift: an event that
 * is released late does not push the ones after it.
 */
#include "replay/pace.h"

#include <errno.h>
#include <math.h>
#include <time.h>

/* Test hooks (declared by tests/unit/test_pace.c, deliberately not in
 * pace.h): when rp_pace_test_now is set, rp_now() returns its value; when
 * rp_pace_test_sleep is set, the pacer "sleeps" by calling it (a fake clock
 * advances itself) instead of nanosleep. */
double (*rp_pace_test_now)(void);
void (*rp_pace_test_sleep)(double seconds);

double rp_now(void) {
    if (rp_pace_test_now) return rp_pace_test_now();
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep up to s seconds; returns early when a signal arrives (EINTR), so a
 * Ctrl-C handler's flag is seen promptly. */
static void pace_sleep(double s) {
    if (!(s > 0)) return;
    if (rp_pace_test_sleep) {
        rp_pace_test_sleep(s);
        return;
    }
    struct timespec req;
    req.tv_sec = (time_t)s;
    req.tv_nsec = (long)((s - (double)req.tv_sec) * 1e9);
    if (req.tv_nsec >= 1000000000L) req.tv_nsec = 999999999L;
    if (req.tv_nsec < 0) req.tv_nsec = 0;
    (void)nanosleep(&req, NULL); /* EINTR: return early, the caller re-checks */
}

void rp_pacer_init(rp_pacer *p, double speed, int64_t origin_us) {
    p->speed = speed > 0 && isfinite(speed) ? speed : 0;
    p->started = false;
    p->t0_us = origin_us;
    p->w0 = 0;
    p->lag_s = 0;
    p->max_lag_s = 0;
    p->position_us = INT64_MIN;
}

/* Wall time at which event time t is due (p started, speed > 0). */
static double due_at(const rp_pacer *p, int64_t t) {
    /* t - t0 in double: exact to the microsecond for spans below ~285 years;
     * events before the origin are due at once. */
    double d = t > p->t0_us ? ((double)t - (double)p->t0_us) / 1e6 : 0.0;
    return p->w0 + d / p->speed;
}

static void note_position(rp_pacer *p, const int64_t *ts, size_t k) {
    /* ts is non-decreasing with INT64_MIN (no time) first: the last released
     * timed event is the furthest point reached. */
    if (k && ts[k - 1] != INT64_MIN && ts[k - 1] > p->position_us) p->position_us = ts[k - 1];
}

size_t rp_pacer_release(rp_pacer *p, const int64_t *ts, size_t n, double max_wait_s) {
    if (n == 0) return 0;
    /* Rows without a time are always due; they never move the schedule. */
    size_t k = 0;
    while (k < n && ts[k] == INT64_MIN) k++;
    if (p->speed <= 0) { /* as fast as possible */
        if (!p->started) {
            p->started = true;
            p->w0 = rp_now();
            if (p->t0_us == INT64_MIN && k < n) p->t0_us = ts[k];
        }
        p->lag_s = 0;
        note_position(p, ts, n);
        return n;
    }
    if (k == n) return n; /* only untimed rows: due, no lag to measure */
    if (!p->started) {
        p->started = true;
        p->w0 = rp_now();
        if (p->t0_us == INT64_MIN) p->t0_us = ts[k];
    }
    double now = rp_now();
    if (k == 0) {
        double first = due_at(p, ts[0]);
        if (first > now) {
            /* Ahead of schedule: wait for the first event (bounded), then
             * re-read the clock; the schedule, not the sleep, decides. */
            double w = first - now;
            if (max_wait_s >= 0 && w > max_wait_s) w = max_wait_s;
            pace_sleep(w);
            now = rp_now();
            if (first > now) {
                p->lag_s = 0;
                return 0;
            }
        }
    }
    /* Everything due by now: ts is sorted, so the due events are a prefix;
     * binary search keeps this O(log n) when a whole large batch is due. */
    size_t lo = k, hi = n;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if (due_at(p, ts[m]) <= now) lo = m + 1;
        else hi = m;
    }
    size_t rel = hi;
    if (rel > k) {
        double lag = now - due_at(p, ts[rel - 1]);
        p->lag_s = lag > 0 ? lag : 0;
        if (p->lag_s > p->max_lag_s) p->max_lag_s = p->lag_s;
    } else {
        p->lag_s = 0;
    }
    note_position(p, ts, rel);
    return rel;
}
