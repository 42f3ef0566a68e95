/* The avx512 variant of the vector math: the shared element cores compiled for this ISA with fused
 * multiply-adds, and a hand-written matrix-vector product. Chosen at run time by vecmath.c. */
#include <immintrin.h>
#include <math.h>
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

CORT_VECMATH_DEFINE(avx512)

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
