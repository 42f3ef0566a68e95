/* Direct convolution with output channels in the vector lanes (as ONNX Runtime's NCHWc kernels hold
 * them), on the phase-split padded image of conv_padded.c: a register tile of NV x 16 output
 * channels by NP output positions of one row; each k step loads NV weight vectors and broadcasts NP
 * image values, which sit at consecutive addresses (tap row offset + the row's grid column), so a
 * tile needs no packed B and computes no column it drops - on small and strided images the GEMM on
 * the padded grid computes up to a third more columns than it keeps, and the image copy it packs
 * costs as much again. The tile is transposed into Y's channel planes through a small buffer. */
#include <immintrin.h>

#include "kernels/x86/conv_padded_x86.h"

#define TARGET __attribute__((target("avx512f")))
#define INLINE inline __attribute__((always_inline))

enum { LANES = 16, MAX_NV = 4, MAX_NP = 14 };

/* acc[v][t] = sum over k of W[channel 16 v + lane][k] * B[k][t]; w: the tile's first 16-channel
 * panel, panels `wstride` floats apart. */
static TARGET INLINE void oc_accumulate(const int nv, const int np, int64_t kdim, const int64_t *off, const float *b,
                                        const float *w, int64_t wstride, __m512 acc[MAX_NV][MAX_NP]) {
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 4
#endif
    for (int v = 0; v < nv; v++)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 14
#endif
        for (int t = 0; t < np; t++) acc[v][t] = _mm512_setzero_ps();
    for (int64_t p = 0; p < kdim; p++) {
        const float *bp = b + off[p];
        __m512 wv[MAX_NV];
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 4
#endif
        for (int v = 0; v < nv; v++) wv[v] = _mm512_loadu_ps(w + v * wstride + p * LANES);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 14
#endif
        for (int t = 0; t < np; t++) {
            __m512 bt = _mm512_set1_ps(bp[t]);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 4
#endif
            for (int v = 0; v < nv; v++) acc[v][t] = _mm512_fmadd_ps(wv[v], bt, acc[v][t]);
        }
    }
}

/* Adds the bias, clamps when asked, and writes the tile into Y (channels `rows` of them from y,
 * `plane` apart; positions consecutive). */
static TARGET INLINE void oc_store(const int nv, const int np, __m512 acc[MAX_NV][MAX_NP], const float *bias,
                                   int64_t rows, bool clamp, float lo, float hi, float *y, int64_t plane) {
    float buf[MAX_NP][MAX_NV * LANES] __attribute__((aligned(64)));
    __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 4
#endif
    for (int v = 0; v < nv; v++) {
        int64_t left = rows - v * LANES;
        __mmask16 m = left >= LANES ? (__mmask16)0xffff : left <= 0 ? 0 : (__mmask16)((1u << left) - 1u);
        __m512 bv = bias ? _mm512_maskz_loadu_ps(m, bias + v * LANES) : _mm512_setzero_ps();
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 14
#endif
        for (int t = 0; t < np; t++) {
            __m512 r = _mm512_add_ps(acc[v][t], bv);
            if (clamp) r = _mm512_min_ps(vhi, _mm512_max_ps(vlo, r));
            _mm512_store_ps(&buf[t][v * LANES], r);
        }
    }
    for (int64_t c = 0; c < rows; c++)
        for (int t = 0; t < np; t++) y[c * plane + t] = buf[t][c];
}

#define OC_TILE(NV, NP)                                                                                                \
    static TARGET __attribute__((noinline)) void oc_tile_##NV##_##NP(                                                  \
        int64_t kdim, const int64_t *off, const float *b, const float *w, int64_t wstride, const float *bias,          \
        int64_t rows, bool clamp, float lo, float hi, float *y, int64_t plane) {                                       \
        __m512 acc[MAX_NV][MAX_NP];                                                                                    \
        oc_accumulate(NV, NP, kdim, off, b, w, wstride, acc);                                                          \
        oc_store(NV, NP, acc, bias, rows, clamp, lo, hi, y, plane);                                                    \
    }
#define OC_ROW2(NP) OC_TILE(2, NP)
#define OC_ROW4(NP) OC_TILE(4, NP)
OC_ROW2(1) OC_ROW2(2) OC_ROW2(3) OC_ROW2(4) OC_ROW2(5) OC_ROW2(6) OC_ROW2(7) OC_ROW2(8) OC_ROW2(9) OC_ROW2(10)
OC_ROW2(11) OC_ROW2(12) OC_ROW2(13) OC_ROW2(14)
OC_ROW4(1) OC_ROW4(2) OC_ROW4(3) OC_ROW4(4) OC_ROW4(5) OC_ROW4(6) OC_ROW4(7)

typedef void (*oc_tile_fn)(int64_t, const int64_t *, const float *, const float *, int64_t, const float *, int64_t,
                           bool, float, float, float *, int64_t);
static const oc_tile_fn TILES2[MAX_NP + 1] = {
    NULL,          oc_tile_2_1,  oc_tile_2_2,  oc_tile_2_3,  oc_tile_2_4,  oc_tile_2_5,  oc_tile_2_6, oc_tile_2_7,
    oc_tile_2_8,   oc_tile_2_9,  oc_tile_2_10, oc_tile_2_11, oc_tile_2_12, oc_tile_2_13, oc_tile_2_14};
static const oc_tile_fn TILES4[8] = {NULL,        oc_tile_4_1, oc_tile_4_2, oc_tile_4_3,
                                     oc_tile_4_4, oc_tile_4_5, oc_tile_4_6, oc_tile_4_7};

TARGET void cort_x86_conv_oc_avx512(const cort_conv_geom *g, int64_t kdim, const int64_t *off, int64_t m,
                                    const float *padded, int64_t wq, const float *wpk, const float *bias, bool clamp,
                                    float lo, float hi, int nv, int64_t u0, int64_t u1, float *y) {
    int64_t oh = g->out[0], ow = g->out[1], plane = oh * ow, wstride = kdim * LANES;
    int maxp = nv == 4 ? 7 : MAX_NP;
    int64_t chunks = (ow + maxp - 1) / maxp, per_group = oh * chunks;
    for (int64_t u = u0; u < u1; u++) {
        int64_t grp = u / per_group, oy = (u % per_group) / chunks, ch = u % chunks;
        int64_t x0 = ch * ow / chunks, x1 = (ch + 1) * ow / chunks, mb = grp * nv * LANES;
        int64_t rows = m - mb < nv * LANES ? m - mb : nv * LANES;
        const oc_tile_fn *tiles = nv == 4 ? TILES4 : TILES2;
        tiles[x1 - x0](kdim, off, padded + oy * wq + x0, wpk + mb * kdim, wstride, bias ? bias + mb : NULL, rows,
                       clamp, lo, hi, y + mb * plane + oy * ow + x0, plane);
    }
    _mm256_zeroupper(); /* see conv_padded_avx512.c */
}
