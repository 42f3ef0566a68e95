/* The AVX-512 SGEMM micro-kernel: 12 x 32 tiles, 24 of the 32 zmm registers accumulating, A
 * broadcast from the packed panel (folded into the FMA as an embedded broadcast), the C tile
 * prefetched while the k loop runs, and the tile stored with masks so edge tiles need no copy. */
#include <immintrin.h>

#include "kernels/x86/sgemm_x86.h"

#define TARGET __attribute__((target("avx512f")))
enum { MR = 12, NR = 32 };

static TARGET inline __mmask16 lane_mask(int64_t n) {
    if (n >= 16) return (__mmask16)0xffff;
    if (n <= 0) return 0;
    return (__mmask16)((1u << n) - 1u);
}

static TARGET inline __m512 finish(__m512 v, const float *cp, __mmask16 m, const cort_sgemm_store *st, __m512 bias,
                                   __m512 lo, __m512 hi) {
    if (st->beta != 0) v = _mm512_fmadd_ps(_mm512_set1_ps(st->beta), _mm512_maskz_loadu_ps(m, cp), v);
    if (st->bias) v = _mm512_add_ps(v, bias);
    if (st->clamp) v = _mm512_min_ps(hi, _mm512_max_ps(lo, v)); /* NaN passes through, as in Relu/Clip */
    return v;
}

#define INLINE inline __attribute__((always_inline))

/* kept out of line: inlined, the compiler hoists the epilogue's constants into registers the k loop
 * needs; the accumulators go through memory once per tile instead */
static TARGET __attribute__((noinline)) void store_rows(__m512 acc[MR][2], float *c, int64_t ldc, int64_t rows,
                                                        int64_t cols, const cort_sgemm_store *st) {
    __mmask16 m0 = lane_mask(cols), m1 = lane_mask(cols - 16);
    __m512 lo = _mm512_set1_ps(st->lo), hi = _mm512_set1_ps(st->hi);
    for (int64_t i = 0; i < rows; i++) {
        float *ci = c + i * ldc;
        __m512 bias = _mm512_set1_ps(st->bias ? st->bias[i] : 0.0f);
        _mm512_mask_storeu_ps(ci, m0, finish(acc[i][0], ci, m0, st, bias, lo, hi));
        if (m1) _mm512_mask_storeu_ps(ci + 16, m1, finish(acc[i][1], ci + 16, m1, st, bias, lo, hi));
    }
}

/* `wide` false: the tile is at most half as wide, and only the first column vector is computed;
 * `live` (a constant at each call) rows are computed, so a GEMV or a short last row block (128 rows
 * are ten tiles of 12 and one of 8) does not pay for all 12 */
static TARGET INLINE void tile(bool wide, int live, int64_t kc, const float *a, const float *b, const float *pf,
                               int64_t pf_step, float *c, int64_t ldc, int64_t rows, int64_t cols,
                               const cort_sgemm_store *st) {
    __m512 acc[MR][2];
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (int64_t i = 0; i < rows; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 16), _MM_HINT_T0);
    }
    for (int64_t p = 0; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
        _mm_prefetch((const char *)(b + 8 * NR), _MM_HINT_T0);
        /* A streams from memory when weights outgrow the caches (a model's conv layers): 48 k steps
         * (2.3 KB) ahead covers memory latency where 8 did not (resnet18/50 medians ~6-14% faster) */
        _mm_prefetch((const char *)(a + 48 * MR), _MM_HINT_T0);
        _mm_prefetch((const char *)pf, _MM_HINT_T1);
        pf += pf_step;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 12
#endif
        for (int i = 0; i < live; i++) {
            __m512 ai = _mm512_set1_ps(a[i]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            if (wide) acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
        a += MR;
        b += NR;
    }
    /* a copy: were acc's own address to escape into the call, gcc would keep acc in memory */
    __m512 done[MR][2];
    for (int i = 0; i < MR; i++) done[i][0] = acc[i][0], done[i][1] = acc[i][1];
    store_rows(done, c, ldc, rows, cols, st);
}

TARGET void cort_sgemm_block_avx512(int64_t mc, int64_t nc, int64_t kc, const float *ap, const float *bp, float *c,
                                    int64_t ldc, const cort_sgemm_store *st) {
    for (int64_t jr = 0; jr < nc; jr += NR) {
        int64_t cols = nc - jr < NR ? nc - jr : NR;
        for (int64_t ir = 0; ir < mc; ir += MR) {
            cort_sgemm_store here = *st;
            if (here.bias) here.bias += ir;
            int64_t rows = mc - ir < MR ? mc - ir : MR;
            const float *a = ap + ir * kc, *b = bp + jr * kc;
            float *ct = c + ir * ldc + jr;
            bool wide = cols > NR / 2;
            /* The first two tiles of a column panel fetch the next panel into L2, a cache line per k
             * step each: packed weights stream from memory, and the panel's first tile would otherwise
             * wait on them. The other tiles prefetch their own B, in L1 already, at no cost. */
            const float *pf = b;
            int64_t pf_step = 0, t = ir / MR;
            if (jr + NR < nc && t < 2) pf = bp + (jr + NR) * kc + t * kc * (NR / 2), pf_step = 16;
            if (rows <= 1 && wide) tile(true, 1, kc, a, b, pf, pf_step, ct, ldc, rows, cols, &here);
            else if (rows <= 1) tile(false, 1, kc, a, b, pf, pf_step, ct, ldc, rows, cols, &here);
            else if (rows <= 4 && wide) tile(true, 4, kc, a, b, pf, pf_step, ct, ldc, rows, cols, &here);
            else if (rows <= 4) tile(false, 4, kc, a, b, pf, pf_step, ct, ldc, rows, cols, &here);
            else if (rows <= 8 && wide) tile(true, 8, kc, a, b, pf, pf_step, ct, ldc, rows, cols, &here);
            else if (rows <= 8) tile(false, 8, kc, a, b, pf, pf_step, ct, ldc, rows, cols, &here);
            else if (wide) tile(true, MR, kc, a, b, pf, pf_step, ct, ldc, rows, cols, &here);
            else tile(false, MR, kc, a, b, pf, pf_step, ct, ldc, rows, cols, &here);
        }
    }
}
