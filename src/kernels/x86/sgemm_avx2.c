/* The AVX2+FMA SGEMM micro-kernel: 6 x 16 tiles in 12 of the 16 ymm registers. Full-width rows
 * store with plain vector stores; the narrower right-edge tile goes through a small buffer. B comes
 * packed or, for products with few rows, read in place (as in sgemm_avx512.c). */
#include <immintrin.h>
#include <string.h>

#include "kernels/x86/sgemm_x86.h"

#define TARGET __attribute__((target("avx2,fma")))
enum { MR = 6, NR = 16 };

static TARGET inline __m256 finish(__m256 v, const float *cp, const cort_sgemm_store *st, __m256 bias, __m256 lo,
                                   __m256 hi) {
    if (st->beta != 0) v = _mm256_fmadd_ps(_mm256_set1_ps(st->beta), _mm256_loadu_ps(cp), v);
    if (st->bias) v = _mm256_add_ps(v, bias);
    if (st->clamp) v = _mm256_min_ps(hi, _mm256_max_ps(lo, v)); /* NaN passes through, as in Relu/Clip */
    return v;
}

#define INLINE inline __attribute__((always_inline))

/* kept out of line: inlined, the compiler hoists the epilogue's constants into registers the k loop
 * needs; the accumulators go through memory once per tile instead */
static TARGET __attribute__((noinline)) void store_rows(__m256 acc[MR][2], float *c, int64_t ldc, int64_t rows,
                                                        int64_t cols, const cort_sgemm_store *st) {
    __m256 lo = _mm256_set1_ps(st->lo), hi = _mm256_set1_ps(st->hi);
    for (int64_t i = 0; i < rows; i++) {
        float *ci = c + i * ldc;
        __m256 bias = _mm256_set1_ps(st->bias ? st->bias[i] : 0.0f);
        if (cols == NR) {
            _mm256_storeu_ps(ci, finish(acc[i][0], ci, st, bias, lo, hi));
            _mm256_storeu_ps(ci + 8, finish(acc[i][1], ci + 8, st, bias, lo, hi));
        } else { /* edge tile: stage the row so C is touched only inside its width */
            float buf[NR];
            memset(buf, 0, sizeof buf);
            if (st->beta != 0) memcpy(buf, ci, sizeof(float) * (size_t)cols);
            _mm256_storeu_ps(buf, finish(acc[i][0], buf, st, bias, lo, hi));
            _mm256_storeu_ps(buf + 8, finish(acc[i][1], buf + 8, st, bias, lo, hi));
            memcpy(ci, buf, sizeof(float) * (size_t)cols);
        }
    }
}

/* `wide` false: the tile is at most half as wide, and only the first column vector is computed. Row p
 * of the B panel is at b + p * b_step: NR packed, the matrix's row stride when B is read in place. */
static TARGET INLINE void tile(bool wide, int64_t kc, const float *a, const float *b, int64_t b_step, const float *pf,
                               int64_t pf_step, float *c, int64_t ldc, int64_t rows, int64_t cols,
                               const cort_sgemm_store *st) {
    __m256 acc[MR][2];
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
    for (int64_t p = 0; p < kc; p++) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        _mm_prefetch((const char *)pf, _MM_HINT_T1);
        pf += pf_step;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 6
#endif
        for (int i = 0; i < MR; i++) {
            __m256 ai = _mm256_broadcast_ss(a + i);
            acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
            if (wide) acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
        }
        a += MR;
        b += b_step;
    }
    /* a copy: were acc's own address to escape into the call, gcc would keep acc in memory */
    __m256 done[MR][2];
    for (int i = 0; i < MR; i++) done[i][0] = acc[i][0], done[i][1] = acc[i][1];
    store_rows(done, c, ldc, rows, cols, st);
}

TARGET void cort_sgemm_block_avx2(int64_t mc, int64_t nc, int64_t kc, const float *ap, const float *bp, float *c,
                                  int64_t ldc, const cort_sgemm_store *st) {
    for (int64_t jr = 0; jr < nc; jr += NR) {
        int64_t cols = nc - jr < NR ? nc - jr : NR;
        for (int64_t ir = 0; ir < mc; ir += MR) {
            cort_sgemm_store here = *st;
            if (here.bias) here.bias += ir;
            int64_t rows = mc - ir < MR ? mc - ir : MR;
            /* The first tile of a column panel fetches the next panel into L2, its one cache line per k
             * step: packed weights stream from memory, and the panel's first tile would otherwise wait on
             * them. The other tiles prefetch their own B, in L1 already, at no cost. */
            const float *b = bp + jr * kc, *pf = b;
            int64_t pf_step = 0;
            if (jr + NR < nc && ir == 0) pf = b + NR * kc, pf_step = NR;
            if (cols > NR / 2)
                tile(true, kc, ap + ir * kc, b, NR, pf, pf_step, c + ir * ldc + jr, ldc, rows, cols, &here);
            else tile(false, kc, ap + ir * kc, b, NR, pf, pf_step, c + ir * ldc + jr, ldc, rows, cols, &here);
        }
    }
}

/* The full 16-column panels with B read in place: the first row tile of each fetches the next panel's
 * line of every row into L2 (a function of its own, as the AVX-512 one, so that the edge case below
 * does not share its register allocation) */
static TARGET __attribute__((noinline)) void direct_panels(int64_t mc, int64_t full, int64_t kc, const float *ap,
                                                          const float *b, int64_t ldb, float *c, int64_t ldc,
                                                          const cort_sgemm_store *st) {
    for (int64_t jr = 0; jr < full; jr += NR) {
        for (int64_t ir = 0; ir < mc; ir += MR) {
            cort_sgemm_store here = *st;
            if (here.bias) here.bias += ir;
            int64_t rows = mc - ir < MR ? mc - ir : MR;
            const float *pf = b + jr, *bj = b + jr;
            int64_t pf_step = 0;
            if (jr + NR < full && ir == 0) pf = bj + NR, pf_step = ldb;
            tile(true, kc, ap + ir * kc, bj, ldb, pf, pf_step, c + ir * ldc + jr, ldc, rows, NR, &here);
        }
    }
}

TARGET void cort_sgemm_block_direct_avx2(int64_t mc, int64_t nc, int64_t kc, const float *ap, const float *b,
                                         int64_t ldb, float *c, int64_t ldc, const cort_sgemm_store *st, float *edge) {
    int64_t full = nc / NR * NR, cols = nc - full;
    direct_panels(mc, full, kc, ap, b, ldb, c, ldc, st);
    if (cols == 0) return;
    /* the last, narrower panel: copied zero-padded, so that no load reads past the matrix's rows (a loop:
     * memcpy and memset calls per row cost a narrow product a fifth of its time) */
    for (int64_t p = 0; p < kc; p++) {
        const float *src = b + p * ldb + full;
        float *dst = edge + p * NR;
        for (int64_t j = 0; j < NR; j++) dst[j] = j < cols ? src[j] : 0.0f;
    }
    cort_sgemm_block_avx2(mc, cols, kc, ap, edge, c + full, ldc, st);
}
