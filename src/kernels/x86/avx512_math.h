/* AVX-512 element cores shared by the x86 kernel files: e^x with the reduction and polynomial of
 * cort_vm_exp (src/kernels/vecmath.h), e^-x, erf with cort_vm_erf's coefficients, the fast sigmoid,
 * and the array loop with a masked tail. Each carries its own target attribute (AVX-512F only), so a
 * file includes this before any target pragma and inlines the cores into functions built for
 * AVX-512F or more. */
#ifndef CORT_KERNELS_X86_AVX512_MATH_H
#define CORT_KERNELS_X86_AVX512_MATH_H
#include <immintrin.h>
#include <stdint.h>

#define CORT_AVX512_INLINE static inline __attribute__((target("avx512f"), always_inline))

CORT_AVX512_INLINE __m512 cort_splat16(float v) { return _mm512_set1_ps(v); }

CORT_AVX512_INLINE __mmask16 cort_tail_mask16(int64_t left) {
    return left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
}

/* 2^n e^r for |r| <= ln2 / 2: the polynomial of cort_vm_exp, 2^n applied by vscalefps, which rounds
 * once and saturates to 0 and infinity. */
CORT_AVX512_INLINE __m512 cort_exp_reduced16(__m512 r, __m512 n) {
    __m512 p = cort_splat16(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, cort_splat16(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, cort_splat16(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, cort_splat16(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, cort_splat16(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, cort_splat16(5.0000001201e-1f));
    __m512 y = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), cort_splat16(1.0f));
    return _mm512_scalef_ps(y, n);
}

/* e^x; NaN passes through every step (min/max return their second operand when one is NaN). */
CORT_AVX512_INLINE __m512 cort_exp16(__m512 x) {
    __m512 xc = _mm512_min_ps(cort_splat16(89.0f), _mm512_max_ps(cort_splat16(-104.0f), x));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(xc, cort_splat16(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fmadd_ps(n, cort_splat16(-0.693359375f), xc);
    r = _mm512_fmadd_ps(n, cort_splat16(2.12194440e-4f), r);
    return cort_exp_reduced16(r, n);
}

/* e^-x for x >= -88 (NaN passes; above 104, where e^-x is far below half an ulp of 1, x counts as
 * 104): cort_exp16's reduction with the negation folded into it. */
CORT_AVX512_INLINE __m512 cort_exp_neg16(__m512 x) {
    __m512 xc = _mm512_min_ps(cort_splat16(104.0f), x);
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(xc, cort_splat16(-1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmsub_ps(n, cort_splat16(0.693359375f), xc);
    r = _mm512_fmadd_ps(n, cort_splat16(2.12194440e-4f), r);
    return cort_exp_reduced16(r, n);
}

/* erf: x P(x^2) below 0.921875, 1 - e^Q(|x|) (with x's sign) above. The sign moves by integer
 * operations, which AVX-512F has for whole registers. */
CORT_AVX512_INLINE __m512 cort_erf16(__m512 x) {
    __m512 a = _mm512_abs_ps(x), s = _mm512_mul_ps(x, x);
    __m512 p = cort_splat16(8.192684618e-05f);
    p = _mm512_fmadd_ps(p, s, cort_splat16(-8.095661178e-04f));
    p = _mm512_fmadd_ps(p, s, cort_splat16(5.196281243e-03f));
    p = _mm512_fmadd_ps(p, s, cort_splat16(-2.685713023e-02f));
    p = _mm512_fmadd_ps(p, s, cort_splat16(1.128364429e-01f));
    p = _mm512_fmadd_ps(p, s, cort_splat16(-3.761262894e-01f));
    p = _mm512_fmadd_ps(p, s, cort_splat16(1.128379107e+00f));
    __m512 small = _mm512_mul_ps(x, p);
    __m512 t = _mm512_min_ps(a, cort_splat16(4.0f));
    __m512 q = cort_splat16(-6.977654721e-08f);
    q = _mm512_fmadd_ps(q, t, cort_splat16(3.169704996e-06f));
    q = _mm512_fmadd_ps(q, t, cort_splat16(-6.064094123e-05f));
    q = _mm512_fmadd_ps(q, t, cort_splat16(6.755503709e-04f));
    q = _mm512_fmadd_ps(q, t, cort_splat16(-5.024964921e-03f));
    q = _mm512_fmadd_ps(q, t, cort_splat16(2.699874155e-02f));
    q = _mm512_fmadd_ps(q, t, cort_splat16(-1.108905226e-01f));
    q = _mm512_fmadd_ps(q, t, cort_splat16(-6.311203837e-01f));
    q = _mm512_fmadd_ps(q, t, cort_splat16(-1.130578995e+00f));
    q = _mm512_fmadd_ps(q, t, cort_splat16(3.925603814e-04f));
    __m512i sign = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(INT32_MIN));
    __m512 big = _mm512_sub_ps(cort_splat16(1.0f), cort_exp16(q));
    big = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(big), sign)); /* erf is odd */
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, cort_splat16(0.921875f), _CMP_LT_OQ), big, small);
}

/* 1/(1 + e^-x) with x clamped to [-88, 88]: e^-x as 2^n e^-r (n = round(-x / ln2), r = x + n ln2 by
 * one fused multiply-add), e^-r by a degree-4 polynomial fitted for least maximum relative error,
 * the reciprocal as rcp14 and one Newton step: 2.8e-6 relative error at most, far inside the 1e-4
 * the outputs are held to. NaN stays NaN. */
CORT_AVX512_INLINE __m512 cort_sigmoid16_fast(__m512 x) {
    x = _mm512_min_ps(cort_splat16(88.0f), _mm512_max_ps(cort_splat16(-88.0f), x));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, cort_splat16(-1.44269504f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fmadd_ps(n, cort_splat16(0.693147182f), x);
    __m512 p = cort_splat16(0.0414584652f);
    p = _mm512_fmadd_ps(p, r, cort_splat16(-0.167908922f));
    p = _mm512_fmadd_ps(p, r, cort_splat16(0.500043571f));
    p = _mm512_fmadd_ps(p, r, cort_splat16(-0.999963403f));
    p = _mm512_fmadd_ps(p, r, cort_splat16(0.999999285f));
    __m512 d = _mm512_add_ps(cort_splat16(1.0f), _mm512_scalef_ps(p, n));
    __m512 y = _mm512_rcp14_ps(d);
    return _mm512_mul_ps(y, _mm512_fnmadd_ps(d, y, cort_splat16(2.0f)));
}

/* void name(const float *x, float *y, int64_t n): y = core(x) element by element, full vectors, then
 * a masked tail. */
#define CORT_AVX512_ARRAY_LOOP(name, core)                                                  \
    void name(const float *x, float *y, int64_t n);                                         \
    void name(const float *x, float *y, int64_t n) {                                        \
        int64_t i = 0;                                                                      \
        for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, core(_mm512_loadu_ps(x + i))); \
        if (i < n) {                                                                        \
            __mmask16 m = cort_tail_mask16(n - i);                                          \
            _mm512_mask_storeu_ps(y + i, m, core(_mm512_maskz_loadu_ps(m, x + i)));        \
        }                                                                                   \
    }
#endif
