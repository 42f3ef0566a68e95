/* The AVX-512 variant of the transformer row kernels (src/kernels/transformer.h): GELU evaluated in
 * registers in one pass (the erf of the shared vector-math core: x P(x^2) near 0, 1 - e^Q(|x|) beyond),
 * FastGelu as x * sigmoid(2u), which equals x * (1 + tanh u) / 2, LayerNormalization and the softmax
 * of score rows with masked tails. Chosen at run time by src/kernels/generic/transformer.c. */
#include <immintrin.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx2,fma")
#endif

static inline __m512 splat(float v) { return _mm512_set1_ps(v); }

static inline __mmask16 tail_mask(int64_t left) {
    return left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
}

/* e^x with the reduction and polynomial of cort_vm_exp (src/kernels/vecmath.h); 2^n applied by
 * vscalefps, which rounds once and saturates to 0 and infinity. */
static inline __m512 exp16(__m512 x) {
    __m512 xc = _mm512_min_ps(splat(89.0f), _mm512_max_ps(splat(-104.0f), x));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(xc, splat(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fmadd_ps(n, splat(-0.693359375f), xc);
    r = _mm512_fmadd_ps(n, splat(2.12194440e-4f), r);
    __m512 p = splat(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, splat(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, splat(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, splat(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, splat(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, splat(5.0000001201e-1f));
    __m512 y = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), splat(1.0f));
    return _mm512_scalef_ps(y, n);
}

/* erf with the coefficients of cort_vm_erf. */
static inline __m512 erf16(__m512 x) {
    __m512 a = _mm512_abs_ps(x), s = _mm512_mul_ps(x, x);
    __m512 p = splat(8.192684618e-05f);
    p = _mm512_fmadd_ps(p, s, splat(-8.095661178e-04f));
    p = _mm512_fmadd_ps(p, s, splat(5.196281243e-03f));
    p = _mm512_fmadd_ps(p, s, splat(-2.685713023e-02f));
    p = _mm512_fmadd_ps(p, s, splat(1.128364429e-01f));
    p = _mm512_fmadd_ps(p, s, splat(-3.761262894e-01f));
    p = _mm512_fmadd_ps(p, s, splat(1.128379107e+00f));
    __m512 small = _mm512_mul_ps(x, p);
    __m512 t = _mm512_min_ps(a, splat(4.0f));
    __m512 q = splat(-6.977654721e-08f);
    q = _mm512_fmadd_ps(q, t, splat(3.169704996e-06f));
    q = _mm512_fmadd_ps(q, t, splat(-6.064094123e-05f));
    q = _mm512_fmadd_ps(q, t, splat(6.755503709e-04f));
    q = _mm512_fmadd_ps(q, t, splat(-5.024964921e-03f));
    q = _mm512_fmadd_ps(q, t, splat(2.699874155e-02f));
    q = _mm512_fmadd_ps(q, t, splat(-1.108905226e-01f));
    q = _mm512_fmadd_ps(q, t, splat(-6.311203837e-01f));
    q = _mm512_fmadd_ps(q, t, splat(-1.130578995e+00f));
    q = _mm512_fmadd_ps(q, t, splat(3.925603814e-04f));
    __m512 big = _mm512_sub_ps(splat(1.0f), exp16(q));
    big = _mm512_or_ps(big, _mm512_and_ps(x, splat(-0.0f))); /* erf is odd */
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, splat(0.921875f), _CMP_LT_OQ), big, small);
}

static inline __m512 gelu16(__m512 x) {
    __m512 half = _mm512_mul_ps(x, splat(0.5f));
    return _mm512_fmadd_ps(half, erf16(_mm512_mul_ps(x, splat(0.70710678118654752f))), half);
}

/* x * sigmoid(2u) with u = sqrt(2/pi) (x + 0.044715 x^3) */
static inline __m512 fast_gelu16(__m512 x) {
    __m512 x3 = _mm512_mul_ps(_mm512_mul_ps(x, x), x);
    __m512 u2 = _mm512_mul_ps(_mm512_fmadd_ps(x3, splat(0.044715f), x), splat(-1.5957691216057308f));
    return _mm512_div_ps(x, _mm512_add_ps(splat(1.0f), exp16(u2)));
}

void cort_gelu_avx512(const float *x, float *y, int64_t n);
void cort_gelu_avx512(const float *x, float *y, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, gelu16(_mm512_loadu_ps(x + i)));
    if (i < n) {
        __mmask16 m = tail_mask(n - i);
        _mm512_mask_storeu_ps(y + i, m, gelu16(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

void cort_fast_gelu_avx512(const float *x, float *y, int64_t n);
void cort_fast_gelu_avx512(const float *x, float *y, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, fast_gelu16(_mm512_loadu_ps(x + i)));
    if (i < n) {
        __mmask16 m = tail_mask(n - i);
        _mm512_mask_storeu_ps(y + i, m, fast_gelu16(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

void cort_bias_gelu_rows_avx512(float *y, const float *bias, int64_t rows, int64_t n, bool tanh_form);
void cort_bias_gelu_rows_avx512(float *y, const float *bias, int64_t rows, int64_t n, bool tanh_form) {
    for (int64_t r = 0; r < rows; r++) {
        float *yr = y + r * n;
        for (int64_t i = 0; i < n; i += 16) {
            __mmask16 k = tail_mask(n - i);
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
    for (; i < n; i += 16) s0 = _mm512_add_ps(s0, _mm512_maskz_loadu_ps(tail_mask(n - i), x + i));
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

static float row_squares(const float *x, int64_t n, float mean) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), m = splat(mean);
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(x + i), m), d1 = _mm512_sub_ps(_mm512_loadu_ps(x + i + 16), m);
        s0 = _mm512_fmadd_ps(d0, d0, s0);
        s1 = _mm512_fmadd_ps(d1, d1, s1);
    }
    for (; i < n; i += 16) {
        __mmask16 k = tail_mask(n - i);
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
        __m512 m = splat(mean), s = splat(inv);
        for (int64_t i = 0; i < n; i += 16) {
            __mmask16 k = tail_mask(n - i);
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
        __m512 mx = splat(-INFINITY);
        for (int64_t i = 0; i < n; i += 16)
            mx = _mm512_max_ps(mx, _mm512_mask_loadu_ps(splat(-INFINITY), tail_mask(n - i), row + i));
        __m512 m = splat(_mm512_reduce_max_ps(mx)), sum = _mm512_setzero_ps();
        for (int64_t i = 0; i < n; i += 16) {
            __mmask16 k = tail_mask(n - i);
            __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, row + i), m));
            sum = _mm512_mask_add_ps(sum, k, sum, e);
            _mm512_mask_storeu_ps(row + i, k, e);
        }
        float inv_row = 1.0f / _mm512_reduce_add_ps(sum);
        if (inv_sum) {
            inv_sum[r] = inv_row;
            continue;
        }
        __m512 inv = splat(inv_row);
        for (int64_t i = 0; i < n; i += 16) {
            __mmask16 k = tail_mask(n - i);
            _mm512_mask_storeu_ps(row + i, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, row + i), inv));
        }
    }
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
