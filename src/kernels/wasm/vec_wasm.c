/* The vector math (kernels/vecmath.h) in WebAssembly SIMD128: the element cores of vecmath.h written
 * four lanes at a time, with the same constants and the same order of operations (SIMD128 has no fused
 * multiply-add, nor does the generic build), so each lane rounds exactly as the scalar core does; and
 * a matrix-vector product. Ends of arrays shorter than four go through the scalar cores. */
#include <math.h>
#include <stdint.h>
#include <wasm_simd128.h>

#include "kernels/vecmath.h"
#include "kernels/wasm/wasm_kernels.h"

#define MAD(a, b, c) wasm_f32x4_add(wasm_f32x4_mul(a, b), c)
#define F(v) wasm_f32x4_splat(v)

static inline v128_t abs4(v128_t x) { return wasm_v128_and(x, wasm_i32x4_splat(0x7fffffff)); }
static inline v128_t sign4(v128_t x) { return wasm_v128_and(x, wasm_i32x4_splat((int32_t)0x80000000u)); }
/* x != x ? x : y, for results that must stay NaN when the input is */
static inline v128_t keep_nan(v128_t x, v128_t y) { return wasm_v128_bitselect(x, y, wasm_f32x4_ne(x, x)); }

/* cort_vm_exp */
static inline v128_t exp4(v128_t x) {
    /* x > -104 ? x : -104, then x < 89 ? x : 89; a NaN lane is restored at the end */
    v128_t xc = wasm_v128_bitselect(x, F(-104.0f), wasm_f32x4_gt(x, F(-104.0f)));
    xc = wasm_v128_bitselect(xc, F(89.0f), wasm_f32x4_lt(xc, F(89.0f)));
    const v128_t magic = F(12582912.0f);
    v128_t n = wasm_f32x4_sub(MAD(xc, F(1.44269504088896341f), magic), magic);
    v128_t r = MAD(n, F(-0.693359375f), xc);
    r = MAD(n, F(2.12194440e-4f), r);
    v128_t p = F(1.9875691500e-4f);
    p = MAD(p, r, F(1.3981999507e-3f));
    p = MAD(p, r, F(8.3334519073e-3f));
    p = MAD(p, r, F(4.1665795894e-2f));
    p = MAD(p, r, F(1.6666665459e-1f));
    p = MAD(p, r, F(5.0000001201e-1f));
    v128_t y = wasm_f32x4_add(MAD(p, wasm_f32x4_mul(r, r), r), F(1.0f));
    v128_t ni = wasm_i32x4_trunc_sat_f32x4(n);
    /* ni / 2 rounded toward zero, as C's division */
    v128_t n1 = wasm_i32x4_shr(wasm_i32x4_add(ni, wasm_u32x4_shr(ni, 31)), 1), n2 = wasm_i32x4_sub(ni, n1);
    y = wasm_f32x4_mul(y, wasm_i32x4_shl(wasm_i32x4_add(n1, wasm_i32x4_splat(127)), 23));
    y = wasm_f32x4_mul(y, wasm_i32x4_shl(wasm_i32x4_add(n2, wasm_i32x4_splat(127)), 23));
    return keep_nan(x, y);
}

/* cort_vm_sigmoid */
static inline v128_t sigmoid4(v128_t x) {
    v128_t e = exp4(wasm_f32x4_neg(abs4(x)));
    v128_t s = wasm_f32x4_div(F(1.0f), wasm_f32x4_add(F(1.0f), e));
    return wasm_v128_bitselect(s, wasm_f32x4_mul(e, s), wasm_f32x4_ge(x, F(0.0f)));
}

/* cort_vm_tanh */
static inline v128_t tanh4(v128_t x) {
    v128_t sign = sign4(x), a = abs4(x), z = wasm_f32x4_mul(x, x);
    v128_t p = F(-5.70498872745e-3f);
    p = MAD(p, z, F(2.06390887954e-2f));
    p = MAD(p, z, F(-5.37397155531e-2f));
    p = MAD(p, z, F(1.33314422036e-1f));
    p = MAD(p, z, F(-3.33332819422e-1f));
    v128_t small = wasm_v128_or(MAD(wasm_f32x4_mul(p, z), x, x), sign);
    v128_t e = exp4(wasm_f32x4_mul(F(2.0f), a));
    v128_t big = wasm_f32x4_sub(F(1.0f), wasm_f32x4_div(F(2.0f), wasm_f32x4_add(e, F(1.0f))));
    big = wasm_v128_or(big, sign);
    return wasm_v128_bitselect(small, big, wasm_f32x4_lt(a, F(0.625f)));
}

/* cort_vm_erf */
static inline v128_t erf4(v128_t x) {
    v128_t sign = sign4(x), a = abs4(x), s = wasm_f32x4_mul(x, x);
    v128_t p = F(8.192684618e-05f);
    p = MAD(p, s, F(-8.095661178e-04f));
    p = MAD(p, s, F(5.196281243e-03f));
    p = MAD(p, s, F(-2.685713023e-02f));
    p = MAD(p, s, F(1.128364429e-01f));
    p = MAD(p, s, F(-3.761262894e-01f));
    p = MAD(p, s, F(1.128379107e+00f));
    v128_t small = wasm_f32x4_mul(x, p);
    v128_t t = wasm_v128_bitselect(a, F(4.0f), wasm_f32x4_lt(a, F(4.0f))); /* NaN: 4, restored below */
    v128_t q = F(-6.977654721e-08f);
    q = MAD(q, t, F(3.169704996e-06f));
    q = MAD(q, t, F(-6.064094123e-05f));
    q = MAD(q, t, F(6.755503709e-04f));
    q = MAD(q, t, F(-5.024964921e-03f));
    q = MAD(q, t, F(2.699874155e-02f));
    q = MAD(q, t, F(-1.108905226e-01f));
    q = MAD(q, t, F(-6.311203837e-01f));
    q = MAD(q, t, F(-1.130578995e+00f));
    q = MAD(q, t, F(3.925603814e-04f));
    v128_t big = wasm_v128_or(wasm_f32x4_sub(F(1.0f), exp4(q)), sign);
    return keep_nan(x, wasm_v128_bitselect(small, big, wasm_f32x4_lt(a, F(0.921875f))));
}

static inline v128_t silu4(v128_t x) { return wasm_f32x4_mul(x, sigmoid4(x)); }

#define ARRAY_LOOP(op)                                                               \
    void cort_v##op##_wasm(const float *x, float *y, int64_t n) {                    \
        int64_t i = 0;                                                               \
        for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, op##4(wasm_v128_load(x + i))); \
        for (; i < n; i++) y[i] = cort_vm_##op(x[i]);                                \
    }
ARRAY_LOOP(exp)
ARRAY_LOOP(sigmoid)
ARRAY_LOOP(tanh)
ARRAY_LOOP(erf)
ARRAY_LOOP(silu)

static inline float hsum4(v128_t v) {
    v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
    return wasm_f32x4_extract_lane(v, 0);
}

/* Four rows at a time share each load of x; the tail of odd lengths is summed in scalars. */
void cort_sgemv_rows_wasm(int64_t rows, int64_t k, const float *w, int64_t ldw, const float *x, float *y) {
    int64_t r = 0, k4 = k & ~(int64_t)3;
    for (; r + 4 <= rows; r += 4) {
        const float *w0 = w + r * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
        v128_t a0 = F(0.0f), a1 = a0, a2 = a0, a3 = a0;
        for (int64_t p = 0; p < k4; p += 4) {
            v128_t xv = wasm_v128_load(x + p);
            a0 = MAD(wasm_v128_load(w0 + p), xv, a0);
            a1 = MAD(wasm_v128_load(w1 + p), xv, a1);
            a2 = MAD(wasm_v128_load(w2 + p), xv, a2);
            a3 = MAD(wasm_v128_load(w3 + p), xv, a3);
        }
        cort_sgemv_finish4(w0, ldw, x, k4, k, hsum4(a0), hsum4(a1), hsum4(a2), hsum4(a3), y + r);
    }
    for (; r < rows; r++) {
        const float *wr = w + r * ldw;
        v128_t acc = F(0.0f);
        for (int64_t p = 0; p < k4; p += 4) acc = MAD(wasm_v128_load(wr + p), wasm_v128_load(x + p), acc);
        float s = hsum4(acc);
        for (int64_t p = k4; p < k; p++) s += wr[p] * x[p];
        y[r] = s;
    }
}
