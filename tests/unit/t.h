/* t.h: minimal unit-test harness (one executable per test file).
 *   static void test_x(void) { CHECK(a == b); CHECK_EQ_I64(x, 42); }
 *   int main(void) { RUN(test_x); return T_DONE(); }
 * Each test prints "ok NAME" or "FAIL NAME" with the failing checks; the
 * last line is "FILE: N passed, N failed" and the exit code is non-zero
 * when any test failed. */
#ifndef T_H
#define T_H
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int t_cur_failed, t_npass, t_nfail;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
            t_cur_failed = 1;                                                          \
        }                                                                              \
    } while (0)
#define CHECK_EQ_I64(a, b)                                                                          \
    do {                                                                                            \
        long long t_a = (long long)(a), t_b = (long long)(b);                                       \
        if (t_a != t_b) {                                                                           \
            fprintf(stderr, "  %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a, t_a, \
                    #b, t_b);                                                                       \
            t_cur_failed = 1;                                                                       \
        }                                                                                           \
    } while (0)
#define CHECK_EQ_STR(a, b)                                                                      \
    do {                                                                                        \
        const char *t_a = (a), *t_b = (b);                                                      \
        if (!t_a || !t_b || strcmp(t_a, t_b) != 0) {                                            \
            fprintf(stderr, "  %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, \
                    t_a ? t_a : "(null)", t_b ? t_b : "(null)");                                \
            t_cur_failed = 1;                                                                   \
        }                                                                                       \
    } while (0)
#define RUN(fn)                          \
    do {                                 \
        t_cur_failed = 0;                \
        fn();                            \
        if (t_cur_failed) {              \
            t_nfail++;                   \
            printf("FAIL %s\n", #fn);    \
        } else {                         \
            t_npass++;                   \
            printf("ok   %s\n", #fn);    \
        }                                \
        fflush(stdout);                  \
    } while (0)
#define T_DONE() (printf("%s: %d passed, %d failed\n", __FILE__, t_npass, t_nfail), t_nfail ? 1 : 0)
#endif
