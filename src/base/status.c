#include "base/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    cort_code code;
    char message[32];
} oom_status = {CORT_OUT_OF_MEMORY, "out of memory"};

cort_status *cort_oom(void) { return (cort_status *)&oom_status; }

cort_status *cort_error_v(cort_code code, const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) n = 0;
    cort_status *st = malloc(sizeof(*st) + (size_t)n + 1);
    if (!st) return cort_oom();
    st->code = code;
    vsnprintf(st->message, (size_t)n + 1, fmt, ap);
    return st;
}

cort_status *cort_error(cort_code code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    cort_status *st = cort_error_v(code, fmt, ap);
    va_end(ap);
    return st;
}

cort_status *cort_error_wrap(cort_status *inner, const char *fmt, ...) {
    char prefix[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    cort_status *st = cort_error(inner->code, "%s%s", prefix, inner->message);
    cort_status_free(inner);
    return st;
}

cort_code cort_status_code(const cort_status *status) { return status ? status->code : CORT_OK; }

const char *cort_status_message(const cort_status *status) { return status ? status->message : ""; }

void cort_status_free(cort_status *status) {
    if (status && status != (cort_status *)&oom_status) free(status);
}

const char *cort_version(void) { return CORT_VERSION_STRING; }
