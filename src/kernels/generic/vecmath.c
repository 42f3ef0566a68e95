/* The plain-C variant of the vector math and the choice of variant per call. */
#include "kernels/vecmath.h"

CORT_VECMATH_DEFINE(generic)

/* Eight partial sums per row let the compiler vectorise the reduction without reassociating
 * additions itself. */
static void sgemv_rows_generic(int64_t rows, int64_t k, const float *w, int64_t ldw, const float *x, float *y) {
    for (int64_t r = 0; r < rows; r++) {
        const float *wr = w + r * ldw;
        float acc[8] = {0};
        int64_t p = 0;
        for (; p + 8 <= k; p += 8)
            for (int q = 0; q < 8; q++) acc[q] += wr[p + q] * x[p + q];
        float sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
        for (; p < k; p++) sum += wr[p] * x[p];
        y[r] = sum;
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CORT_VM_X86 1
void cort_vexp_avx512(const float *x, float *y, int64_t n);
void cort_vsigmoid_avx512(const float *x, float *y, int64_t n);
void cort_vsigmoid_fast_avx512(const float *x, float *y, int64_t n);
void cort_vsilu_fast_avx512(const float *x, float *y, int64_t n);
void cort_vtanh_avx512(const float *x, float *y, int64_t n);
void cort_verf_avx512(const float *x, float *y, int64_t n);
void cort_vsilu_avx512(const float *x, float *y, int64_t n);
void cort_sgemv_rows_avx512(int64_t rows, int64_t k, const float *w, int64_t ldw, const float *x, float *y);
void cort_vexp_avx2(const float *x, float *y, int64_t n);
void cort_vsigmoid_avx2(const float *x, float *y, int64_t n);
void cort_vtanh_avx2(const float *x, float *y, int64_t n);
void cort_verf_avx2(const float *x, float *y, int64_t n);
void cort_vsilu_avx2(const float *x, float *y, int64_t n);
void cort_sgemv_rows_avx2(int64_t rows, int64_t k, const float *w, int64_t ldw, const float *x, float *y);

static const cort_vecmath_impl impl_avx512 = {"avx512",          cort_vexp_avx512, cort_vsigmoid_avx512,
                                              cort_vtanh_avx512, cort_verf_avx512, cort_vsilu_avx512,
                                              cort_sgemv_rows_avx512};
static const cort_vecmath_impl impl_avx2 = {"avx2",          cort_vexp_avx2, cort_vsigmoid_avx2, cort_vtanh_avx2,
                                            cort_verf_avx2, cort_vsilu_avx2, cort_sgemv_rows_avx2};
#endif

#if defined(__aarch64__)
#include "kernels/arm/neon.h" /* NEON is part of every AArch64 CPU: no run-time test */
static const cort_vecmath_impl impl_neon = {"neon",          cort_vexp_neon, cort_vsigmoid_neon, cort_vtanh_neon,
                                            cort_verf_neon, cort_vsilu_neon, cort_sgemv_rows_neon};
#endif

#if defined(__wasm_simd128__)
#include "kernels/wasm/wasm_kernels.h" /* SIMD128 is chosen at compile time (-msimd128) */
static const cort_vecmath_impl impl_wasm = {"wasm_simd128", cort_vexp_wasm, cort_vsigmoid_wasm, cort_vtanh_wasm,
                                            cort_verf_wasm,  cort_vsilu_wasm, cort_sgemv_rows_wasm};
#endif

static const cort_vecmath_impl impl_generic = {"generic",          cort_vexp_generic, cort_vsigmoid_generic,
                                               cort_vtanh_generic, cort_verf_generic, cort_vsilu_generic,
                                               sgemv_rows_generic};

int cort_vecmath_impls(const cort_vecmath_impl **out, int max) {
    int n = 0;
#ifdef CORT_VM_X86
    /* libgcc's feature bits also require the OS to save the vector registers (XCR0) */
    if (n < max && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) out[n++] = &impl_avx512;
    if (n < max && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) out[n++] = &impl_avx2;
#endif
#if defined(__aarch64__)
    if (n < max) out[n++] = &impl_neon;
#endif
#if defined(__wasm_simd128__)
    if (n < max) out[n++] = &impl_wasm;
#endif
    if (n < max) out[n++] = &impl_generic;
    return n;
}

/* The widest variant: a feature test is a load and a bit test, cheap beside any array worth a call. */
static const cort_vecmath_impl *best(void) {
    const cort_vecmath_impl *impl = &impl_generic;
    cort_vecmath_impls(&impl, 1);
    return impl;
}

void cort_vexp(const float *x, float *y, int64_t n) { best()->exp(x, y, n); }
void cort_vsigmoid(const float *x, float *y, int64_t n) { best()->sigmoid(x, y, n); }
void cort_vtanh(const float *x, float *y, int64_t n) { best()->tanh(x, y, n); }
void cort_verf(const float *x, float *y, int64_t n) { best()->erf(x, y, n); }
void cort_vsilu(const float *x, float *y, int64_t n) { best()->silu(x, y, n); }
void cort_sgemv_rows(int64_t rows, int64_t k, const float *w, int64_t ldw, const float *x, float *y) {
    best()->sgemv_rows(rows, k, w, ldw, x, y);
}

void cort_vsigmoid_fast(const float *x, float *y, int64_t n) {
#ifdef CORT_VM_X86
    if (best() == &impl_avx512) {
        cort_vsigmoid_fast_avx512(x, y, n);
        return;
    }
#endif
    cort_vsigmoid(x, y, n);
}

void cort_vsilu_fast(const float *x, float *y, int64_t n) {
#ifdef CORT_VM_X86
    if (best() == &impl_avx512) {
        cort_vsilu_fast_avx512(x, y, n);
        return;
    }
#endif
    cort_vsilu(x, y, n);
}
