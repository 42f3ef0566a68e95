/* Status objects: NULL is success; an error carries a code and a formatted message. */
#ifndef CORT_BASE_STATUS_H
#define CORT_BASE_STATUS_H
#include "cort/cort.h"
#include <stdarg.h>

struct cort_status {
    cort_code code;
    char message[];
};

#if defined(__GNUC__)
#define CORT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CORT_PRINTF(a, b)
#endif

/* Creates an error status. Never returns NULL: when memory is short it returns a shared,
 * read-only out-of-memory status that cort_status_free recognises. */
cort_status *cort_error(cort_code code, const char *fmt, ...) CORT_PRINTF(2, 3);
cort_status *cort_error_v(cort_code code, const char *fmt, va_list ap);
/* A new status with `prefix` prepended to the message of `inner` (which is freed). */
cort_status *cort_error_wrap(cort_status *inner, const char *fmt, ...) CORT_PRINTF(2, 3);
cort_status *cort_oom(void);

#define CORT_TRY(expr)                          \
    do {                                        \
        cort_status *cort_try_st_ = (expr);     \
        if (cort_try_st_) return cort_try_st_;  \
    } while (0)

#endif
