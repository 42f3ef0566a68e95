/* The AVX-512 variant of the transformer row kernels (src/kernels/transformer.h): GELU evaluated in
 * registers in one pass (erf as one rational function of x^2 over a clamped x),
 * FastGelu as x * sigmoid(2u), which equals x * (1 + tanh u) / 2, LayerNormalization and the softmax
 * of score rows with masked tails. Chosen at run time by src/kernels/generic/transformer.c. */
#include <immintrin.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "kernels/x86/avx512_math.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx2,fma")
#endif

/* erf(z) for GELU as z P(z^2) / Q(z^2) with z clamped to [-4, 4] (erf(4) is 1 in float), P and Q of
 * degrees 6 and 4 fitted for least maximum absolute error (5.4e-8 in double, 4e-7 evaluated in float,
 * which GELU halves): one branch of ~17 operations and a division where the shared erf core evaluates
 * both of its branches and an e^x (~40; GELU after a GEMM is bound by them, not by memory): 128 x 3072
 * values 0.168 -> 0.060 ms (one thread; rcp14 and a Newton step instead of the division measured
 * 0.071). NaN passes (min/max return their second operand when one is NaN). */
static inline __m512 erf_gelu16(__m512 z) {
    z = _mm512_max_ps(cort_splat16(-4.0f), _mm512_min_ps(cort_splat16(4.0f), z));
    __m512 s = _mm512_mul_ps(z, z);
    __m512 p = cort_splat16(1.921706705e-08f);
    p = _mm512_fmadd_ps(p, s, cort_splat16(-1.990313649e-06f));
    p = _mm512_fmadd_ps(p, s, cort_splat16(1.555367780e-04f));
    p = _mm512_fmadd_ps(p, s, cort_splat16(4.293065984e-03f));
    p = _mm512_fmadd_ps(p, s, cort_splat16(5.243352428e-02f));
    p = _mm512_fmadd_ps(p, s, cort_splat16(2.139451206e-01f));
    p = _mm512_fmadd_ps(p, s, cort_splat16(1.128378630e+00f));
    __m512 q = cort_splat16(1.098040026e-03f);
    q = _mm512_fmadd_ps(q, s, cort_splat16(1.555112377e-02f));
    q = _mm512_fmadd_ps(q, s, cort_splat16(1.207997948e-01f));
    q = _mm512_fmadd_ps(q, s, cort_splat16(5.229315758e-01f));
    q = _mm512_fmadd_ps(q, s, cort_splat16(1.0f));
    return _mm512_div_ps(_mm512_mul_ps(z, p), q);
}

static inline __m512 gelu16(__m512 x) {
    __m512 half = _mm512_mul_ps(x, cort_splat16(0.5f));
    return _mm512_fmadd_ps(half, erf_gelu16(_mm512_mul_ps(x, cort_splat16(0.70710678118654752f))), half);
}

/* x * sigmoid(2u) with u = sqrt(2/pi) (x + 0.044715 x^3) */
static inline __m512 fast_gelu16(__m512 x) {
    __m512 x3 = _mm512_mul_ps(_mm512_mul_ps(x, x), x);
    __m512 u2 = _mm512_mul_ps(_mm512_fmadd_ps(x3, cort_splat16(0.044715f), x), cort_splat16(-1.5957691216057308f));
    return _mm512_div_ps(x, _mm512_add_ps(cort_splat16(1.0f), cort_exp16(u2)));
}

CORT_AVX512_ARRAY_LOOP(cort_gelu_avx512, gelu16)
CORT_AVX512_ARRAY_LOOP(cort_fast_gelu_avx512, fast_gelu16)

void cort_bias_gelu_rows_avx512(float *y, const float *bias, int64_t rows, int64_t n, bool tanh_form);
void cort_bias_gelu_rows_avx512(float *y, const float *bias, int64_t rows, int64_t n, bool tanh_form) {
    for (int64_t r = 0; r < rows; r++) {
        float *yr = y + r * n;
        for (int64_t i = 0; i < n; i += 16) {
            __mmask16 k = cort_tail_mask16(n - i);
            __m512 v = _mm512_maskz_loadu_ps(k, yr + i);
            if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(k, bias + i));
            _mm512_mask_storeu_ps(yr + i, k, tanh_form ? fast_gelu16(v) : gelu16(v));
        }
    }
}

/* The sum of x[0..n) and of its squares about `mean` (masked-off lanes read 0 and subtract nothing). */
static float row_sum(const float *x, int64_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_add_ps(s0, _mm512_loadu_ps(x + i));
        s1 = _mm512_add_ps(s1, _mm512_loadu_ps(x + i + 16));
    }
    for (; i < n; i += 16) s0 = _mm512_add_ps(s0, _mm512_maskz_loadu_ps(cort_tail_mask16(n - i), x + i));
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

static float row_squares(const float *x, int64_t n, float mean) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), m = cort_splat16(mean);
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(x + i), m), d1 = _mm512_sub_ps(_mm512_loadu_ps(x + i + 16), m);
        s0 = _mm512_fmadd_ps(d0, d0, s0);
        s1 = _mm512_fmadd_ps(d1, d1, s1);
    }
    for (; i < n; i += 16) {
        __mmask16 k = cort_tail_mask16(n - i);
        __m512 d = _mm512_maskz_sub_ps(k, _mm512_maskz_loadu_ps(k, x + i), m);
        s0 = _mm512_fmadd_ps(d, d, s0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

void cort_layernorm_rows_avx512(const float *x, const float *scale, const float *bias, float epsilon, int64_t rows,
                                int64_t n, float *y);
void cort_layernorm_rows_avx512(const float *x, const float *scale, const float *bias, float epsilon, int64_t rows,
                                int64_t n, float *y) {
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * n;
        float *yr = y + r * n;
        float mean = row_sum(xr, n) / (float)n;
        float inv = 1.0f / sqrtf(row_squares(xr, n, mean) / (float)n + epsilon);
        __m512 m = cort_splat16(mean), s = cort_splat16(inv);
        for (int64_t i = 0; i < n; i += 16) {
            __mmask16 k = cort_tail_mask16(n - i);
            __m512 v = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, xr + i), m), s);
            __m512 b = bias ? _mm512_maskz_loadu_ps(k, bias + i) : _mm512_setzero_ps();
            _mm512_mask_storeu_ps(yr + i, k, _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(k, scale + i), b));
        }
    }
}

void cort_softmax_rows_avx512(float *s, int64_t rows, int64_t n, int64_t ld, float *inv_sum);
void cort_softmax_rows_avx512(float *s, int64_t rows, int64_t n, int64_t ld, float *inv_sum) {
    for (int64_t r = 0; r < rows; r++) {
        float *row = s + r * ld;
        __m512 mx = cort_splat16(-INFINITY);
        for (int64_t i = 0; i < n; i += 16)
            mx = _mm512_max_ps(mx, _mm512_mask_loadu_ps(cort_splat16(-INFINITY), cort_tail_mask16(n - i), row + i));
        __m512 m = cort_splat16(_mm512_reduce_max_ps(mx)), sum = _mm512_setzero_ps();
        for (int64_t i = 0; i < n; i += 16) {
            __mmask16 k = cort_tail_mask16(n - i);
            __m512 e = cort_exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, row + i), m));
            sum = _mm512_mask_add_ps(sum, k, sum, e);
            _mm512_mask_storeu_ps(row + i, k, e);
        }
        float inv_row = 1.0f / _mm512_reduce_add_ps(sum);
        if (inv_sum) {
            inv_sum[r] = inv_row;
            continue;
        }
        __m512 inv = cort_splat16(inv_row);
        for (int64_t i = 0; i < n; i += 16) {
            __mmask16 k = cort_tail_mask16(n - i);
            _mm512_mask_storeu_ps(row + i, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, row + i), inv));
        }
    }
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
