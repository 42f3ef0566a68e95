/* Row geometry the plain-C convolution paths share (im2col.c, depthwise.c): they work one row of the
 * last spatial dimension at a time, and the in-image positions of such a row form one contiguous range
 * of outputs, so their inner loops carry no bounds tests. Internal to src/kernels/generic. */
#ifndef CORT_KERNELS_GENERIC_CONV_ROWS_H
#define CORT_KERNELS_GENERIC_CONV_ROWS_H
#include <stdint.h>

#include "kernels/kernels.h"

/* Hot loops get an AVX2 clone picked at load by the dynamic linker (ifunc), where that exists. */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && defined(__linux__)
#define CORT_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CORT_SIMD_CLONES
#endif

/* Splits a kernel offset into per-dimension kernel indices. */
static inline void kernel_index(const cort_conv_geom *g, int64_t koff, int64_t *kidx) {
    for (int d = g->spatial - 1; d >= 0; d--) {
        kidx[d] = koff % g->kernel[d];
        koff /= g->kernel[d];
    }
}

/* Offset in the image of the start of the input row read by output row `lead` (a linear index over
 * all output dimensions but the last) at kernel position kidx, or -1 if that row lies in the padding. */
static inline int64_t row_source(const cort_conv_geom *g, const int64_t *kidx, int64_t lead) {
    int last = g->spatial - 1;
    int64_t offset = 0, scale = g->in[last];
    for (int d = last - 1; d >= 0; d--) {
        int64_t o = lead % g->out[d];
        lead /= g->out[d];
        int64_t i = o * g->stride[d] - g->pad_begin[d] + kidx[d] * g->dilation[d];
        if (i < 0 || i >= g->in[d]) return -1;
        offset += i * scale;
        scale *= g->in[d];
    }
    return offset;
}

/* Along the last dimension, output o reads input start + o * stride; outputs [lo, hi) are inside. */
typedef struct row_span {
    int64_t start, stride, lo, hi;
} row_span;

static inline row_span last_dim_span(const cort_conv_geom *g, int64_t k) {
    int last = g->spatial - 1;
    row_span s;
    s.stride = g->stride[last];
    s.start = k * g->dilation[last] - g->pad_begin[last];
    s.lo = s.start >= 0 ? 0 : (-s.start + s.stride - 1) / s.stride;
    int64_t room = g->in[last] - s.start; /* outputs o with start + o * stride < in */
    s.hi = room <= 0 ? 0 : (room + s.stride - 1) / s.stride;
    if (s.hi > g->out[last]) s.hi = g->out[last];
    if (s.lo > s.hi) s.lo = s.hi;
    return s;
}
#endif
