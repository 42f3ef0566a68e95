/* Conv and ConvTranspose through their registry rows (weights packed at prepare) against naive loops:
 * grouped 2-D convolution with padding, stride and dilation, grouped ConvTranspose with
 * output_padding, 1x1 kernels with strides and padding, the float16 path, and malformed shapes. */
#include "test_conv_harness.h"

static uint32_t rng_state = 4242;
static float rnd(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((rng_state >> 8) % 2001) / 1000.0f - 1.0f;
}

enum { N = 2, C = 4, H = 7, W = 6, M = 6, G = 2, KH = 3, KW = 2, SH = 2, SW = 1, DH = 1, DW = 2, PT = 1, PL = 0,
       PB = 2, PR = 1 };
enum { OH = (H + PT + PB - ((KH - 1) * DH + 1)) / SH + 1, OW = (W + PL + PR - ((KW - 1) * DW + 1)) / SW + 1 };

static void naive_grouped_conv(const float *x, const float *w, const float *b, float *y) {
    int cg = C / G, mg = M / G;
    for (int n = 0; n < N; n++)
        for (int m = 0; m < M; m++)
            for (int i = 0; i < OH; i++)
                for (int j = 0; j < OW; j++) {
                    double s = b[m];
                    int g = m / mg;
                    for (int c = 0; c < cg; c++)
                        for (int kh = 0; kh < KH; kh++)
                            for (int kw = 0; kw < KW; kw++) {
                                int ih = i * SH - PT + kh * DH, iw = j * SW - PL + kw * DW;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                s += (double)x[((n * C + g * cg + c) * H + ih) * W + iw] *
                                     w[((m * cg + c) * KH + kh) * KW + kw];
                            }
                    y[((n * M + m) * OH + i) * OW + j] = (float)s;
                }
}

static void test_grouped_conv(void) {
    static float x[N * C * H * W], w[M * (C / G) * KH * KW], b[M], want[N * M * OH * OW];
    for (size_t i = 0; i < sizeof x / sizeof *x; i++) x[i] = rnd();
    for (size_t i = 0; i < sizeof w / sizeof *w; i++) w[i] = rnd();
    for (int i = 0; i < M; i++) b[i] = rnd();
    naive_grouped_conv(x, w, b, want);
    int64_t xd[4] = {N, C, H, W}, wd[4] = {M, C / G, KH, KW}, bd[1] = {M}, yd[4] = {N, M, OH, OW};
    int64_t strides[2] = {SH, SW}, dil[2] = {DH, DW}, pads[4] = {PT, PL, PB, PR};
    nn_case c;
    nn_init(&c, "Conv", 11, 3, 1);
    nn_attr_int(&c, "group", G);
    nn_attr_ints(&c, "strides", 2, strides);
    nn_attr_ints(&c, "dilations", 2, dil);
    nn_attr_ints(&c, "pads", 4, pads);
    nn_input(&c, 0, CORT_FLOAT, 4, xd, x);
    nn_input(&c, 1, CORT_FLOAT, 4, wd, w);
    nn_input(&c, 2, CORT_FLOAT, 1, bd, b);
    CHECK_OK(nn_run(&c));
    CHECK(nn_out_shape(&c, 0, 4, yd));
    CHECK(nn_out_close(&c, 0, want, N * M * OH * OW, 1e-4f));
    nn_free(&c);

    /* float16: same math through float copies */
    static uint16_t xh[N * C * H * W], wh[M * (C / G) * KH * KW], bh[M];
    for (size_t i = 0; i < sizeof xh / sizeof *xh; i++) xh[i] = cort_f32_to_f16(x[i]);
    for (size_t i = 0; i < sizeof wh / sizeof *wh; i++) wh[i] = cort_f32_to_f16(w[i]);
    for (int i = 0; i < M; i++) bh[i] = cort_f32_to_f16(b[i]);
    nn_init(&c, "Conv", 11, 3, 1);
    nn_attr_int(&c, "group", G);
    nn_attr_ints(&c, "strides", 2, strides);
    nn_attr_ints(&c, "dilations", 2, dil);
    nn_attr_ints(&c, "pads", 4, pads);
    nn_input(&c, 0, CORT_FLOAT16, 4, xd, xh);
    nn_input(&c, 1, CORT_FLOAT16, 4, wd, wh);
    nn_input(&c, 2, CORT_FLOAT16, 1, bd, bh);
    CHECK_OK(nn_run(&c));
    CHECK(c.outs[0].t.type == CORT_FLOAT16);
    CHECK(nn_out_close(&c, 0, want, N * M * OH * OW, 2e-2f));
    nn_free(&c);
}

static void test_grouped_convtranspose(void) {
    enum { TC = 4, TM = 2, TG = 2, TH = 3, TW = 2, TK = 3, TS = 2, TP = 1, TA = 1 };
    enum { TOH = TS * (TH - 1) + TA + TK - 2 * TP, TOW = TS * (TW - 1) + TA + TK - 2 * TP };
    float x[TC * TH * TW], w[TC * (TM / TG) * TK * TK], want[TM * TOH * TOW];
    for (int i = 0; i < TC * TH * TW; i++) x[i] = rnd();
    for (int i = 0; i < TC * (TM / TG) * TK * TK; i++) w[i] = rnd();
    for (int i = 0; i < TM * TOH * TOW; i++) want[i] = 0;
    int cg = TC / TG, mg = TM / TG;
    for (int c = 0; c < TC; c++)
        for (int i = 0; i < TH; i++)
            for (int j = 0; j < TW; j++)
                for (int m = 0; m < mg; m++)
                    for (int kh = 0; kh < TK; kh++)
                        for (int kw = 0; kw < TK; kw++) {
                            int oh = i * TS - TP + kh, ow = j * TS - TP + kw, om = (c / cg) * mg + m;
                            if (oh < 0 || oh >= TOH || ow < 0 || ow >= TOW) continue;
                            want[(om * TOH + oh) * TOW + ow] +=
                                x[(c * TH + i) * TW + j] * w[((c * mg + m) * TK + kh) * TK + kw];
                        }
    int64_t xd[4] = {1, TC, TH, TW}, wd[4] = {TC, TM / TG, TK, TK}, yd[4] = {1, TM, TOH, TOW};
    int64_t strides[2] = {TS, TS}, pads[4] = {TP, TP, TP, TP}, adj[2] = {TA, TA};
    nn_case c;
    nn_init(&c, "ConvTranspose", 11, 2, 1);
    nn_attr_int(&c, "group", TG);
    nn_attr_ints(&c, "strides", 2, strides);
    nn_attr_ints(&c, "pads", 4, pads);
    nn_attr_ints(&c, "output_padding", 2, adj);
    nn_input(&c, 0, CORT_FLOAT, 4, xd, x);
    nn_input(&c, 1, CORT_FLOAT, 4, wd, w);
    CHECK_OK(nn_run(&c));
    CHECK(nn_out_shape(&c, 0, 4, yd));
    CHECK(nn_out_close(&c, 0, want, TM * TOH * TOW, 1e-5f));
    nn_free(&c);
}

static void test_malformed(void) {
    float x[16] = {0}, w[8] = {0};
    int64_t xd[4] = {1, 2, 2, 4}, wd[4] = {2, 1, 2, 2}, w3[3] = {2, 2, 2};
    nn_case c;
    nn_init(&c, "Conv", 11, 2, 1);
    nn_attr_int(&c, "group", 3); /* 2 channels do not split into 3 groups */
    nn_input(&c, 0, CORT_FLOAT, 4, xd, x);
    nn_input(&c, 1, CORT_FLOAT, 4, wd, w);
    CHECK(nn_fails(&c));
    nn_free(&c);

    nn_init(&c, "Conv", 11, 2, 1);
    nn_input(&c, 0, CORT_FLOAT, 4, xd, x);
    nn_input(&c, 1, CORT_FLOAT, 3, w3, w); /* weight rank differs */
    CHECK(nn_fails(&c));
    nn_free(&c);

    nn_init(&c, "Conv", 11, 2, 1);
    int64_t huge[2] = {INT64_C(1) << 40, 1}; /* strides this large would overflow position arithmetic */
    nn_attr_ints(&c, "strides", 2, huge);
    nn_input(&c, 0, CORT_FLOAT, 4, xd, x);
    nn_input(&c, 1, CORT_FLOAT, 4, wd, w);
    CHECK(nn_fails(&c));
    nn_free(&c);

    nn_init(&c, "Conv", 11, 2, 1);
    int64_t pads[2] = {1, 1}; /* needs 4 values for 2-D */
    nn_attr_ints(&c, "pads", 2, pads);
    nn_input(&c, 0, CORT_FLOAT, 4, xd, x);
    nn_input(&c, 1, CORT_FLOAT, 4, wd, w);
    CHECK(nn_fails(&c));
    nn_free(&c);
}

/* 1x1 kernels with strides and padding (ResNet's downsampling): the GEMM on the subsampled planes
 * stores straight into Y. Batch 2, odd sizes, grouped or not, plain and with a residual and Relu
 * (FusedConv), against a naive loop. */
typedef struct sub_case {
    int n, c, h, w, m, g, sh, sw, pads[4];
} sub_case;

static void test_strided_1x1(void) {
    static const sub_case cases[] = {
        {2, 5, 9, 8, 7, 1, 2, 2, {0, 0, 0, 0}}, {1, 4, 7, 11, 6, 2, 3, 2, {1, 0, 0, 1}},
        {2, 24, 6, 6, 20, 1, 2, 2, {1, 1, 1, 1}}, {1, 3, 5, 5, 9, 1, 1, 1, {1, 2, 0, 1}}};
    for (size_t ci = 0; ci < sizeof cases / sizeof *cases; ci++) {
        const sub_case *k = &cases[ci];
        int oh = (k->h + k->pads[0] + k->pads[2] - 1) / k->sh + 1, ow = (k->w + k->pads[1] + k->pads[3] - 1) / k->sw + 1;
        int cg = k->c / k->g, mg = k->m / k->g, xn = k->n * k->c * k->h * k->w, yn = k->n * k->m * oh * ow;
        float *x = malloc(sizeof(float) * (size_t)xn), *w = malloc(sizeof(float) * (size_t)(k->m * cg));
        float *b = malloc(sizeof(float) * (size_t)k->m), *want = malloc(sizeof(float) * (size_t)yn);
        if (!x || !w || !b || !want) {
            CHECK(!"out of memory");
            free(x), free(w), free(b), free(want);
            return;
        }
        for (int i = 0; i < xn; i++) x[i] = rnd();
        for (int i = 0; i < k->m * cg; i++) w[i] = rnd();
        for (int i = 0; i < k->m; i++) b[i] = rnd();
        for (int n = 0; n < k->n; n++)
            for (int m = 0; m < k->m; m++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++) {
                        int ih = i * k->sh - k->pads[0], iw = j * k->sw - k->pads[1], g = m / mg;
                        double acc = b[m];
                        if (ih >= 0 && ih < k->h && iw >= 0 && iw < k->w)
                            for (int c = 0; c < cg; c++)
                                acc += (double)x[((n * k->c + g * cg + c) * k->h + ih) * k->w + iw] * w[m * cg + c];
                        want[((n * k->m + m) * oh + i) * ow + j] = (float)acc;
                    }
        int64_t xd[4] = {k->n, k->c, k->h, k->w}, wd[4] = {k->m, cg, 1, 1}, bd[1] = {k->m}, yd[4] = {k->n, k->m, oh, ow};
        int64_t strides[2] = {k->sh, k->sw}, pads[4] = {k->pads[0], k->pads[1], k->pads[2], k->pads[3]};
        nn_case c;
        nn_init(&c, "Conv", 11, 3, 1);
        nn_attr_int(&c, "group", k->g);
        nn_attr_ints(&c, "strides", 2, strides);
        nn_attr_ints(&c, "pads", 4, pads);
        nn_input(&c, 0, CORT_FLOAT, 4, xd, x);
        nn_input(&c, 1, CORT_FLOAT, 4, wd, w);
        nn_input(&c, 2, CORT_FLOAT, 1, bd, b);
        CHECK_OK(nn_run(&c));
        CHECK(nn_out_shape(&c, 0, 4, yd));
        CHECK(nn_out_close(&c, 0, want, yn, 1e-4f));
        nn_free(&c);
        /* FusedConv with a residual Z and Relu: relu(conv + z), the GEMM adding Z already in Y */
        float *z = malloc(sizeof(float) * (size_t)yn);
        const char *why = "";
        const cort_op_def *fused = cort_registry_find("com.cort", "FusedConv", 1, CORT_FLOAT, &why);
        CHECK(z && fused);
        if (z && fused) {
            for (int i = 0; i < yn; i++) z[i] = rnd(), want[i] = want[i] + z[i] > 0 ? want[i] + z[i] : 0;
            nn_init(&c, "FusedConv", 1, 4, 1);
            c.node.domain = "com.cort";
            nn_attr_int(&c, "group", k->g);
            nn_attr_ints(&c, "strides", 2, strides);
            nn_attr_ints(&c, "pads", 4, pads);
            nn_attr_string(&c, "activation", "Relu");
            nn_input(&c, 0, CORT_FLOAT, 4, xd, x);
            nn_input(&c, 1, CORT_FLOAT, 4, wd, w);
            nn_input(&c, 2, CORT_FLOAT, 1, bd, b);
            nn_input(&c, 3, CORT_FLOAT, 4, yd, z);
            CHECK_OK(nn_run_def(&c, fused));
            CHECK(nn_out_close(&c, 0, want, yn, 1e-4f));
            nn_free(&c);
        }
        free(x), free(w), free(b), free(want), free(z);
    }
}

int main(void) {
    test_grouped_conv();
    test_strided_1x1();
    test_grouped_convtranspose();
    test_malformed();
    return check_report("test_conv_ops");
}
