/* A minimal test harness: CHECK records failures and keeps going; main returns check_report(). */
#ifndef CORT_TESTS_CHECK_H
#define CORT_TESTS_CHECK_H
#include <stdio.h>

static int check_failures;
#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            check_failures++;                                                       \
        }                                                                           \
    } while (0)
#define CHECK_OK(expr)                                                                        \
    do {                                                                                      \
        cort_status *check_st_ = (expr);                                                      \
        if (check_st_) {                                                                      \
            fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #expr,              \
                    cort_status_message(check_st_));                                          \
            cort_status_free(check_st_);                                                      \
            check_failures++;                                                                 \
        }                                                                                     \
    } while (0)
static inline int check_report(const char *name) {
    if (check_failures) fprintf(stderr, "%s: %d check(s) failed\n", name, check_failures);
    else printf("%s: all checks passed\n", name);
    return check_failures ? 1 : 0;
}
#endif
