/* The x86 depthwise convolution kernels (conv_dw_avx512.c, conv_dw_avx2.c) and the zero-bordered
 * copy of a channel the AVX2 one reads (the AVX-512 one masks its loads instead). Plain C here; the
 * intrinsics stay in the kernel files.
 *
 * Each channel is first copied into a buffer with its padding written as zeros and enough slack on
 * the right and below that every vector load of every tap stays inside it, so the inner loops carry
 * no bounds tests. At stride 2 each padded row is stored as its even columns followed by its odd
 * columns: tap column c of output column o then reads phase c & 1 at index o + c / 2, so the strided
 * convolution loads contiguous vectors exactly as the stride-1 one does. */
#ifndef CORT_KERNELS_X86_CONV_DW_X86_H
#define CORT_KERNELS_X86_CONV_DW_X86_H
#include <stdbool.h>
#include <stdint.h>

#include "kernels/kernels.h"

/* True for the geometries the x86 kernels take: 2-D, square 3x3 or 5x5, equal strides of 1 or 2, no
 * dilation, padding smaller than the kernel, and a channel whose padded copy stays small. */
bool cort_x86_depthwise_ok(const cort_conv_geom *g);
/* Bytes of `work` the kernels need (one padded channel, reused for each channel in turn). */
size_t cort_x86_depthwise_work_size(const cort_conv_geom *g);

/* Channels [c_begin, c_end) of cort_depthwise (kernels.h), for geometries cort_x86_depthwise_ok
 * accepts; the caller checks the CPU. */
void cort_x86_depthwise_avx512(const cort_conv_geom *g, const float *x, const float *w, const cort_sgemm_epilogue *ep,
                               int64_t c_begin, int64_t c_end, float *y, void *work);
void cort_x86_depthwise_avx2(const cort_conv_geom *g, const float *x, const float *w, const cort_sgemm_epilogue *ep,
                             int64_t c_begin, int64_t c_end, float *y, void *work);

/* The padded copy of one channel: `rows` rows of `pitch` floats, a row `stride` phases of `we`; the
 * outputs read the first `hp`, the rest let a kernel load two output rows' inputs as one vector. */
typedef struct cort_dw_layout {
    int64_t k, stride, oh, ow;
    int64_t hp, rows, we, pitch;
    int64_t top, left, in_h, in_w;
} cort_dw_layout;

/* Floats past the last row that loads of the last vector block may touch (masked-off lanes only). */
enum { CORT_DW_SLACK = 64 };

static inline cort_dw_layout cort_dw_layout_of(const cort_conv_geom *g) {
    cort_dw_layout l;
    l.k = g->kernel[0];
    l.stride = g->stride[0];
    l.oh = g->out[0];
    l.ow = g->out[1];
    l.top = g->pad_begin[0];
    l.left = g->pad_begin[1];
    l.in_h = g->in[0];
    l.in_w = g->in[1];
    l.hp = (l.oh - 1) * l.stride + l.k;
    l.rows = l.hp + l.stride;
    int64_t reach = (l.k - 1) / l.stride;   /* index reach of the taps within one phase */
    int64_t image = (l.left + l.in_w + l.stride - 1) / l.stride; /* phase width holding the image */
    l.we = l.ow + reach > image ? l.ow + reach : image;
    l.pitch = l.we * l.stride;
    return l;
}

/* Bytes of one padded copy, with room to align it to 64 bytes. */
static inline size_t cort_dw_layout_bytes(const cort_dw_layout *l) {
    return (size_t)(l->rows * l->pitch + CORT_DW_SLACK) * sizeof(float) + 64;
}

/* The 64-byte aligned start of the padded copy inside `work`. */
static inline float *cort_dw_buffer(void *work) { return (float *)(((uintptr_t)work + 63) & ~(uintptr_t)63); }

/* The activations the kernels apply in registers, and their constants: v clamped to [lo, hi] (Relu,
 * Clip, none), alpha/beta as the activation's (HardSigmoid, LeakyRelu; HardSwish's 1/6 and 1/2). */
typedef enum cort_dw_act {
    CORT_DW_CLAMP,
    CORT_DW_HARD_SWISH,
    CORT_DW_HARD_SIGMOID,
    CORT_DW_LEAKY,
    CORT_DW_SIGMOID,
    CORT_DW_SILU,
    CORT_DW_ACT_KINDS
} cort_dw_act;
typedef struct cort_dw_act_params {
    cort_dw_act kind;
    float lo, hi, alpha, beta;
    bool after; /* none of them fits: the plane gets cort_activation_apply once computed */
} cort_dw_act_params;

/* Which in-register activation serves ep; Sigmoid and SiLU only when `exp_in_registers` (the kernel
 * has a vector exp), otherwise they go to `after`. */
static inline cort_dw_act_params cort_dw_act_of(const cort_sgemm_epilogue *ep, bool exp_in_registers) {
    cort_dw_act_params a = {CORT_DW_CLAMP, -__builtin_inff(), __builtin_inff(), ep ? ep->alpha : 0, ep ? ep->beta : 0,
                            false};
    switch (ep ? ep->act : CORT_ACT_NONE) {
    case CORT_ACT_NONE:
        break;
    case CORT_ACT_RELU:
        a.lo = 0;
        break;
    case CORT_ACT_CLIP:
        a.lo = ep->lo;
        a.hi = ep->hi;
        break;
    case CORT_ACT_HARD_SWISH:
        a.kind = CORT_DW_HARD_SWISH;
        a.alpha = 1.0f / 6.0f;
        a.beta = 0.5f;
        break;
    case CORT_ACT_HARD_SIGMOID:
        a.kind = CORT_DW_HARD_SIGMOID;
        break;
    case CORT_ACT_LEAKY_RELU:
        a.kind = CORT_DW_LEAKY;
        break;
    case CORT_ACT_SIGMOID:
    case CORT_ACT_SILU:
        if (exp_in_registers) a.kind = ep->act == CORT_ACT_SIGMOID ? CORT_DW_SIGMOID : CORT_DW_SILU;
        else a.after = true;
        break;
    default:
        a.after = true;
        break;
    }
    return a;
}

#endif
