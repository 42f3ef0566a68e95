/* The NEON variant of the vector math: vecmath.h's element cores written with NEON intrinsics, four
 * floats at a time, with the same range reductions, polynomials and special-value handling (so the
 * accuracy is theirs), and fused multiply-adds where the cores say CORT_VM_MAD. Array tails go
 * through a zero-padded vector. Also the matrix-vector product of recurrent steps. */
#include <arm_neon.h>
#include <string.h>

#include "kernels/arm/neon.h"
#include "kernels/vecmath.h"

static inline float32x4_t splat(float v) { return vdupq_n_f32(v); }

/* a * b + c, fused */
static inline float32x4_t mad(float32x4_t a, float32x4_t b, float c) { return vfmaq_f32(splat(c), a, b); }

static inline float32x4_t with_sign(float32x4_t v, uint32x4_t sign) {
    return vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(v), sign));
}

static inline uint32x4_t sign_of(float32x4_t x) {
    return vandq_u32(vreinterpretq_u32_f32(x), vdupq_n_u32(0x80000000u));
}

/* 2^n as a float, n in [-126, 127] */
static inline float32x4_t pow2i(int32x4_t n) {
    return vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n, vdupq_n_s32(127)), 23));
}

/* cort_vm_exp */
static inline float32x4_t exp4(float32x4_t x) {
    /* vmaxnm/vminnm return the number when the other operand is NaN, as the scalar core's compares do */
    float32x4_t xc = vminnmq_f32(vmaxnmq_f32(x, splat(-104.0f)), splat(89.0f));
    float32x4_t n = vrndnq_f32(vmulq_f32(xc, splat(1.44269504088896341f)));
    float32x4_t r = vfmaq_f32(xc, n, splat(-0.693359375f));
    r = vfmaq_f32(r, n, splat(2.12194440e-4f));
    float32x4_t p = splat(1.9875691500e-4f);
    p = mad(p, r, 1.3981999507e-3f);
    p = mad(p, r, 8.3334519073e-3f);
    p = mad(p, r, 4.1665795894e-2f);
    p = mad(p, r, 1.6666665459e-1f);
    p = mad(p, r, 5.0000001201e-1f);
    float32x4_t y = vaddq_f32(vfmaq_f32(r, p, vmulq_f32(r, r)), splat(1.0f));
    /* n split in two halves rounded toward zero, as the scalar core's n / 2 */
    int32x4_t ni = vcvtq_s32_f32(n);
    int32x4_t n1 = vshrq_n_s32(vaddq_s32(ni, vreinterpretq_s32_u32(vshrq_n_u32(vreinterpretq_u32_s32(ni), 31))), 1);
    int32x4_t n2 = vsubq_s32(ni, n1);
    y = vmulq_f32(vmulq_f32(y, pow2i(n1)), pow2i(n2));
    return vbslq_f32(vceqq_f32(x, x), y, x);
}

/* cort_vm_sigmoid */
static inline float32x4_t sigmoid4(float32x4_t x) {
    float32x4_t e = exp4(vnegq_f32(vabsq_f32(x)));
    float32x4_t s = vdivq_f32(splat(1.0f), vaddq_f32(splat(1.0f), e));
    return vbslq_f32(vcgeq_f32(x, splat(0.0f)), s, vmulq_f32(e, s));
}

/* cort_vm_tanh */
static inline float32x4_t tanh4(float32x4_t x) {
    uint32x4_t sign = sign_of(x);
    float32x4_t a = vabsq_f32(x), z = vmulq_f32(x, x);
    float32x4_t p = splat(-5.70498872745e-3f);
    p = mad(p, z, 2.06390887954e-2f);
    p = mad(p, z, -5.37397155531e-2f);
    p = mad(p, z, 1.33314422036e-1f);
    p = mad(p, z, -3.33332819422e-1f);
    float32x4_t small = with_sign(vfmaq_f32(x, vmulq_f32(p, z), x), sign);
    float32x4_t e = exp4(vmulq_f32(splat(2.0f), a));
    float32x4_t big = vsubq_f32(splat(1.0f), vdivq_f32(splat(2.0f), vaddq_f32(e, splat(1.0f))));
    big = with_sign(big, sign);
    return vbslq_f32(vcltq_f32(a, splat(0.625f)), small, big);
}

/* cort_vm_erf */
static inline float32x4_t erf4(float32x4_t x) {
    uint32x4_t sign = sign_of(x);
    float32x4_t a = vabsq_f32(x), s = vmulq_f32(x, x);
    float32x4_t p = splat(8.192684618e-05f);
    p = mad(p, s, -8.095661178e-04f);
    p = mad(p, s, 5.196281243e-03f);
    p = mad(p, s, -2.685713023e-02f);
    p = mad(p, s, 1.128364429e-01f);
    p = mad(p, s, -3.761262894e-01f);
    p = mad(p, s, 1.128379107e+00f);
    float32x4_t small = vmulq_f32(x, p);
    float32x4_t t = vminnmq_f32(a, splat(4.0f)); /* NaN becomes 4 here and is restored below */
    float32x4_t q = splat(-6.977654721e-08f);
    q = mad(q, t, 3.169704996e-06f);
    q = mad(q, t, -6.064094123e-05f);
    q = mad(q, t, 6.755503709e-04f);
    q = mad(q, t, -5.024964921e-03f);
    q = mad(q, t, 2.699874155e-02f);
    q = mad(q, t, -1.108905226e-01f);
    q = mad(q, t, -6.311203837e-01f);
    q = mad(q, t, -1.130578995e+00f);
    q = mad(q, t, 3.925603814e-04f);
    float32x4_t big = with_sign(vsubq_f32(splat(1.0f), exp4(q)), sign);
    float32x4_t y = vbslq_f32(vcltq_f32(a, splat(0.921875f)), small, big);
    return vbslq_f32(vceqq_f32(x, x), y, x);
}

static inline float32x4_t silu4(float32x4_t x) { return vmulq_f32(x, sigmoid4(x)); }

/* The array loop of one function: whole vectors, then the tail through a zero-padded vector (x may
 * equal y). */
#define NEON_ARRAY_LOOP(op)                                              \
    void cort_v##op##_neon(const float *x, float *y, int64_t n) {        \
        int64_t i = 0;                                                   \
        for (; i + 4 <= n; i += 4) vst1q_f32(y + i, op##4(vld1q_f32(x + i))); \
        if (i < n) {                                                     \
            float buf[4] = {0, 0, 0, 0};                                 \
            size_t tail = sizeof(float) * (size_t)(n - i);               \
            memcpy(buf, x + i, tail);                                    \
            vst1q_f32(buf, op##4(vld1q_f32(buf)));                       \
            memcpy(y + i, buf, tail);                                    \
        }                                                                \
    }

NEON_ARRAY_LOOP(exp)
NEON_ARRAY_LOOP(sigmoid)
NEON_ARRAY_LOOP(tanh)
NEON_ARRAY_LOOP(erf)
NEON_ARRAY_LOOP(silu)

/* Four rows at a time share each load of x; the tail of odd lengths is summed in scalars. */
void cort_sgemv_rows_neon(int64_t rows, int64_t k, const float *w, int64_t ldw, const float *x, float *y) {
    int64_t r = 0, k4 = k & ~(int64_t)3;
    for (; r + 4 <= rows; r += 4) {
        const float *w0 = w + r * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
        float32x4_t a0 = splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
        for (int64_t p = 0; p < k4; p += 4) {
            float32x4_t xv = vld1q_f32(x + p);
            a0 = vfmaq_f32(a0, vld1q_f32(w0 + p), xv);
            a1 = vfmaq_f32(a1, vld1q_f32(w1 + p), xv);
            a2 = vfmaq_f32(a2, vld1q_f32(w2 + p), xv);
            a3 = vfmaq_f32(a3, vld1q_f32(w3 + p), xv);
        }
        cort_sgemv_finish4(w0, ldw, x, k4, k, vaddvq_f32(a0), vaddvq_f32(a1), vaddvq_f32(a2), vaddvq_f32(a3), y + r);
    }
    for (; r < rows; r++) {
        const float *wr = w + r * ldw;
        float32x4_t acc = splat(0.0f);
        for (int64_t p = 0; p < k4; p += 4) acc = vfmaq_f32(acc, vld1q_f32(wr + p), vld1q_f32(x + p));
        float s = vaddvq_f32(acc);
        for (int64_t p = k4; p < k; p++) s += wr[p] * x[p];
        y[r] = s;
    }
}
