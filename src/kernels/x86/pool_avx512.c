/* 2-D MaxPool / AveragePool with AVX-512 (the scheme of generic/pool.c and pool_rows.h): per output
 * row, the window's input rows reduced into a padded row 16 columns at a time, then 16 outputs at a
 * time reduce their k_w entries of it: at stride 1 by loads at successive offsets, at stride 2 by
 * loads of 32 entries split into even ones with one permute. Other strides take a scalar loop. Max
 * skips NaN: vmaxps returns its second operand, the running maximum, when the first is NaN. */
#include <immintrin.h>
#include <math.h>

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
        reduce_rows(x, p->in_w, lo, hi, p->is_max, buf + p->pad_left);
        reduce_cols(p, buf, row_scale, inv, y + i * p->out_w);
    }
    /* gcc may leave out vzeroupper here; dirty upper halves slow the next node's SSE code */
    _mm256_zeroupper();
}
