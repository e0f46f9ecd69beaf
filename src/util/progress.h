/* progress.h: the progress conventions of the long commands (sluice run,
 * replay, gen, convert; docs/cli.md):
 *   - stderr is a terminal: one line updated in place, four times a second;
 *   - stderr is not a terminal (Airflow, Kubernetes, a log file): a line
 *     every every_s seconds (--progress-every, default 10 s), never a
 *     carriage return;
 *   - --quiet: nothing.
 * Where the total is known: "42.1% done, ETA 1m23s".  The % is floored to
 * a tenth (100.0 only when everything is done); the ETA is the rows left
 * over the rate of the last ~30 s of wall time (SL_PROGRESS_WINDOW_S), so a
 * run that slows down or speeds up gets an ETA of its present pace.
 *
 *   sl_progress pg;
 *   sl_progress_init(&pg, sl_progress_mode_for(2, quiet), every_s, sl_now_mono());
 *   for (each batch) {
 *       double now = sl_now_mono();
 *       sl_progress_sample(&pg, now, done);
 *       if (sl_progress_due(&pg, now)) {
 *           char pe[64];
 *           sl_progress_fmt(&pg, now, done, total, pe, sizeof pe, NULL, 0);
 *           ... sl_progress_print(&pg, stderr, "replay", msg) ...
 *       }
 *   }
 *   if (sl_progress_final(&pg, done)) ... the last line (LINES: where it ended) ...
 *   sl_progress_end(&pg, stderr);   // a terminal's line cleared before the summary
 *
 * Pure bookkeeping (no clock of its own: the caller passes now, seconds of
 * a monotonic clock); no allocation; one object per thread.
 */
#ifndef SL_PROGRESS_H
#define SL_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SL_PROGRESS_WINDOW_S 30.0 /* the ETA's rate: over this much recent wall time */
#define SL_PROGRESS_TTY_S 0.25    /* a terminal's line: refreshed this often */
#define SL_PROGRESS_SAMPLES 80    /* (time, done) samples kept, at least 0.5 s apart */

typedef enum sl_progress_mode { SL_PROGRESS_OFF = 0, SL_PROGRESS_TTY, SL_PROGRESS_LINES } sl_progress_mode;

typedef struct sl_progress {
    sl_progress_mode mode;
    double every_s; /* LINES: seconds between lines */
    double next_s;  /* when the next line is due */
    size_t n, head; /* samples held; the next slot */
    bool shown;     /* a line was formatted (sl_progress_fmt), of shown_done units */
    uint64_t shown_done;
    double t[SL_PROGRESS_SAMPLES];
    uint64_t v[SL_PROGRESS_SAMPLES];
} sl_progress;

/* OFF when quiet, TTY when fd is a terminal, LINES otherwise. */
sl_progress_mode sl_progress_mode_for(int fd, bool quiet);
/* every_s: the LINES period (<= 0: 10 s).  The first LINES line is due
 * every_s after now, a TTY line at once. */
void sl_progress_init(sl_progress *p, sl_progress_mode mode, double every_s, double now);
/* Record that done units (rows) are done at now (samples closer than 0.5 s
 * to the last one are not kept; the rate uses the caller's latest done). */
void sl_progress_sample(sl_progress *p, double now, uint64_t done);
/* Whether a line is due at now (then the next one is scheduled); never in OFF. */
bool sl_progress_due(sl_progress *p, double now);
/* Units per second over the last SL_PROGRESS_WINDOW_S (from the oldest
 * sample at least 1 s and at most the window old; without one, the youngest
 * older sample); -1 when no sample is 1 s old yet. */
double sl_progress_rate(const sl_progress *p, double now, uint64_t done);
/* Seconds left: 0 when done >= total, -1 when unknown (no rate yet, or 0). */
double sl_progress_eta_s(const sl_progress *p, double now, uint64_t done, uint64_t total);
/* Percent done floored to a tenth, in [0, 100]; 100 only when done >= total. */
double sl_progress_pct(uint64_t done, uint64_t total);
/* A duration for people: "45s", "1m23s", "2h05m", "3d04h"; "?" when s < 0. */
void sl_progress_fmt_dur(char *out, size_t n, double s);
/* Formats a line and remembers done (sl_progress_final).  total > 0: text "42.1% done, ETA 1m23s" (ETA ? while unknown) and json
 * ",\"pct\":42.1,\"eta_s\":83" (eta_s null while unknown); total 0 (not
 * known): both empty.  Either buffer may be NULL. */
void sl_progress_fmt(sl_progress *p, double now, uint64_t done, uint64_t total, char *text, size_t tn,
                     char *json, size_t jn);
/* At the end: whether a log (LINES) still needs its last line, where the
 * work ended (false in TTY and OFF, and when the last line formatted was of
 * done already). */
bool sl_progress_final(const sl_progress *p, uint64_t done);
/* The line: TTY "\rsluice CMD: MSG" and clear to the end of the line;
 * LINES "sluice CMD: progress: MSG\n"; OFF nothing.  Flushes f. */
void sl_progress_print(const sl_progress *p, FILE *f, const char *cmd, const char *msg);
/* TTY: clear the line (before a summary or an error); otherwise nothing. */
void sl_progress_end(const sl_progress *p, FILE *f);

#endif
