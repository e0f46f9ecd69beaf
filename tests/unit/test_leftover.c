/* test_leftover: removing what dead runs left (src/util/leftover.c), and the
 * cold store doing it at open.  A "dead" PID is a child that has exited and
 * been reaped; a live one is this process. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "t.h"
#include "util/leftover.h"

static long dead_pid(void) {
    pid_t c = fork();
    if (c == 0) _exit(0);
    int st;
    waitpid(c, &st, 0);
    return (long)c;
}

static void touch(const char *path, size_t bytes) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    for (size_t i = 0; i < bytes; i++) fputc('x', f);
    fclose(f);
}

static bool exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

static void test_names(void) {
    CHECK_EQ_I64(sl_tmp_file_pid(".part-00000.parquet.tmp-1234-7"), 1234);
    CHECK_EQ_I64(sl_tmp_file_pid(".hr=05.manifest.tmp-99-0"), 99);
    CHECK_EQ_I64(sl_tmp_file_pid(".query_hourly.jsonl.tmp-4321"), 4321);
    CHECK_EQ_I64(sl_tmp_file_pid("part-00000.parquet"), -1);          /* not hidden */
    CHECK_EQ_I64(sl_tmp_file_pid("part.tmp-12"), -1);                 /* not hidden */
    CHECK_EQ_I64(sl_tmp_file_pid(".x.tmp-12-"), -1);                  /* no counter after '-' */
    CHECK_EQ_I64(sl_tmp_file_pid(".x.tmp-12a"), -1);                  /* trailing text */
    CHECK_EQ_I64(sl_tmp_file_pid(".x.tmp-"), -1);                     /* no pid */
    CHECK_EQ_I64(sl_tmp_file_pid(".a.tmp-5.b.tmp-6-1"), 6);           /* the last .tmp- */
    CHECK_EQ_I64(sl_spill_dir_pid("sluice-777-AbC123"), 777);
    CHECK_EQ_I64(sl_spill_dir_pid("sluice-AbC123"), -1);              /* the old name: no pid, kept */
    CHECK_EQ_I64(sl_spill_dir_pid("sluice-777-AbC12"), -1);
    CHECK_EQ_I64(sl_spill_dir_pid("other-777-AbC123"), -1);
    CHECK(sl_pid_gone(dead_pid()));
    CHECK(!sl_pid_gone((long)getpid()));
    CHECK(!sl_pid_gone(0));
    /* a zombie (exited, not reaped) is gone too */
    pid_t z = fork();
    if (z == 0) _exit(0);
    struct timespec ts = {0, 100000000};
    nanosleep(&ts, NULL);
    CHECK(sl_pid_gone((long)z));
    int st;
    waitpid(z, &st, 0);
}

static char g_dir[] = "/tmp/sluice-test-leftover-XXXXXX";

static void test_sweep_files(void) {
    char p[512];
    long dead = dead_pid(), me = (long)getpid();
    snprintf(p, sizeof p, "%s/t/date=2024-03-01/hr=05", g_dir);
    char cmd[2000];
    snprintf(cmd, sizeof cmd, "mkdir -p %s %s/t/date=2024-03-01/hr=06 %s/a/b/c/d", p, g_dir, g_dir);
    CHECK(system(cmd) == 0);
    char f_dead[700], f_live[700], f_final[700], f_dead2[700], f_deep[700];
    snprintf(f_dead, sizeof f_dead, "%s/.part-00000.parquet.tmp-%ld-3", p, dead);
    snprintf(f_live, sizeof f_live, "%s/.part-00001.parquet.tmp-%ld-0", p, me);
    snprintf(f_final, sizeof f_final, "%s/part-00000.parquet", p);
    snprintf(f_dead2, sizeof f_dead2, "%s/t/date=2024-03-01/hr=06/.part-00000.parquet.tmp-%ld-1", g_dir, dead);
    snprintf(f_deep, sizeof f_deep, "%s/a/b/c/d/.x.tmp-%ld", g_dir, dead); /* depth 4: out of reach */
    touch(f_dead, 100);
    touch(f_live, 10);
    touch(f_final, 10);
    touch(f_dead2, 5);
    touch(f_deep, 1);
    sl_leftovers st = {0};
    char err[256];
    CHECK(sl_sweep_tmp_files(g_dir, 3, &st, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(st.files, 2);
    CHECK_EQ_I64(st.bytes, 105);
    CHECK(!exists(f_dead));
    CHECK(!exists(f_dead2));
    CHECK(exists(f_live));  /* a live run's file */
    CHECK(exists(f_final)); /* published data */
    CHECK(exists(f_deep));
    /* hr=06 held only the leftover: removed; hr=05 still holds files */
    snprintf(p, sizeof p, "%s/t/date=2024-03-01/hr=06", g_dir);
    CHECK(!exists(p));
    snprintf(p, sizeof p, "%s/t/date=2024-03-01/hr=05", g_dir);
    CHECK(exists(p));
    /* a missing directory is no error */
    snprintf(p, sizeof p, "%s/nope", g_dir);
    CHECK(sl_sweep_tmp_files(p, 3, &st, err, sizeof err) == SL_OK);
    unlink(f_live);
}

static void test_sweep_spill(void) {
    long dead = dead_pid(), me = (long)getpid();
    char d_dead[600], d_live[600], d_old[600], f[700];
    snprintf(d_dead, sizeof d_dead, "%s/sluice-%ld-Ab12Cd", g_dir, dead);
    snprintf(d_live, sizeof d_live, "%s/sluice-%ld-Zz99Yy", g_dir, me);
    snprintf(d_old, sizeof d_old, "%s/sluice-Qq11Ww", g_dir);
    CHECK(mkdir(d_dead, 0700) == 0);
    CHECK(mkdir(d_live, 0700) == 0);
    CHECK(mkdir(d_old, 0700) == 0);
    for (int i = 0; i < 3; i++) {
        snprintf(f, sizeof f, "%s/run-%06d.slr", d_dead, i);
        touch(f, 1000);
    }
    snprintf(f, sizeof f, "%s/run-000000.slr", d_live);
    touch(f, 7);
    sl_leftovers st = {0};
    char err[256];
    CHECK(sl_sweep_spill_dirs(g_dir, &st, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(st.dirs, 1);
    CHECK_EQ_I64(st.bytes, 3000);
    CHECK(!exists(d_dead));
    CHECK(exists(d_live));
    CHECK(exists(d_old));
}

int main(void) {
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_names);
    RUN(test_sweep_files);
    RUN(test_sweep_spill);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
    return T_DONE();
}
