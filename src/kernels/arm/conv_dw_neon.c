/* Depthwise 3x3 and 5x5 convolution with NEON, stride 1 or 2. Each channel is first copied into a
 * zero-bordered buffer wide enough that every vector load of every tap stays inside it, so the inner
 * loop has no bounds tests. Two output rows are computed per step, 8 columns (two vectors) at a time,
 * each loaded input vector serving both rows; at stride 2 the de-interleaving load (ld2) splits 8
 * input columns into the even ones (tap c) and the odd ones (tap c + 1). Bias, Relu and Clip are
 * applied in registers, the other activations over each finished channel. The right edge of a row is
 * stored through a small buffer. */
#include <arm_neon.h>
#include <string.h>

#include "kernels/arm/neon.h"

enum { BLOCK = 8, MAX_TAPS = 25 }; /* outputs per step of the inner loop; 5 x 5 weights */

/* The padded copy: the rows the taps of every output row read, and the columns the loads of every
 * block read (the block at output column j, j < ow rounded up to BLOCK, reads up to column
 * stride * j + K - 2 + BLOCK * stride). */
typedef struct dw_layout {
    int64_t k, stride, oh, ow, hp, wp;
} dw_layout;

static dw_layout layout_of(const cort_conv_geom *g) {
    dw_layout l;
    l.k = g->kernel[0];
    l.stride = g->stride[0];
    l.oh = g->out[0];
    l.ow = g->out[1];
    l.hp = l.stride * (l.oh - 1) + l.k;
    l.wp = l.stride * ((l.ow + BLOCK - 1) / BLOCK * BLOCK) + l.k - 1;
    return l;
}

bool cort_neon_depthwise_ok(const cort_conv_geom *g) {
    if (g->spatial != 2 || g->kernel[0] != g->kernel[1] || (g->kernel[0] != 3 && g->kernel[0] != 5) ||
        g->stride[0] != g->stride[1] || (g->stride[0] != 1 && g->stride[0] != 2) || g->dilation[0] != 1 ||
        g->dilation[1] != 1)
        return false;
    const int64_t limit = (int64_t)1 << 20; /* keeps hp * wp below 2^43 before the check below */
    for (int d = 0; d < 2; d++)
        if (g->pad_begin[d] < 0 || g->pad_begin[d] >= g->kernel[d] || g->out[d] < 1 || g->out[d] > limit ||
            g->in[d] > limit)
            return false;
    dw_layout l = layout_of(g);
    return l.hp * l.wp <= ((int64_t)1 << 28);
}

size_t cort_neon_depthwise_work_size(const cort_conv_geom *g) {
    dw_layout l = layout_of(g);
    return (size_t)(l.hp * l.wp) * sizeof(float) + 64;
}

/* Copies one channel into the padded buffer with zeros around it. Image rows and columns past the
 * buffer are read by no output. */
static void pad_channel(const cort_conv_geom *g, const dw_layout *l, const float *x, float *pad) {
    memset(pad, 0, sizeof(float) * (size_t)(l->hp * l->wp));
    int64_t top = g->pad_begin[0], left = g->pad_begin[1];
    int64_t cols = g->in[1] < l->wp - left ? g->in[1] : l->wp - left;
    for (int64_t r = 0; r < g->in[0] && top + r < l->hp; r++)
        memcpy(pad + (top + r) * l->wp + left, x + r * g->in[1], sizeof(float) * (size_t)cols);
}

/* Stores the 8 outputs of a block, or the first `n` of them at the right edge. */
static inline void store_block(float *y, int64_t n, float32x4_t lo, float32x4_t hi) {
    if (n >= BLOCK) {
        vst1q_f32(y, lo);
        vst1q_f32(y + 4, hi);
        return;
    }
    float buf[BLOCK];
    vst1q_f32(buf, lo);
    vst1q_f32(buf + 4, hi);
    memcpy(y, buf, sizeof(float) * (size_t)n);
}

/* Output rows [i, i + R) of a channel, R = 1 or 2: every input vector loaded serves each of the R
 * rows whose taps read it. K, S and R are constants in each caller, so the loops unroll. */
static inline __attribute__((always_inline)) void rows_step(const float *pad, const dw_layout *l,
                                                            const float32x4_t *wv, float32x4_t bias, float32x4_t lo,
                                                            float32x4_t hi, float *y, int64_t i, const int K,
                                                            const int S, const int R) {
    const float *base = pad + S * i * l->wp;
    for (int64_t j = 0; j < l->ow; j += BLOCK) {
        float32x4_t acc[2][2] = {{bias, bias}, {bias, bias}};
        for (int q = 0; q < S * (R - 1) + K; q++) { /* input rows */
            const float *src = base + q * l->wp + S * j;
            if (S == 1) {
                for (int c = 0; c < K; c++) {
                    float32x4_t v0 = vld1q_f32(src + c), v1 = vld1q_f32(src + c + 4);
                    for (int t = 0; t < R; t++) {
                        int r = q - t; /* the kernel row output row i + t reads from input row q */
                        if (r < 0 || r >= K) continue;
                        acc[t][0] = vfmaq_f32(acc[t][0], wv[r * K + c], v0);
                        acc[t][1] = vfmaq_f32(acc[t][1], wv[r * K + c], v1);
                    }
                }
            } else {
                for (int c = 0; c < K; c += 2) { /* even columns for tap c, odd ones for tap c + 1 */
                    float32x4x2_t p0 = vld2q_f32(src + c), p1 = vld2q_f32(src + c + 8);
                    for (int t = 0; t < R; t++) {
                        int r = q - 2 * t;
                        if (r < 0 || r >= K) continue;
                        acc[t][0] = vfmaq_f32(acc[t][0], wv[r * K + c], p0.val[0]);
                        acc[t][1] = vfmaq_f32(acc[t][1], wv[r * K + c], p1.val[0]);
                        if (c + 1 < K) {
                            acc[t][0] = vfmaq_f32(acc[t][0], wv[r * K + c + 1], p0.val[1]);
                            acc[t][1] = vfmaq_f32(acc[t][1], wv[r * K + c + 1], p1.val[1]);
                        }
                    }
                }
            }
        }
        for (int t = 0; t < R; t++) {
            /* vmax/vmin return NaN when either input is NaN: NaN passes, as in Relu/Clip */
            float32x4_t v0 = vminq_f32(hi, vmaxq_f32(lo, acc[t][0]));
            float32x4_t v1 = vminq_f32(hi, vmaxq_f32(lo, acc[t][1]));
            store_block(y + (i + t) * l->ow + j, l->ow - j, v0, v1);
        }
    }
}

typedef void (*channel_fn)(const float *pad, const dw_layout *l, const float32x4_t *wv, float32x4_t bias,
                           float32x4_t lo, float32x4_t hi, float *y);

#define CHANNEL_FN(K, S)                                                                                 \
    static void channel_##K##_##S(const float *pad, const dw_layout *l, const float32x4_t *wv,           \
                                  float32x4_t bias, float32x4_t lo, float32x4_t hi, float *y) {          \
        int64_t i = 0;                                                                                   \
        for (; i + 2 <= l->oh; i += 2) rows_step(pad, l, wv, bias, lo, hi, y, i, K, S, 2);               \
        if (i < l->oh) rows_step(pad, l, wv, bias, lo, hi, y, i, K, S, 1);                               \
    }
CHANNEL_FN(3, 1)
CHANNEL_FN(3, 2)
CHANNEL_FN(5, 1)
CHANNEL_FN(5, 2)

void cort_neon_depthwise(const cort_conv_geom *g, const float *x, const float *w, const cort_sgemm_epilogue *ep,
                         int64_t c_begin, int64_t c_end, float *y, void *work) {
    dw_layout l = layout_of(g);
    channel_fn fn = l.k == 3 ? (l.stride == 1 ? channel_3_1 : channel_3_2) : (l.stride == 1 ? channel_5_1 : channel_5_2);
    /* Relu and Clip in registers; the others (lo, hi at -inf, inf: no clamp) after each channel */
    cort_activation act = ep ? ep->act : CORT_ACT_NONE;
    float lo = -__builtin_inff(), hi = __builtin_inff();
    if (act == CORT_ACT_RELU) lo = 0;
    if (act == CORT_ACT_CLIP) lo = ep->lo, hi = ep->hi;
    bool after = act != CORT_ACT_NONE && act != CORT_ACT_RELU && act != CORT_ACT_CLIP;
    float *pad = (float *)(((uintptr_t)work + 63) & ~(uintptr_t)63);
    int64_t isize = g->in[0] * g->in[1], osize = l.oh * l.ow, taps = l.k * l.k;
    for (int64_t c = c_begin; c < c_end; c++) {
        pad_channel(g, &l, x + c * isize, pad);
        float32x4_t wv[MAX_TAPS];
        for (int64_t t = 0; t < taps; t++) wv[t] = vdupq_n_f32(w[c * taps + t]);
        float bias = ep && ep->bias ? ep->bias[c] : 0.0f;
        float *yc = y + c * osize;
        fn(pad, &l, wv, vdupq_n_f32(bias), vdupq_n_f32(lo), vdupq_n_f32(hi), yc);
        if (after) cort_activation_apply(ep, yc, osize);
    }
}
