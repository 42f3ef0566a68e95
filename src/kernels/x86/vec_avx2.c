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

CORT_VECMATH_DEFINE(avx2)

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
        float s0 = hsum256(a0), s1 = hsum256(a1), s2 = hsum256(a2), s3 = hsum256(a3);
        for (int64_t p = k8; p < k; p++) {
            s0 += w0[p] * x[p];
            s1 += w1[p] * x[p];
            s2 += w2[p] * x[p];
            s3 += w3[p] * x[p];
        }
        y[r] = s0;
        y[r + 1] = s1;
        y[r + 2] = s2;
        y[r + 3] = s3;
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
