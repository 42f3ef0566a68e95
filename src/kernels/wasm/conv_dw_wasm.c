/* Depthwise 3x3 convolution in WebAssembly SIMD128, stride 1 or 2, channel by channel. Each channel is
 * first copied into a zero-bordered buffer wide enough that every vector load of every tap stays inside it,
 * so the inner loop has no bounds tests: 8 outputs of a row (two f32x4) take 9 multiply-adds each with
 * the taps' weights broadcast; stride 2 splits each pair of input vectors into even and odd columns
 * with one shuffle each. Bias, Relu and Clip are applied before the store; other activations over each
 * finished channel. The right edge of a row goes through a small buffer. */
#include <math.h>
#include <string.h>
#include <wasm_simd128.h>

#include "kernels/wasm/wasm_kernels.h"

enum { STEP = 8 }; /* outputs per inner iteration */

/* padded copy: rows the 3 taps of every output row read, and columns the loads of every step read */
static void padded_dims(const cort_conv_geom *g, int64_t *hp, int64_t *wp) {
    int64_t s = g->stride[0], ow8 = (g->out[1] + STEP - 1) / STEP * STEP;
    *hp = s * (g->out[0] - 1) + 3;
    *wp = s * ow8 + 2 + (s == 2 ? STEP : 0);
}

bool cort_wasm_depthwise_ok(const cort_conv_geom *g) {
    if (g->spatial != 2 || g->kernel[0] != 3 || g->kernel[1] != 3 || g->stride[0] != g->stride[1] ||
        (g->stride[0] != 1 && g->stride[0] != 2) || g->dilation[0] != 1 || g->dilation[1] != 1)
        return false;
    const int64_t limit = (int64_t)1 << 14; /* wasm32: the padded copy stays far below the address space */
    for (int d = 0; d < 2; d++)
        if (g->pad_begin[d] < 0 || g->pad_begin[d] > 2 || g->out[d] < 1 || g->out[d] > limit || g->in[d] > limit)
            return false;
    int64_t hp, wp;
    padded_dims(g, &hp, &wp);
    return hp * wp <= ((int64_t)1 << 26);
}

size_t cort_wasm_depthwise_work_size(const cort_conv_geom *g) {
    int64_t hp, wp;
    padded_dims(g, &hp, &wp);
    return (size_t)(hp * wp) * sizeof(float) + 16;
}

/* Copies the channel into the padded buffer; the rest stays zero. */
static void pad_channel(const cort_conv_geom *g, const float *x, float *pad, int64_t hp, int64_t wp) {
    memset(pad, 0, sizeof(float) * (size_t)(hp * wp));
    int64_t top = g->pad_begin[0], left = g->pad_begin[1];
    int64_t cols = g->in[1] < wp - left ? g->in[1] : wp - left;
    for (int64_t r = 0; r < g->in[0] && top + r < hp; r++)
        memcpy(pad + (top + r) * wp + left, x + r * g->in[1], sizeof(float) * (size_t)cols);
}

#define MADD(acc, w, v) wasm_f32x4_add(acc, wasm_f32x4_mul(w, v))

/* The store's clamp: pmax/pmin with v first let NaN through, as Relu and Clip do. */
typedef struct clamp {
    bool on;
    v128_t lo, hi;
} clamp;

static inline v128_t clamped(v128_t v, const clamp *cl) {
    return cl->on ? wasm_f32x4_pmin(wasm_f32x4_pmax(v, cl->lo), cl->hi) : v;
}

/* Writes 8 outputs, or the first `n` of them at the right edge of a row. */
static inline void store8(float *y, v128_t lo, v128_t hi, int64_t n, const clamp *cl) {
    lo = clamped(lo, cl);
    hi = clamped(hi, cl);
    if (n >= STEP) {
        wasm_v128_store(y, lo);
        wasm_v128_store(y + 4, hi);
        return;
    }
    float buf[STEP];
    wasm_v128_store(buf, lo);
    wasm_v128_store(buf + 4, hi);
    memcpy(y, buf, sizeof(float) * (size_t)n);
}

/* acc + the three taps of one input row at stride 1, for 4 outputs starting at r */
static inline v128_t taps_stride1(const float *r, v128_t w0, v128_t w1, v128_t w2, v128_t acc) {
    acc = MADD(acc, w0, wasm_v128_load(r));
    acc = MADD(acc, w1, wasm_v128_load(r + 1));
    return MADD(acc, w2, wasm_v128_load(r + 2));
}

static void rows_stride1(const float *pad, int64_t wp, const v128_t wv[9], v128_t bias, const clamp *cl, float *y,
                         int64_t oh, int64_t ow) {
    for (int64_t i = 0; i < oh; i++) {
        const float *r0 = pad + i * wp, *r1 = r0 + wp, *r2 = r1 + wp;
        for (int64_t j = 0; j < ow; j += STEP) {
            v128_t lo = taps_stride1(r0 + j, wv[0], wv[1], wv[2], bias);
            v128_t hi = taps_stride1(r0 + j + 4, wv[0], wv[1], wv[2], bias);
            lo = taps_stride1(r1 + j, wv[3], wv[4], wv[5], lo);
            hi = taps_stride1(r1 + j + 4, wv[3], wv[4], wv[5], hi);
            lo = taps_stride1(r2 + j, wv[6], wv[7], wv[8], lo);
            hi = taps_stride1(r2 + j + 4, wv[6], wv[7], wv[8], hi);
            store8(y + i * ow + j, lo, hi, ow - j, cl);
        }
    }
}

/* acc + the three taps of one input row at stride 2, for 4 outputs reading from r (= column 2 * j) */
static inline v128_t taps_stride2(const float *r, v128_t w0, v128_t w1, v128_t w2, v128_t acc) {
    v128_t a = wasm_v128_load(r), b = wasm_v128_load(r + 4), c = wasm_v128_load(r + 2), d = wasm_v128_load(r + 6);
    v128_t even = wasm_i32x4_shuffle(a, b, 0, 2, 4, 6), odd = wasm_i32x4_shuffle(a, b, 1, 3, 5, 7);
    v128_t next = wasm_i32x4_shuffle(c, d, 0, 2, 4, 6); /* columns 2, 4, 6, 8 */
    acc = MADD(acc, w0, even);
    acc = MADD(acc, w1, odd);
    return MADD(acc, w2, next);
}

static void rows_stride2(const float *pad, int64_t wp, const v128_t wv[9], v128_t bias, const clamp *cl, float *y,
                         int64_t oh, int64_t ow) {
    for (int64_t i = 0; i < oh; i++) {
        const float *r0 = pad + 2 * i * wp, *r1 = r0 + wp, *r2 = r1 + wp;
        for (int64_t j = 0; j < ow; j += STEP) {
            const float *c0 = r0 + 2 * j, *c1 = r1 + 2 * j, *c2 = r2 + 2 * j;
            v128_t lo = taps_stride2(c0, wv[0], wv[1], wv[2], bias);
            v128_t hi = taps_stride2(c0 + 8, wv[0], wv[1], wv[2], bias);
            lo = taps_stride2(c1, wv[3], wv[4], wv[5], lo);
            hi = taps_stride2(c1 + 8, wv[3], wv[4], wv[5], hi);
            lo = taps_stride2(c2, wv[6], wv[7], wv[8], lo);
            hi = taps_stride2(c2 + 8, wv[6], wv[7], wv[8], hi);
            store8(y + i * ow + j, lo, hi, ow - j, cl);
        }
    }
}

void cort_wasm_depthwise(const cort_conv_geom *g, const float *x, const float *w, const cort_sgemm_epilogue *ep,
                         int64_t c_begin, int64_t c_end, float *y, void *work) {
    int64_t hp, wp, isize = g->in[0] * g->in[1], osize = g->out[0] * g->out[1];
    padded_dims(g, &hp, &wp);
    float *pad = (float *)(((uintptr_t)work + 15) & ~(uintptr_t)15);
    clamp cl = {false, wasm_f32x4_splat(0.0f), wasm_f32x4_splat(0.0f)};
    bool act_after = false;
    if (ep && ep->act == CORT_ACT_RELU) cl = (clamp){true, wasm_f32x4_splat(0.0f), wasm_f32x4_splat(INFINITY)};
    else if (ep && ep->act == CORT_ACT_CLIP) cl = (clamp){true, wasm_f32x4_splat(ep->lo), wasm_f32x4_splat(ep->hi)};
    else act_after = ep && ep->act != CORT_ACT_NONE;
    for (int64_t c = c_begin; c < c_end; c++) {
        pad_channel(g, x + c * isize, pad, hp, wp);
        const float *wc = w + c * 9;
        v128_t wv[9];
        for (int t = 0; t < 9; t++) wv[t] = wasm_f32x4_splat(wc[t]);
        v128_t bias = wasm_f32x4_splat(ep && ep->bias ? ep->bias[c] : 0.0f);
        float *yc = y + c * osize;
        if (g->stride[0] == 1) rows_stride1(pad, wp, wv, bias, &cl, yc, g->out[0], g->out[1]);
        else rows_stride2(pad, wp, wv, bias, &cl, yc, g->out[0], g->out[1]);
        if (act_after) cort_activation_apply(ep, yc, osize);
    }
}
