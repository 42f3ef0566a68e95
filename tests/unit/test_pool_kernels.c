/* The separable 2-D pooling kernels (cort_pool2d_rows, every variant this CPU runs) and the MaxPool /
 * AveragePool operators that use them, against a plain definition of pooling on random shapes: sizes
 * with vector tails, strides 1-4, kernels 1-6, padding on every side, ceil_mode, count_include_pad,
 * dilations and MaxPool's Indices (the operators' other path), row ranges split anyhow. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "kernels/kernels.h"
#include "test_conv_harness.h"

static uint32_t rng = 12345;
static uint32_t next_u32(void) {
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}
static int64_t rnd(int64_t lo, int64_t hi) { return lo + (int64_t)(next_u32() % (uint32_t)(hi - lo + 1)); }
static float rndf(void) { return (float)(next_u32() % 20001) / 10000.0f - 1.0f; }

/* One pooled value straight from the definition, along `sp` spatial dims of a plane. */
typedef struct ref_geom {
    int sp;
    int64_t in[2], out[2], k[2], s[2], d[2], pb[2], pe[2];
    bool is_max, include_pad;
} ref_geom;

static float ref_value(const ref_geom *g, const float *x, const int64_t *o) {
    double sum = 0;
    float best = -INFINITY;
    int64_t valid = 0, padded = 0, taps = g->sp == 2 ? g->k[0] * g->k[1] : g->k[0];
    for (int64_t t = 0; t < taps; t++) {
        int64_t kk[2] = {g->sp == 2 ? t / g->k[1] : t, g->sp == 2 ? t % g->k[1] : 0}, off = 0;
        bool inside = true, in_pad = true;
        for (int d = 0; d < g->sp; d++) {
            int64_t pos = o[d] * g->s[d] - g->pb[d] + kk[d] * g->d[d];
            inside = inside && pos >= 0 && pos < g->in[d];
            in_pad = in_pad && pos < g->in[d] + g->pe[d];
            off = off * g->in[d] + pos;
        }
        padded += in_pad;
        if (!inside) continue;
        valid++;
        float v = x[off];
        if (v > best) best = v;
        sum += v;
    }
    if (g->is_max) return best;
    int64_t count = g->include_pad ? padded : valid;
    return count ? (float)(sum / (double)count) : 0.0f;
}

static bool close_to(float got, float want) {
    if (isinf(want)) return got == want;
    return fabsf(got - want) <= 1e-5f * (1.0f + fabsf(want));
}

/* ---------------------------------------------------------------- kernels */

static void random_kernel_geometry(cort_pool2d *p, ref_geom *g) {
    p->k_h = rnd(1, 5);
    p->k_w = rnd(1, 6);
    p->stride_h = rnd(1, 3);
    p->stride_w = rnd(1, 4);
    p->in_h = rnd(1, 20);
    p->in_w = next_u32() % 4 == 0 ? rnd(40, 300) : rnd(1, 40);
    p->pad_top = rnd(0, p->k_h - 1);
    p->pad_bottom = rnd(0, p->k_h - 1);
    p->pad_left = rnd(0, p->k_w - 1);
    p->pad_right = rnd(0, p->k_w - 1);
    p->is_max = next_u32() % 2;
    p->count_include_pad = next_u32() % 2;
    p->stream = next_u32() % 2; /* prefetching rows ahead changes no result */
    /* enlarge the image until the window fits in the padded extent */
    while (p->in_h + p->pad_top + p->pad_bottom < p->k_h) p->in_h++;
    while (p->in_w + p->pad_left + p->pad_right < p->k_w) p->in_w++;
    bool ceil_mode = next_u32() % 2;
    int64_t *outs[2] = {&p->out_h, &p->out_w};
    int64_t in[2] = {p->in_h, p->in_w}, k[2] = {p->k_h, p->k_w}, s[2] = {p->stride_h, p->stride_w};
    int64_t pb[2] = {p->pad_top, p->pad_left}, pe[2] = {p->pad_bottom, p->pad_right};
    for (int d = 0; d < 2; d++) {
        int64_t span = in[d] + pb[d] + pe[d] - k[d];
        int64_t out = (ceil_mode ? (span + s[d] - 1) / s[d] : span / s[d]) + 1;
        if (ceil_mode && (out - 1) * s[d] >= in[d] + pb[d]) out--;
        *outs[d] = out;
        g->in[d] = in[d], g->out[d] = out, g->k[d] = k[d], g->s[d] = s[d], g->d[d] = 1;
        g->pb[d] = pb[d], g->pe[d] = pe[d];
    }
    g->sp = 2;
    g->is_max = p->is_max;
    g->include_pad = p->count_include_pad;
}

static void test_kernel_variants(void) {
    for (int trial = 0; trial < 400; trial++) {
        cort_pool2d p;
        ref_geom g;
        random_kernel_geometry(&p, &g);
        CHECK(cort_pool2d_ok(&p));
        int64_t isize = p.in_h * p.in_w, osize = p.out_h * p.out_w;
        float *x = malloc(sizeof(float) * (size_t)isize), *want = malloc(sizeof(float) * (size_t)osize);
        float *y = malloc(sizeof(float) * (size_t)osize);
        if (!x || !want || !y) {
            CHECK(!"out of memory");
            break;
        }
        for (int64_t i = 0; i < isize; i++) x[i] = rndf();
        if (p.is_max && trial % 7 == 0) x[rnd(0, isize - 1)] = NAN; /* max skips NaN */
        for (int64_t i = 0; i < p.out_h; i++)
            for (int64_t j = 0; j < p.out_w; j++) want[i * p.out_w + j] = ref_value(&g, x, (int64_t[]){i, j});
        for (int variant = 0; variant <= 2; variant++) {
            for (int64_t i = 0; i < osize; i++) y[i] = 12345.0f;
            int64_t r0 = 0;
            bool ran = true;
            while (r0 < p.out_h && ran) { /* rows in uneven ranges */
                int64_t r1 = r0 + rnd(1, 4);
                if (r1 > p.out_h) r1 = p.out_h;
                ran = cort_pool2d_rows_variant(variant, &p, x, y, r0, r1);
                r0 = r1;
            }
            if (!ran) continue;
            int bad = 0;
            for (int64_t i = 0; i < osize && bad < 3; i++) {
                if (close_to(y[i], want[i])) continue;
                fprintf(stderr, "variant %d trial %d (%s %lldx%lld k%lldx%lld s%lldx%lld pads %lld,%lld,%lld,%lld "
                                "incl %d) output %lld: got %g want %g\n",
                        variant, trial, p.is_max ? "max" : "avg", (long long)p.in_h, (long long)p.in_w,
                        (long long)p.k_h, (long long)p.k_w, (long long)p.stride_h, (long long)p.stride_w,
                        (long long)p.pad_top, (long long)p.pad_left, (long long)p.pad_bottom, (long long)p.pad_right,
                        p.count_include_pad, (long long)i, (double)y[i], (double)want[i]);
                bad++;
            }
            CHECK(bad == 0);
        }
        free(x);
        free(want);
        free(y);
    }
}

static void test_kernel_refusals(void) {
    cort_pool2d p = {4, 4, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, true, false, false};
    CHECK(cort_pool2d_ok(&p));
    p.in_w = CORT_POOL2D_MAX_COLS + 1;
    CHECK(!cort_pool2d_ok(&p));
    p.in_w = 4;
    p.stride_w = 0;
    CHECK(!cort_pool2d_ok(&p));
    p.stride_w = 2;
    p.pad_left = -1;
    CHECK(!cort_pool2d_ok(&p));
}

/* ---------------------------------------------------------------- operators */

/* A random MaxPool / AveragePool node over a [n, c, spatial...] input; returns its reference geometry. */
static void random_op(nn_case *c, bool is_max, int sp, bool dilate, int64_t *xdims, ref_geom *g, int64_t *storage) {
    int64_t *k = storage, *s = storage + 2, *d = storage + 4, *pads = storage + 6;
    g->sp = sp;
    g->is_max = is_max;
    bool ceil_mode = next_u32() % 2;
    g->include_pad = !is_max && next_u32() % 2;
    xdims[0] = rnd(1, 2);
    xdims[1] = rnd(1, 5);
    for (int i = 0; i < sp; i++) {
        k[i] = rnd(1, 4);
        s[i] = rnd(1, 3);
        d[i] = dilate ? rnd(1, 3) : 1;
        pads[i] = rnd(0, k[i] - 1);
        pads[i + sp] = rnd(0, k[i] - 1);
        int64_t reach = (k[i] - 1) * d[i] + 1, in = rnd(1, 30);
        while (in + pads[i] + pads[i + sp] < reach) in++;
        xdims[2 + i] = in;
        int64_t span = in + pads[i] + pads[i + sp] - reach;
        int64_t out = (ceil_mode ? (span + s[i] - 1) / s[i] : span / s[i]) + 1;
        if (ceil_mode && (out - 1) * s[i] >= in + pads[i]) out--;
        g->in[i] = in, g->out[i] = out, g->k[i] = k[i], g->s[i] = s[i], g->d[i] = d[i];
        g->pb[i] = pads[i], g->pe[i] = pads[i + sp];
    }
    nn_attr_ints(c, "kernel_shape", sp, k);
    nn_attr_ints(c, "strides", sp, s);
    if (dilate) nn_attr_ints(c, "dilations", sp, d);
    nn_attr_ints(c, "pads", 2 * sp, pads);
    nn_attr_int(c, "ceil_mode", ceil_mode);
    if (!is_max) nn_attr_int(c, "count_include_pad", g->include_pad);
}

static void test_ops(void) {
    for (int trial = 0; trial < 300; trial++) {
        bool is_max = trial % 2 == 0, dilate = is_max && trial % 5 == 0, with_indices = is_max && trial % 4 == 0;
        int sp = trial % 3 == 0 ? 1 : 2;
        nn_case c;
        nn_init(&c, is_max ? "MaxPool" : "AveragePool", is_max ? 12 : 11, 1, with_indices ? 2 : 1);
        int64_t xdims[4], storage[10];
        ref_geom g;
        random_op(&c, is_max, sp, dilate, xdims, &g, storage);
        int64_t planes = xdims[0] * xdims[1], isize = sp == 2 ? g.in[0] * g.in[1] : g.in[0];
        int64_t osize = sp == 2 ? g.out[0] * g.out[1] : g.out[0], n = planes * isize;
        float *x = malloc(sizeof(float) * (size_t)n), *want = malloc(sizeof(float) * (size_t)(planes * osize));
        if (!x || !want) {
            CHECK(!"out of memory");
            nn_free(&c);
            break;
        }
        for (int64_t i = 0; i < n; i++) x[i] = rndf();
        for (int64_t pl = 0; pl < planes; pl++)
            for (int64_t o = 0; o < osize; o++) {
                int64_t oc[2] = {sp == 2 ? o / g.out[1] : o, sp == 2 ? o % g.out[1] : 0};
                want[pl * osize + o] = ref_value(&g, x + pl * isize, oc);
            }
        nn_input(&c, 0, CORT_FLOAT, 2 + sp, xdims, x);
        CHECK_OK(nn_run(&c));
        const cort_tensor *y = &c.outs[0].t;
        CHECK(c.outs[0].kind == CORT_VALUE_TENSOR && cort_tensor_count(y) == planes * osize);
        if (c.outs[0].kind == CORT_VALUE_TENSOR && cort_tensor_count(y) == planes * osize) {
            int bad = 0;
            for (int64_t i = 0; i < planes * osize && bad < 3; i++) {
                float got = ((const float *)y->data)[i];
                if (close_to(got, want[i])) continue;
                fprintf(stderr, "op trial %d (%s, %dD, indices %d) output %lld: got %g want %g\n", trial,
                        is_max ? "MaxPool" : "AveragePool", sp, with_indices, (long long)i, (double)got,
                        (double)want[i]);
                bad++;
            }
            CHECK(bad == 0);
            if (with_indices) { /* each index points at an input holding the maximum */
                const int64_t *ind = c.outs[1].t.data;
                for (int64_t i = 0; i < planes * osize; i++)
                    CHECK(isinf(want[i]) || (ind[i] >= 0 && ind[i] < n && x[ind[i]] == want[i]));
            }
        }
        free(x);
        free(want);
        nn_free(&c);
    }
}

int main(void) {
    test_kernel_variants();
    test_kernel_refusals();
    test_ops();
    return check_report("test_pool_kernels");
}
