/* The direct convolution with output channels in the lanes (cort_conv_pad_image + cort_conv_oc_part)
 * against a naive convolution on random 2-D geometries: strides 1..3, dilations 1..2, kernels 1..5,
 * asymmetric paddings, rows of 1 to past several 14-column tiles (and short rows, where tiles hold 64
 * channels), channel counts off the 16-channel panels, with and without bias, each activation kind
 * the kernel clamps in registers and one it applies afterwards, the units computed in three runs of
 * random lengths as the operator's tasks take them. Where the CPU lacks the kernel, only the refusal
 * is checked. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "conv_padded_cases.h"
#include "kernels/kernels.h"

static int run_case(const cort_conv_geom *g, int64_t c, int64_t m, const cort_sgemm_epilogue *ep) {
    int64_t kdim = c * g->kernel[0] * g->kernel[1], oh = g->out[0], ow = g->out[1];
    float *x = malloc(sizeof(float) * (size_t)(c * g->in[0] * g->in[1])), *w = malloc(sizeof(float) * (size_t)(m * kdim));
    float *padded = malloc(sizeof(float) * cort_conv_padded_floats(g, c)), *y = malloc(sizeof(float) * (size_t)(m * oh * ow));
    float *packed = malloc(sizeof(float) * cort_conv_oc_floats(m, kdim)), *bias = malloc(sizeof(float) * (size_t)m);
    int64_t *off = malloc(sizeof(int64_t) * (size_t)kdim);
    int bad = !x || !w || !padded || !y || !packed || !bias || !off;
    if (bad) goto done;
    random_conv_operands(g, c, m, x, w, bias, y);
    cort_sgemm_epilogue e = *ep;
    bool with_bias = rnd_u(2);
    e.bias = with_bias ? bias : NULL;
    cort_conv_pad_image(g, x, c, padded);
    cort_conv_oc_pack(m, kdim, w, packed);
    cort_conv_padded_direct_offsets(g, kdim, off);
    int64_t units = cort_conv_oc_units(g, m, kdim), a = rnd_u((uint32_t)units + 1), b = rnd_u((uint32_t)units + 1);
    if (a > b) {
        int64_t t = a;
        a = b, b = t;
    }
    cort_conv_oc_part(g, m, kdim, off, padded, packed, &e, b, units, y);
    cort_conv_oc_part(g, m, kdim, off, padded, packed, &e, 0, a, y);
    cort_conv_oc_part(g, m, kdim, off, padded, packed, &e, a, b, y);
    bad = conv_output_differs(g, x, w, c, m, &e, y);
done:
    free(x), free(w), free(padded), free(y), free(packed), free(bias), free(off);
    return bad;
}

int main(void) {
    rng_state = 777;
    const uint32_t in_range[2] = {30, 60};
    cort_conv_geom g3 = {.spatial = 2, .in = {14, 14}, .out = {14, 14}, .kernel = {3, 3}, .stride = {1, 1},
                         .dilation = {1, 1}, .pad_begin = {1, 1}};
    CHECK(!cort_conv_oc_ok(&g3, CORT_CONV_OC_MAX_K + 1) && !cort_conv_oc_ok(&g3, 0));
    if (!cort_conv_oc_ok(&g3, 1152)) {
        fprintf(stderr, "test_conv_oc: no AVX-512 here, the kernel itself is not run\n");
        return check_report("test_conv_oc");
    }
    static const cort_activation acts[] = {CORT_ACT_NONE, CORT_ACT_RELU, CORT_ACT_CLIP, CORT_ACT_SIGMOID};
    int ran = 0, strided = 0, short_rows = 0, wide = 0;
    for (int t = 0; t < 1500 && ran < 80; t++) {
        cort_conv_geom g;
        if (!random_padded_geom(&g, in_range)) continue;
        int64_t c = 1 + rnd_u(40), m = 1 + rnd_u(t % 2 ? 150 : 40);
        if (!cort_conv_oc_ok(&g, c * g.kernel[0] * g.kernel[1])) continue;
        ran++;
        strided += g.stride[0] > 1 || g.stride[1] > 1;
        short_rows += g.out[1] <= 7 && m > 32;
        wide += g.out[1] > 28;
        cort_sgemm_epilogue ep = {NULL, acts[rnd_u(4)], -0.25f, 0.5f, 0.0f, 0.0f};
        CHECK(run_case(&g, c, m, &ep) == 0);
    }
    CHECK(ran >= 60 && strided >= 10 && short_rows >= 3 && wide >= 5);
    return check_report("test_conv_oc");
}
