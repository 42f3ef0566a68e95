/* The portable variant of the transformer row kernels (src/kernels/transformer.h) and the dispatcher.
 * GELU runs in blocks small enough for the erf/tanh argument to stay in L1 between the passes, through
 * the vector math's array entries; the reductions keep eight partial sums so that they vectorise. */
#include "kernels/transformer.h"

#include <math.h>

#include "kernels/vecmath.h"

#define GELU_BLOCK 512
enum { LANES = 8 };

static void gelu_portable(const float *x, float *y, int64_t n) {
    float t[GELU_BLOCK];
    for (int64_t i = 0; i < n; i += GELU_BLOCK) {
        int64_t len = n - i < GELU_BLOCK ? n - i : GELU_BLOCK;
        for (int64_t j = 0; j < len; j++) t[j] = x[i + j] * 0.70710678118654752f;
        cort_verf(t, t, len);
        for (int64_t j = 0; j < len; j++) y[i + j] = x[i + j] * 0.5f * (1.0f + t[j]);
    }
}

static void fast_gelu_portable(const float *x, float *y, int64_t n) {
    float t[GELU_BLOCK];
    for (int64_t i = 0; i < n; i += GELU_BLOCK) {
        int64_t len = n - i < GELU_BLOCK ? n - i : GELU_BLOCK;
        for (int64_t j = 0; j < len; j++) {
            float v = x[i + j];
            t[j] = 0.7978845608028654f * (v + 0.044715f * v * v * v);
        }
        cort_vtanh(t, t, len);
        for (int64_t j = 0; j < len; j++) y[i + j] = x[i + j] * 0.5f * (1.0f + t[j]);
    }
}

static void bias_gelu_rows_portable(float *y, const float *bias, int64_t rows, int64_t n, bool tanh_form) {
    for (int64_t r = 0; r < rows; r++) {
        float *yr = y + r * n;
        if (bias)
            for (int64_t i = 0; i < n; i++) yr[i] += bias[i];
        if (tanh_form) fast_gelu_portable(yr, yr, n);
        else gelu_portable(yr, yr, n);
    }
}

static float sum_of(const float *x, int64_t n) {
    float s[LANES] = {0};
    int64_t j = 0;
    for (; j + LANES <= n; j += LANES)
        for (int k = 0; k < LANES; k++) s[k] += x[j + k];
    float sum = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
    for (; j < n; j++) sum += x[j];
    return sum;
}

static float squares_about(const float *x, int64_t n, float mean) {
    float s[LANES] = {0};
    int64_t j = 0;
    for (; j + LANES <= n; j += LANES)
        for (int k = 0; k < LANES; k++) s[k] += (x[j + k] - mean) * (x[j + k] - mean);
    float sum = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
    for (; j < n; j++) sum += (x[j] - mean) * (x[j] - mean);
    return sum;
}

/* Two passes (the mean, then the squares about it): no cancellation when the mean is large. */
static void layernorm_rows_portable(const float *x, const float *scale, const float *bias, float epsilon,
                                    int64_t rows, int64_t n, float *y) {
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * n;
        float *yr = y + r * n;
        float mean = sum_of(xr, n) / (float)n;
        float inv = 1.0f / sqrtf(squares_about(xr, n, mean) / (float)n + epsilon);
        if (bias)
            for (int64_t i = 0; i < n; i++) yr[i] = (xr[i] - mean) * inv * scale[i] + bias[i];
        else
            for (int64_t i = 0; i < n; i++) yr[i] = (xr[i] - mean) * inv * scale[i];
    }
}

static float max_of(const float *x, int64_t n) {
    float m[LANES];
    for (int k = 0; k < LANES; k++) m[k] = x[0];
    int64_t j = 0;
    for (; j + LANES <= n; j += LANES)
        for (int k = 0; k < LANES; k++) m[k] = x[j + k] > m[k] ? x[j + k] : m[k];
    for (; j < n; j++) m[0] = x[j] > m[0] ? x[j] : m[0];
    float mx = m[0];
    for (int k = 1; k < LANES; k++) mx = m[k] > mx ? m[k] : mx;
    return mx;
}

static void softmax_rows_portable(float *s, int64_t rows, int64_t n, int64_t ld, float *inv_sum) {
    for (int64_t r = 0; r < rows; r++) {
        float *row = s + r * ld, mx = max_of(row, n);
        for (int64_t j = 0; j < n; j++) row[j] -= mx;
        cort_vexp(row, row, n);
        float inv = 1.0f / sum_of(row, n);
        if (inv_sum) inv_sum[r] = inv;
        else
            for (int64_t j = 0; j < n; j++) row[j] *= inv;
    }
}

static const cort_transformer_impl impl_portable = {"portable", gelu_portable, fast_gelu_portable,
                                                    bias_gelu_rows_portable, layernorm_rows_portable,
                                                    softmax_rows_portable};

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
void cort_gelu_avx512(const float *x, float *y, int64_t n);
void cort_fast_gelu_avx512(const float *x, float *y, int64_t n);
void cort_bias_gelu_rows_avx512(float *y, const float *bias, int64_t rows, int64_t n, bool tanh_form);
void cort_layernorm_rows_avx512(const float *x, const float *scale, const float *bias, float epsilon, int64_t rows,
                                int64_t n, float *y);
void cort_softmax_rows_avx512(float *s, int64_t rows, int64_t n, int64_t ld, float *inv_sum);
static const cort_transformer_impl impl_avx512 = {"avx512", cort_gelu_avx512, cort_fast_gelu_avx512,
                                                  cort_bias_gelu_rows_avx512, cort_layernorm_rows_avx512,
                                                  cort_softmax_rows_avx512};
#define CORT_TRANSFORMER_AVX512 1
#endif

int cort_transformer_impls(const cort_transformer_impl **out, int max) {
    int n = 0;
#ifdef CORT_TRANSFORMER_AVX512
    __builtin_cpu_init();
    if (n < max && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) out[n++] = &impl_avx512;
#endif
    if (n < max) out[n++] = &impl_portable;
    return n;
}

static const cort_transformer_impl *best(void) {
    const cort_transformer_impl *impl[2];
    cort_transformer_impls(impl, 2);
    return impl[0];
}

void cort_gelu(const float *x, float *y, int64_t n) { best()->gelu(x, y, n); }
void cort_fast_gelu(const float *x, float *y, int64_t n) { best()->fast_gelu(x, y, n); }
void cort_bias_gelu_rows(float *y, const float *bias, int64_t rows, int64_t n, bool tanh_form) {
    best()->bias_gelu_rows(y, bias, rows, n, tanh_form);
}
void cort_layernorm_rows(const float *x, const float *scale, const float *bias, float epsilon, int64_t rows,
                         int64_t n, float *y) {
    best()->layernorm_rows(x, scale, bias, epsilon, rows, n, y);
}
void cort_softmax_rows(float *s, int64_t rows, int64_t n, int64_t ld, float *inv_sum) {
    best()->softmax_rows(s, rows, n, ld, inv_sum);
}
