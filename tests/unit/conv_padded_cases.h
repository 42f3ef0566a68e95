/* What the padded-image convolution tests share (test_conv_padded.c through the SGEMM,
 * test_conv_padded_direct.c without it): a seeded generator, random 2-D geometries the padded path
 * takes, a naive convolution to compare against, and the direct kernels' operands and output check. Header-only: each test includes it once. */
#ifndef CORT_TESTS_CONV_PADDED_CASES_H
#define CORT_TESTS_CONV_PADDED_CASES_H
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "kernels/kernels.h"

static uint32_t rng_state;
static uint32_t rnd_u(uint32_t n) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return (rng_state >> 8) % n;
}
static float rnd_f(void) { return (float)rnd_u(2001) / 1000.0f - 1.0f; }

/* Image sizes 3 .. 2 + in_range[d], kernels 1..5, strides 1..3, dilations 1..2, paddings 0..2 at each
 * end; false when the kernel does not fit or the padded path declines the geometry. */
static bool random_padded_geom(cort_conv_geom *g, const uint32_t in_range[2]) {
    g->spatial = 2;
    for (int d = 0; d < 2; d++) {
        g->in[d] = 3 + rnd_u(in_range[d]);
        g->kernel[d] = 1 + rnd_u(5);
        g->stride[d] = 1 + rnd_u(3);
        g->dilation[d] = 1 + rnd_u(2);
        g->pad_begin[d] = rnd_u(3);
        int64_t pad_end = rnd_u(3);
        int64_t span = g->in[d] + g->pad_begin[d] + pad_end - ((g->kernel[d] - 1) * g->dilation[d] + 1);
        if (span < 0) return false;
        g->out[d] = span / g->stride[d] + 1;
    }
    return cort_conv_padded_ok(g);
}

/* Output channel o at output (i, j) of the convolution of x (c channels) with w (OIHW), in double. */
static double reference_conv(const cort_conv_geom *g, const float *x, const float *w, int64_t c, int64_t o, int64_t i,
                             int64_t j) {
    int64_t ksize = g->kernel[0] * g->kernel[1], kdim = c * ksize;
    double s = 0;
    for (int64_t ci = 0; ci < c; ci++)
        for (int64_t r = 0; r < g->kernel[0]; r++)
            for (int64_t q = 0; q < g->kernel[1]; q++) {
                int64_t ih = i * g->stride[0] - g->pad_begin[0] + r * g->dilation[0];
                int64_t iw = j * g->stride[1] - g->pad_begin[1] + q * g->dilation[1];
                if (ih >= 0 && ih < g->in[0] && iw >= 0 && iw < g->in[1])
                    s += (double)x[(ci * g->in[0] + ih) * g->in[1] + iw] * w[o * kdim + ci * ksize + r * g->kernel[1] + q];
            }
    return s;
}
/* The activation the direct kernels apply, in double. */
static inline double reference_activate(const cort_sgemm_epilogue *ep, double v) {
    switch (ep->act) {
    case CORT_ACT_RELU: return v > 0 ? v : 0;
    case CORT_ACT_CLIP: return v < ep->lo ? ep->lo : v > ep->hi ? ep->hi : v;
    case CORT_ACT_SIGMOID: return 1.0 / (1.0 + exp(-v));
    default: return v;
    }
}

/* Random x (c planes), w (m x c x kernel) and bias (m); y (m planes) filled with NaN, so that an output
 * the kernel never writes fails the check. */
static inline void random_conv_operands(const cort_conv_geom *g, int64_t c, int64_t m, float *x, float *w, float *bias,
                                        float *y) {
    int64_t kdim = c * g->kernel[0] * g->kernel[1];
    for (int64_t i = 0; i < c * g->in[0] * g->in[1]; i++) x[i] = rnd_f();
    for (int64_t i = 0; i < m * kdim; i++) w[i] = rnd_f();
    for (int64_t i = 0; i < m; i++) bias[i] = rnd_f();
    for (int64_t i = 0; i < m * g->out[0] * g->out[1]; i++) y[i] = NAN;
}

/* 1 when an output of y differs from act(conv + e's bias) by more than 1e-4 relative (printing the
 * first such output and the geometry), else 0. */
static inline int conv_output_differs(const cort_conv_geom *g, const float *x, const float *w, int64_t c, int64_t m,
                                      const cort_sgemm_epilogue *e, const float *y) {
    int64_t oh = g->out[0], ow = g->out[1];
    for (int64_t o = 0; o < m; o++)
        for (int64_t i = 0; i < oh; i++)
            for (int64_t j = 0; j < ow; j++) {
                double want = reference_activate(e, reference_conv(g, x, w, c, o, i, j) + (e->bias ? e->bias[o] : 0));
                float got = y[(o * oh + i) * ow + j];
                if (fabs(got - want) <= 1e-4 * (1.0 + fabs(want))) continue;
                fprintf(stderr, "in %lldx%lld k %lldx%lld s %lld,%lld d %lld,%lld pad %lld,%lld c %lld m %lld act %d: "
                                "y[%lld,%lld,%lld] %g vs %g\n",
                        (long long)g->in[0], (long long)g->in[1], (long long)g->kernel[0], (long long)g->kernel[1],
                        (long long)g->stride[0], (long long)g->stride[1], (long long)g->dilation[0],
                        (long long)g->dilation[1], (long long)g->pad_begin[0], (long long)g->pad_begin[1], (long long)c,
                        (long long)m, (int)e->act, (long long)o, (long long)i, (long long)j, (double)got, want);
                return 1;
            }
    return 0;
}
#endif
