/* The avx2 variant of the vector math: the shared element cores compiled for this ISA with fused
 * multiply-adds, and a hand-written matrix-vector product. Chosen at run time by vecmath.c. */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

#define CORT_VM_MAD(a, b, c) fmaf(a, b, c)
#include "kernels/vecmath.h"

/* erf keeps the shared core; exp, sigmoid, SiLU and tanh are written out below as the AVX-512 file
 * does, with true divisions (AVX2's reciprocal estimate has 12 bits) and 2^n applied as two factors
 * so that subnormal results are rounded once. */
CORT_VM_ARRAY_LOOP(erf, avx2)

static inline __m256 splat8(float v) { return _mm256_set1_ps(v); }

/* e^x with the reduction and polynomial of cort_vm_exp. min/max return their second operand when
 * one is NaN, so NaN flows through to the end, where it is put back. */
static inline __m256 exp8(__m256 x) {
    __m256 xc = _mm256_min_ps(splat8(89.0f), _mm256_max_ps(splat8(-104.0f), x));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, splat8(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fmadd_ps(n, splat8(-0.693359375f), xc);
    r = _mm256_fmadd_ps(n, splat8(2.12194440e-4f), r);
    __m256 p = splat8(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, splat8(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, splat8(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, splat8(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, splat8(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, splat8(5.0000001201e-1f));
    __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), splat8(1.0f));
    /* n in [-151, 128] (an integer; NaN converts to INT_MIN and is replaced below) */
    __m256i ni = _mm256_cvtps_epi32(n), n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
    __m256 f1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, _mm256_set1_epi32(127)), 23));
    __m256 f2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, _mm256_set1_epi32(127)), 23));
    y = _mm256_mul_ps(_mm256_mul_ps(y, f1), f2);
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

static inline __m256 abs8(__m256 x) { return _mm256_andnot_ps(splat8(-0.0f), x); }

/* As cort_vm_sigmoid: from e = e^-|x|, 1/(1 + e) for x >= 0, e/(1 + e) below. */
static inline __m256 sigmoid8(__m256 x) {
    __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), abs8(x)));
    __m256 s = _mm256_div_ps(splat8(1.0f), _mm256_add_ps(splat8(1.0f), e));
    return _mm256_blendv_ps(s, _mm256_mul_ps(e, s), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
}

static inline __m256 silu8(__m256 x) { return _mm256_mul_ps(x, sigmoid8(x)); }

/* As cort_vm_tanh: an odd polynomial below 0.625, 1 - 2/(e^2|x| + 1) above with |x| capped at 10. */
static inline __m256 tanh8(__m256 x) {
    __m256 a = abs8(x), z = _mm256_mul_ps(x, x), sign = _mm256_and_ps(x, splat8(-0.0f));
    __m256 p = splat8(-5.70498872745e-3f);
    p = _mm256_fmadd_ps(p, z, splat8(2.06390887954e-2f));
    p = _mm256_fmadd_ps(p, z, splat8(-5.37397155531e-2f));
    p = _mm256_fmadd_ps(p, z, splat8(1.33314422036e-1f));
    p = _mm256_fmadd_ps(p, z, splat8(-3.33332819422e-1f));
    __m256 small = _mm256_or_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x), sign); /* tanh(-0) = -0 */
    __m256 ac = _mm256_min_ps(splat8(10.0f), a);
    __m256 e = exp8(_mm256_add_ps(ac, ac));
    __m256 big = _mm256_sub_ps(splat8(1.0f), _mm256_div_ps(splat8(2.0f), _mm256_add_ps(e, splat8(1.0f))));
    big = _mm256_or_ps(big, sign);
    /* NaN: `small` is NaN too, so it is taken for unordered lanes as well */
    __m256 use_small = _mm256_cmp_ps(a, splat8(0.625f), _CMP_NGE_UQ);
    return _mm256_blendv_ps(big, small, use_small);
}

/* The array loop of one core: full vectors, then the tail through a vector-sized buffer. */
#define ARRAY_LOOP8(name, core)                                                             \
    void name(const float *x, float *y, int64_t n);                                         \
    void name(const float *x, float *y, int64_t n) {                                        \
        int64_t i = 0;                                                                      \
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, core(_mm256_loadu_ps(x + i)));     \
        if (i < n) {                                                                        \
            float buf[8] = {0};                                                             \
            memcpy(buf, x + i, (size_t)(n - i) * sizeof(float));                            \
            _mm256_storeu_ps(buf, core(_mm256_loadu_ps(buf)));                              \
            memcpy(y + i, buf, (size_t)(n - i) * sizeof(float));                            \
        }                                                                                   \
    }
ARRAY_LOOP8(cort_vexp_avx2, exp8)
ARRAY_LOOP8(cort_vsigmoid_avx2, sigmoid8)
ARRAY_LOOP8(cort_vsilu_avx2, silu8)
ARRAY_LOOP8(cort_vtanh_avx2, tanh8)

static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Four rows at a time share each load of x; the tail of odd lengths is summed in scalars. */
void cort_sgemv_rows_avx2(int64_t rows, int64_t k, const float *w, int64_t ldw, const float *x, float *y);
void cort_sgemv_rows_avx2(int64_t rows, int64_t k, const float *w, int64_t ldw, const float *x, float *y) {
    int64_t r = 0, k8 = k & ~(int64_t)7;
    for (; r + 4 <= rows; r += 4) {
        const float *w0 = w + r * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int64_t p = 0; p < k8; p += 8) {
            __m256 xv = _mm256_loadu_ps(x + p);
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + p), xv, a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + p), xv, a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + p), xv, a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + p), xv, a3);
        }
        cort_sgemv_finish4(w0, ldw, x, k8, k, hsum256(a0), hsum256(a1), hsum256(a2), hsum256(a3), y + r);
    }
    for (; r < rows; r++) {
        const float *wr = w + r * ldw;
        __m256 acc = _mm256_setzero_ps();
        for (int64_t p = 0; p < k8; p += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(wr + p), _mm256_loadu_ps(x + p), acc);
        float s = hsum256(acc);
        for (int64_t p = k8; p < k; p++) s += wr[p] * x[p];
        y[r] = s;
    }
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
