/* The direct padded-image convolution (cort_conv_pad_image + cort_conv_padded_direct, no GEMM) against
 * a naive convolution on random 2-D geometries: strides 1..3, dilations 1..2, kernels 1..5, asymmetric
 * paddings, rows from 1 to past two 32-column tiles, channel counts off the 8-channel panels, with and
 * without bias, each activation kind the kernel clamps in registers and one it applies afterwards,
 * output rows computed in two calls, or the work's units in three runs, as the operator's tasks do. Where the CPU lacks the kernel, only
 * the refusal is checked. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "conv_padded_cases.h"
#include "kernels/kernels.h"


static int run_case(const cort_conv_geom *g, int64_t c, int64_t m, const cort_sgemm_epilogue *ep) {
    int64_t kdim = c * g->kernel[0] * g->kernel[1], oh = g->out[0], ow = g->out[1];
    float *x = malloc(sizeof(float) * (size_t)(c * g->in[0] * g->in[1])), *w = malloc(sizeof(float) * (size_t)(m * kdim));
    float *padded = malloc(sizeof(float) * cort_conv_padded_floats(g, c)), *y = malloc(sizeof(float) * (size_t)(m * oh * ow));
    float *packed = malloc(sizeof(float) * cort_conv_padded_direct_floats(m, kdim)), *bias = malloc(sizeof(float) * (size_t)m);
    int bad = !x || !w || !padded || !y || !packed || !bias;
    if (bad) goto done;
    random_conv_operands(g, c, m, x, w, bias, y);
    cort_sgemm_epilogue e = *ep;
    bool with_bias = rnd_u(2);
    e.bias = with_bias ? bias : NULL;
    cort_conv_pad_image(g, x, c, padded);
    cort_conv_padded_direct_pack(m, kdim, w, packed);
    if (rnd_u(2)) { /* output rows in two calls */
        int64_t half = oh / 2;
        cort_conv_padded_direct(g, m, kdim, padded, packed, &e, 0, half, y);
        cort_conv_padded_direct(g, m, kdim, padded, packed, &e, half, oh, y);
    } else { /* the units in three runs of random lengths, as threads take them */
        int64_t units = cort_conv_padded_direct_units(g, m), a = rnd_u((uint32_t)units + 1), b = rnd_u((uint32_t)units + 1);
        int64_t *off = malloc(sizeof(int64_t) * (size_t)kdim);
        if (!off) {
            bad = 1;
            goto done;
        }
        if (a > b) {
            int64_t t = a;
            a = b, b = t;
        }
        cort_conv_padded_direct_offsets(g, kdim, off);
        cort_conv_padded_direct_part(g, m, kdim, off, padded, packed, &e, b, units, y);
        cort_conv_padded_direct_part(g, m, kdim, off, padded, packed, &e, 0, a, y);
        cort_conv_padded_direct_part(g, m, kdim, off, padded, packed, &e, a, b, y);
        free(off);
    }
    bad = conv_output_differs(g, x, w, c, m, &e, y);
done:
    free(x), free(w), free(padded), free(y), free(packed), free(bias);
    return bad;
}

int main(void) {
    rng_state = 4242;
    const uint32_t in_range[2] = {20, 90};
    cort_conv_geom big = {.spatial = 2, .in = {224, 224}, .out = {112, 112}, .kernel = {7, 7}, .stride = {2, 2},
                          .dilation = {1, 1}, .pad_begin = {3, 3}};
    CHECK(!cort_conv_padded_direct_ok(&big, 64, 193)); /* deep filters on wide rows go to the GEMM */
    cort_conv_geom small = {.spatial = 2, .in = {14, 14}, .out = {14, 14}, .kernel = {3, 3}, .stride = {1, 1},
                            .dilation = {1, 1}, .pad_begin = {1, 1}};
    CHECK(!cort_conv_padded_direct_ok(&small, 65, 1152) && !cort_conv_padded_direct_ok(&small, 32, 2305));
    if (!cort_conv_padded_direct_ok(&big, 64, 147)) {
        fprintf(stderr, "test_conv_padded_direct: no AVX-512 here, the kernel itself is not run\n");
        return check_report("test_conv_padded_direct");
    }
    static const cort_activation acts[] = {CORT_ACT_NONE, CORT_ACT_RELU, CORT_ACT_CLIP, CORT_ACT_SIGMOID};
    int ran = 0, strided = 0, wide = 0, deep = 0;
    for (int t = 0; t < 1200 && ran < 80; t++) {
        cort_conv_geom g;
        if (!random_padded_geom(&g, in_range)) continue;
        /* a third of the cases deep: up to 96 channels, the narrow-row path */
        int64_t c = t % 3 == 0 ? 1 + rnd_u(96) : 1 + rnd_u(6), m = 1 + rnd_u(t % 3 == 0 ? 64 : 20);
        if (!cort_conv_padded_direct_ok(&g, m, c * g.kernel[0] * g.kernel[1])) continue;
        ran++;
        strided += g.stride[0] > 1 || g.stride[1] > 1;
        wide += g.out[1] > 32;
        deep += c * g.kernel[0] * g.kernel[1] > 192;
        cort_sgemm_epilogue ep = {NULL, acts[rnd_u(4)], -0.25f, 0.5f, 0.0f, 0.0f};
        CHECK(run_case(&g, c, m, &ep) == 0);
    }
    CHECK(ran >= 50 && strided >= 10 && wide >= 5 && deep >= 5);
    return check_report("test_conv_padded_direct");
}
