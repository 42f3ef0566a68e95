/* Winograd F(2x2, 3x3) and F(4x4, 3x3) convolution against a naive direct convolution in double:
 * odd and even image sizes, paddings 0..2 (asymmetric ones included), bias, residual and activations,
 * one and several threads (tasks run serially in uneven chunks). Both tiles run on every geometry the
 * kernel accepts, whichever cort_winograd_tile would pick. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "kernels/kernels.h"

static uint32_t rng_state = 4242;
static uint32_t rnd_u(uint32_t n) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return (rng_state >> 8) % n;
}
static float rnd_f(void) { return (float)rnd_u(2001) / 1000.0f - 1.0f; }

static void serial_for(void *self, int64_t n, int64_t min_chunk, cort_task_fn fn, void *arg) {
    (void)self, (void)min_chunk;
    int64_t chunk = n / 2 + 1;
    for (int64_t b = 0; b < n; b += chunk) fn(arg, b, b + chunk < n ? b + chunk : n);
}

static float act_ref(const cort_sgemm_epilogue *ep, float v) {
    if (ep->act == CORT_ACT_RELU) return v < 0 ? 0 : v;
    if (ep->act == CORT_ACT_LEAKY_RELU) return v < 0 ? ep->alpha * v : v;
    if (ep->act == CORT_ACT_SIGMOID) return 1.0f / (1.0f + expf(-v));
    return v;
}

static int run_case(int tile, int64_t c, int64_t m, int64_t h, int64_t w, int64_t pt, int64_t pl, int64_t pb,
                    int64_t pr, cort_activation act, bool with_z, int threads) {
    cort_conv_geom g = {2, {h, w}, {h + pt + pb - 2, w + pl + pr - 2}, {3, 3}, {1, 1}, {1, 1}, {pt, pl}};
    if (!cort_winograd_ok(&g, c, m)) return -1;
    int64_t a = tile + 2;
    int64_t oh = g.out[0], ow = g.out[1], osize = oh * ow;
    float *x = malloc(sizeof(float) * (size_t)(c * h * w)), *wt = malloc(sizeof(float) * (size_t)(m * c * 9));
    float *bias = malloc(sizeof(float) * (size_t)m), *z = malloc(sizeof(float) * (size_t)(m * osize));
    float *y = malloc(sizeof(float) * (size_t)(m * osize)), *tmp = malloc(sizeof(float) * (size_t)(a * a * m * c));
    float *packed = malloc(cort_winograd_packed_size(tile, m, c));
    void *work = malloc(cort_winograd_work_size(tile, &g, c, m, threads));
    int bad = !x || !wt || !bias || !z || !y || !tmp || !packed || !work;
    if (bad) goto done;
    for (int64_t i = 0; i < c * h * w; i++) x[i] = rnd_f();
    for (int64_t i = 0; i < m * c * 9; i++) wt[i] = rnd_f();
    for (int64_t i = 0; i < m; i++) bias[i] = rnd_f();
    for (int64_t i = 0; i < m * osize; i++) z[i] = rnd_f(), y[i] = NAN;
    cort_winograd_pack_weights(tile, m, c, wt, tmp, packed);
    cort_sgemm_epilogue ep = {bias, act, 0, 0, 0.1f, 0};
    cort_threads th = {serial_for, NULL, threads};
    cort_winograd_conv(tile, &th, &g, c, m, x, packed, &ep, with_z ? z : NULL, y, work);
    for (int64_t o = 0; o < m && !bad; o++)
        for (int64_t i = 0; i < oh && !bad; i++)
            for (int64_t j = 0; j < ow && !bad; j++) {
                double s = bias[o] + (with_z ? z[o * osize + i * ow + j] : 0);
                for (int64_t ci = 0; ci < c; ci++)
                    for (int64_t r = 0; r < 3; r++)
                        for (int64_t q = 0; q < 3; q++) {
                            int64_t ih = i - pt + r, iw = j - pl + q;
                            if (ih >= 0 && ih < h && iw >= 0 && iw < w)
                                s += (double)x[(ci * h + ih) * w + iw] * wt[((o * c + ci) * 3 + r) * 3 + q];
                        }
                float want = act_ref(&ep, (float)s), got = y[o * osize + i * ow + j];
                if (!(fabsf(got - want) <= 1e-4f * (1.0f + fabsf(want)) * sqrtf((float)c))) {
                    fprintf(stderr, "tile %d c=%lld m=%lld %lldx%lld pads %lld,%lld,%lld,%lld act %d z %d threads %d: "
                                    "y[%lld,%lld,%lld] %g vs %g\n",
                            tile, (long long)c, (long long)m, (long long)h, (long long)w, (long long)pt, (long long)pl,
                            (long long)pb, (long long)pr, (int)act, (int)with_z, threads, (long long)o, (long long)i,
                            (long long)j, (double)got, (double)want);
                    bad = 1;
                }
            }
done:
    free(x), free(wt), free(bias), free(z), free(y), free(tmp), free(packed), free(work);
    return bad;
}

static void test_random_geometries(void) {
    static const cort_activation acts[] = {CORT_ACT_NONE, CORT_ACT_RELU, CORT_ACT_LEAKY_RELU, CORT_ACT_SIGMOID};
    int ran = 0;
    for (int t = 0; t < 40; t++) {
        int64_t c = 8 + rnd_u(30), m = t % 4 ? 64 + rnd_u(20) : 8 + rnd_u(40), h = 9 + rnd_u(20), w = 9 + rnd_u(20);
        if (t % 4 == 0) h = w = 21 + rnd_u(8); /* few output channels: Winograd only on larger images */
        int64_t pt = rnd_u(3), pl = rnd_u(3), pb = rnd_u(3), pr = rnd_u(3);
        if (t % 3 == 0) pt = pl = pb = pr = 1; /* the common "same" convolution */
        for (int tile = 2; tile <= 4; tile += 2) {
            int r = run_case(tile, c, m, h, w, pt, pl, pb, pr, acts[t % 4], t % 2 == 0, 1 + t % 3);
            CHECK(r != 1);
            ran += r == 0;
        }
    }
    CHECK(ran >= 60);
    /* blocks of more than 64 tiles, whose output transform runs in chunks that split tile rows */
    CHECK(run_case(4, 8, 8, 61, 58, 1, 1, 1, 1, CORT_ACT_RELU, true, 1) == 0);
    CHECK(run_case(2, 8, 8, 45, 47, 1, 0, 2, 1, CORT_ACT_NONE, false, 2) == 0);
    /* tile grids in as many blocks on every thread, with uneven rows: 7 x 7 tiles over 2, 3 and 4
     * threads, 19 x 22 over 6 */
    for (int threads = 2; threads <= 4; threads++) {
        CHECK(run_case(4, 16, 32, 27, 27, 1, 1, 1, 1, CORT_ACT_RELU, threads == 3, threads) == 0);
        CHECK(run_case(4, 9, 12, 26, 25, 0, 2, 2, 0, CORT_ACT_NONE, threads != 3, threads) == 0);
    }
    CHECK(run_case(2, 12, 20, 37, 43, 2, 0, 1, 2, CORT_ACT_SIGMOID, true, 6) == 0);
    /* wide layers on few tiles, over 1 to 4 threads */
    for (int threads = 1; threads <= 4; threads++) {
        CHECK(run_case(4, 16, 130, 27, 27, 1, 1, 1, 1, CORT_ACT_RELU, threads % 2 == 0, threads) == 0);
        CHECK(run_case(2, 12, 150, 14, 13, 1, 1, 1, 1, CORT_ACT_NONE, threads % 2 == 1, threads) == 0);
    }
    CHECK(run_case(4, 8, 128, 40, 44, 1, 1, 1, 1, CORT_ACT_LEAKY_RELU, true, 4) == 0);
}

static void test_applicability(void) {
    cort_conv_geom g = {2, {56, 56}, {56, 56}, {3, 3}, {1, 1}, {1, 1}, {1, 1}};
    CHECK(cort_winograd_ok(&g, 64, 64));
    g.stride[0] = 2;
    CHECK(!cort_winograd_ok(&g, 64, 64));
    g.stride[0] = 1, g.kernel[1] = 5;
    CHECK(!cort_winograd_ok(&g, 64, 64));
    g.kernel[1] = 3, g.dilation[0] = 2;
    CHECK(!cort_winograd_ok(&g, 64, 64));
    g.dilation[0] = 1;
    CHECK(!cort_winograd_ok(&g, 3, 64)); /* too few channels to pay */
    g.spatial = 2;
    CHECK(cort_winograd_tile(&g, 64, 64) == 4);   /* narrow layer, large image */
    CHECK(cort_winograd_tile(&g, 256, 256) == 2); /* 4x weights of a wide layer cost too much memory */
    g.spatial = 1;
    CHECK(!cort_winograd_ok(&g, 64, 64));
}

int main(void) {
    test_applicability();
    test_random_geometries();
    return check_report("test_conv_winograd");
}
