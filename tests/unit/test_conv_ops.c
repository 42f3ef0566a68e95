/* Conv and ConvTranspose through their registry rows (weights packed at prepare) against naive loops:
 * grouped 2-D convolution with padding, stride and dilation, grouped ConvTranspose with
 * output_padding, the float16 path, and malformed shapes. */
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

int main(void) {
    test_grouped_conv();
    test_grouped_convtranspose();
    test_malformed();
    return check_report("test_conv_ops");
}
