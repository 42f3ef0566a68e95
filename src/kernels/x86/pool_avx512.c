/* 2-D MaxPool / AveragePool with AVX-512 (the scheme of generic/pool.c and pool_rows.h): per output
 * row, the window's input rows reduced into a padded row 16 columns at a time, then 16 outputs at a
 * time reduce their k_w entries of it: at stride 1 by loads at successive offsets, at stride 2 by
 * loads of 32 entries split into even ones with one permute (at stride 2 with windows 2 or 3 wide, the
 * common pools, without the padded row: see stride2_row). Other strides take a scalar loop. Max
 * skips NaN: vmaxps returns its second operand, the running maximum, when the first is NaN. */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#include "kernels/generic/pool_rows.h"

#define TARGET __attribute__((target("avx512f")))
#define INLINE static inline __attribute__((always_inline))
enum { LANES = 16 };

TARGET INLINE __mmask16 tail_mask(int64_t n) { return n >= LANES ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1); }

TARGET INLINE __m512 combine(__m512 v, __m512 acc, bool is_max) {
    return is_max ? _mm512_max_ps(v, acc) : _mm512_add_ps(v, acc);
}

TARGET static void fill(float *c, int64_t n, float v) {
    __m512 vv = _mm512_set1_ps(v);
    for (int64_t i = 0; i < n; i += LANES) _mm512_mask_storeu_ps(c + i, tail_mask(n - i), vv);
}

/* col[c] = reduction over rows [lo, hi) of x's column c (the identity when there are none). */
TARGET static void reduce_rows(const float *x, int64_t w, int64_t lo, int64_t hi, bool is_max, float *col) {
    if (hi <= lo) {
        fill(col, w, is_max ? -INFINITY : 0.0f);
        return;
    }
    /* the first row is combined with the identity too: a NaN there must not seed the maximum */
    const float *first = x + lo * w;
    const __m512 id = _mm512_set1_ps(is_max ? -INFINITY : 0.0f);
    int64_t c = 0;
    for (; c + 2 * LANES <= w; c += 2 * LANES) {
        __m512 a0 = combine(_mm512_loadu_ps(first + c), id, is_max);
        __m512 a1 = combine(_mm512_loadu_ps(first + c + LANES), id, is_max);
        for (int64_t r = lo + 1; r < hi; r++) {
            const float *row = x + r * w + c;
            a0 = combine(_mm512_loadu_ps(row), a0, is_max);
            a1 = combine(_mm512_loadu_ps(row + LANES), a1, is_max);
        }
        _mm512_storeu_ps(col + c, a0);
        _mm512_storeu_ps(col + c + LANES, a1);
    }
    for (; c < w; c += LANES) {
        __mmask16 m = tail_mask(w - c);
        __m512 a = combine(_mm512_maskz_loadu_ps(m, first + c), id, is_max);
        for (int64_t r = lo + 1; r < hi; r++) a = combine(_mm512_maskz_loadu_ps(m, x + r * w + c), a, is_max);
        _mm512_mask_storeu_ps(col + c, m, a);
    }
}

/* Entries [j0 * 2 + t, + 32) of the row, their even ones. */
TARGET INLINE __m512 evens(const float *row, __m512i idx) {
    return _mm512_permutex2var_ps(_mm512_loadu_ps(row), idx, _mm512_loadu_ps(row + LANES));
}

/* out[j] for j in [0, ow): the reduction of row[j * sw + t], t < kw, times scale[j] (average) */
TARGET static void reduce_cols(const cort_pool2d *p, const float *row, float row_scale, const float *inv, float *out) {
    int64_t ow = p->out_w, kw = p->k_w, sw = p->stride_w;
    bool is_max = p->is_max;
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    __m512 rs = _mm512_set1_ps(row_scale);
    for (int64_t j = 0; j < ow; j += LANES) {
        __mmask16 m = tail_mask(ow - j);
        __m512 acc;
        if (sw == 1) {
            acc = _mm512_loadu_ps(row + j);
            for (int64_t t = 1; t < kw; t++) acc = combine(_mm512_loadu_ps(row + j + t), acc, is_max);
        } else if (sw == 2) {
            acc = evens(row + 2 * j, even);
            for (int64_t t = 1; t < kw; t++) acc = combine(evens(row + 2 * j + t, even), acc, is_max);
        } else {
            float v[LANES] = {0};
            for (int q = 0; q < LANES && j + q < ow; q++) {
                const float *c = row + (j + q) * sw;
                float s = c[0];
                for (int64_t t = 1; t < kw; t++) s = is_max ? (c[t] > s ? c[t] : s) : s + c[t];
                v[q] = s;
            }
            acc = _mm512_maskz_loadu_ps(m, v);
        }
        if (!is_max) acc = _mm512_mul_ps(_mm512_mul_ps(acc, rs), _mm512_maskz_loadu_ps(m, inv + j));
        _mm512_mask_storeu_ps(out + j, m, acc);
    }
}

/* ---- stride 2 with a window 2 or 3 wide (2x2/2 and 3x3/2, the common pools): no row buffer. Sixteen
 * outputs read 32 (33) columns: their column reductions, split into even columns E and odd ones O by
 * two permutes, give op(E, O) for width 2 and op(E, O, E shifted by one lane) for width 3, the shifted
 * lane coming from the next block's E, which the next step needs anyway. */

/* Lanes l with 0 <= c0 + l < w: the columns of a 16-column block inside the image. */
TARGET INLINE __mmask16 inside_mask(int64_t c0, int64_t w) {
    int64_t lo = c0 < 0 ? -c0 : 0, hi = w - c0 < LANES ? w - c0 : LANES;
    if (hi <= lo) return 0;
    return (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1));
}

/* The reduction over rows [lo, hi) of columns [c0, c0 + 16), the identity outside the image. The
 * address is formed as an integer: c0 may be negative, and the masked lanes are never read. */
TARGET INLINE __m512 column_block(const float *x, int64_t w, int64_t lo, int64_t hi, int64_t c0, bool is_max,
                                  __m512 id) {
    __mmask16 m = inside_mask(c0, w);
    __m512 acc = id;
    if (m == 0) return acc;
    for (int64_t r = lo; r < hi; r++) {
        const float *at = (const float *)((uintptr_t)(x + r * w) + (uintptr_t)(c0 * (int64_t)sizeof(float)));
        __m512 v = m == 0xFFFF ? _mm512_loadu_ps(at) : _mm512_mask_loadu_ps(id, m, at);
        acc = combine(v, acc, is_max);
    }
    return acc;
}

TARGET static void stride2_row(const cort_pool2d *p, const float *x, int64_t lo, int64_t hi, float row_scale,
                               const float *inv, float *out) {
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    bool is_max = p->is_max, wide = p->k_w == 3;
    int64_t w = p->in_w, ow = p->out_w, c0 = -p->pad_left;
    __m512 id = _mm512_set1_ps(is_max ? -INFINITY : 0.0f), rs = _mm512_set1_ps(row_scale);
    __m512 v0 = column_block(x, w, lo, hi, c0, is_max, id), v1 = column_block(x, w, lo, hi, c0 + LANES, is_max, id);
    __m512 e = _mm512_permutex2var_ps(v0, even, v1), o = _mm512_permutex2var_ps(v0, odd, v1);
    for (int64_t j = 0; j < ow; j += LANES) {
        c0 += 2 * LANES;
        __m512 acc = combine(e, o, is_max);
        if (wide || j + LANES < ow) { /* the next block's columns */
            v0 = column_block(x, w, lo, hi, c0, is_max, id);
            v1 = column_block(x, w, lo, hi, c0 + LANES, is_max, id);
            __m512 next_e = _mm512_permutex2var_ps(v0, even, v1);
            if (wide)
                acc = combine(_mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(next_e),
                                                                      _mm512_castps_si512(e), 1)),
                              acc, is_max);
            e = next_e;
            o = _mm512_permutex2var_ps(v0, odd, v1);
        }
        __mmask16 m = tail_mask(ow - j);
        if (!is_max) acc = _mm512_mul_ps(_mm512_mul_ps(acc, rs), _mm512_maskz_loadu_ps(m, inv + j));
        _mm512_mask_storeu_ps(out + j, m, acc);
    }
}

TARGET void cort_x86_pool2d_avx512(const cort_pool2d *p, const float *x, float *y, int64_t r0, int64_t r1) {
    float buf[CORT_POOL2D_MAX_COLS + CORT_POOL2D_SLACK], inv[CORT_POOL2D_MAX_COLS];
    int64_t cols = cort_pool2d_cols(p), image_end = p->pad_left + p->in_w;
    float init = p->is_max ? -INFINITY : 0.0f;
    fill(buf, p->pad_left, init);
    fill(buf + image_end, cols + CORT_POOL2D_SLACK - image_end, init);
    if (!p->is_max)
        for (int64_t j = 0; j < p->out_w; j++) inv[j] = cort_pool2d_col_scale(p, j);
    for (int64_t i = r0; i < r1; i++) {
        int64_t lo, hi;
        float row_scale;
        cort_pool2d_row(p, i, &lo, &hi, &row_scale);
        if (p->stream) /* reading two rows at once, 1 KiB apart, defeats the hardware's prefetch of each */
            for (int64_t r = hi; r < hi + p->stride_h && r < p->in_h; r++)
                for (int64_t c = 0; c < p->in_w; c += LANES) _mm_prefetch((const char *)(x + r * p->in_w + c), _MM_HINT_T0);
        if (p->stride_w == 2 && (p->k_w == 2 || p->k_w == 3)) {
            stride2_row(p, x, lo, hi, row_scale, inv, y + i * p->out_w);
            continue;
        }
        reduce_rows(x, p->in_w, lo, hi, p->is_max, buf + p->pad_left);
        reduce_cols(p, buf, row_scale, inv, y + i * p->out_w);
    }
    /* gcc may leave out vzeroupper here; dirty upper halves slow the next node's SSE code */
    _mm256_zeroupper();
}
