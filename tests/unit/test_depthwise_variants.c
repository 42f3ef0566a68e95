/* cort_depthwise: every variant this CPU runs (portable C, AVX2, AVX-512) against a naive loop, on
 * random 1-D, 2-D and 3-D geometries (kernels 1..5, strides 1..3, dilations, asymmetric pads, widths
 * around the vector lengths, negative leading pads), channel sub-ranges, and each activation with its
 * parameters. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kernels/kernels.h"

static uint32_t rng_state = 12345;
static uint32_t rnd_u32(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}
static int64_t rnd_int(int64_t lo, int64_t hi) { return lo + (int64_t)(rnd_u32() % (uint32_t)(hi - lo + 1)); }
static float input_scale = 1.0f; /* widens the inputs' range, for the saturating activations */
static float rnd(void) { return ((float)(rnd_u32() & 0xffff) / 16384.0f - 2.0f) * input_scale; }

/* The activations written out here from their definitions, not through the library. */
static float activation_ref(const cort_sgemm_epilogue *ep, float v) {
    switch (ep->act) {
    case CORT_ACT_RELU: return v > 0 ? v : 0;
    case CORT_ACT_CLIP: return v < ep->lo ? ep->lo : v > ep->hi ? ep->hi : v;
    case CORT_ACT_LEAKY_RELU: return v < 0 ? ep->alpha * v : v;
    case CORT_ACT_SIGMOID: return (float)(1.0 / (1.0 + exp(-(double)v)));
    case CORT_ACT_HARD_SIGMOID: return fmaxf(0.0f, fminf(1.0f, ep->alpha * v + ep->beta));
    case CORT_ACT_HARD_SWISH: return v * fmaxf(0.0f, fminf(1.0f, v / 6.0f + 0.5f));
    case CORT_ACT_TANH: return (float)tanh((double)v);
    case CORT_ACT_SILU: return (float)((double)v / (1.0 + exp(-(double)v)));
    default: return v;
    }
}

/* One output element of one channel, summed in double over the in-image taps. */
static float naive_at(const cort_conv_geom *g, const float *x, const float *w, int64_t o) {
    int64_t oi[CORT_CONV_MAX_SPATIAL], rest = o;
    for (int d = g->spatial - 1; d >= 0; d--) {
        oi[d] = rest % g->out[d];
        rest /= g->out[d];
    }
    double s = 0;
    int64_t ksize = cort_conv_kernel_size(g);
    for (int64_t k = 0; k < ksize; k++) {
        int64_t krest = k, at = 0, scale = 1;
        bool inside = true;
        for (int d = g->spatial - 1; d >= 0; d--) {
            int64_t kd = krest % g->kernel[d];
            krest /= g->kernel[d];
            int64_t i = oi[d] * g->stride[d] - g->pad_begin[d] + kd * g->dilation[d];
            inside = inside && i >= 0 && i < g->in[d];
            at += i * scale;
            scale *= g->in[d];
        }
        if (inside) s += (double)w[k] * x[at];
    }
    return (float)s;
}

static const cort_activation acts[] = {CORT_ACT_NONE,         CORT_ACT_RELU,       CORT_ACT_CLIP, CORT_ACT_LEAKY_RELU,
                                       CORT_ACT_SIGMOID,      CORT_ACT_HARD_SIGMOID, CORT_ACT_HARD_SWISH,
                                       CORT_ACT_TANH,         CORT_ACT_SILU};

/* Runs channels [c0, c1) of `channels` with every variant and compares them with the naive result;
 * returns the number of mismatching variants. Outputs outside the range must stay untouched. */
static int one_case(const cort_conv_geom *g, int64_t channels, int64_t c0, int64_t c1, const cort_sgemm_epilogue *ep,
                    int *variants_run) {
    int64_t isize = cort_conv_in_size(g), osize = cort_conv_out_size(g), ksize = cort_conv_kernel_size(g);
    float *x = malloc(sizeof(float) * (size_t)(channels * isize)), *w = malloc(sizeof(float) * (size_t)(channels * ksize));
    float *y = malloc(sizeof(float) * (size_t)(channels * osize)), *ref = malloc(sizeof(float) * (size_t)(channels * osize));
    size_t ws = cort_depthwise_work_size(g);
    void *work = malloc(ws ? ws : 1);
    int bad = 0;
    if (!x || !w || !y || !ref || !work) {
        bad = 1;
        goto done;
    }
    for (int64_t i = 0; i < channels * isize; i++) x[i] = rnd();
    for (int64_t i = 0; i < channels * ksize; i++) w[i] = rnd() * 0.5f;
    for (int64_t c = 0; c < channels; c++)
        for (int64_t o = 0; o < osize; o++) {
            float v = naive_at(g, x + c * isize, w + c * ksize, o) + (ep->bias ? ep->bias[c] : 0.0f);
            ref[c * osize + o] = c >= c0 && c < c1 ? activation_ref(ep, v) : -7.0f;
        }
    for (int variant = 0; variant <= 2; variant++) {
        for (int64_t i = 0; i < channels * osize; i++) y[i] = -7.0f;
        if (!cort_depthwise_variant(variant, g, x, w, ep, c0, c1, y, work)) continue;
        variants_run[variant]++;
        for (int64_t i = 0; i < channels * osize; i++) {
            float tol = 1e-4f * (1.0f + fabsf(ref[i]));
            if (!(fabsf(y[i] - ref[i]) <= tol)) {
                fprintf(stderr,
                        "variant %d act %d: spatial %d in %lldx%lld k %lldx%lld s %lld,%lld d %lld,%lld pad %lld,%lld "
                        "channels [%lld,%lld) of %lld: y[%lld] = %g, expected %g\n",
                        variant, (int)ep->act, g->spatial, (long long)g->in[0], (long long)g->in[1],
                        (long long)g->kernel[0], (long long)g->kernel[1], (long long)g->stride[0],
                        (long long)g->stride[1], (long long)g->dilation[0], (long long)g->dilation[1],
                        (long long)g->pad_begin[0], (long long)g->pad_begin[1], (long long)c0, (long long)c1,
                        (long long)channels, (long long)i, (double)y[i], (double)ref[i]);
                bad++;
                break;
            }
        }
    }
    /* the entry point the operators call agrees with the reference too */
    for (int64_t i = 0; i < channels * osize; i++) y[i] = -7.0f;
    cort_depthwise(g, x, w, ep, c0, c1, y, work);
    for (int64_t i = 0; i < channels * osize; i++)
        if (!(fabsf(y[i] - ref[i]) <= 1e-4f * (1.0f + fabsf(ref[i])))) {
            bad++;
            break;
        }
done:
    free(x), free(y), free(ref), free(w), free(work);
    return bad;
}

/* Output size along one dim for in, kernel, stride, dilation and the two pads; 0 when none fits. */
static int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe) {
    int64_t span = in + pb + pe - ((k - 1) * d + 1);
    return span < 0 ? 0 : span / s + 1;
}

static void random_geometry(cort_conv_geom *g, int spatial, bool square) {
    memset(g, 0, sizeof *g);
    g->spatial = spatial;
    int64_t k = rnd_int(1, 5) | (square ? 1 : 0), s = rnd_int(1, 3);
    for (int d = 0; d < spatial; d++) {
        do {
            g->kernel[d] = square ? k : rnd_int(1, 5);
            g->stride[d] = square ? s : rnd_int(1, 3);
            g->dilation[d] = square ? 1 : rnd_int(1, 2);
            g->in[d] = rnd_int(1, d == spatial - 1 ? 40 : 12);
            g->pad_begin[d] = rnd_int(0, g->kernel[d] - 1);
            if (d == 0 && rnd_int(0, 7) == 0) g->pad_begin[d] = -rnd_int(1, 3); /* a block of rows cut from a larger conv */
            g->out[d] = out_size(g->in[d], g->kernel[d], g->stride[d], g->dilation[d], g->pad_begin[d],
                                 rnd_int(0, g->kernel[d] - 1));
        } while (g->out[d] < 1);
    }
}

static void test_random(void) {
    int variants_run[3] = {0, 0, 0};
    float bias[8];
    for (int i = 0; i < 8; i++) bias[i] = rnd();
    for (int iter = 0; iter < 600; iter++) {
        cort_conv_geom g;
        int spatial = iter % 10 == 0 ? 1 : iter % 10 == 1 ? 3 : 2;
        random_geometry(&g, spatial, spatial == 2 && iter % 3 != 0); /* mostly the shapes SIMD takes */
        cort_sgemm_epilogue ep;
        memset(&ep, 0, sizeof ep);
        ep.bias = iter % 4 ? bias : NULL;
        ep.act = acts[iter % (sizeof acts / sizeof *acts)];
        ep.lo = -0.5f, ep.hi = 1.5f, ep.alpha = iter % 2 ? 0.2f : 0.125f, ep.beta = 0.5f;
        int64_t channels = rnd_int(1, 8), c0 = rnd_int(0, channels - 1), c1 = rnd_int(c0 + 1, channels);
        CHECK(one_case(&g, channels, c0, c1, &ep, variants_run) == 0);
    }
    CHECK(variants_run[0] == 600);
    printf("cases run per variant: C %d, AVX2 %d, AVX-512 %d\n", variants_run[0], variants_run[1], variants_run[2]);
}

/* The mobile nets' shapes, including the widths where rows end exactly on and just past a vector. */
static void test_model_shapes(void) {
    static const int64_t shapes[][4] = {/* in, kernel, stride, pad */
                                        {112, 3, 2, 1}, {56, 5, 2, 2}, {28, 5, 1, 2}, {14, 3, 1, 1}, {7, 5, 1, 2},
                                        {7, 3, 1, 1},   {16, 3, 1, 1}, {17, 5, 2, 2}, {33, 3, 2, 1}, {32, 5, 1, 2}};
    int variants_run[3] = {0, 0, 0};
    float bias[3] = {0.5f, -0.25f, 1.0f};
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        int64_t in = shapes[i][0], k = shapes[i][1], s = shapes[i][2], p = shapes[i][3];
        cort_conv_geom g = {2, {in, in}, {0, 0}, {k, k}, {s, s}, {1, 1}, {p, p}};
        g.out[0] = g.out[1] = out_size(in, k, s, 1, p, p);
        cort_sgemm_epilogue ep = {bias, acts[i % (sizeof acts / sizeof *acts)], 0.0f, 6.0f, 0.1f, 0.5f};
        CHECK(one_case(&g, 3, 0, 3, &ep, variants_run) == 0);
    }
}

/* Sums far into the tails of Sigmoid and SiLU (|v| up to ~1e3): they saturate without overflow. */
static void test_saturation(void) {
    int variants_run[3] = {0, 0, 0};
    float bias[4] = {0, 50, -50, 0};
    cort_activation saturating[] = {CORT_ACT_SIGMOID, CORT_ACT_SILU, CORT_ACT_HARD_SWISH, CORT_ACT_TANH};
    input_scale = 100.0f;
    for (size_t i = 0; i < sizeof saturating / sizeof *saturating; i++) {
        cort_conv_geom g = {2, {9, 21}, {9, 21}, {3, 3}, {1, 1}, {1, 1}, {1, 1}};
        cort_sgemm_epilogue ep = {bias, saturating[i], 0, 0, 0, 0};
        CHECK(one_case(&g, 4, 0, 4, &ep, variants_run) == 0);
    }
    input_scale = 1.0f;
}

/* Small planes with many channels, where the AVX-512 kernel computes 16 channels at once: whole
 * blocks, short last blocks and remainders left to the per-channel loops, ranges starting off a
 * multiple of 16, asymmetric pads and every activation. */
static void test_channel_blocks(void) {
    int variants_run[3] = {0, 0, 0};
    float bias[40];
    for (int i = 0; i < 40; i++) bias[i] = rnd();
    for (int iter = 0; iter < 120; iter++) {
        int64_t k = rnd_int(0, 1) ? 5 : 3, s = rnd_int(1, 2);
        cort_conv_geom g = {2, {rnd_int(1, 16), rnd_int(1, 16)}, {0, 0}, {k, k}, {s, s}, {1, 1}, {0, 0}};
        for (int d = 0; d < 2; d++) {
            g.pad_begin[d] = rnd_int(0, k - 1);
            g.out[d] = out_size(g.in[d], k, s, 1, g.pad_begin[d], rnd_int(0, k - 1));
            if (g.out[d] < 1) g.out[d] = 1, g.pad_begin[d] = k - 1; /* in + 2 (k - 1) >= k: one output */
        }
        cort_sgemm_epilogue ep;
        memset(&ep, 0, sizeof ep);
        ep.bias = iter % 5 ? bias : NULL;
        ep.act = acts[iter % (sizeof acts / sizeof *acts)];
        ep.lo = -0.5f, ep.hi = 1.5f, ep.alpha = 0.2f, ep.beta = 0.5f;
        int64_t channels = rnd_int(8, 40), c0 = rnd_int(0, channels - 8), c1 = rnd_int(c0 + 1, channels);
        CHECK(one_case(&g, channels, c0, c1, &ep, variants_run) == 0);
    }
}

int main(void) {
    test_random();
    test_model_shapes();
    test_saturation();
    test_channel_blocks();
    return check_report("test_depthwise_variants");
}
