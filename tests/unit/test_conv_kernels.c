/* im2col + SGEMM convolution, direct depthwise convolution and col2im checked against a naive
 * direct convolution on random 1-D..3-D geometries with strides, dilations and padding. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "kernels/kernels.h"

static uint32_t rng_state = 777;
static uint32_t rnd_u(uint32_t n) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return (rng_state >> 8) % n;
}
static float rnd_f(void) { return (float)rnd_u(2001) / 1000.0f - 1.0f; }

/* A random geometry whose output is non-empty. */
static void random_geom(cort_conv_geom *g) {
    g->spatial = 1 + (int)rnd_u(3);
    for (int d = 0; d < g->spatial; d++) {
        for (;;) {
            g->in[d] = 1 + rnd_u(9);
            g->kernel[d] = 1 + rnd_u(4);
            g->stride[d] = 1 + rnd_u(3);
            g->dilation[d] = 1 + rnd_u(2);
            g->pad_begin[d] = rnd_u(3);
            int64_t pad_end = rnd_u(3);
            int64_t span = g->in[d] + g->pad_begin[d] + pad_end - ((g->kernel[d] - 1) * g->dilation[d] + 1);
            if (span < 0) continue;
            g->out[d] = span / g->stride[d] + 1;
            break;
        }
    }
}

/* Input offset for output position o and kernel offset k, or -1 in the padding. */
static int64_t source_of(const cort_conv_geom *g, int64_t o, int64_t k) {
    int64_t oc[CORT_CONV_MAX_SPATIAL], kc[CORT_CONV_MAX_SPATIAL], off = 0;
    for (int d = g->spatial - 1; d >= 0; d--) {
        oc[d] = o % g->out[d];
        o /= g->out[d];
        kc[d] = k % g->kernel[d];
        k /= g->kernel[d];
    }
    for (int d = 0; d < g->spatial; d++) {
        int64_t i = oc[d] * g->stride[d] - g->pad_begin[d] + kc[d] * g->dilation[d];
        if (i < 0 || i >= g->in[d]) return -1;
        off = off * g->in[d] + i;
    }
    return off;
}

static void naive_conv(const cort_conv_geom *g, int64_t c_in, int64_t m_out, const float *x, const float *w,
                       float *y) {
    int64_t isize = cort_conv_in_size(g), osize = cort_conv_out_size(g), ksize = cort_conv_kernel_size(g);
    for (int64_t m = 0; m < m_out; m++)
        for (int64_t o = 0; o < osize; o++) {
            double s = 0;
            for (int64_t c = 0; c < c_in; c++)
                for (int64_t k = 0; k < ksize; k++) {
                    int64_t src = source_of(g, o, k);
                    if (src >= 0) s += (double)x[c * isize + src] * w[(m * c_in + c) * ksize + k];
                }
            y[m * osize + o] = (float)s;
        }
}

static void serial_for(void *self, int64_t n, int64_t min_chunk, cort_task_fn fn, void *arg) {
    (void)self;
    (void)min_chunk;
    for (int64_t i = 0; i < n; i++) fn(arg, i, i + 1);
}

static bool close_all(const float *a, const float *b, int64_t n, float tol) {
    for (int64_t i = 0; i < n; i++)
        if (!(fabsf(a[i] - b[i]) <= tol)) {
            fprintf(stderr, "element %lld: %g vs %g\n", (long long)i, (double)a[i], (double)b[i]);
            return false;
        }
    return true;
}

static void test_im2col_gemm(void) {
    for (int t = 0; t < 300; t++) {
        cort_conv_geom g;
        random_geom(&g);
        int64_t c_in = 1 + rnd_u(4), m_out = 1 + rnd_u(5);
        int64_t isize = cort_conv_in_size(&g), osize = cort_conv_out_size(&g), ksize = cort_conv_kernel_size(&g);
        int64_t kdim = c_in * ksize;
        float *x = malloc(sizeof(float) * (size_t)(c_in * isize));
        float *w = malloc(sizeof(float) * (size_t)(m_out * kdim));
        float *col = malloc(sizeof(float) * (size_t)(kdim * osize));
        float *y = malloc(sizeof(float) * (size_t)(m_out * osize));
        float *ref = malloc(sizeof(float) * (size_t)(m_out * osize));
        void *work = malloc(cort_sgemm_work_size(m_out, osize, kdim));
        if (!x || !w || !col || !y || !ref || !work) {
            CHECK(!"out of memory");
            return;
        }
        for (int64_t i = 0; i < c_in * isize; i++) x[i] = rnd_f();
        for (int64_t i = 0; i < m_out * kdim; i++) w[i] = rnd_f();
        /* fill in two row ranges, as threads would */
        cort_im2col(&g, x, 0, kdim / 2, col);
        cort_im2col(&g, x, kdim / 2, kdim, col);
        cort_sgemm(false, false, m_out, osize, kdim, 1.0f, w, kdim, col, osize, 0.0f, y, osize, work);
        naive_conv(&g, c_in, m_out, x, w, ref);
        CHECK(close_all(y, ref, m_out * osize, 1e-4f * (float)(kdim + 1)));
        /* the same product gathering B panels from the image, over 2 "threads" */
        cort_threads th = {serial_for, NULL, 2};
        void *mt_work = malloc(cort_sgemm_mt_work_size(m_out, osize, kdim, 2));
        cort_im2col_source src = {&g, x};
        if (mt_work) {
            cort_sgemm_gather_b_mt(&th, NULL, w, kdim, m_out, osize, kdim, cort_im2col_pack, &src, 0.0f, y, osize,
                                   mt_work);
            CHECK(close_all(y, ref, m_out * osize, 1e-4f * (float)(kdim + 1)));
        }
        free(mt_work);
        if (c_in == 1 && m_out >= 1) { /* depthwise: one channel, one filter, with and without scratch */
            for (int64_t o = 0; o < osize; o++) ref[o] += 0.5f;
            cort_conv_direct_channel(&g, x, w, 0.5f, y, NULL);
            CHECK(close_all(y, ref, osize, 1e-4f * (float)(ksize + 1)));
            size_t ws = cort_conv_direct_work_size(&g);
            void *dw_work = ws ? malloc(ws) : NULL;
            cort_conv_direct_channel(&g, x, w, 0.5f, y, dw_work);
            CHECK(close_all(y, ref, osize, 1e-4f * (float)(ksize + 1)));
            free(dw_work);
        }
        free(x);
        free(w);
        free(col);
        free(y);
        free(ref);
        free(work);
    }
}

/* The padded flat-grid depthwise path (2-D, equal strides) against the naive convolution. */
static void test_depthwise_flat(void) {
    int done = 0;
    while (done < 150) {
        cort_conv_geom g;
        random_geom(&g);
        if (g.spatial != 2 || g.stride[0] != g.stride[1]) continue;
        done++;
        int64_t isize = cort_conv_in_size(&g), osize = cort_conv_out_size(&g), ksize = cort_conv_kernel_size(&g);
        float *x = malloc(sizeof(float) * (size_t)isize), *w = malloc(sizeof(float) * (size_t)ksize);
        float *y = malloc(sizeof(float) * (size_t)osize), *ref = malloc(sizeof(float) * (size_t)osize);
        void *work = malloc(cort_conv_direct_work_size(&g));
        if (!x || !w || !y || !ref || !work) {
            CHECK(!"out of memory");
            return;
        }
        for (int64_t i = 0; i < isize; i++) x[i] = rnd_f();
        for (int64_t i = 0; i < ksize; i++) w[i] = rnd_f();
        naive_conv(&g, 1, 1, x, w, ref);
        for (int64_t o = 0; o < osize; o++) ref[o] -= 1.0f;
        cort_conv_direct_channel(&g, x, w, -1.0f, y, work);
        CHECK(close_all(y, ref, osize, 1e-4f * (float)(ksize + 1)));
        free(x);
        free(w);
        free(y);
        free(ref);
        free(work);
    }
}

/* col2im is the adjoint of im2col: <im2col(x), c> == <x, col2im(c)>. */
static void test_col2im_adjoint(void) {
    for (int t = 0; t < 200; t++) {
        cort_conv_geom g;
        random_geom(&g);
        int64_t ch = 1 + rnd_u(3);
        int64_t isize = cort_conv_in_size(&g), osize = cort_conv_out_size(&g), rows = ch * cort_conv_kernel_size(&g);
        float *x = malloc(sizeof(float) * (size_t)(ch * isize)), *back = calloc((size_t)(ch * isize), sizeof(float));
        float *col = malloc(sizeof(float) * (size_t)(rows * osize)), *c = malloc(sizeof(float) * (size_t)(rows * osize));
        if (!x || !back || !col || !c) {
            CHECK(!"out of memory");
            return;
        }
        for (int64_t i = 0; i < ch * isize; i++) x[i] = rnd_f();
        for (int64_t i = 0; i < rows * osize; i++) c[i] = rnd_f();
        cort_im2col(&g, x, 0, rows, col);
        cort_col2im_add(&g, c, 0, rows, back);
        double lhs = 0, rhs = 0;
        for (int64_t i = 0; i < rows * osize; i++) lhs += (double)col[i] * c[i];
        for (int64_t i = 0; i < ch * isize; i++) rhs += (double)x[i] * back[i];
        CHECK(fabs(lhs - rhs) <= 1e-3 * (1 + fabs(lhs)));
        free(x);
        free(back);
        free(col);
        free(c);
    }
}

static void test_known_values(void) {
    /* 1-D: x = [1 2 3 4], k = 2, stride 2, pad 1 -> windows [0 1], [2 3], [4 0] */
    cort_conv_geom g = {1, {4}, {3}, {2}, {2}, {1}, {1}};
    float x[4] = {1, 2, 3, 4}, w[2] = {10, 1}, y[3];
    cort_conv_direct_channel(&g, x, w, 0.0f, y, NULL);
    CHECK(y[0] == 1 && y[1] == 23 && y[2] == 40);
}

int main(void) {
    test_im2col_gemm();
    test_depthwise_flat();
    test_col2im_adjoint();
    test_known_values();
    return check_report("test_conv_kernels");
}
