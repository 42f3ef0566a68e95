/* The AVX-512 SGEMM micro-kernel: 12 x 32 tiles, 24 of the 32 zmm registers accumulating, A
 * broadcast from the packed panel (folded into the FMA as an embedded broadcast), the C tile
 * prefetched while the k loop runs, and the tile stored with masks so edge tiles need no copy.
 * B comes packed (kc x 32 micro-panels) or, for products with few rows, straight from a row-major
 * matrix: there each B value meets only a few rows of A, and packing it cost more than the
 * multiply-adds it fed (a 16-row 1x1 convolution spent 40% of its time in pack_b). */
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

/* inlined: out of line, the accumulators went through memory once per tile, which cost short products
 * (16 to 24 deep, the mobile nets' expansions) a fifth of their time (sgemm_bench zoo) */
static TARGET INLINE void store_rows(__m512 acc[MR][2], float *c, int64_t ldc, int64_t rows, int64_t cols,
                                     const cort_sgemm_store *st) {
    __mmask16 m0 = lane_mask(cols), m1 = lane_mask(cols - 16);
    __m512 lo = _mm512_set1_ps(st->lo), hi = _mm512_set1_ps(st->hi);
    for (int64_t i = 0; i < rows; i++) {
        float *ci = c + i * ldc;
        __m512 bias = _mm512_set1_ps(st->bias ? st->bias[i] : 0.0f);
        _mm512_mask_storeu_ps(ci, m0, finish(acc[i][0], ci, m0, st, bias, lo, hi));
        if (m1) _mm512_mask_storeu_ps(ci + 16, m1, finish(acc[i][1], ci + 16, m1, st, bias, lo, hi));
    }
}

/* Where a tile's B rows are and what it fetches ahead: row p of its B panel at b + p * step (step NR
 * packed, the matrix's row stride direct); pf, advancing pf_step per k step, is a line of the next
 * panel to bring into L2 (two lines, pf and pf + 16, when `direct`). */
typedef struct tile_b {
    const float *b;
    int64_t step;
    const float *pf;
    int64_t pf_step;
} tile_b;

/* `wide` false: the tile is at most half as wide, and only the first column vector is computed;
 * `live` (a constant at each call) rows are computed, so a GEMV or a short last row block does not pay
 * for all 12. Rows below `split` broadcast from a0, the others from a1 (two packed A panels: a 16-row
 * remainder runs as two 8-row tiles, the second straddling the panels, rather than 12 + 4, whose
 * 4-row tile has too few accumulators to hide the FMA latency). */
static TARGET INLINE void tile(bool wide, bool direct, int live, int split, int64_t kc, const float *a0,
                               const float *a1, tile_b tb, float *c, int64_t ldc, int64_t rows, int64_t cols,
                               const cort_sgemm_store *st) {
    __m512 acc[MR][2];
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (int64_t i = 0; i < rows; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 16), _MM_HINT_T0);
    }
    const float *b = tb.b, *pf = tb.pf;
    for (int64_t p = 0; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
        _mm_prefetch((const char *)(b + 8 * tb.step), _MM_HINT_T0);
        /* A streams from memory when weights outgrow the caches (a model's conv layers): 48 k steps
         * (2.3 KB) ahead covers memory latency where 8 did not (resnet18/50 medians ~6-14% faster) */
        _mm_prefetch((const char *)(a0 + 48 * MR), _MM_HINT_T0);
        _mm_prefetch((const char *)pf, _MM_HINT_T1);
        if (direct) _mm_prefetch((const char *)(pf + 16), _MM_HINT_T1);
        pf += tb.pf_step;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 12
#endif
        for (int i = 0; i < live; i++) {
            __m512 ai = _mm512_set1_ps(i < split ? a0[i] : a1[i - split]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            if (wide) acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
        a0 += MR;
        a1 += MR;
        b += tb.step;
    }
    /* a copy: were acc's own address to escape into the store, gcc would keep acc in memory */
    __m512 done[MR][2];
    for (int i = 0; i < MR; i++) done[i][0] = acc[i][0], done[i][1] = acc[i][1];
    store_rows(done, c, ldc, rows, cols, st);
}

/* One tile of `rows` rows whose A rows start at a (in a packed panel, or split across two). */
static TARGET INLINE void tile_rows(bool wide, bool direct, int64_t kc, const float *a, tile_b tb, float *c,
                                    int64_t ldc, int64_t rows, int64_t cols, const cort_sgemm_store *st) {
    if (rows <= 1) tile(wide, direct, 1, MR, kc, a, a, tb, c, ldc, rows, cols, st);
    else if (rows <= 4) tile(wide, direct, 4, MR, kc, a, a, tb, c, ldc, rows, cols, st);
    else if (rows <= 8) tile(wide, direct, 8, MR, kc, a, a, tb, c, ldc, rows, cols, st);
    else tile(wide, direct, MR, MR, kc, a, a, tb, c, ldc, rows, cols, st);
}

/* All row tiles of one column panel (cols wide, B as tb says) of a packed A block of mc rows. Tiles
 * are 12 rows, but a remainder of 13 to 16 rows runs as 8 + the rest. The first tiles fetch the next
 * panel into L2 (next NULL: none): packed weights or a matrix read in place stream from memory, and the
 * panel's first tile would otherwise wait on them. */
static TARGET INLINE void panel(bool wide, bool direct, int64_t mc, int64_t kc, const float *ap, tile_b tb,
                                const float *next, float *c, int64_t ldc, int64_t cols, const cort_sgemm_store *st) {
    for (int64_t ir = 0, t = 0; ir < mc; t++) {
        cort_sgemm_store here = *st;
        if (here.bias) here.bias += ir;
        int64_t left = mc - ir, rows = left < MR ? left : MR;
        const float *a = ap + ir * kc;
        tile_b mine = tb;
        mine.pf = tb.b, mine.pf_step = 0;
        if (next && !direct && t < 2) mine.pf = next + t * kc * (NR / 2), mine.pf_step = 16;
        if (next && direct && t == 0) mine.pf = next, mine.pf_step = tb.step;
        float *ct = c + ir * ldc;
        if (left > MR && left <= MR + 4) {
            /* ir is a multiple of MR here: rows ir+8 .. ir+11 are the last of this panel, the rest
             * the first of the next */
            tile(wide, direct, 8, MR, kc, a, a, mine, ct, ldc, 8, cols, &here);
            if (here.bias) here.bias += 8;
            tile(wide, direct, 8, 4, kc, a + 8, a + MR * kc, tb, ct + 8 * ldc, ldc, left - 8, cols, &here);
            break;
        }
        tile_rows(wide, direct, kc, a, mine, ct, ldc, rows, cols, &here);
        ir += rows;
    }
}

/* One k step of column_tail: A's 16 values from each live panel (12 of its rows, and the next k step's
 * first 4, which add nothing to the 12 lanes stored), or at the last step only the 12, so that no load
 * reads past the packed A. */
static TARGET INLINE void tail_step(int s, bool last, const float *a, int64_t panel_stride, const bool *live,
                                    const float *bp, __m512 acc[4][4]) {
    __m512 av[4];
    for (int i = 0; i < 4; i++) {
        const float *ai = a + i * panel_stride;
        av[i] = !live[i] ? _mm512_setzero_ps()
                : last   ? _mm512_maskz_loadu_ps((__mmask16)((1u << MR) - 1u), ai)
                         : _mm512_loadu_ps(ai);
    }
    for (int j = 0; j < s; j++) {
        __m512 bj = _mm512_set1_ps(bp[j]);
        for (int i = 0; i < 4; i++) acc[i][j] = _mm512_fmadd_ps(av[i], bj, acc[i][j]);
    }
}

/* The last s <= 4 columns of a block (row p of them at b + p * ldb), vectorised along the rows instead:
 * at each k step a packed A panel's 12 values are one vector, times column j's value of B broadcast. A
 * column past a multiple of 16 (a 7x7 image: 49 = 48 + 1) would otherwise cost a whole 16-lane vector
 * in every row tile. Four panels at a time, so that even one column keeps four FMA chains going. */
static TARGET INLINE void column_tail(int s, int64_t mc, int64_t kc, const float *ap, const float *b, int64_t ldb,
                                      float *c, int64_t ldc, const cort_sgemm_store *st) {
    enum { PANELS = 4 };
    for (int64_t ir = 0; ir < mc; ir += PANELS * MR) {
        const float *a = ap + ir * kc;
        bool live[PANELS]; /* panels past the block's end read nothing */
        for (int i = 0; i < PANELS; i++) live[i] = ir + i * MR < mc;
        __m512 acc[PANELS][4];
        for (int i = 0; i < PANELS; i++)
            for (int j = 0; j < 4; j++) acc[i][j] = _mm512_setzero_ps();
        for (int64_t p = 0; p + 1 < kc; p++) tail_step(s, false, a + p * MR, MR * kc, live, b + p * ldb, acc);
        tail_step(s, true, a + (kc - 1) * MR, MR * kc, live, b + (kc - 1) * ldb, acc);
        float v[PANELS][4][16];
        for (int i = 0; i < PANELS; i++)
            for (int j = 0; j < s; j++) _mm512_storeu_ps(v[i][j], acc[i][j]);
        for (int64_t r = 0; r < PANELS * MR && ir + r < mc; r++) {
            int64_t row = ir + r;
            for (int64_t j = 0; j < s; j++) {
                float x = v[r / MR][j][r % MR], *cp = c + row * ldc + j;
                if (st->beta != 0) x += st->beta * *cp;
                if (st->bias) x += st->bias[row];
                if (st->clamp) x = x < st->lo ? st->lo : x > st->hi ? st->hi : x;
                *cp = x;
            }
        }
    }
}

static TARGET __attribute__((noinline)) void column_tails(int64_t s, int64_t mc, int64_t kc, const float *ap,
                                                         const float *b, int64_t ldb, float *c, int64_t ldc,
                                                         const cort_sgemm_store *st) {
    if (s == 1) column_tail(1, mc, kc, ap, b, ldb, c, ldc, st);
    else if (s == 2) column_tail(2, mc, kc, ap, b, ldb, c, ldc, st);
    else if (s == 3) column_tail(3, mc, kc, ap, b, ldb, c, ldc, st);
    else column_tail(4, mc, kc, ap, b, ldb, c, ldc, st);
}

/* The packed panels from column 0 to nc (a function of its own, as direct_panels) */
static TARGET __attribute__((noinline)) void packed_panels(int64_t mc, int64_t nc, int64_t kc, const float *ap,
                                                          const float *bp, float *c, int64_t ldc,
                                                          const cort_sgemm_store *st) {
    for (int64_t jr = 0; jr < nc; jr += NR) {
        int64_t cols = nc - jr < NR ? nc - jr : NR;
        const float *b = bp + jr * kc, *next = jr + NR < nc ? b + NR * kc : NULL;
        tile_b tb = {b, NR, b, 0};
        if (cols > NR / 2) panel(true, false, mc, kc, ap, tb, next, c + jr, ldc, cols, st);
        else panel(false, false, mc, kc, ap, tb, next, c + jr, ldc, cols, st);
    }
}

/* A last panel of 1-4 columns, or 16 and 1-4 more, is computed along the rows past its first 16
 * columns, as with B in place: a 7x7 image's convolutions through im2col or a padded image (N = 49)
 * otherwise spend a 16-lane vector on their 49th column. */
TARGET void cort_sgemm_block_avx512(int64_t mc, int64_t nc, int64_t kc, const float *ap, const float *bp, float *c,
                                    int64_t ldc, const cort_sgemm_store *st) {
    int64_t full = nc / NR * NR, cols = nc - full, half = cols > NR / 2 ? NR / 2 : 0;
    bool tail = cols > 0 && cols - half <= 4;
    packed_panels(mc, tail ? full : nc, kc, ap, bp, c, ldc, st);
    if (!tail) return;
    const float *b = bp + full * kc;
    tile_b tb = {b, NR, b, 0};
    if (half) panel(false, false, mc, kc, ap, tb, NULL, c + full, ldc, half, st);
    column_tails(cols - half, mc, kc, ap, b + half, NR, c + full + half, ldc, st);
}

/* The full 32-column panels, B in place (a function of their own: sharing one with the edge cases
 * below, the k loops came out ~20% slower) */
static TARGET __attribute__((noinline)) void direct_panels(int64_t mc, int64_t full, int64_t kc, const float *ap,
                                                          const float *b, int64_t ldb, float *c, int64_t ldc,
                                                          const cort_sgemm_store *st) {
    for (int64_t jr = 0; jr < full; jr += NR) {
        /* two panels ahead: a few rows over a short depth finish a panel in a few hundred cycles, less than
         * memory takes (16x12544x32 165 -> 190 GFLOP/s, none slower) */
        const float *next = jr + 2 * NR < full ? b + jr + 2 * NR : NULL;
        tile_b tb = {b + jr, ldb, b + jr, 0};
        panel(true, true, mc, kc, ap, tb, next, c + jr, ldc, NR, st);
    }
}

TARGET void cort_sgemm_block_direct_avx512(int64_t mc, int64_t nc, int64_t kc, const float *ap, const float *b,
                                           int64_t ldb, float *c, int64_t ldc, const cort_sgemm_store *st,
                                           float *edge) {
    int64_t full = nc / NR * NR;
    direct_panels(mc, full, kc, ap, b, ldb, c, ldc, st);
    int64_t cols = nc - full;
    if (cols == 0) return;
    /* the last, narrower panel: copied zero-padded, so that no load reads past the matrix's rows (with
     * masked moves: memcpy and memset calls per row cost a 16-column product a fifth of its time), then
     * computed as a packed one, its last few columns along the rows */
    __mmask16 m0 = lane_mask(cols), m1 = lane_mask(cols - 16);
    for (int64_t p = 0; p < kc; p++) {
        const float *src = b + p * ldb + full;
        _mm512_storeu_ps(edge + p * NR, _mm512_maskz_loadu_ps(m0, src));
        _mm512_storeu_ps(edge + p * NR + 16, _mm512_maskz_loadu_ps(m1, src + 16));
    }
    cort_sgemm_block_avx512(mc, cols, kc, ap, edge, c + full, ldc, st);
}

/* out[p * 12 + i] = alpha * a[i * lda + p] for i < rows (<= 12; the other rows zero) and p < kc: one
 * 12-row panel of A, transposed 4 x 4 at a time in SSE registers. The scalar loop stored one float per
 * cycle, and a product with few columns (a 7x7 image's 3x3 convolution as a GEMM with weights not packed
 * beforehand, N = 49) spent longer packing A than multiplying it. */
TARGET void cort_sgemm_pack_a_avx512(const float *a, int64_t lda, int64_t rows, int64_t kc, float alpha, float *out) {
    const __m128 scale = _mm_set1_ps(alpha), zero = _mm_setzero_ps();
    int64_t p = 0;
    for (; p + 4 <= kc; p += 4) {
        for (int64_t i0 = 0; i0 < MR; i0 += 4) {
            __m128 r[4];
            for (int64_t i = 0; i < 4; i++)
                r[i] = i0 + i < rows ? _mm_mul_ps(scale, _mm_loadu_ps(a + (i0 + i) * lda + p)) : zero;
            _MM_TRANSPOSE4_PS(r[0], r[1], r[2], r[3]);
            for (int64_t q = 0; q < 4; q++) _mm_storeu_ps(out + (p + q) * MR + i0, r[q]);
        }
    }
    for (; p < kc; p++)
        for (int64_t i = 0; i < MR; i++) out[p * MR + i] = i < rows ? alpha * a[i * lda + p] : 0.0f;
}
