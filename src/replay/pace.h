/* pace.h: release events on a wall-clock schedule.
 *
 * With speed S, event time t is due at wall time w0 + (t - t0) / S, where t0
 * is the first event's time (or --from) and w0 the wall time the replay
 * started; the schedule is absolute, so rounding never accumulates into
 * drift.  speed 0 means "as fast as possible".  When the consumer is slower
 * than the schedule the pacer never drops anything: it releases late and
 * reports the lag (how far behind schedule the last released event is).
 */
#ifndef RP_PACE_H
#define RP_PACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rp_pacer {
    double speed;          /* event seconds per wall second; 0 = max */
    bool started;
    int64_t t0_us;         /* event time of the schedule's origin */
    double w0;             /* wall (monotonic seconds) of the origin */
    double lag_s;          /* last measured lag behind schedule (>= 0) */
    double max_lag_s;
    int64_t position_us;   /* event time reached (last released event) */
} rp_pacer;

/* origin_us: INT64_MIN to start at the first event seen. */
void rp_pacer_init(rp_pacer *p, double speed, int64_t origin_us);
/* How many of the n events with times ts[0..n) (non-decreasing; INT64_MIN =
 * no time, always due) may be released now; sleeps (never longer than
 * max_wait_s) until at least the first is due.  Updates lag and position. */
size_t rp_pacer_release(rp_pacer *p, const int64_t *ts, size_t n, double max_wait_s);
/* Monotonic wall clock in seconds. */
double rp_now(void);

#endif
