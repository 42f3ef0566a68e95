/* Depthwise 3x3 and 5x5 convolution with AVX-512, stride 1 or 2, bias and activation applied before
 * the store. Four output rows are computed at a time, 16 columns at a time, straight from the image
 * (the padding by masked loads and a zero row): every input row vector loaded serves the taps of each
 * output row that reads it, with the weights broadcast in registers; at stride 2 permutes split the
 * loads into even and odd columns. Rows at most 8 wide go two to a vector. The right edge of a row is
 * stored with a mask. The kernel size, stride, rows per step and activation are compile-time
 * constants of each specialised loop. */
#include <immintrin.h>

#include "kernels/x86/avx512_math.h"
#include "kernels/x86/conv_dw_x86.h"

#define TARGET __attribute__((target("avx512f")))
#define INLINE static inline __attribute__((always_inline))
/* the tap and row loops have constant trip counts: unrolled whole, their accumulators stay in registers */
#define UNROLL _Pragma("GCC unroll 32")
enum { LANES = 16, MAX_TAPS = 25 };

/* The activations applied in registers; the others (Tanh) are clamped to +-inf here (a no-op) and
 * applied over each finished plane by cort_activation_apply. */
enum {
    ACT_CLAMP = CORT_DW_CLAMP,
    ACT_HARD_SWISH = CORT_DW_HARD_SWISH,
    ACT_HARD_SIGMOID = CORT_DW_HARD_SIGMOID,
    ACT_LEAKY = CORT_DW_LEAKY,
    ACT_SIGMOID = CORT_DW_SIGMOID,
    ACT_SILU = CORT_DW_SILU,
    ACT_KINDS = CORT_DW_ACT_KINDS
};

typedef struct act_consts {
    __m512 lo, hi, alpha, beta;
} act_consts;

TARGET INLINE __m512 activate(__m512 v, const act_consts *a, const int kind) {
    const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
    switch (kind) {
    case ACT_HARD_SWISH: { /* v * min(max(v / 6 + 1/2, 0), 1) */
        __m512 t = _mm512_fmadd_ps(v, a->alpha, a->beta);
        return _mm512_mul_ps(v, _mm512_min_ps(_mm512_max_ps(t, zero), one));
    }
    case ACT_HARD_SIGMOID: {
        __m512 t = _mm512_fmadd_ps(v, a->alpha, a->beta);
        return _mm512_min_ps(_mm512_max_ps(t, zero), one);
    }
    case ACT_LEAKY:
        return _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), v, a->alpha);
    case ACT_SIGMOID:
        return cort_sigmoid16_fast(v);
    case ACT_SILU:
        return _mm512_mul_ps(v, cort_sigmoid16_fast(v));
    default: /* NaN passes: max/min return their second operand when either is NaN */
        return _mm512_min_ps(a->hi, _mm512_max_ps(a->lo, v));
    }
}

static TARGET inline __mmask16 tail_mask(int64_t n) {
    return n >= LANES ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1u);
}

/* The kernels read the image directly, with no padded copy: a row above or below the image reads a
 * row of zeros instead, and columns outside it are masked off each load (masked-off lanes touch no
 * memory), the masks depending only on the tap column and the column block. */

enum { ZERO_LEAD = 16 }; /* zeros before the zero row's column 0: loads start up to K - 1 before it */

/* Floats of the zero row (a multiple of 16): the loads of the last column block at stride 2 reach
 * 2 * (ow rounded up to 16) + K - 1 + 16 columns past its start. */
static inline int64_t zero_row_floats(const cort_dw_layout *l) {
    return (ZERO_LEAD + 2 * (l->ow + LANES) + l->k + LANES + LANES - 1) / LANES * LANES;
}

/* Address of column `col` (possibly negative) of input row `src`, or of the zero row outside the image. */
TARGET INLINE const float *image_at(const float *x, const float *zeros, const cort_dw_layout *l, int64_t src,
                                    int64_t col) {
    if (src < 0 || src >= l->in_h) return zeros + ZERO_LEAD + col;
    return (const float *)((uintptr_t)x + (uintptr_t)((src * l->in_w + col) * (int64_t)sizeof(float)));
}

/* Lanes l of a load starting at image column `col` with 0 <= col + l < in_w, and l < lanes. */
static TARGET inline __mmask16 inside_mask(int64_t col, int64_t in_w, int lanes) {
    int64_t lo = -col, hi = in_w - col;
    lo = lo < 0 ? 0 : lo > lanes ? lanes : lo;
    hi = hi < 0 ? 0 : hi > lanes ? lanes : hi;
    return (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

/* Output rows [i, i + R) of one channel at stride 1, all column blocks: each input row vector loaded
 * feeds every output row that reads it; two partial sums per row (even and odd tap rows) halve the
 * FMA dependency chains. */
TARGET INLINE void rows_step_direct(const float *x, const float *zeros, const cort_dw_layout *l, const __m512 *wv,
                                    __m512 bias, const act_consts *ac, float *y, int64_t i, const int K, const int R,
                                    const int kind) {
    const float *rows[4 + 5 - 1];
    UNROLL for (int q = 0; q < R - 1 + K; q++) rows[q] = image_at(x, zeros, l, i + q - l->top, -l->left);
    const int64_t ow = l->ow, in_w = l->in_w, left = l->left;
    for (int64_t j = 0; j < ow; j += LANES) {
        __mmask16 m[5];
        UNROLL for (int c = 0; c < K; c++) m[c] = inside_mask(j + c - left, in_w, LANES);
        __m512 acc[4][2];
        UNROLL for (int t = 0; t < R; t++) acc[t][0] = bias, acc[t][1] = _mm512_setzero_ps();
        UNROLL for (int q = 0; q < R - 1 + K; q++) {
            const float *row = rows[q] + j;
            UNROLL for (int c = 0; c < K; c++) {
                __m512 v = _mm512_maskz_loadu_ps(m[c], row + c);
                UNROLL for (int t = 0; t < R; t++) {
                    int r = q - t;
                    if (r >= 0 && r < K) acc[t][r & 1] = _mm512_fmadd_ps(wv[r * K + c], v, acc[t][r & 1]);
                }
            }
        }
        UNROLL for (int t = 0; t < R; t++) {
            __m512 v = activate(_mm512_add_ps(acc[t][0], acc[t][1]), ac, kind);
            float *dst = y + (i + t) * ow + j;
            if (j + LANES <= ow) _mm512_storeu_ps(dst, v);
            else _mm512_mask_storeu_ps(dst, tail_mask(ow - j), v);
        }
    }
}

/* Rows at most 8 wide (the late, small planes) go two to a vector: lanes 0..7 hold output row 2v,
 * lanes 8..15 row 2v + 1, loaded from the next input row by a second, merging masked load. */
TARGET INLINE void pairs_step_direct(const float *x, const float *zeros, const cort_dw_layout *l, const __m512 *wv,
                                     __m512 bias, const act_consts *ac, float *y, int64_t v, const int K, const int R,
                                     const int kind) {
    __mmask16 lo[5], hi[5];
    UNROLL for (int c = 0; c < K; c++) {
        lo[c] = inside_mask(c - l->left, l->in_w, LANES / 2);
        hi[c] = (__mmask16)(lo[c] << 8);
    }
    __m512 acc[4][2];
    UNROLL for (int t = 0; t < R; t++) acc[t][0] = bias, acc[t][1] = _mm512_setzero_ps();
    UNROLL for (int q = 0; q < 2 * (R - 1) + K; q++) {
        const float *row = image_at(x, zeros, l, 2 * v + q - l->top, -l->left);
        const float *next = image_at(x, zeros, l, 2 * v + q + 1 - l->top, -l->left - LANES / 2);
        UNROLL for (int c = 0; c < K; c++) {
            __m512 x2 = _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(lo[c], row + c), hi[c], next + c);
            UNROLL for (int t = 0; t < R; t++) {
                int r = q - 2 * t;
                if (r >= 0 && r < K) acc[t][r & 1] = _mm512_fmadd_ps(wv[r * K + c], x2, acc[t][r & 1]);
            }
        }
    }
    __mmask16 one_row = (__mmask16)((1u << l->ow) - 1u), both = (__mmask16)(one_row | one_row << 8);
    UNROLL for (int t = 0; t < R; t++) {
        int64_t out_row = 2 * (v + t);
        __m512 val = _mm512_maskz_compress_ps(both, activate(_mm512_add_ps(acc[t][0], acc[t][1]), ac, kind));
        int64_t n = out_row + 1 < l->oh ? 2 * l->ow : l->ow;
        _mm512_mask_storeu_ps(y + out_row * l->ow, tail_mask(n), val);
    }
}

/* Stride 2 straight from the image: tap column c of 16 outputs reads every other column from
 * 2j - left + c, so each input row is loaded as pairs of vectors from offsets o = 0, 2, 4 (masked at
 * the image's edges) and split into even columns (tap o) and odd columns (tap o + 1) by permutes. */
TARGET INLINE void rows_step_direct2(const float *x, const float *zeros, const cort_dw_layout *l, const __m512 *wv,
                                     __m512 bias, const act_consts *ac, float *y, int64_t i, const int K, const int R,
                                     const int kind) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const float *rows[2 * 3 + 5];
    UNROLL for (int q = 0; q < 2 * (R - 1) + K; q++) rows[q] = image_at(x, zeros, l, 2 * i + q - l->top, -l->left);
    const int64_t ow = l->ow, in_w = l->in_w, left = l->left;
    for (int64_t j = 0; j < ow; j += LANES) {
        __mmask16 ma[3], mb[3];
        UNROLL for (int o = 0; o < K; o += 2) {
            ma[o / 2] = inside_mask(2 * j - left + o, in_w, LANES);
            mb[o / 2] = inside_mask(2 * j - left + o + LANES, in_w, LANES);
        }
        __m512 acc[4][2];
        UNROLL for (int t = 0; t < R; t++) acc[t][0] = bias, acc[t][1] = _mm512_setzero_ps();
        UNROLL for (int q = 0; q < 2 * (R - 1) + K; q++) {
            const float *row = rows[q] + 2 * j;
            UNROLL for (int c = 0; c < K; c++) {
                int o = c & ~1;
                __m512 a = _mm512_maskz_loadu_ps(ma[o / 2], row + o), b = _mm512_maskz_loadu_ps(mb[o / 2], row + o + LANES);
                __m512 v = _mm512_permutex2var_ps(a, c & 1 ? odd : even, b);
                UNROLL for (int t = 0; t < R; t++) {
                    int r = q - 2 * t;
                    if (r >= 0 && r < K) acc[t][r & 1] = _mm512_fmadd_ps(wv[r * K + c], v, acc[t][r & 1]);
                }
            }
        }
        UNROLL for (int t = 0; t < R; t++) {
            __m512 v = activate(_mm512_add_ps(acc[t][0], acc[t][1]), ac, kind);
            float *dst = y + (i + t) * ow + j;
            if (j + LANES <= ow) _mm512_storeu_ps(dst, v);
            else _mm512_mask_storeu_ps(dst, tail_mask(ow - j), v);
        }
    }
}

/* Stride 2, rows at most 8 wide, two to a vector: lanes 0..7 take the even (or odd) columns of input
 * row q, lanes 8..15 those of row q + 2, which the next output row reads. */
TARGET INLINE void pairs_step_direct2(const float *x, const float *zeros, const cort_dw_layout *l, const __m512 *wv,
                                      __m512 bias, const act_consts *ac, float *y, int64_t v, const int K, const int R,
                                      const int kind) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    __mmask16 m[3];
    UNROLL for (int o = 0; o < K; o += 2) m[o / 2] = inside_mask(o - l->left, l->in_w, LANES);
    __m512 acc[4][2];
    UNROLL for (int t = 0; t < R; t++) acc[t][0] = bias, acc[t][1] = _mm512_setzero_ps();
    UNROLL for (int q = 0; q < 4 * (R - 1) + K; q++) {
        const float *row = image_at(x, zeros, l, 4 * v + q - l->top, -l->left);
        const float *next = image_at(x, zeros, l, 4 * v + q + 2 - l->top, -l->left);
        UNROLL for (int c = 0; c < K; c++) {
            int o = c & ~1;
            __m512 a = _mm512_maskz_loadu_ps(m[o / 2], row + o), b = _mm512_maskz_loadu_ps(m[o / 2], next + o);
            __m512 x2 = _mm512_permutex2var_ps(a, c & 1 ? odd : even, b);
            UNROLL for (int t = 0; t < R; t++) {
                int r = q - 4 * t;
                if (r >= 0 && r < K) acc[t][r & 1] = _mm512_fmadd_ps(wv[r * K + c], x2, acc[t][r & 1]);
            }
        }
    }
    __mmask16 one_row = (__mmask16)((1u << l->ow) - 1u), both = (__mmask16)(one_row | one_row << 8);
    UNROLL for (int t = 0; t < R; t++) {
        int64_t out_row = 2 * (v + t);
        __m512 val = _mm512_maskz_compress_ps(both, activate(_mm512_add_ps(acc[t][0], acc[t][1]), ac, kind));
        int64_t n = out_row + 1 < l->oh ? 2 * l->ow : l->ow;
        _mm512_mask_storeu_ps(y + out_row * l->ow, tail_mask(n), val);
    }
}

TARGET INLINE void channel_direct(const float *x, const float *zeros, const cort_dw_layout *l, const float *w,
                                  float bias, const act_consts *ac, float *y, const int K, const int S, const int kind) {
    __m512 wv[MAX_TAPS];
    UNROLL for (int t = 0; t < K * K; t++) wv[t] = _mm512_set1_ps(w[t]);
    __m512 b = _mm512_set1_ps(bias);
    int64_t i = 0;
    if (l->ow <= LANES / 2) {
        int64_t vrows = (l->oh + 1) / 2;
#define PAIRS(R)                                                                                                 \
    (S == 1 ? pairs_step_direct(x, zeros, l, wv, b, ac, y, i, K, R, kind)                                       \
            : pairs_step_direct2(x, zeros, l, wv, b, ac, y, i, K, R, kind))
        for (; i + 4 <= vrows; i += 4) PAIRS(4);
        if (i + 2 <= vrows) {
            PAIRS(2);
            i += 2;
        }
        if (i < vrows) PAIRS(1);
#undef PAIRS
        return;
    }
    /* the next channel's rows are fetched while this one's are computed, a step's worth at a time */
    const char *next = (const char *)(x + l->in_h * l->in_w);
    int64_t step_bytes = 4 * S * l->in_w * (int64_t)sizeof(float);
#define ROWS(R)                                                                                                  \
    (S == 1 ? rows_step_direct(x, zeros, l, wv, b, ac, y, i, K, R, kind)                                        \
            : rows_step_direct2(x, zeros, l, wv, b, ac, y, i, K, R, kind))
    for (; i + 4 <= l->oh; i += 4) {
        for (int64_t off = 0; off < step_bytes; off += 64)
            _mm_prefetch(next + S * i * l->in_w * (int64_t)sizeof(float) + off, _MM_HINT_T0);
        ROWS(4);
    }
    if (i + 2 <= l->oh) {
        ROWS(2);
        i += 2;
    }
    if (i < l->oh) ROWS(1);
#undef ROWS
}

typedef void (*channel_fn)(const float *x, const float *zeros, const cort_dw_layout *l, const float *w, float bias,
                           const act_consts *ac, float *y);

#define CHANNEL_FN(K, S, KIND)                                                                                   \
    static TARGET void channel_##K##_##S##_##KIND(const float *x, const float *zeros, const cort_dw_layout *l,   \
                                                  const float *w, float bias, const act_consts *ac, float *y) {  \
        channel_direct(x, zeros, l, w, bias, ac, y, K, S, KIND);                                                 \
    }
#define CHANNEL_FNS(KIND)                                                                                        \
    CHANNEL_FN(3, 1, KIND) CHANNEL_FN(3, 2, KIND) CHANNEL_FN(5, 1, KIND) CHANNEL_FN(5, 2, KIND)
CHANNEL_FNS(ACT_CLAMP)
CHANNEL_FNS(ACT_HARD_SWISH)
CHANNEL_FNS(ACT_HARD_SIGMOID)
CHANNEL_FNS(ACT_LEAKY)
CHANNEL_FNS(ACT_SIGMOID)
CHANNEL_FNS(ACT_SILU)

#define CHANNEL_ROW(KIND)                                                                                        \
    {channel_3_1_##KIND, channel_3_2_##KIND, channel_5_1_##KIND, channel_5_2_##KIND}
static const channel_fn channel_fns[ACT_KINDS][4] = {CHANNEL_ROW(ACT_CLAMP),         CHANNEL_ROW(ACT_HARD_SWISH),
                                                     CHANNEL_ROW(ACT_HARD_SIGMOID), CHANNEL_ROW(ACT_LEAKY),
                                                     CHANNEL_ROW(ACT_SIGMOID),      CHANNEL_ROW(ACT_SILU)};

/* ---------------------------------------------------------------- small planes, 16 channels at once
 * On planes of a few dozen pixels the per-channel loops above spend more on row setup, masks and
 * half-empty vectors than on multiply-adds. Here 16 channels are computed together, one per lane: the
 * block's input is transposed (16x16 in registers) into a zero-bordered, channel-minor copy, each
 * output pixel is then K * K vector FMAs with the weights in registers, bias and activation applied
 * before the result is transposed back into the 16 planes. */

/* Planes up to 16x16, and 5x5 filters on planes up to 64x64: measured on the mobile nets' layers, the
 * blocks win there (1.1-2.4x) and lose on larger 3x3 planes, where the transposes cost more than the
 * per-channel loops waste. */
enum { BLOCK = 16, BLOCKED_MAX_PIXELS = 256, BLOCKED_MAX_PIXELS_5X5 = 4096 };

typedef struct blocked_layout {
    int64_t hp, wp;   /* the channel-minor padded copy: hp rows of wp pixels of 16 floats */
    int64_t in_px, out_px;
} blocked_layout;

static blocked_layout blocked_layout_of(const cort_dw_layout *l) {
    blocked_layout b;
    b.hp = (l->oh - 1) * l->stride + l->k;
    b.wp = (l->ow - 1) * l->stride + l->k;
    if (b.hp < l->top + l->in_h) b.hp = l->top + l->in_h;
    if (b.wp < l->left + l->in_w) b.wp = l->left + l->in_w;
    b.in_px = l->in_h * l->in_w;
    b.out_px = l->oh * l->ow;
    return b;
}

static size_t blocked_floats(const blocked_layout *b) { return (size_t)((b->hp * b->wp + b->out_px) * BLOCK); }

static bool blocked_ok(const cort_dw_layout *l) {
    int64_t limit = l->k == 5 ? BLOCKED_MAX_PIXELS_5X5 : BLOCKED_MAX_PIXELS;
    return l->in_h * l->in_w <= limit && l->oh * l->ow <= limit;
}

/* r[i] becomes column i of the 16x16 matrix whose rows were r[0..15]. */
TARGET INLINE void transpose16(__m512 r[16]) {
    __m512 t[16];
    UNROLL for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    UNROLL for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xee);
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xee);
    }
    UNROLL for (int i = 0; i < 16; i += 8) {
        UNROLL for (int j = 0; j < 4; j++) {
            t[i + j] = _mm512_shuffle_f32x4(r[i + j], r[i + j + 4], 0x88);
            t[i + j + 4] = _mm512_shuffle_f32x4(r[i + j], r[i + j + 4], 0xdd);
        }
    }
    UNROLL for (int j = 0; j < 8; j++) {
        r[j] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0x88);
        r[j + 8] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0xdd);
    }
}

/* Zeros the padded copy's border, which block_in never writes: only that, since a call may be one of
 * many small tasks (a thread's share of channels), each of which would otherwise clear the whole copy. */
static TARGET void zero_border(const cort_dw_layout *l, const blocked_layout *b, float *pad) {
    const __m512 zero = _mm512_setzero_ps();
    int64_t inside_top = l->top, inside_end = l->top + l->in_h, right = l->left + l->in_w;
    for (int64_t r = 0; r < b->hp; r++) {
        float *row = pad + r * b->wp * BLOCK;
        bool inside = r >= inside_top && r < inside_end;
        for (int64_t c = 0; c < b->wp; c++) {
            if (inside && c == l->left) c = right; /* skip the interior */
            if (c < b->wp) _mm512_store_ps(row + c * BLOCK, zero);
        }
    }
}

/* The nc <= 16 planes at x (isize apart) into the padded copy's interior, 16 pixels at a time; the
 * lanes of missing channels are zeros. */
static TARGET void block_in(const float *x, int nc, const cort_dw_layout *l, const blocked_layout *b, float *pad) {
    int64_t isize = b->in_px, row = 0, col = 0;
    for (int64_t p = 0; p < isize; p += LANES) {
        __mmask16 m = tail_mask(isize - p);
        __m512 r[16];
        UNROLL for (int c = 0; c < 16; c++) r[c] = c < nc ? _mm512_maskz_loadu_ps(m, x + c * isize + p) : _mm512_setzero_ps();
        transpose16(r);
        int n = isize - p < LANES ? (int)(isize - p) : LANES;
        for (int k = 0; k < n; k++) {
            _mm512_store_ps(pad + ((row + l->top) * b->wp + col + l->left) * BLOCK, r[k]);
            if (++col == l->in_w) col = 0, row++;
        }
    }
}

/* The channel-minor outputs back into the nc <= 16 planes at y (osize apart). */
static TARGET void block_out(const float *out, int nc, const blocked_layout *b, float *y) {
    int64_t osize = b->out_px;
    for (int64_t p = 0; p < osize; p += LANES) {
        int n = osize - p < LANES ? (int)(osize - p) : LANES;
        __m512 r[16];
        UNROLL for (int k = 0; k < 16; k++) r[k] = k < n ? _mm512_load_ps(out + (p + k) * BLOCK) : _mm512_setzero_ps();
        transpose16(r);
        __mmask16 m = tail_mask(n);
        UNROLL for (int c = 0; c < 16; c++)
            if (c < nc) _mm512_mask_storeu_ps(y + c * osize + p, m, r[c]);
    }
}

/* Every output pixel of the block: K * K FMAs over the padded copy, two partial sums. */
TARGET INLINE void block_compute(const float *pad, const cort_dw_layout *l, const blocked_layout *b, const __m512 *wv,
                                 __m512 bias, const act_consts *ac, float *out, const int K, const int S,
                                 const int kind) {
    for (int64_t i = 0; i < l->oh; i++) {
        const float *rowp = pad + i * S * b->wp * BLOCK;
        float *o = out + i * l->ow * BLOCK;
        for (int64_t j = 0; j < l->ow; j++) {
            const float *p = rowp + j * S * BLOCK;
            __m512 acc[2] = {bias, _mm512_setzero_ps()};
            UNROLL for (int r = 0; r < K; r++)
                UNROLL for (int c = 0; c < K; c++) acc[(r * K + c) & 1] =
                    _mm512_fmadd_ps(wv[r * K + c], _mm512_load_ps(p + (r * b->wp + c) * BLOCK), acc[(r * K + c) & 1]);
            _mm512_store_ps(o + j * BLOCK, activate(_mm512_add_ps(acc[0], acc[1]), ac, kind));
        }
    }
}

/* Channels [c_begin, c_end) in blocks of 16, the last possibly short; `pad` is zeroed by the caller,
 * its border stays so. */
TARGET INLINE void blocks_direct(const float *x, const cort_dw_layout *l, const blocked_layout *b, const float *w,
                                 const float *bias, const act_consts *ac, int64_t c_begin, int64_t c_end, float *y,
                                 float *pad, const int K, const int S, const int kind) {
    float *out = pad + b->hp * b->wp * BLOCK;
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i widx = _mm512_mullo_epi32(lane, _mm512_set1_epi32(K * K));
    for (int64_t c = c_begin; c < c_end; c += BLOCK) {
        int nc = c_end - c < BLOCK ? (int)(c_end - c) : BLOCK;
        __mmask16 cm = tail_mask(nc);
        __m512 wv[MAX_TAPS];
        UNROLL for (int t = 0; t < K * K; t++)
            wv[t] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), cm, widx, w + c * K * K + t, 4);
        __m512 bv = bias ? _mm512_maskz_loadu_ps(cm, bias + c) : _mm512_setzero_ps();
        block_in(x + c * b->in_px, nc, l, b, pad);
        block_compute(pad, l, b, wv, bv, ac, out, K, S, kind);
        block_out(out, nc, b, y + c * b->out_px);
    }
}

typedef void (*blocks_fn)(const float *x, const cort_dw_layout *l, const blocked_layout *b, const float *w,
                          const float *bias, const act_consts *ac, int64_t c_begin, int64_t c_end, float *y,
                          float *pad);

#define BLOCKS_FN(K, S, KIND)                                                                                    \
    static TARGET void blocks_##K##_##S##_##KIND(const float *x, const cort_dw_layout *l, const blocked_layout *b, \
                                                 const float *w, const float *bias, const act_consts *ac,        \
                                                 int64_t c_begin, int64_t c_end, float *y, float *pad) {        \
        blocks_direct(x, l, b, w, bias, ac, c_begin, c_end, y, pad, K, S, KIND);                                 \
    }
#define BLOCKS_FNS(KIND) BLOCKS_FN(3, 1, KIND) BLOCKS_FN(3, 2, KIND) BLOCKS_FN(5, 1, KIND) BLOCKS_FN(5, 2, KIND)
BLOCKS_FNS(ACT_CLAMP)
BLOCKS_FNS(ACT_HARD_SWISH)
BLOCKS_FNS(ACT_HARD_SIGMOID)
BLOCKS_FNS(ACT_LEAKY)
BLOCKS_FNS(ACT_SIGMOID)
BLOCKS_FNS(ACT_SILU)

#define BLOCKS_ROW(KIND) {blocks_3_1_##KIND, blocks_3_2_##KIND, blocks_5_1_##KIND, blocks_5_2_##KIND}
static const blocks_fn blocks_fns[ACT_KINDS][4] = {BLOCKS_ROW(ACT_CLAMP),         BLOCKS_ROW(ACT_HARD_SWISH),
                                                   BLOCKS_ROW(ACT_HARD_SIGMOID), BLOCKS_ROW(ACT_LEAKY),
                                                   BLOCKS_ROW(ACT_SIGMOID),      BLOCKS_ROW(ACT_SILU)};

/* ep's in-register activation (conv_dw_x86.h) with its constants in vectors. */
static TARGET int register_activation(const cort_sgemm_epilogue *ep, act_consts *ac, bool *after) {
    cort_dw_act_params a = cort_dw_act_of(ep, true);
    ac->lo = _mm512_set1_ps(a.lo);
    ac->hi = _mm512_set1_ps(a.hi);
    ac->alpha = _mm512_set1_ps(a.alpha);
    ac->beta = _mm512_set1_ps(a.beta);
    *after = a.after;
    return (int)a.kind;
}

TARGET void cort_x86_depthwise_avx512(const cort_conv_geom *g, const float *x, const float *w,
                                      const cort_sgemm_epilogue *ep, int64_t c_begin, int64_t c_end, float *y,
                                      void *work) {
    cort_dw_layout l = cort_dw_layout_of(g);
    float *zeros = (float *)(((uintptr_t)work + 63) & ~(uintptr_t)63);
    for (int64_t j = 0; j < zero_row_floats(&l); j += LANES) _mm512_storeu_ps(zeros + j, _mm512_setzero_ps());
    act_consts ac;
    bool after;
    int kind = register_activation(ep, &ac, &after);
    int shape = (l.k == 5) * 2 + (l.stride == 2);
    channel_fn fn = channel_fns[kind][shape];
    int64_t isize = l.in_h * l.in_w, osize = l.oh * l.ow, taps = l.k * l.k;
    if (blocked_ok(&l) && c_end - c_begin >= BLOCK / 2) {
        blocked_layout b = blocked_layout_of(&l);
        float *pad = zeros + zero_row_floats(&l);
        zero_border(&l, &b, pad);
        /* a short last block costs a full one: worth it from half a block on (2-2.4x per channel) */
        int64_t rest = (c_end - c_begin) % BLOCK, c_blocked = c_end - (rest < BLOCK / 2 ? rest : 0);
        blocks_fns[kind][shape](x, &l, &b, w, ep ? ep->bias : NULL, &ac, c_begin, c_blocked, y, pad);
        if (after)
            for (int64_t c = c_begin; c < c_blocked; c++) cort_activation_apply(ep, y + c * osize, osize);
        c_begin = c_blocked;
    }
    for (int64_t c = c_begin; c < c_end; c++) {
        float *yc = y + c * osize;
        fn(x + c * isize, zeros, &l, w + c * taps, ep && ep->bias ? ep->bias[c] : 0.0f, &ac, yc);
        if (after) cort_activation_apply(ep, yc, osize);
    }
}

bool cort_x86_depthwise_ok(const cort_conv_geom *g) {
    int64_t k = g->kernel[0], s = g->stride[0];
    if (g->spatial != 2 || (k != 3 && k != 5) || g->kernel[1] != k || (s != 1 && s != 2) || g->stride[1] != s ||
        g->dilation[0] != 1 || g->dilation[1] != 1)
        return false;
    const int64_t limit = (int64_t)1 << 20; /* keeps the layout's products far from overflow */
    for (int d = 0; d < 2; d++)
        if (g->pad_begin[d] < 0 || g->pad_begin[d] >= k || g->out[d] < 1 || g->out[d] > limit || g->in[d] < 1 ||
            g->in[d] > limit)
            return false;
    cort_dw_layout l = cort_dw_layout_of(g);
    /* the AVX2 kernel's padded copy has border stores reaching 16 floats to the right of the image */
    return l.rows * l.pitch <= ((int64_t)1 << 28) && l.pitch - l.left - l.in_w <= 16;
}

size_t cort_x86_depthwise_work_size(const cort_conv_geom *g) {
    cort_dw_layout l = cort_dw_layout_of(g);
    size_t padded = cort_dw_layout_bytes(&l), zero_row = (size_t)zero_row_floats(&l) * sizeof(float) + 64;
    if (blocked_ok(&l)) { /* the zero row, then the blocked path's channel-minor copy and outputs */
        blocked_layout b = blocked_layout_of(&l);
        zero_row += blocked_floats(&b) * sizeof(float);
    }
    return padded > zero_row ? padded : zero_row; /* the AVX2 kernel's padded copies, this one's zero row */
}
