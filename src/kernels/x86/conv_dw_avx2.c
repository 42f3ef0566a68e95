/* Depthwise 3x3 and 5x5 convolution with AVX2 and FMA: conv_dw_avx512.c's scheme on 8-lane vectors.
 * Each channel is copied into the zero-bordered layout of conv_dw_x86.h, then four output rows at a
 * time are computed 8 columns at a time, every loaded input vector serving each row that reads it;
 * bias and activation are applied in registers and the right edge of a row is stored with a mask. */
#include <immintrin.h>

#include "kernels/x86/conv_dw_x86.h"

#define TARGET __attribute__((target("avx2,fma")))
#define INLINE static inline __attribute__((always_inline))
/* the tap and row loops have constant trip counts: unrolled whole, their accumulators stay in registers */
#define UNROLL _Pragma("GCC unroll 32")
enum { LANES = 8, MAX_TAPS = 25 };

/* The activations applied in registers (conv_dw_x86.h's, less Sigmoid and SiLU: no vector exp here); the
 * others are clamped to +-inf here (a no-op) and applied over each finished plane by
 * cort_activation_apply. */
enum {
    ACT_CLAMP = CORT_DW_CLAMP,
    ACT_HARD_SWISH = CORT_DW_HARD_SWISH,
    ACT_HARD_SIGMOID = CORT_DW_HARD_SIGMOID,
    ACT_LEAKY = CORT_DW_LEAKY
};

typedef struct act_consts {
    __m256 lo, hi, alpha, beta;
} act_consts;

TARGET INLINE __m256 activate(__m256 v, const act_consts *a, const int kind) {
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
    switch (kind) {
    case ACT_HARD_SWISH: {
        __m256 t = _mm256_fmadd_ps(v, a->alpha, a->beta);
        return _mm256_mul_ps(v, _mm256_min_ps(_mm256_max_ps(t, zero), one));
    }
    case ACT_HARD_SIGMOID: {
        __m256 t = _mm256_fmadd_ps(v, a->alpha, a->beta);
        return _mm256_min_ps(_mm256_max_ps(t, zero), one);
    }
    case ACT_LEAKY:
        return _mm256_blendv_ps(v, _mm256_mul_ps(v, a->alpha), _mm256_cmp_ps(v, zero, _CMP_LT_OQ));
    default: /* NaN passes: max/min return their second operand when either is NaN */
        return _mm256_min_ps(a->hi, _mm256_max_ps(a->lo, v));
    }
}

/* Lanes [0, n) set, for n in [0, 8]. */
static TARGET inline __m256i tail_mask(int64_t n) {
    static const int32_t ones[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(const void *)(ones + LANES - (n < LANES ? n : LANES)));
}

/* The padded copy of one channel (conv_dw_x86.h): zero vectors at the borders of each padded row
 * (the stores may run into the next phase or row, written after, or the slack) and the image row in
 * between, at stride 2 split into even and odd columns with two shuffles each; the ragged end of a
 * row goes element by element. */
static TARGET inline void zero_border(float *dst, int64_t before, int64_t n) {
    _mm256_storeu_ps(dst - before, _mm256_setzero_ps());
    _mm256_storeu_ps(dst - before + LANES, _mm256_setzero_ps());
    _mm256_storeu_ps(dst + n, _mm256_setzero_ps());
    _mm256_storeu_ps(dst + n + LANES, _mm256_setzero_ps());
}

static TARGET void pad_channel(const cort_dw_layout *l, const float *x, float *pad) {
    const __m256 zero = _mm256_setzero_ps();
    int64_t first_phase = l->left & 1, n_even = (l->in_w + 1) / 2, n_odd = l->in_w / 2;
    int64_t at_even = first_phase * l->we + (l->left >> 1), at_odd = (1 - first_phase) * l->we + ((l->left + 1) >> 1);
    for (int64_t r = 0; r < l->rows; r++) {
        float *row = pad + r * l->pitch;
        int64_t src = r - l->top;
        if (src < 0 || src >= l->in_h) {
            for (int64_t j = 0; j < l->pitch; j += LANES) _mm256_storeu_ps(row + j, zero);
            continue;
        }
        const float *xr = x + src * l->in_w;
        if (l->stride == 1) {
            zero_border(row + l->left, l->left, l->in_w);
            int64_t q = 0;
            for (; q + LANES <= l->in_w; q += LANES) _mm256_storeu_ps(row + l->left + q, _mm256_loadu_ps(xr + q));
            _mm256_maskstore_ps(row + l->left + q, tail_mask(l->in_w - q), _mm256_maskload_ps(xr + q, tail_mask(l->in_w - q)));
            continue;
        }
        float *phase0 = row + (first_phase ? at_odd : at_even), *phase1 = row + (first_phase ? at_even : at_odd);
        zero_border(phase0, phase0 - row, first_phase ? n_odd : n_even);
        zero_border(phase1, phase1 - row - l->we, first_phase ? n_even : n_odd);
        int64_t q = 0;
        for (; q + 2 * LANES <= l->in_w; q += 2 * LANES) {
            __m256 a = _mm256_loadu_ps(xr + q), b = _mm256_loadu_ps(xr + q + LANES);
            __m256 ev = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xd8));
            __m256 od = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xdd)), 0xd8));
            _mm256_storeu_ps(row + at_even + q / 2, ev);
            _mm256_storeu_ps(row + at_odd + q / 2, od);
        }
        for (; q < l->in_w; q++) row[(q & 1 ? at_odd : at_even) + q / 2] = xr[q];
    }
    for (int64_t j = 0; j < CORT_DW_SLACK; j += LANES) _mm256_storeu_ps(pad + l->rows * l->pitch + j, zero);
}

/* Output rows [i, i + R) of one channel (see conv_dw_avx512.c). */
TARGET INLINE void rows_step(const float *pad, const cort_dw_layout *l, const __m256 *wv, __m256 bias,
                             const act_consts *ac, float *y, int64_t i, const int K, const int S, const int R,
                             const int kind) {
    const float *base = pad + S * i * l->pitch;
    int64_t full = l->ow / LANES * LANES;
    for (int64_t j = 0; j < l->ow; j += LANES) {
        __m256 acc[4][2];
        UNROLL for (int t = 0; t < R; t++) acc[t][0] = bias, acc[t][1] = _mm256_setzero_ps();
        UNROLL for (int q = 0; q < S * (R - 1) + K; q++) {
            const float *row = base + q * l->pitch + j;
            UNROLL for (int c = 0; c < K; c++) {
                __m256 v = _mm256_loadu_ps(row + (c % S) * l->we + c / S);
                UNROLL for (int t = 0; t < R; t++) {
                    int r = q - S * t;
                    if (r >= 0 && r < K) acc[t][r & 1] = _mm256_fmadd_ps(wv[r * K + c], v, acc[t][r & 1]);
                }
            }
        }
        UNROLL for (int t = 0; t < R; t++) {
            __m256 v = activate(_mm256_add_ps(acc[t][0], acc[t][1]), ac, kind);
            float *dst = y + (i + t) * l->ow + j;
            if (j < full) _mm256_storeu_ps(dst, v);
            else _mm256_maskstore_ps(dst, tail_mask(l->ow - j), v);
        }
    }
}

TARGET INLINE void channel(const float *pad, const cort_dw_layout *l, const float *w, float bias, const act_consts *ac,
                           float *y, const int K, const int S, const int kind) {
    __m256 wv[MAX_TAPS];
    for (int t = 0; t < K * K; t++) wv[t] = _mm256_set1_ps(w[t]);
    __m256 b = _mm256_set1_ps(bias);
    int64_t i = 0;
    for (; i + 4 <= l->oh; i += 4) rows_step(pad, l, wv, b, ac, y, i, K, S, 4, kind);
    if (i + 2 <= l->oh) {
        rows_step(pad, l, wv, b, ac, y, i, K, S, 2, kind);
        i += 2;
    }
    if (i < l->oh) rows_step(pad, l, wv, b, ac, y, i, K, S, 1, kind);
}

typedef void (*channel_fn)(const float *pad, const cort_dw_layout *l, const float *w, float bias,
                           const act_consts *ac, float *y);

#define CHANNEL_FN(K, S, KIND)                                                                                   \
    static TARGET void channel_##K##_##S##_##KIND(const float *pad, const cort_dw_layout *l, const float *w,     \
                                                  float bias, const act_consts *ac, float *y) {                  \
        channel(pad, l, w, bias, ac, y, K, S, KIND);                                                             \
    }
#define CHANNEL_FNS(KIND)                                                                                        \
    CHANNEL_FN(3, 1, KIND) CHANNEL_FN(3, 2, KIND) CHANNEL_FN(5, 1, KIND) CHANNEL_FN(5, 2, KIND)
CHANNEL_FNS(ACT_CLAMP)
CHANNEL_FNS(ACT_HARD_SWISH)
CHANNEL_FNS(ACT_HARD_SIGMOID)
CHANNEL_FNS(ACT_LEAKY)

#define CHANNEL_ROW(KIND)                                                                                        \
    {channel_3_1_##KIND, channel_3_2_##KIND, channel_5_1_##KIND, channel_5_2_##KIND}
static const channel_fn channel_fns[4][4] = {CHANNEL_ROW(ACT_CLAMP), CHANNEL_ROW(ACT_HARD_SWISH),
                                             CHANNEL_ROW(ACT_HARD_SIGMOID), CHANNEL_ROW(ACT_LEAKY)};

/* ep's in-register activation (conv_dw_x86.h) with its constants in vectors. */
static TARGET int register_activation(const cort_sgemm_epilogue *ep, act_consts *ac, bool *after) {
    cort_dw_act_params a = cort_dw_act_of(ep, false);
    ac->lo = _mm256_set1_ps(a.lo);
    ac->hi = _mm256_set1_ps(a.hi);
    ac->alpha = _mm256_set1_ps(a.alpha);
    ac->beta = _mm256_set1_ps(a.beta);
    *after = a.after;
    return (int)a.kind;
}

TARGET void cort_x86_depthwise_avx2(const cort_conv_geom *g, const float *x, const float *w,
                                    const cort_sgemm_epilogue *ep, int64_t c_begin, int64_t c_end, float *y,
                                    void *work) {
    cort_dw_layout l = cort_dw_layout_of(g);
    float *pad = cort_dw_buffer(work);
    act_consts ac;
    bool after;
    int kind = register_activation(ep, &ac, &after);
    channel_fn fn = channel_fns[kind][(l.k == 5) * 2 + (l.stride == 2)];
    int64_t isize = l.in_h * l.in_w, osize = l.oh * l.ow, taps = l.k * l.k;
    for (int64_t c = c_begin; c < c_end; c++) {
        float *yc = y + c * osize;
        pad_channel(&l, x + c * isize, pad);
        fn(pad, &l, w + c * taps, ep && ep->bias ? ep->bias[c] : 0.0f, &ac, yc);
        if (after) cort_activation_apply(ep, yc, osize);
    }
}
