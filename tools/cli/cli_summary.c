/* The one-line summary `cort run` prints for each output. */
#include <math.h>
#include <string.h>

#include "cli.h"

enum { SUMMARY_FIRST_VALUES = 5 };

typedef struct value_stats {
    double min, max, sum;
    int64_t finite_or_inf, nans, argmax;
} value_stats;

static value_stats numeric_stats(cort_elem_type type, const void *data, int64_t count) {
    value_stats s = {INFINITY, -INFINITY, 0.0, 0, 0, -1};
    for (int64_t i = 0; i < count; i++) {
        double x = cli_scalar_double(type, data, i);
        if (isnan(x)) {
            s.nans++;
            continue;
        }
        if (x < s.min) s.min = x;
        if (s.argmax < 0 || x > s.max) {
            s.max = x;
            s.argmax = i;
        }
        s.sum += x;
        s.finite_or_inf++;
    }
    return s;
}

static void print_first_values(FILE *f, cort_elem_type type, const void *data, int64_t count) {
    char buf[64];
    fputs(" first=[", f);
    for (int64_t i = 0; i < count && i < SUMMARY_FIRST_VALUES; i++)
        fprintf(f, "%s%s", i ? ", " : "", cli_format_scalar(type, data, i, buf, sizeof buf));
    fputs(count > SUMMARY_FIRST_VALUES ? ", ...]" : "]", f);
}

static int is_classifier_shape(const cort_value *tensor) {
    const int64_t *dims = cort_tensor_dims(tensor);
    return cort_tensor_rank(tensor) == 2 && dims[0] == 1 && dims[1] > 1;
}

static void print_tensor_stats(FILE *f, const cort_value *tensor) {
    cort_elem_type type = cort_tensor_elem_type(tensor);
    const void *data = cli_tensor_bytes(tensor);
    int64_t count = cli_scalar_count(tensor);
    if (count == 0) {
        fputs(" (empty)", f);
        return;
    }
    if (type != CORT_STRING && !cli_type_is_complex(type)) {
        value_stats s = numeric_stats(type, data, count);
        if (s.finite_or_inf > 0)
            fprintf(f, " min=%.6g max=%.6g mean=%.6g", s.min, s.max, s.sum / (double)s.finite_or_inf);
        if (s.nans) fprintf(f, " nan=%lld", (long long)s.nans);
        print_first_values(f, type, data, count);
        if (is_classifier_shape(tensor) && s.argmax >= 0) fprintf(f, " argmax=%lld", (long long)s.argmax);
        return;
    }
    print_first_values(f, type, data, count);
}

void cli_print_summary(FILE *f, size_t index, const char *name, const cort_value *value) {
    char type[320];
    fprintf(f, "output %zu '%s': %s", index, name, cli_format_value_type(value, type, sizeof type));
    if (cort_value_kind(value) == 1) {
        print_tensor_stats(f, value);
    } else if (cort_value_kind(value) == 2) {
        size_t n = cort_sequence_length(value);
        for (size_t i = 0; i < n && i < SUMMARY_FIRST_VALUES; i++) {
            const cort_value *item = NULL;
            cort_status *st = cort_sequence_at(value, i, &item);
            if (st) {
                cort_status_free(st);
                break;
            }
            fprintf(f, "%s%s", i ? ", " : " items: ", cli_format_value_type(item, type, sizeof type));
        }
        if (n > SUMMARY_FIRST_VALUES) fputs(", ...", f);
    }
    fputc('\n', f);
}
