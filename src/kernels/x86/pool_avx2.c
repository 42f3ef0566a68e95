/* 2-D MaxPool / AveragePool with AVX2, as pool_avx512.c does it with 8 lanes: per output row, the
 * window's input rows reduced into a padded row, then 8 outputs at a time reduce their k_w entries of
 * it (stride 1: loads at successive offsets; stride 2: 16 entries split into their even ones by two
 * lane permutes and a 128-bit blend). Other strides and row tails take a scalar loop. */
#include <immintrin.h>
#include <math.h>

#include "kernels/generic/pool_rows.h"

#define TARGET __attribute__((target("avx2")))
#define INLINE static inline __attribute__((always_inline))
enum { LANES = 8 };

TARGET INLINE __m256 combine(__m256 v, __m256 acc, bool is_max) {
    return is_max ? _mm256_max_ps(v, acc) : _mm256_add_ps(v, acc);
}

static inline float combine1(float v, float acc, bool is_max) { return is_max ? (v > acc ? v : acc) : v + acc; }

static void fill(float *c, int64_t n, float v) {
    for (int64_t i = 0; i < n; i++) c[i] = v;
}

/* col[c] = reduction over rows [lo, hi) of x's column c (the identity when there are none). */
TARGET static void reduce_rows(const float *x, int64_t w, int64_t lo, int64_t hi, bool is_max, float *col) {
    if (hi <= lo) {
        fill(col, w, is_max ? -INFINITY : 0.0f);
        return;
    }
    /* the first row is combined with the identity too: a NaN there must not seed the maximum */
    const float *first = x + lo * w;
    const __m256 id = _mm256_set1_ps(is_max ? -INFINITY : 0.0f);
    int64_t c = 0;
    for (; c + 2 * LANES <= w; c += 2 * LANES) {
        __m256 a0 = combine(_mm256_loadu_ps(first + c), id, is_max);
        __m256 a1 = combine(_mm256_loadu_ps(first + c + LANES), id, is_max);
        for (int64_t r = lo + 1; r < hi; r++) {
            const float *row = x + r * w + c;
            a0 = combine(_mm256_loadu_ps(row), a0, is_max);
            a1 = combine(_mm256_loadu_ps(row + LANES), a1, is_max);
        }
        _mm256_storeu_ps(col + c, a0);
        _mm256_storeu_ps(col + c + LANES, a1);
    }
    for (; c < w; c++) {
        float a = combine1(first[c], is_max ? -INFINITY : 0.0f, is_max);
        for (int64_t r = lo + 1; r < hi; r++) a = combine1(x[r * w + c], a, is_max);
        col[c] = a;
    }
}

/* Entries [at, at + 16) of the row, their even ones. */
TARGET INLINE __m256 evens(const float *at) {
    const __m256i split = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    __m256 lo = _mm256_permutevar8x32_ps(_mm256_loadu_ps(at), split);
    __m256 hi = _mm256_permutevar8x32_ps(_mm256_loadu_ps(at + LANES), split);
    return _mm256_permute2f128_ps(lo, hi, 0x20);
}

static float reduce_one(const cort_pool2d *p, const float *row, int64_t j, float row_scale, const float *inv) {
    const float *c = row + j * p->stride_w;
    float s = c[0];
    for (int64_t t = 1; t < p->k_w; t++) s = combine1(c[t], s, p->is_max);
    return p->is_max ? s : s * row_scale * inv[j];
}

/* out[j] for j in [0, ow): the reduction of row[j * sw + t], t < kw, times the scales (average) */
TARGET static void reduce_cols(const cort_pool2d *p, const float *row, float row_scale, const float *inv, float *out) {
    int64_t ow = p->out_w, kw = p->k_w, sw = p->stride_w, j = 0;
    bool is_max = p->is_max;
    __m256 rs = _mm256_set1_ps(row_scale);
    if (sw <= 2) {
        for (; j + LANES <= ow; j += LANES) {
            __m256 acc;
            if (sw == 1) {
                acc = _mm256_loadu_ps(row + j);
                for (int64_t t = 1; t < kw; t++) acc = combine(_mm256_loadu_ps(row + j + t), acc, is_max);
            } else {
                acc = evens(row + 2 * j);
                for (int64_t t = 1; t < kw; t++) acc = combine(evens(row + 2 * j + t), acc, is_max);
            }
            if (!is_max) acc = _mm256_mul_ps(_mm256_mul_ps(acc, rs), _mm256_loadu_ps(inv + j));
            _mm256_storeu_ps(out + j, acc);
        }
    }
    for (; j < ow; j++) out[j] = reduce_one(p, row, j, row_scale, inv);
}

TARGET void cort_x86_pool2d_avx2(const cort_pool2d *p, const float *x, float *y, int64_t r0, int64_t r1) {
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
    _mm256_zeroupper();
}
