/* Vectorisable float math over arrays (exp, sigmoid, tanh, erf) and the matrix-vector product of
 * recurrent steps. Each entry picks, per call, the widest variant the CPU runs (AVX-512, AVX2+FMA on
 * x86-64; plain C elsewhere). Results agree with libm to about 2 ulp over the whole float range,
 * infinities, NaN and subnormal results included. x may equal y (in-place use). */
#ifndef CORT_KERNELS_VECMATH_H
#define CORT_KERNELS_VECMATH_H
#include <math.h>
#include <stdint.h>
#include <string.h>

void cort_vexp(const float *x, float *y, int64_t n);
void cort_vsigmoid(const float *x, float *y, int64_t n);
void cort_vtanh(const float *x, float *y, int64_t n);
void cort_verf(const float *x, float *y, int64_t n);
/* y[i] = x[i] * sigmoid(x[i]) (SiLU / Swish) */
void cort_vsilu(const float *x, float *y, int64_t n);
/* Sigmoid and SiLU to a relative error below 3e-6 (some 25 ulp) instead of 2 ulp, a third faster where
 * a variant has its own (AVX-512; elsewhere they are the entries above): for activations between
 * layers (the Conv and Gemm epilogues), whose inputs carry more rounding than that. The sigmoid of
 * inputs below -88 is taken at -88 (results within |x| 1e-38 of the exact ones); NaN stays NaN. */
void cort_vsigmoid_fast(const float *x, float *y, int64_t n);
void cort_vsilu_fast(const float *x, float *y, int64_t n);
/* y[r] = sum_p w[r * ldw + p] * x[p] for r < rows: the product of a row-major matrix and a vector. */
void cort_sgemv_rows(int64_t rows, int64_t k, const float *w, int64_t ldw, const float *x, float *y);

/* One variant of every array entry, for the dispatcher and for tests that compare variants. */
typedef struct cort_vecmath_impl {
    const char *name;
    void (*exp)(const float *x, float *y, int64_t n);
    void (*sigmoid)(const float *x, float *y, int64_t n);
    void (*tanh)(const float *x, float *y, int64_t n);
    void (*erf)(const float *x, float *y, int64_t n);
    void (*silu)(const float *x, float *y, int64_t n);
    void (*sgemv_rows)(int64_t rows, int64_t k, const float *w, int64_t ldw, const float *x, float *y);
} cort_vecmath_impl;
/* The variants this CPU runs, widest first, ending with the generic one; returns their count. */
int cort_vecmath_impls(const cort_vecmath_impl **out, int max);

/* ------------------------------------------------------------------ element cores
 * Branch-free scalar formulas that compilers vectorise when they sit in a loop. CORT_VM_MAD(a, b, c)
 * is a * b + c: a fused multiply-add where the including file has one, else two operations. */
#ifndef CORT_VM_MAD
#define CORT_VM_MAD(a, b, c) ((a) * (b) + (c))
#endif

static inline float cort_vm_from_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
static inline uint32_t cort_vm_to_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* e^x: x = n ln2 + r with |r| <= ln2/2, a degree-7 polynomial for e^r, then 2^n applied as two
 * factors so results that are subnormal are rounded once and n never leaves the exponent range. */
static inline float cort_vm_exp(float x) {
    /* NaN compares false and maps to a finite value (fixed at the end), so the int cast stays defined */
    float xc = x > -104.0f ? x : -104.0f;
    xc = xc < 89.0f ? xc : 89.0f;
    const float magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    float n = (xc * 1.44269504088896341f + magic) - magic;
    float r = CORT_VM_MAD(n, -0.693359375f, xc);
    r = CORT_VM_MAD(n, 2.12194440e-4f, r);
    float p = 1.9875691500e-4f;
    p = CORT_VM_MAD(p, r, 1.3981999507e-3f);
    p = CORT_VM_MAD(p, r, 8.3334519073e-3f);
    p = CORT_VM_MAD(p, r, 4.1665795894e-2f);
    p = CORT_VM_MAD(p, r, 1.6666665459e-1f);
    p = CORT_VM_MAD(p, r, 5.0000001201e-1f);
    float y = CORT_VM_MAD(p, r * r, r) + 1.0f;
    int32_t ni = (int32_t)n, n1 = ni / 2, n2 = ni - n1;
    y = y * cort_vm_from_bits((uint32_t)(n1 + 127) << 23);
    y = y * cort_vm_from_bits((uint32_t)(n2 + 127) << 23);
    return x != x ? x : y;
}

/* 1/(1 + e^-x) from e = e^-|x| <= 1, which never overflows: for negative x, e/(1 + e) keeps the
 * subnormal results that 1/(1 + e^-x) would lose once e^-x is infinite. */
static inline float cort_vm_sigmoid(float x) {
    float e = cort_vm_exp(-cort_vm_from_bits(cort_vm_to_bits(x) & 0x7fffffffu));
    float s = 1.0f / (1.0f + e);
    return x >= 0.0f ? s : e * s;
}

/* tanh: an odd polynomial near 0, where 1 - 2/(e^2|x| + 1) would cancel; that form elsewhere. */
static inline float cort_vm_tanh(float x) {
    uint32_t sign = cort_vm_to_bits(x) & 0x80000000u;
    float a = cort_vm_from_bits(cort_vm_to_bits(x) & 0x7fffffffu), z = x * x;
    float p = -5.70498872745e-3f;
    p = CORT_VM_MAD(p, z, 2.06390887954e-2f);
    p = CORT_VM_MAD(p, z, -5.37397155531e-2f);
    p = CORT_VM_MAD(p, z, 1.33314422036e-1f);
    p = CORT_VM_MAD(p, z, -3.33332819422e-1f);
    float small = CORT_VM_MAD(p * z, x, x);
    small = cort_vm_from_bits(cort_vm_to_bits(small) | sign); /* keeps tanh(-0) = -0 */
    float big = 1.0f - 2.0f / (cort_vm_exp(2.0f * a) + 1.0f);
    big = cort_vm_from_bits(cort_vm_to_bits(big) | sign);
    return a < 0.625f ? small : big;
}

static inline float cort_vm_silu(float x) { return x * cort_vm_sigmoid(x); }

/* erf: x P(x^2) below 0.921875; above, 1 - e^Q(|x|) with Q fitted to log(erfc) up to 4, past which
 * erf rounds to 1 in float. Both halves were fitted for this file (weighted least squares). */
static inline float cort_vm_erf(float x) {
    uint32_t sign = cort_vm_to_bits(x) & 0x80000000u;
    float a = cort_vm_from_bits(cort_vm_to_bits(x) & 0x7fffffffu), s = x * x;
    float p = 8.192684618e-05f;
    p = CORT_VM_MAD(p, s, -8.095661178e-04f);
    p = CORT_VM_MAD(p, s, 5.196281243e-03f);
    p = CORT_VM_MAD(p, s, -2.685713023e-02f);
    p = CORT_VM_MAD(p, s, 1.128364429e-01f);
    p = CORT_VM_MAD(p, s, -3.761262894e-01f);
    p = CORT_VM_MAD(p, s, 1.128379107e+00f);
    float small = x * p;
    float t = a < 4.0f ? a : 4.0f; /* NaN becomes 4 here and is restored below */
    float q = -6.977654721e-08f;
    q = CORT_VM_MAD(q, t, 3.169704996e-06f);
    q = CORT_VM_MAD(q, t, -6.064094123e-05f);
    q = CORT_VM_MAD(q, t, 6.755503709e-04f);
    q = CORT_VM_MAD(q, t, -5.024964921e-03f);
    q = CORT_VM_MAD(q, t, 2.699874155e-02f);
    q = CORT_VM_MAD(q, t, -1.108905226e-01f);
    q = CORT_VM_MAD(q, t, -6.311203837e-01f);
    q = CORT_VM_MAD(q, t, -1.130578995e+00f);
    q = CORT_VM_MAD(q, t, 3.925603814e-04f);
    float big = 1.0f - cort_vm_exp(q);
    big = cort_vm_from_bits(cort_vm_to_bits(big) | sign);
    float y = a < 0.921875f ? small : big;
    return x != x ? x : y;
}

/* Defines the array loops of one variant, named cort_v<op>_<suffix>; each ISA file expands it
 * under its own target options so the same cores compile to that ISA's vectors. */
#define CORT_VM_ARRAY_LOOP(op, suffix)                                      \
    void cort_v##op##_##suffix(const float *x, float *y, int64_t n);        \
    void cort_v##op##_##suffix(const float *x, float *y, int64_t n) {       \
        for (int64_t i = 0; i < n; i++) y[i] = cort_vm_##op(x[i]);          \
    }
#define CORT_VECMATH_DEFINE(suffix)  \
    CORT_VM_ARRAY_LOOP(exp, suffix)     \
    CORT_VM_ARRAY_LOOP(sigmoid, suffix) \
    CORT_VM_ARRAY_LOOP(tanh, suffix)    \
    CORT_VM_ARRAY_LOOP(erf, suffix)     \
    CORT_VM_ARRAY_LOOP(silu, suffix)

/* ------------------------------------------------------------------ sgemv
 * The scalar end the SIMD sgemv kernels share: four rows w0, w0 + ldw, ... whose vector partial sums
 * are s0..s3 add w[p] * x[p] for p in [from, k), and land in y[0..3]. */
static inline void cort_sgemv_finish4(const float *w0, int64_t ldw, const float *x, int64_t from, int64_t k, float s0,
                                      float s1, float s2, float s3, float *y) {
    const float *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
    for (int64_t p = from; p < k; p++) {
        s0 += w0[p] * x[p];
        s1 += w1[p] * x[p];
        s2 += w2[p] * x[p];
        s3 += w3[p] * x[p];
    }
    y[0] = s0;
    y[1] = s1;
    y[2] = s2;
    y[3] = s3;
}

#endif
