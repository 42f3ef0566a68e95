/* The avx512 variant of the vector math: the shared element cores compiled for this ISA with fused
 * multiply-adds, and a hand-written matrix-vector product. Chosen at run time by vecmath.c. */
#include <immintrin.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernels/x86/avx512_math.h"

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

/* 1/d for d in [1, 2]: the 14-bit estimate and one Newton step (relative error about 2^-28). */
static inline __m512 recip12(__m512 d) {
    __m512 r = _mm512_rcp14_ps(d);
    return _mm512_fmadd_ps(_mm512_fnmadd_ps(d, r, cort_splat16(1.0f)), r, r);
}

/* As cort_vm_sigmoid: from e = e^-|x|, 1/(1 + e) for x >= 0, e/(1 + e) below. */
static inline __m512 sigmoid16(__m512 x) {
    __m512 a = _mm512_abs_ps(x);
    __m512 e = cort_exp16(_mm512_sub_ps(_mm512_setzero_ps(), a));
    __m512 s = recip12(_mm512_add_ps(cort_splat16(1.0f), e));
    __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    return _mm512_mask_mul_ps(s, neg, e, s);
}

/* The common case of the sigmoid, x >= -80: e^-x is a finite float, so 1/(1 + e^-x) loses nothing
 * and needs no select between signs (a fifth fewer instructions than sigmoid16). Below -80 the
 * result nears the subnormals, where only e/(1 + e) keeps its bits: vectors holding such a value
 * (or -inf) take sigmoid16. */
static inline __m512 sigmoid16_common(__m512 x) { return recip12(_mm512_add_ps(cort_splat16(1.0f), cort_exp_neg16(x))); }

static inline bool has_far_negative(__m512 x) { return _mm512_cmp_ps_mask(x, cort_splat16(-80.0f), _CMP_LT_OQ) != 0; }
static inline __m512 sigmoid16_any(__m512 x) { return has_far_negative(x) ? sigmoid16(x) : sigmoid16_common(x); }
static inline __m512 silu16_any(__m512 x) { return _mm512_mul_ps(x, sigmoid16_any(x)); }

/* As cort_vm_tanh: an odd polynomial below 0.625, 1 - 2/(e^2|x| + 1) above with |x| capped at 10
 * (where tanh is 1 in float) so that the reciprocal's argument stays finite. */
static inline __m512 tanh16(__m512 x) {
    __m512 a = _mm512_abs_ps(x), z = _mm512_mul_ps(x, x);
    __m512 p = cort_splat16(-5.70498872745e-3f);
    p = _mm512_fmadd_ps(p, z, cort_splat16(2.06390887954e-2f));
    p = _mm512_fmadd_ps(p, z, cort_splat16(-5.37397155531e-2f));
    p = _mm512_fmadd_ps(p, z, cort_splat16(1.33314422036e-1f));
    p = _mm512_fmadd_ps(p, z, cort_splat16(-3.33332819422e-1f));
    __m512 sign = _mm512_and_ps(x, cort_splat16(-0.0f));
    __m512 small = _mm512_or_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, z), x, x), sign); /* keeps tanh(-0) = -0 */
    __m512 e = cort_exp16(_mm512_add_ps(_mm512_min_ps(cort_splat16(10.0f), a), _mm512_min_ps(cort_splat16(10.0f), a)));
    __m512 d = _mm512_add_ps(e, cort_splat16(1.0f));
    /* d is up to e^20: the Newton step works at any scale, the estimate keeps 14 bits */
    __m512 r = _mm512_rcp14_ps(d);
    r = _mm512_fmadd_ps(_mm512_fnmadd_ps(d, r, cort_splat16(1.0f)), r, r);
    __m512 big = _mm512_fnmadd_ps(cort_splat16(2.0f), r, cort_splat16(1.0f));
    big = _mm512_or_ps(big, sign); /* big >= 0 */
    __mmask16 is_small = _mm512_cmp_ps_mask(a, cort_splat16(0.625f), _CMP_LT_OQ);
    /* NaN: `small` is NaN, and a NaN is not below 0.625, so take it from there too */
    is_small |= _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
    return _mm512_mask_blend_ps(is_small, big, small);
}

static inline __m512 silu16_fast(__m512 x) { return _mm512_mul_ps(x, cort_sigmoid16_fast(x)); }

CORT_AVX512_ARRAY_LOOP(cort_vexp_avx512, cort_exp16)
CORT_AVX512_ARRAY_LOOP(cort_vsigmoid_avx512, sigmoid16_any)
CORT_AVX512_ARRAY_LOOP(cort_vsilu_avx512, silu16_any)
CORT_AVX512_ARRAY_LOOP(cort_vtanh_avx512, tanh16)
CORT_AVX512_ARRAY_LOOP(cort_vsigmoid_fast_avx512, cort_sigmoid16_fast)
CORT_AVX512_ARRAY_LOOP(cort_vsilu_fast_avx512, silu16_fast)

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
