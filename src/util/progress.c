/* progress.c: % done, ETA and the cadence of progress lines (progress.h). */
#include "util/progress.h"

#include <math.h>
#include <unistd.h>

#define MIN_GAP_S 0.5 /* samples kept at least this far apart */
#define MIN_AGE_S 1.0 /* a rate needs a sample at least this old */

sl_progress_mode sl_progress_mode_for(int fd, bool quiet) {
    if (quiet) return SL_PROGRESS_OFF;
    return isatty(fd) ? SL_PROGRESS_TTY : SL_PROGRESS_LINES;
}

void sl_progress_init(sl_progress *p, sl_progress_mode mode, double every_s, double now) {
    p->mode = mode;
    p->every_s = every_s > 0 ? every_s : 10.0;
    p->next_s = mode == SL_PROGRESS_LINES ? now + p->every_s : now;
    p->n = 0;
    p->head = 0;
    p->shown = false;
    p->shown_done = 0;
}

void sl_progress_sample(sl_progress *p, double now, uint64_t done) {
    if (p->n) {
        size_t last = (p->head + SL_PROGRESS_SAMPLES - 1) % SL_PROGRESS_SAMPLES;
        if (now - p->t[last] < MIN_GAP_S) return;
    }
    p->t[p->head] = now;
    p->v[p->head] = done;
    p->head = (p->head + 1) % SL_PROGRESS_SAMPLES;
    if (p->n < SL_PROGRESS_SAMPLES) p->n++;
}

bool sl_progress_due(sl_progress *p, double now) {
    if (p->mode == SL_PROGRESS_OFF || now < p->next_s) return false;
    p->next_s = now + (p->mode == SL_PROGRESS_TTY ? SL_PROGRESS_TTY_S : p->every_s);
    return true;
}

double sl_progress_rate(const sl_progress *p, double now, uint64_t done) {
    int in = -1, out = -1; /* the oldest sample in the window; the youngest older one */
    for (size_t k = 0; k < p->n; k++) {
        double age = now - p->t[k];
        if (age < MIN_AGE_S) continue;
        if (age <= SL_PROGRESS_WINDOW_S) {
            if (in < 0 || p->t[k] < p->t[in]) in = (int)k;
        } else if (out < 0 || p->t[k] > p->t[out]) {
            out = (int)k;
        }
    }
    int k = in >= 0 ? in : out;
    if (k < 0) return -1;
    double age = now - p->t[k];
    return done > p->v[k] ? (double)(done - p->v[k]) / age : 0.0;
}

double sl_progress_eta_s(const sl_progress *p, double now, uint64_t done, uint64_t total) {
    if (done >= total) return 0;
    double r = sl_progress_rate(p, now, done);
    if (r <= 0) return -1;
    return (double)(total - done) / r;
}

double sl_progress_pct(uint64_t done, uint64_t total) {
    if (total == 0 || done >= total) return 100.0;
    double t = floor((double)done / (double)total * 1000.0) / 10.0;
    return t >= 100.0 ? 99.9 : t; /* rounding of huge counts: 100.0 means done */
}

void sl_progress_fmt_dur(char *out, size_t n, double s) {
    if (!(s >= 0) || s > 9e15) {
        snprintf(out, n, "?");
        return;
    }
    long long t = llround(s);
    if (t < 60) snprintf(out, n, "%llds", t);
    else if (t < 3600) snprintf(out, n, "%lldm%02llds", t / 60, t % 60);
    else if (t < 86400) snprintf(out, n, "%lldh%02lldm", t / 3600, t % 3600 / 60);
    else snprintf(out, n, "%lldd%02lldh", t / 86400, t % 86400 / 3600);
}

void sl_progress_fmt(sl_progress *p, double now, uint64_t done, uint64_t total, char *text, size_t tn, char *json,
                     size_t jn) {
    p->shown = true;
    p->shown_done = done;
    if (text && tn) text[0] = 0;
    if (json && jn) json[0] = 0;
    if (total == 0) return;
    double pct = sl_progress_pct(done, total), eta = sl_progress_eta_s(p, now, done, total);
    if (text && tn) {
        char d[32];
        sl_progress_fmt_dur(d, sizeof d, eta);
        snprintf(text, tn, "%.1f%% done, ETA %s", pct, d);
    }
    if (json && jn) {
        if (eta < 0) snprintf(json, jn, ",\"pct\":%.1f,\"eta_s\":null", pct);
        else snprintf(json, jn, ",\"pct\":%.1f,\"eta_s\":%lld", pct, llround(eta));
    }
}

bool sl_progress_final(const sl_progress *p, uint64_t done) {
    return p->mode == SL_PROGRESS_LINES && !(p->shown && p->shown_done == done);
}

void sl_progress_print(const sl_progress *p, FILE *f, const char *cmd, const char *msg) {
    if (p->mode == SL_PROGRESS_TTY) fprintf(f, "\rsluice %s: %s\033[K", cmd, msg);
    else if (p->mode == SL_PROGRESS_LINES) fprintf(f, "sluice %s: progress: %s\n", cmd, msg);
    else return;
    fflush(f);
}

void sl_progress_end(const sl_progress *p, FILE *f) {
    if (p->mode != SL_PROGRESS_TTY) return;
    fputs("\r\033[K", f);
    fflush(f);
}
