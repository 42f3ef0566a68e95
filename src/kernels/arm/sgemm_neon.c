/* The NEON SGEMM micro-kernel: 12 x 8 tiles. Each step of k loads 12 values of A (three vectors)
 * and 8 of B (two), then 24 fused multiply-adds by vector element (fmla v.4s, v.4s, v.s[lane]) update
 * the 24 accumulator registers; 29 of the 32 registers are live, so nothing spills. Tiles of at most
 * 4 or 8 live rows (GEMV, the bottom edge) compute only those. Full-width rows store straight to C;
 * the right edge goes through a small buffer. */
#include <arm_neon.h>
#include <string.h>

#include "kernels/arm/neon.h"

enum { MR = CORT_NEON_SGEMM_MR, NR = CORT_NEON_SGEMM_NR };

/* v + beta * C + bias, then the clamp; vmax/vmin return NaN when either input is NaN, so NaN passes
 * through as in Relu/Clip. */
static inline float32x4_t finish(float32x4_t v, const float *cp, const cort_sgemm_store *st, float32x4_t bias,
                                 float32x4_t lo, float32x4_t hi) {
    if (st->beta != 0) v = vfmaq_n_f32(v, vld1q_f32(cp), st->beta);
    if (st->bias) v = vaddq_f32(v, bias);
    if (st->clamp) v = vminq_f32(hi, vmaxq_f32(lo, v));
    return v;
}

/* kept out of line so the epilogue's constants do not take registers from the k loop */
static __attribute__((noinline)) void store_rows(float32x4_t acc[MR][2], float *c, int64_t ldc, int64_t rows,
                                                 int64_t cols, const cort_sgemm_store *st) {
    float32x4_t lo = vdupq_n_f32(st->lo), hi = vdupq_n_f32(st->hi);
    for (int64_t i = 0; i < rows; i++) {
        float *ci = c + i * ldc;
        float32x4_t bias = vdupq_n_f32(st->bias ? st->bias[i] : 0.0f);
        if (cols == NR) {
            vst1q_f32(ci, finish(acc[i][0], ci, st, bias, lo, hi));
            vst1q_f32(ci + 4, finish(acc[i][1], ci + 4, st, bias, lo, hi));
        } else { /* right edge: stage the row so C is touched only inside its width */
            float buf[NR];
            memset(buf, 0, sizeof buf);
            if (st->beta != 0) memcpy(buf, ci, sizeof(float) * (size_t)cols);
            vst1q_f32(buf, finish(acc[i][0], buf, st, bias, lo, hi));
            vst1q_f32(buf + 4, finish(acc[i][1], buf + 4, st, bias, lo, hi));
            memcpy(ci, buf, sizeof(float) * (size_t)cols);
        }
    }
}

/* row i of the tile += a[i] * the 8 values of B, with a[i] lane `lane` of vector av */
#define ROW_FMA(i, av, lane)                                      \
    do {                                                          \
        acc[i][0] = vfmaq_laneq_f32(acc[i][0], b0, av, lane);      \
        acc[i][1] = vfmaq_laneq_f32(acc[i][1], b1, av, lane);      \
    } while (0)

/* A tile whose first R rows (4, 8 or 12; a constant in each caller) are live: short row blocks (GEMV,
 * the last rows of a matrix) skip the multiply-adds of the zero rows the packing padded them with. */
static inline __attribute__((always_inline)) void tile_rows(const int R, int64_t kc, const float *a, const float *b,
                                                            float *c, int64_t ldc, int64_t rows, int64_t cols,
                                                            const cort_sgemm_store *st) {
    float32x4_t acc[MR][2];
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = vdupq_n_f32(0.0f);
    for (int64_t p = 0; p < kc; p++) {
        float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4);
        float32x4_t a0 = vld1q_f32(a);
        ROW_FMA(0, a0, 0);
        ROW_FMA(1, a0, 1);
        ROW_FMA(2, a0, 2);
        ROW_FMA(3, a0, 3);
        if (R > 4) {
            float32x4_t a1 = vld1q_f32(a + 4);
            ROW_FMA(4, a1, 0);
            ROW_FMA(5, a1, 1);
            ROW_FMA(6, a1, 2);
            ROW_FMA(7, a1, 3);
        }
        if (R > 8) {
            float32x4_t a2 = vld1q_f32(a + 8);
            ROW_FMA(8, a2, 0);
            ROW_FMA(9, a2, 1);
            ROW_FMA(10, a2, 2);
            ROW_FMA(11, a2, 3);
        }
        a += MR;
        b += NR;
    }
    /* a copy: were acc's own address to escape into the call, the compiler would keep acc in memory */
    float32x4_t done[MR][2];
    for (int i = 0; i < MR; i++) done[i][0] = acc[i][0], done[i][1] = acc[i][1];
    store_rows(done, c, ldc, rows, cols, st);
}

static void tile4(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int64_t rows, int64_t cols,
                  const cort_sgemm_store *st) {
    tile_rows(4, kc, a, b, c, ldc, rows, cols, st);
}
static void tile8(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int64_t rows, int64_t cols,
                  const cort_sgemm_store *st) {
    tile_rows(8, kc, a, b, c, ldc, rows, cols, st);
}
static void tile12(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int64_t rows, int64_t cols,
                   const cort_sgemm_store *st) {
    tile_rows(12, kc, a, b, c, ldc, rows, cols, st);
}

void cort_sgemm_block_neon(int64_t mc, int64_t nc, int64_t kc, const float *ap, const float *bp, float *c,
                           int64_t ldc, const cort_sgemm_store *st) {
    for (int64_t jr = 0; jr < nc; jr += NR) {
        int64_t cols = nc - jr < NR ? nc - jr : NR;
        for (int64_t ir = 0; ir < mc; ir += MR) {
            cort_sgemm_store here = *st;
            if (here.bias) here.bias += ir;
            int64_t rows = mc - ir < MR ? mc - ir : MR;
            const float *a = ap + ir * kc, *b = bp + jr * kc;
            float *ct = c + ir * ldc + jr;
            if (rows <= 4) tile4(kc, a, b, ct, ldc, rows, cols, &here);
            else if (rows <= 8) tile8(kc, a, b, ct, ldc, rows, cols, &here);
            else tile12(kc, a, b, ct, ldc, rows, cols, &here);
        }
    }
}
