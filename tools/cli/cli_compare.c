/* Comparing a computed value with an expected one, as the ONNX backend tests do:
 * |got - expected| <= atol + rtol * |expected| for floating types (NaN equals NaN, infinities must
 * match exactly), exact equality for integers, bools and strings; types and shapes must match. */
#include <math.h>
#include <string.h>

#include "cli.h"

/* The first mismatch found and how many there are. */
typedef struct mismatch {
    int64_t count;
    int64_t first; /* scalar index, -1 when none */
    double max_abs_diff;
} mismatch;

static void note_mismatch(mismatch *m, int64_t i) {
    if (m->count++ == 0) m->first = i;
}

static int floats_match(double got, double expected, cli_tolerance tol) {
    if (isnan(got) || isnan(expected)) return isnan(got) && isnan(expected);
    if (isinf(got) || isinf(expected)) return got == expected;
    return fabs(got - expected) <= tol.atol + tol.rtol * fabs(expected);
}

static void compare_floats(cort_elem_type type, const void *got, const void *expected, int64_t n,
                           cli_tolerance tol, mismatch *m) {
    for (int64_t i = 0; i < n; i++) {
        double g = cli_scalar_double(type, got, i), e = cli_scalar_double(type, expected, i);
        if (floats_match(g, e, tol)) continue;
        note_mismatch(m, i);
        if (isfinite(g) && isfinite(e) && fabs(g - e) > m->max_abs_diff) m->max_abs_diff = fabs(g - e);
    }
}

static void compare_strings(char *const *got, char *const *expected, int64_t n, mismatch *m) {
    for (int64_t i = 0; i < n; i++)
        if (strcmp(got[i] ? got[i] : "", expected[i] ? expected[i] : "") != 0) note_mismatch(m, i);
}

static void compare_exact(cort_elem_type type, const unsigned char *got, const unsigned char *expected, int64_t n,
                          mismatch *m) {
    size_t size = cort_elem_type_size(type);
    for (int64_t i = 0; i < n; i++) {
        const unsigned char *g = got + (size_t)i * size, *e = expected + (size_t)i * size;
        int same = type == CORT_BOOL ? (*g != 0) == (*e != 0) : memcmp(g, e, size) == 0;
        if (!same) note_mismatch(m, i);
    }
}

static cort_status *describe_mismatch(const cort_value *got, const cort_value *expected, const mismatch *m) {
    cort_elem_type type = cort_tensor_elem_type(got);
    int complex = cli_type_is_complex(type);
    int64_t element = complex ? m->first / 2 : m->first;
    char where[256], g[96], e[96], extra[96] = "";
    cli_format_index(cort_tensor_dims(got), cort_tensor_rank(got), element, where, sizeof where);
    cli_format_scalar(type, cli_tensor_bytes(got), m->first, g, sizeof g);
    cli_format_scalar(type, cli_tensor_bytes(expected), m->first, e, sizeof e);
    if (m->max_abs_diff > 0) snprintf(extra, sizeof extra, "; max abs diff %.6g", m->max_abs_diff);
    return cort_error(CORT_FAIL, "index %s%s: got %s expected %s (%lld of %lld values differ%s)", where,
                      complex ? (m->first % 2 ? " (imag)" : " (real)") : "", g, e, (long long)m->count,
                      (long long)cli_scalar_count(got), extra);
}

static cort_status *compare_tensors(const cort_value *got, const cort_value *expected, cli_tolerance tol) {
    cort_elem_type type = cort_tensor_elem_type(got);
    if (type != cort_tensor_elem_type(expected))
        return cort_error(CORT_FAIL, "element type: got %s, expected %s", cort_elem_type_name(type),
                          cort_elem_type_name(cort_tensor_elem_type(expected)));
    size_t rank = cort_tensor_rank(got);
    if (rank != cort_tensor_rank(expected) ||
        (rank && memcmp(cort_tensor_dims(got), cort_tensor_dims(expected), rank * sizeof(int64_t)) != 0)) {
        char g[256], e[256];
        cort_shape_str(cort_tensor_dims(got), (int)rank, g, sizeof g);
        cort_shape_str(cort_tensor_dims(expected), (int)cort_tensor_rank(expected), e, sizeof e);
        return cort_error(CORT_FAIL, "shape: got %s, expected %s", g, e);
    }
    mismatch m = {0, -1, 0.0};
    int64_t n = cli_scalar_count(got);
    const void *gd = cli_tensor_bytes(got), *ed = cli_tensor_bytes(expected);
    if (n > 0 && (!gd || !ed)) return cort_error(CORT_FAIL, "tensor has no data");
    if (cli_type_is_float(type) || cli_type_is_complex(type)) compare_floats(type, gd, ed, n, tol, &m);
    else if (type == CORT_STRING) compare_strings(gd, ed, n, &m);
    else compare_exact(type, gd, ed, n, &m);
    return m.count ? describe_mismatch(got, expected, &m) : NULL;
}

static const char *kind_name(int kind) {
    switch (kind) {
    case 1: return "tensor";
    case 2: return "sequence";
    case 3: return "empty optional";
    default: return "unknown value";
    }
}

static cort_status *compare_sequences(const cort_value *got, const cort_value *expected, cli_tolerance tol) {
    size_t n = cort_sequence_length(got);
    if (n != cort_sequence_length(expected))
        return cort_error(CORT_FAIL, "sequence length: got %zu, expected %zu", n, cort_sequence_length(expected));
    for (size_t i = 0; i < n; i++) {
        const cort_value *g = NULL, *e = NULL;
        CORT_TRY(cort_sequence_at(got, i, &g));
        CORT_TRY(cort_sequence_at(expected, i, &e));
        cort_status *st = cli_compare_values(g, e, tol);
        if (st) return cort_error_wrap(st, "sequence item %zu: ", i);
    }
    return NULL;
}

cort_status *cli_compare_values(const cort_value *got, const cort_value *expected, cli_tolerance tol) {
    if (!got) return cort_error(CORT_FAIL, "no value was produced");
    int kg = cort_value_kind(got), ke = cort_value_kind(expected);
    if (kg != ke) return cort_error(CORT_FAIL, "got a %s, expected a %s", kind_name(kg), kind_name(ke));
    switch (kg) {
    case 1: return compare_tensors(got, expected, tol);
    case 2: return compare_sequences(got, expected, tol);
    case 3: return NULL;
    default: return cort_error(CORT_FAIL, "cannot compare a %s", kind_name(kg));
    }
}
