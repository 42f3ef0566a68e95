/* Depthwise 3x3 (the shapes the SIMD paths take: stride 1 and 2, pads 0..2, every row width around
 * the vector length) through cort_conv_direct_channel, with and without scratch, against a naive loop. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "kernels/kernels.h"

static uint32_t rng_state = 99;
static float rnd(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((rng_state >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static void naive(const cort_conv_geom *g, const float *x, const float *w, float bias, float *y) {
    for (int64_t i = 0; i < g->out[0]; i++)
        for (int64_t j = 0; j < g->out[1]; j++) {
            float s = bias;
            for (int r = 0; r < 3; r++)
                for (int c = 0; c < 3; c++) {
                    int64_t yi = i * g->stride[0] - g->pad_begin[0] + r, xj = j * g->stride[1] - g->pad_begin[1] + c;
                    if (yi >= 0 && yi < g->in[0] && xj >= 0 && xj < g->in[1]) s += w[r * 3 + c] * x[yi * g->in[1] + xj];
                }
            y[i * g->out[1] + j] = s;
        }
}

static int one_case(int64_t h, int64_t wd, int64_t stride, int64_t pad_top, int64_t pad_left, int64_t pad_end) {
    cort_conv_geom g = {2, {h, wd}, {0, 0}, {3, 3}, {stride, stride}, {1, 1}, {pad_top, pad_left}};
    g.out[0] = (h + pad_top + pad_end - 3) / stride + 1;
    g.out[1] = (wd + pad_left + pad_end - 3) / stride + 1;
    if (h + pad_top + pad_end < 3 || wd + pad_left + pad_end < 3) return 0;
    int64_t osize = g.out[0] * g.out[1];
    float *x = malloc(sizeof(float) * (size_t)(h * wd)), w[9];
    float *y = malloc(sizeof(float) * (size_t)osize), *ref = malloc(sizeof(float) * (size_t)osize);
    size_t ws = cort_conv_direct_work_size(&g);
    void *work = malloc(ws ? ws : 1);
    int bad = !x || !y || !ref || !work;
    if (!bad) {
        for (int64_t i = 0; i < h * wd; i++) x[i] = rnd();
        for (int i = 0; i < 9; i++) w[i] = rnd();
        naive(&g, x, w, 0.25f, ref);
        for (int pass = 0; pass < 2 && !bad; pass++) {
            cort_conv_direct_channel(&g, x, w, 0.25f, y, pass ? work : NULL);
            for (int64_t o = 0; o < osize; o++)
                if (!(fabsf(y[o] - ref[o]) <= 1e-5f)) {
                    fprintf(stderr, "h=%lld w=%lld s=%lld pads %lld,%lld,%lld scratch=%d: [%lld] %g vs %g\n",
                            (long long)h, (long long)wd, (long long)stride, (long long)pad_top, (long long)pad_left,
                            (long long)pad_end, pass, (long long)o, (double)y[o], (double)ref[o]);
                    bad = 1;
                    break;
                }
        }
    }
    free(x), free(y), free(ref), free(work);
    return bad;
}

static void test_shapes(void) {
    for (int64_t stride = 1; stride <= 2; stride++)
        for (int64_t pad = 0; pad <= 2; pad++)
            for (int64_t wd = 1; wd <= 37; wd += 3)
                for (int64_t h = 1; h <= 9; h += 4) {
                    CHECK(one_case(h, wd, stride, pad, pad, pad) == 0);
                    CHECK(one_case(h, wd, stride, pad, 2 - pad, 1) == 0);
                }
    CHECK(one_case(112, 112, 2, 0, 0, 1) == 0); /* a MobileNet stage, padded at the end only */
    CHECK(one_case(56, 56, 1, 1, 1, 1) == 0);
    CHECK(one_case(7, 65, 2, 1, 1, 1) == 0);
}

int main(void) {
    test_shapes();
    return check_report("test_conv_depthwise");
}
