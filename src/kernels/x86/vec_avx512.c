/* The avx512 variant of the vector math: the shared element cores compiled for this ISA with fused
 * multiply-adds, and a hand-written matrix-vector product. Chosen at run time by vecmath.c. */
#include <immintrin.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx2,fma")
#endif

#define CORT_VM_MAD(a, b, c) fmaf(a, b, c)
#include "kernels/vecmath.h"

/* erf keeps the shared core; exp, sigmoid, SiLU and tanh are written out below with the instructions
 * the scalar formulas cannot name: vscalefps applies 2^n with one rounding (subnormal results and
 * overflow included), vrcp14ps with a Newton step replaces the division. */
CORT_VM_ARRAY_LOOP(erf, avx512)

static inline __m512 splat(float v) { return _mm512_set1_ps(v); }

/* e^x with the reduction and polynomial of cort_vm_exp. NaN passes through every step (min/max
 * return their second operand when one is NaN). */
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

/* 1/d for d in [1, 2]: the 14-bit estimate and one Newton step (relative error about 2^-28). */
static inline __m512 recip12(__m512 d) {
    __m512 r = _mm512_rcp14_ps(d);
    return _mm512_fmadd_ps(_mm512_fnmadd_ps(d, r, splat(1.0f)), r, r);
}

/* As cort_vm_sigmoid: from e = e^-|x|, 1/(1 + e) for x >= 0, e/(1 + e) below. */
static inline __m512 sigmoid16(__m512 x) {
    __m512 a = _mm512_abs_ps(x);
    __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), a));
    __m512 s = recip12(_mm512_add_ps(splat(1.0f), e));
    __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    return _mm512_mask_mul_ps(s, neg, e, s);
}

/* e^-x for x >= -88 (NaN passes; above 104, where e^-x is far below half an ulp of 1, x counts as
 * 104): exp16's reduction and polynomial with the negation folded into them. */
static inline __m512 exp_neg16(__m512 x) {
    __m512 xc = _mm512_min_ps(splat(104.0f), x);
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(xc, splat(-1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmsub_ps(n, splat(0.693359375f), xc);
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

/* The common case of the sigmoid, x >= -80: e^-x is a finite float, so 1/(1 + e^-x) loses nothing
 * and needs no select between signs (a fifth fewer instructions than sigmoid16). Below -80 the
 * result nears the subnormals, where only e/(1 + e) keeps its bits: vectors holding such a value
 * (or -inf) take sigmoid16. */
static inline __m512 sigmoid16_common(__m512 x) { return recip12(_mm512_add_ps(splat(1.0f), exp_neg16(x))); }

static inline bool has_far_negative(__m512 x) { return _mm512_cmp_ps_mask(x, splat(-80.0f), _CMP_LT_OQ) != 0; }
static inline __m512 sigmoid16_any(__m512 x) { return has_far_negative(x) ? sigmoid16(x) : sigmoid16_common(x); }
static inline __m512 silu16_any(__m512 x) { return _mm512_mul_ps(x, sigmoid16_any(x)); }

/* As cort_vm_tanh: an odd polynomial below 0.625, 1 - 2/(e^2|x| + 1) above with |x| capped at 10
 * (where tanh is 1 in float) so that the reciprocal's argument stays finite. */
static inline __m512 tanh16(__m512 x) {
    __m512 a = _mm512_abs_ps(x), z = _mm512_mul_ps(x, x);
    __m512 p = splat(-5.70498872745e-3f);
    p = _mm512_fmadd_ps(p, z, splat(2.06390887954e-2f));
    p = _mm512_fmadd_ps(p, z, splat(-5.37397155531e-2f));
    p = _mm512_fmadd_ps(p, z, splat(1.33314422036e-1f));
    p = _mm512_fmadd_ps(p, z, splat(-3.33332819422e-1f));
    __m512 sign = _mm512_and_ps(x, splat(-0.0f));
    __m512 small = _mm512_or_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, z), x, x), sign); /* keeps tanh(-0) = -0 */
    __m512 e = exp16(_mm512_add_ps(_mm512_min_ps(splat(10.0f), a), _mm512_min_ps(splat(10.0f), a)));
    __m512 d = _mm512_add_ps(e, splat(1.0f));
    /* d is up to e^20: the Newton step works at any scale, the estimate keeps 14 bits */
    __m512 r = _mm512_rcp14_ps(d);
    r = _mm512_fmadd_ps(_mm512_fnmadd_ps(d, r, splat(1.0f)), r, r);
    __m512 big = _mm512_fnmadd_ps(splat(2.0f), r, splat(1.0f));
    big = _mm512_or_ps(big, sign); /* big >= 0 */
    __mmask16 is_small = _mm512_cmp_ps_mask(a, splat(0.625f), _CMP_LT_OQ);
    /* NaN: `small` is NaN, and a NaN is not below 0.625, so take it from there too */
    is_small |= _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
    return _mm512_mask_blend_ps(is_small, big, small);
}

/* cort_vsigmoid_fast's core: 1/(1 + e^-x) with x clamped to [-88, 88], e^-x as 2^n e^-r (n = round(-x /
 * ln2), r = x + n ln2 by one fused multiply-add), e^-r by a degree-4 polynomial fitted for least
 * maximum relative error, the reciprocal as rcp14 and one Newton step: 2.8e-6 relative error at most.
 * NaN stays NaN (min/max pass their second operand). */
static inline __m512 sigmoid16_fast(__m512 x) {
    x = _mm512_min_ps(splat(88.0f), _mm512_max_ps(splat(-88.0f), x));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, splat(-1.44269504f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fmadd_ps(n, splat(0.693147182f), x);
    __m512 p = splat(0.0414584652f);
    p = _mm512_fmadd_ps(p, r, splat(-0.167908922f));
    p = _mm512_fmadd_ps(p, r, splat(0.500043571f));
    p = _mm512_fmadd_ps(p, r, splat(-0.999963403f));
    p = _mm512_fmadd_ps(p, r, splat(0.999999285f));
    __m512 d = _mm512_add_ps(splat(1.0f), _mm512_scalef_ps(p, n));
    __m512 y = _mm512_rcp14_ps(d);
    return _mm512_mul_ps(y, _mm512_fnmadd_ps(d, y, splat(2.0f)));
}

static inline __m512 silu16_fast(__m512 x) { return _mm512_mul_ps(x, sigmoid16_fast(x)); }

/* The array loop of one core: full vectors, then a masked tail. */
#define ARRAY_LOOP16(name, core)                                                         \
    void name(const float *x, float *y, int64_t n);                                      \
    void name(const float *x, float *y, int64_t n) {                                     \
        int64_t i = 0;                                                                   \
        for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, core(_mm512_loadu_ps(x + i))); \
        if (i < n) {                                                                     \
            __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);                             \
            _mm512_mask_storeu_ps(y + i, m, core(_mm512_maskz_loadu_ps(m, x + i)));     \
        }                                                                                \
    }
ARRAY_LOOP16(cort_vexp_avx512, exp16)
ARRAY_LOOP16(cort_vsigmoid_avx512, sigmoid16_any)
ARRAY_LOOP16(cort_vsilu_avx512, silu16_any)
ARRAY_LOOP16(cort_vtanh_avx512, tanh16)
ARRAY_LOOP16(cort_vsigmoid_fast_avx512, sigmoid16_fast)
ARRAY_LOOP16(cort_vsilu_fast_avx512, silu16_fast)

/* Four rows at a time share each load of x; a masked load takes the tail of odd lengths. */
void cort_sgemv_rows_avx512(int64_t rows, int64_t k, const float *w, int64_t ldw, const float *x, float *y);
void cort_sgemv_rows_avx512(int64_t rows, int64_t k, const float *w, int64_t ldw, const float *x, float *y) {
    int64_t r = 0, k16 = k & ~(int64_t)15;
    __mmask16 tail = (__mmask16)((1u << (k - k16)) - 1u);
    for (; r + 4 <= rows; r += 4) {
        const float *w0 = w + r * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int64_t p = 0; p < k16; p += 16) {
            __m512 xv = _mm512_loadu_ps(x + p);
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + p), xv, a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w1 + p), xv, a1);
            a2 = _mm512_fmadd_ps(_mm512_loadu_ps(w2 + p), xv, a2);
            a3 = _mm512_fmadd_ps(_mm512_loadu_ps(w3 + p), xv, a3);
        }
        if (tail) {
            __m512 xv = _mm512_maskz_loadu_ps(tail, x + k16);
            a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w0 + k16), xv, a0);
            a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w1 + k16), xv, a1);
            a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w2 + k16), xv, a2);
            a3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w3 + k16), xv, a3);
        }
        y[r] = _mm512_reduce_add_ps(a0);
        y[r + 1] = _mm512_reduce_add_ps(a1);
        y[r + 2] = _mm512_reduce_add_ps(a2);
        y[r + 3] = _mm512_reduce_add_ps(a3);
    }
    for (; r < rows; r++) {
        const float *wr = w + r * ldw;
        __m512 acc = _mm512_setzero_ps();
        for (int64_t p = 0; p < k16; p += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(wr + p), _mm512_loadu_ps(x + p), acc);
        if (tail)
            acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, wr + k16), _mm512_maskz_loadu_ps(tail, x + k16), acc);
        y[r] = _mm512_reduce_add_ps(acc);
    }
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
