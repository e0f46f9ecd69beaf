/* leftover.c: see leftover.h. */
#define _GNU_SOURCE
#include "util/leftover.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool sl_pid_gone(long pid) {
    if (pid <= 0) return false;
    if (kill((pid_t)pid, 0) == -1) return errno == ESRCH;
    /* A killed process whose parent has not reaped it yet is a zombie: it
     * exists but will never touch its files again (Linux: state Z). */
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *rp = strrchr(buf, ')'); /* "PID (comm) S ..." */
    return rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X');
}

/* Digits at *p: their value, *p moved past them; -1 when none or too many. */
static long digits(const char **p) {
    long v = 0;
    int n = 0;
    while (**p >= '0' && **p <= '9') {
        if (++n > 9) return -1;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    return n ? v : -1;
}

long sl_tmp_file_pid(const char *name) {
    if (name[0] != '.') return -1;
    const char *t = strstr(name + 1, ".tmp-");
    if (!t) return -1;
    /* the last ".tmp-" (a name may contain the text before) */
    for (const char *u; (u = strstr(t + 1, ".tmp-"));) t = u;
    const char *p = t + 5;
    long pid = digits(&p);
    if (pid <= 0) return -1;
    if (*p == '-') {
        p++;
        if (digits(&p) < 0) return -1;
    }
    return *p ? -1 : pid;
}

long sl_spill_dir_pid(const char *name) {
    if (strncmp(name, "sluice-", 7)) return -1;
    const char *p = name + 7;
    long pid = digits(&p);
    if (pid <= 0 || *p != '-' || strlen(p + 1) != 6) return -1;
    return pid;
}

static bool join(char *out, size_t cap, const char *a, const char *b) {
    int n = snprintf(out, cap, "%s/%s", a, b);
    return n > 0 && (size_t)n < cap;
}

static void remove_file(const char *path, sl_leftovers *st, uint64_t *count) {
    struct stat sb;
    off_t sz = lstat(path, &sb) == 0 ? sb.st_size : 0;
    if (unlink(path) == 0) {
        (*count)++;
        st->bytes += (uint64_t)sz;
    }
}

static sl_err sweep(const char *dir, int depth, bool top, sl_leftovers *st, char *err, size_t errlen) {
    DIR *d = opendir(dir);
    if (!d) {
        if (!top || errno == ENOENT) return SL_OK;
        return sl_err_set(err, errlen, SL_ERR_IO, "reading directory %s: %s", dir, strerror(errno));
    }
    bool removed = false;
    struct dirent *de;
    char path[4096];
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        if (!strcmp(nm, ".") || !strcmp(nm, "..")) continue;
        if (!join(path, sizeof path, dir, nm)) continue;
        unsigned char ty = de->d_type;
        if (ty == DT_UNKNOWN) {
            struct stat sb;
            if (lstat(path, &sb) != 0) continue;
            ty = S_ISDIR(sb.st_mode) ? DT_DIR : S_ISREG(sb.st_mode) ? DT_REG : DT_UNKNOWN;
        }
        if (ty == DT_DIR) {
            if (depth > 0) (void)sweep(path, depth - 1, false, st, err, errlen);
        } else if (ty == DT_REG) {
            long pid = sl_tmp_file_pid(nm);
            if (pid > 0 && sl_pid_gone(pid)) {
                uint64_t before = st->files;
                remove_file(path, st, &st->files);
                removed |= st->files != before;
            }
        }
    }
    closedir(d);
    if (removed && !top) (void)rmdir(dir); /* fails, harmlessly, unless now empty */
    return SL_OK;
}

sl_err sl_sweep_tmp_files(const char *dir, int depth, sl_leftovers *st, char *err, size_t errlen) {
    return sweep(dir, depth, true, st, err, errlen);
}

sl_err sl_sweep_spill_dirs(const char *dir, sl_leftovers *st, char *err, size_t errlen) {
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) return SL_OK;
        return sl_err_set(err, errlen, SL_ERR_IO, "reading directory %s: %s", dir, strerror(errno));
    }
    struct dirent *de;
    char path[4096], file[4096 + 256];
    while ((de = readdir(d))) {
        long pid = sl_spill_dir_pid(de->d_name);
        if (pid <= 0 || !sl_pid_gone(pid) || !join(path, sizeof path, dir, de->d_name)) continue;
        DIR *s = opendir(path);
        if (!s) continue;
        uint64_t dummy = 0;
        struct dirent *fe;
        while ((fe = readdir(s)))
            if (strcmp(fe->d_name, ".") && strcmp(fe->d_name, "..") && join(file, sizeof file, path, fe->d_name))
                remove_file(file, st, &dummy);
        closedir(s);
        if (rmdir(path) == 0) st->dirs++;
    }
    closedir(d);
    return SL_OK;
}
