/* Direct convolution on the padded, phase-split image with AVX-512: an 8 x 32 register tile (8 output
 * channels, 32 output columns of one row) whose B operand is read straight from the phase planes (tap
 * rows are contiguous there) and whose result is stored straight into Y's planes. For shallow filters
 * (a network's first layer: 3 channels, 27..147 taps) this drops the GEMM path's packing of B, its
 * product on the grid and the copy of that product into Y, which together cost more than the
 * multiply-adds. */
#include <immintrin.h>

#include "kernels/x86/conv_padded_x86.h"

#define TARGET __attribute__((target("avx512f")))
#define INLINE inline __attribute__((always_inline))

enum { MR = CORT_PADDED_DIRECT_MR };

static TARGET INLINE __mmask16 lane_mask(int64_t n) {
    if (n >= 16) return (__mmask16)0xffff;
    if (n <= 0) return 0;
    return (__mmask16)((1u << n) - 1u);
}

/* acc[i][0..1] = sum over the kdim taps of A's row i times the tap's 32 columns (the second 16 only
 * when `wide`); m0/m1 mask the columns that exist. */
static TARGET INLINE void accumulate(bool wide, int64_t kdim, const int64_t *off, const float *b, const float *a,
                                     __mmask16 m0, __mmask16 m1, __m512 acc[MR][2]) {
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (int64_t p = 0; p < kdim; p++, a += MR) {
        const float *bp = b + off[p];
        __m512 b0 = _mm512_maskz_loadu_ps(m0, bp), b1 = wide ? _mm512_maskz_loadu_ps(m1, bp + 16) : b0;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 8
#endif
        for (int i = 0; i < MR; i++) {
            __m512 ai = _mm512_set1_ps(a[i]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            if (wide) acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
    }
}

/* Row i of the tile plus its bias and, when `clamp`, within the Relu/Clip bounds (NaN passes through). */
static TARGET INLINE void finish_row(const __m512 acc[2], float bias, bool clamp, __m512 lo, __m512 hi, __m512 *v0,
                                     __m512 *v1) {
    __m512 bi = _mm512_set1_ps(bias);
    *v0 = _mm512_add_ps(acc[0], bi);
    *v1 = _mm512_add_ps(acc[1], bi);
    if (clamp) {
        *v0 = _mm512_min_ps(hi, _mm512_max_ps(lo, *v0));
        *v1 = _mm512_min_ps(hi, _mm512_max_ps(lo, *v1));
    }
}

/* Channels [mb, mb + rows) at columns [ox, ox + cols) of output row oy; b points at the row's first
 * column in the padded planes. `wide` false: at most 16 columns, only the first vector is computed
 * (a row's last tile: 112 = 3 * 32 + 16 in the 7x7/2 and 3x3/2 stems). */
static TARGET INLINE void tile(bool wide, int64_t kdim, const int64_t *off, const float *b, const float *a, __mmask16 m0,
                               __mmask16 m1, int64_t rows, const float *bias, bool clamp, __m512 lo, __m512 hi,
                               float *y, int64_t plane) {
    __m512 acc[MR][2];
    accumulate(wide, kdim, off, b, a, m0, m1, acc);
    /* a constant trip count, unrolled: indexed by a variable, acc would live in memory */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 8
#endif
    for (int i = 0; i < MR; i++) {
        if (i >= rows) break;
        __m512 v0, v1;
        finish_row(acc[i], bias ? bias[i] : 0.0f, clamp, lo, hi, &v0, &v1);
        _mm512_mask_storeu_ps(y + i * plane, m0, v0);
        if (wide && m1) _mm512_mask_storeu_ps(y + i * plane + 16, m1, v1);
    }
}

/* Lanes [lo, hi) of 16 set (clipped to 0..16). */
static INLINE __mmask16 lane_range(int64_t lo, int64_t hi) {
    if (lo < 0) lo = 0;
    if (hi > 16) hi = 16;
    if (hi <= lo) return 0;
    return (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

/* Stores v, grid columns [j, j + 16), into Y's rows: grid column c is output (c / wq, c % wq), kept
 * where c % wq < ow; one masked store per output row the vector touches. */
static TARGET INLINE void store_grid(__m512 v, float *y, int64_t j, int64_t wq, int64_t ow, int64_t jend) {
    for (int64_t oy = j / wq; oy * wq < j + 16 && oy * wq < jend; oy++) {
        int64_t first = oy * wq - j; /* lane of the row's column 0 */
        __mmask16 m = lane_range(first, first + ow) & lane_range(0, jend - j);
        if (m) _mm512_mask_storeu_ps(y + oy * ow - first, m, v);
    }
}

/* Channels [mb, mb + rows) at grid columns [j, j + 32) (the second vector only when `wide`). */
static TARGET INLINE void grid_tile(bool wide, int64_t kdim, const int64_t *off, const float *b, const float *a,
                                    int64_t rows, const float *bias, bool clamp, __m512 lo, __m512 hi, float *y,
                                    int64_t plane, int64_t j, int64_t wq, int64_t ow, int64_t jend) {
    __m512 acc[MR][2];
    __mmask16 m0 = lane_range(0, jend - j), m1 = lane_range(0, jend - j - 16);
    accumulate(wide, kdim, off, b, a, m0, m1, acc);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 8
#endif
    for (int i = 0; i < MR; i++) {
        if (i >= rows) break;
        __m512 v0, v1;
        finish_row(acc[i], bias ? bias[i] : 0.0f, clamp, lo, hi, &v0, &v1);
        store_grid(v0, y + i * plane, j, wq, ow, jend);
        if (wide) store_grid(v1, y + i * plane, j + 16, wq, ow, jend);
    }
}

/* Small images (rows narrower than a tile): tiles of 32 grid columns, as the GEMM's grid, so that
 * lanes are not wasted past each short row (3x3 at 14x14: 0.098 -> 0.082 ms against the GEMM path).
 * Units [u0, u1) of the grid columns [jbegin, jend). */
static TARGET void grid_units(int64_t kdim, const int64_t *off, int64_t m, const float *padded, int64_t wq,
                              const float *wpk, const float *bias, bool clamp, __m512 vlo, __m512 vhi, int64_t jbegin,
                              int64_t jend, int64_t u0, int64_t u1, int64_t ow, int64_t plane, float *y) {
    int64_t panels = (m + MR - 1) / MR, tiles = (jend - jbegin + 31) / 32;
    for (int64_t u = u0; u < u1; u++) {
        int64_t panel, tile;
        cort_padded_direct_unit(u, kdim, panels, tiles, &panel, &tile);
        int64_t mb = panel * MR, j = jbegin + tile * 32, rows = m - mb < MR ? m - mb : MR;
        const float *a = wpk + mb * kdim, *bm = bias ? bias + mb : NULL;
        if (jend - j > 16)
            grid_tile(true, kdim, off, padded + j, a, rows, bm, clamp, vlo, vhi, y + mb * plane, plane, j, wq, ow, jend);
        else
            grid_tile(false, kdim, off, padded + j, a, rows, bm, clamp, vlo, vhi, y + mb * plane, plane, j, wq, ow, jend);
    }
}

/* Wide images: tiles of 32 columns of one output row, stored with no splitting. */
static TARGET void wide_rows(int64_t kdim, const int64_t *off, int64_t m, const float *padded, int64_t wq,
                             const float *wpk, const float *bias, bool clamp, __m512 vlo, __m512 vhi, int64_t r0,
                             int64_t r1, int64_t ow, int64_t plane, float *y) {
    for (int64_t oy = r0; oy < r1; oy++)
        for (int64_t ox = 0; ox < ow; ox += 32) {
            __mmask16 m0 = lane_mask(ow - ox), m1 = lane_mask(ow - ox - 16);
            const float *b = padded + oy * wq + ox;
            for (int64_t mb = 0; mb < m; mb += MR) {
                int64_t rows = m - mb < MR ? m - mb : MR;
                const float *a = wpk + mb * kdim, *bm = bias ? bias + mb : NULL;
                float *ym = y + mb * plane + oy * ow + ox;
                if (m1) tile(true, kdim, off, b, a, m0, m1, rows, bm, clamp, vlo, vhi, ym, plane);
                else tile(false, kdim, off, b, a, m0, m1, rows, bm, clamp, vlo, vhi, ym, plane);
            }
        }
}

TARGET void cort_x86_conv_padded_direct_avx512(const cort_conv_geom *g, int64_t kdim, const int64_t *off, int64_t m,
                                               const float *padded, int64_t wq, const float *wpk, const float *bias,
                                               bool clamp, float lo, float hi, int64_t r0, int64_t r1, float *y) {
    int64_t ow = g->out[1], plane = g->out[0] * ow;
    __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    if (ow < 32) {
        int64_t jbegin = r0 * wq, jend = (r1 - 1) * wq + ow, units = (m + MR - 1) / MR * ((jend - jbegin + 31) / 32);
        grid_units(kdim, off, m, padded, wq, wpk, bias, clamp, vlo, vhi, jbegin, jend, 0, units, ow, plane, y);
    } else {
        wide_rows(kdim, off, m, padded, wq, wpk, bias, clamp, vlo, vhi, r0, r1, ow, plane, y);
    }
    /* gcc leaves out its own vzeroupper where vectors are passed in registers: with the upper halves
     * left dirty, the plain-SSE code of the next node (MaxPool) ran 3x slower */
    _mm256_zeroupper();
}

TARGET void cort_x86_conv_padded_direct_units_avx512(const cort_conv_geom *g, int64_t kdim, const int64_t *off,
                                                     int64_t m, const float *padded, int64_t wq, const float *wpk,
                                                     const float *bias, bool clamp, float lo, float hi, int64_t u0,
                                                     int64_t u1, float *y) {
    int64_t ow = g->out[1], plane = g->out[0] * ow;
    __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    grid_units(kdim, off, m, padded, wq, wpk, bias, clamp, vlo, vhi, 0, (g->out[0] - 1) * wq + ow, u0, u1, ow, plane, y);
    _mm256_zeroupper(); /* as above */
}
