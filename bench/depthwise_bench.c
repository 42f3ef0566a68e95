/* Depthwise convolution micro-benchmark: cort_depthwise (cort's own pick) and each variant this CPU
 * runs (0 portable C, 1 AVX2, 2 AVX-512) on the depthwise layers of mobilenet_v2 (Relu6) and
 * efficientnet_b0 (SiLU) at 224x224, one thread, printing microseconds per layer and GFLOP/s of the
 * multiply-adds. With the argument `none` the activation is left off, to see what it costs; any
 * other argument keeps only the layers whose name contains it.
 *   build/bench/depthwise_bench [none] [name] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/kernels.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct dw_case {
    const char *name;
    int c, h, k, stride;
    cort_activation act;
} dw_case;

typedef struct dw_problem {
    cort_conv_geom g;
    int64_t c;
    float *x, *w, *bias, *y;
    cort_sgemm_epilogue ep;
    void *work;
} dw_problem;

/* variant 3 is cort_depthwise's own pick, 0..2 a forced variant */
static bool run_once(const dw_problem *p, int variant) {
    if (variant == 3) {
        cort_depthwise(&p->g, p->x, p->w, &p->ep, 0, p->c, p->y, p->work);
        return true;
    }
    return cort_depthwise_variant(variant, &p->g, p->x, p->w, &p->ep, 0, p->c, p->y, p->work);
}

/* best of several timed batches in seconds per call; 0 when the variant does not run here */
static double best_seconds(const dw_problem *p, int variant) {
    if (!run_once(p, variant)) return 0;
    double flops = 2.0 * (double)p->c * (double)cort_conv_out_size(&p->g) * (double)cort_conv_kernel_size(&p->g);
    double best = 1e30;
    int reps = (int)(2e7 / flops) + 1;
    for (int trial = 0; trial < 9; trial++) {
        double t0 = now_s();
        for (int r = 0; r < reps; r++) run_once(p, variant);
        double t = (now_s() - t0) / reps;
        if (t < best) best = t;
    }
    return best;
}

/* Page-aligned, so that the planes' placement (and any 4K aliasing between loads and stores) is the
 * same from run to run and build to build, whatever the heap did before. */
static void *page_alloc(size_t bytes) { return aligned_alloc(4096, (bytes + 4095) / 4096 * 4096); }

static float *random_floats(size_t n) {
    float *v = page_alloc(n * sizeof(float));
    for (size_t i = 0; v && i < n; i++) v[i] = (float)(rand() % 2001 - 1000) / 1000.0f;
    return v;
}

static bool problem_init(dw_problem *p, const dw_case *dc, bool with_act) {
    memset(p, 0, sizeof *p);
    int pad = dc->k / 2;
    p->g.spatial = 2;
    for (int d = 0; d < 2; d++) {
        p->g.in[d] = dc->h;
        p->g.kernel[d] = dc->k;
        p->g.stride[d] = dc->stride;
        p->g.dilation[d] = 1;
        p->g.pad_begin[d] = pad;
        p->g.out[d] = (dc->h + 2 * pad - dc->k) / dc->stride + 1;
    }
    p->c = dc->c;
    p->x = random_floats((size_t)(p->c * cort_conv_in_size(&p->g)));
    p->w = random_floats((size_t)(p->c * cort_conv_kernel_size(&p->g)));
    p->bias = random_floats((size_t)p->c);
    p->y = page_alloc((size_t)(p->c * cort_conv_out_size(&p->g)) * sizeof(float));
    p->work = page_alloc(cort_depthwise_work_size(&p->g) + 64);
    p->ep.bias = p->bias;
    p->ep.act = with_act ? dc->act : CORT_ACT_NONE;
    p->ep.lo = 0.0f;
    p->ep.hi = 6.0f;
    return p->x && p->w && p->bias && p->y && p->work;
}

static void problem_free(dw_problem *p) {
    free(p->x);
    free(p->w);
    free(p->bias);
    free(p->y);
    free(p->work);
}

int main(int argc, char **argv) {
    bool with_act = true;
    const char *only = NULL;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "none") == 0) with_act = false;
        else only = argv[a];
    }
    static const dw_case cases[] = {
        {"mv2 112 c32 3x3", 32, 112, 3, 1, CORT_ACT_CLIP},     {"mv2 112 c96 3x3/2", 96, 112, 3, 2, CORT_ACT_CLIP},
        {"mv2 56 c144 3x3", 144, 56, 3, 1, CORT_ACT_CLIP},     {"mv2 56 c144 3x3/2", 144, 56, 3, 2, CORT_ACT_CLIP},
        {"mv2 28 c192 3x3", 192, 28, 3, 1, CORT_ACT_CLIP},     {"mv2 28 c192 3x3/2", 192, 28, 3, 2, CORT_ACT_CLIP},
        {"mv2 14 c384 3x3", 384, 14, 3, 1, CORT_ACT_CLIP},     {"mv2 14 c576 3x3", 576, 14, 3, 1, CORT_ACT_CLIP},
        {"mv2 14 c576 3x3/2", 576, 14, 3, 2, CORT_ACT_CLIP},   {"mv2 7 c960 3x3", 960, 7, 3, 1, CORT_ACT_CLIP},
        {"eb0 112 c32 3x3", 32, 112, 3, 1, CORT_ACT_SILU},     {"eb0 112 c96 3x3/2", 96, 112, 3, 2, CORT_ACT_SILU},
        {"eb0 56 c144 3x3", 144, 56, 3, 1, CORT_ACT_SILU},     {"eb0 56 c144 5x5/2", 144, 56, 5, 2, CORT_ACT_SILU},
        {"eb0 28 c240 5x5", 240, 28, 5, 1, CORT_ACT_SILU},     {"eb0 28 c240 3x3/2", 240, 28, 3, 2, CORT_ACT_SILU},
        {"eb0 14 c480 3x3", 480, 14, 3, 1, CORT_ACT_SILU},     {"eb0 14 c480 5x5", 480, 14, 5, 1, CORT_ACT_SILU},
        {"eb0 14 c672 5x5", 672, 14, 5, 1, CORT_ACT_SILU},     {"eb0 14 c672 5x5/2", 672, 14, 5, 2, CORT_ACT_SILU},
        {"eb0 7 c1152 5x5", 1152, 7, 5, 1, CORT_ACT_SILU},     {"eb0 7 c1152 3x3", 1152, 7, 3, 1, CORT_ACT_SILU},
    };
    printf("depthwise, one thread, %s; us per layer (GFLOP/s)\n", with_act ? "with the model's activation" : "no activation");
    printf("%-20s | %16s %16s %16s %16s\n", "layer", "cort", "C", "AVX2", "AVX-512");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (only && !strstr(cases[i].name, only)) continue;
        dw_problem p;
        if (!problem_init(&p, &cases[i], with_act)) {
            fprintf(stderr, "depthwise_bench: out of memory\n");
            problem_free(&p);
            return 1;
        }
        double flops = 2.0 * (double)p.c * (double)cort_conv_out_size(&p.g) * (double)cort_conv_kernel_size(&p.g);
        printf("%-20s |", cases[i].name);
        static const int order[] = {3, 0, 1, 2};
        for (int v = 0; v < 4; v++) {
            double t = best_seconds(&p, order[v]);
            if (t > 0) printf(" %8.1f (%5.1f)", t * 1e6, flops / t * 1e-9);
            else printf(" %16s", "-");
        }
        printf("\n");
        fflush(stdout);
        problem_free(&p);
    }
    return 0;
}
