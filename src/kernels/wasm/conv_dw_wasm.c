/* Depthwise 3x3 and 5x5 convolution in WebAssembly SIMD128, stride 1 or 2, channel by channel. Each
 * channel is first copied into a zero-bordered buffer wide enough that every vector load of every tap
 * stays inside it, so the inner loop has no bounds tests: 8 outputs of a row (two f32x4) take one
 * multiply-add per tap with the taps' weights broadcast; stride 2 splits each pair of input vectors into
 * even and odd columns with one shuffle each. Bias, Relu and Clip are applied before the store; other activations over each
 * finished channel. The right edge of a row goes through a small buffer. */
#include <math.h>
#include <string.h>
#include <wasm_simd128.h>

#include "kernels/wasm/wasm_kernels.h"

enum { STEP = 8 }; /* outputs per inner iteration */

/* padded copy: rows the taps of every output row read, and columns the loads of every step read */
static void padded_dims(const cort_conv_geom *g, int64_t *hp, int64_t *wp) {
    int64_t s = g->stride[0], k = g->kernel[0], ow8 = (g->out[1] + STEP - 1) / STEP * STEP;
    *hp = s * (g->out[0] - 1) + k;
    *wp = s * ow8 + k + (s == 2 ? STEP : 0);
}

bool cort_wasm_depthwise_ok(const cort_conv_geom *g) {
    int64_t k = g->kernel[0];
    if (g->spatial != 2 || (k != 3 && k != 5) || g->kernel[1] != k || g->stride[0] != g->stride[1] ||
        (g->stride[0] != 1 && g->stride[0] != 2) || g->dilation[0] != 1 || g->dilation[1] != 1)
        return false;
    const int64_t limit = (int64_t)1 << 14; /* wasm32: the padded copy stays far below the address space */
    for (int d = 0; d < 2; d++)
        if (g->pad_begin[d] < 0 || g->pad_begin[d] >= k || g->out[d] < 1 || g->out[d] > limit || g->in[d] > limit)
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

#define INLINE inline __attribute__((always_inline))

/* acc + the K taps of one input row for 4 outputs, reading from r (column s * j of the padded row). At
 * stride 2, tap column c reads the even (c even) or odd columns of the 8 floats at r + (c & ~1). */
static INLINE v128_t row_taps(int k, int s, const float *r, const v128_t *w, v128_t acc) {
#pragma clang loop unroll(full)
    for (int c = 0; c < k; c++) {
        v128_t v;
        if (s == 1) {
            v = wasm_v128_load(r + c);
        } else {
            v128_t a = wasm_v128_load(r + (c & ~1)), b = wasm_v128_load(r + (c & ~1) + 4);
            v = c & 1 ? wasm_i32x4_shuffle(a, b, 1, 3, 5, 7) : wasm_i32x4_shuffle(a, b, 0, 2, 4, 6);
        }
        acc = MADD(acc, w[c], v);
    }
    return acc;
}

/* One channel: 8 outputs of a row per step, two accumulators over the K x K taps. */
static INLINE void channel_rows(int k, int s, const float *pad, int64_t wp, const v128_t *wv, v128_t bias,
                                const clamp *cl, float *y, int64_t oh, int64_t ow) {
    for (int64_t i = 0; i < oh; i++) {
        for (int64_t j = 0; j < ow; j += STEP) {
            v128_t lo = bias, hi = bias;
#pragma clang loop unroll(full)
            for (int t = 0; t < k; t++) {
                const float *r = pad + (s * i + t) * wp + s * j;
                lo = row_taps(k, s, r, wv + t * k, lo);
                hi = row_taps(k, s, r + s * 4, wv + t * k, hi);
            }
            store8(y + i * ow + j, lo, hi, ow - j, cl);
        }
    }
}

typedef void (*rows_fn)(const float *pad, int64_t wp, const v128_t *wv, v128_t bias, const clamp *cl, float *y,
                        int64_t oh, int64_t ow);
#define ROWS(k, s)                                                                                           \
    static void rows_##k##_##s(const float *pad, int64_t wp, const v128_t *wv, v128_t bias, const clamp *cl, \
                               float *y, int64_t oh, int64_t ow) {                                           \
        channel_rows(k, s, pad, wp, wv, bias, cl, y, oh, ow);                                                \
    }
ROWS(3, 1)
ROWS(3, 2)
ROWS(5, 1)
ROWS(5, 2)

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
    int64_t k = g->kernel[0], taps = k * k;
    rows_fn rows = k == 3 ? (g->stride[0] == 1 ? rows_3_1 : rows_3_2) : (g->stride[0] == 1 ? rows_5_1 : rows_5_2);
    for (int64_t c = c_begin; c < c_end; c++) {
        pad_channel(g, x + c * isize, pad, hp, wp);
        const float *wc = w + c * taps;
        v128_t wv[25];
        for (int64_t t = 0; t < taps; t++) wv[t] = wasm_f32x4_splat(wc[t]);
        v128_t bias = wasm_f32x4_splat(ep && ep->bias ? ep->bias[c] : 0.0f);
        float *yc = y + c * osize;
        rows(pad, wp, wv, bias, &cl, yc, g->out[0], g->out[1]);
        if (act_after) cort_activation_apply(ep, yc, osize);
    }
}
