/* The phase-split padded-image convolution (cort_conv_pad_image + cort_conv_padded_pack through the
 * SGEMM) against a naive direct convolution on random 2-D geometries: strides 1..3 in each dimension,
 * dilations 1..2, kernels 1..5, asymmetric paddings, odd sizes; and the planes filled by blocks of
 * rows against the planes filled at once. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "conv_padded_cases.h"
#include "kernels/kernels.h"


static int run_case(const cort_conv_geom *g, int64_t c, int64_t m) {
    int64_t hq, wq, grid, ksize = g->kernel[0] * g->kernel[1], kdim = c * ksize, oh = g->out[0], ow = g->out[1];
    cort_conv_padded_dims(g, &hq, &wq, &grid);
    float *x = malloc(sizeof(float) * (size_t)(c * g->in[0] * g->in[1])), *w = malloc(sizeof(float) * (size_t)(m * kdim));
    float *padded = malloc(sizeof(float) * cort_conv_padded_floats(g, c)), *y = malloc(sizeof(float) * (size_t)(m * grid));
    void *work = malloc(cort_sgemm_mt_work_size(m, grid, kdim, 1));
    int bad = !x || !w || !padded || !y || !work;
    if (bad) goto done;
    for (int64_t i = 0; i < c * g->in[0] * g->in[1]; i++) x[i] = rnd_f();
    for (int64_t i = 0; i < m * kdim; i++) w[i] = rnd_f();
    cort_conv_pad_image(g, x, c, padded);
    /* two GEMMs, over output rows [0, half) and [half, oh), as conv.c chunks large images */
    int64_t half = oh / 2;
    cort_conv_padded_source src = {g, padded, hq, wq, 0};
    if (half > 0)
        cort_sgemm_gather_b_mt_ep(NULL, NULL, w, kdim, m, (half - 1) * wq + ow, kdim, cort_conv_padded_pack, &src, 0.0f,
                                  y, grid, NULL, work);
    src.col0 = half * wq;
    cort_sgemm_gather_b_mt_ep(NULL, NULL, w, kdim, m, grid - src.col0, kdim, cort_conv_padded_pack, &src, 0.0f,
                              y + src.col0, grid, NULL, work);
    for (int64_t o = 0; o < m && !bad; o++)
        for (int64_t i = 0; i < oh && !bad; i++)
            for (int64_t j = 0; j < ow && !bad; j++) {
                double s = reference_conv(g, x, w, c, o, i, j);
                float got = y[o * grid + i * wq + j];
                if (!(fabs(got - s) <= 1e-4 * (1.0 + fabs(s)))) {
                    fprintf(stderr, "in %lldx%lld k %lldx%lld s %lld,%lld d %lld,%lld pad %lld,%lld: y[%lld,%lld,%lld] %g vs %g\n",
                            (long long)g->in[0], (long long)g->in[1], (long long)g->kernel[0], (long long)g->kernel[1],
                            (long long)g->stride[0], (long long)g->stride[1], (long long)g->dilation[0],
                            (long long)g->dilation[1], (long long)g->pad_begin[0], (long long)g->pad_begin[1],
                            (long long)o, (long long)i, (long long)j, (double)got, s);
                    bad = 1;
                }
            }
done:
    free(x), free(w), free(padded), free(y), free(work);
    return bad;
}

/* The planes filled a block of rows at a time (as threads share a first layer's few channels) equal
 * the planes filled at once, on every phase the kernel reads. */
static int rows_case(const cort_conv_geom *g, int64_t c) {
    int64_t hq, wq, grid;
    cort_conv_padded_dims(g, &hq, &wq, &grid);
    size_t n = cort_conv_padded_floats(g, c);
    float *x = malloc(sizeof(float) * (size_t)(c * g->in[0] * g->in[1])), *whole = malloc(sizeof(float) * n),
          *parts = malloc(sizeof(float) * n);
    int bad = !x || !whole || !parts;
    if (!bad) {
        for (int64_t i = 0; i < c * g->in[0] * g->in[1]; i++) x[i] = rnd_f();
        for (size_t i = 0; i < n; i++) whole[i] = parts[i] = 0; /* planes no tap reads stay unwritten */
        cort_conv_pad_image(g, x, c, whole);
        int64_t a = rnd_u((uint32_t)hq + 1), b = rnd_u((uint32_t)hq + 1);
        if (a > b) {
            int64_t t = a;
            a = b, b = t;
        }
        cort_conv_pad_image_rows(g, x, c, b, hq + 3, parts);
        cort_conv_pad_image_rows(g, x, c, 0, a, parts);
        cort_conv_pad_image_rows(g, x, c, a, b, parts);
        for (size_t i = 0; i < n && !bad; i++) bad = whole[i] != parts[i];
    }
    free(x), free(whole), free(parts);
    return bad;
}

int main(void) {
    rng_state = 31337;
    const uint32_t in_range[2] = {30, 30};
    int ran = 0, strided = 0;
    for (int t = 0; t < 400 && ran < 60; t++) {
        cort_conv_geom g;
        if (!random_padded_geom(&g, in_range)) continue;
        ran++;
        strided += g.stride[0] > 1 || g.stride[1] > 1;
        CHECK(run_case(&g, 1 + rnd_u(6), 1 + rnd_u(20)) == 0);
    }
    CHECK(ran >= 40 && strided >= 10);
    for (int t = 0, rows = 0; t < 200 && rows < 30; t++) {
        cort_conv_geom g;
        if (!random_padded_geom(&g, in_range)) continue;
        rows++;
        CHECK(rows_case(&g, 1 + rnd_u(4)) == 0);
    }
    return check_report("test_conv_padded");
}
