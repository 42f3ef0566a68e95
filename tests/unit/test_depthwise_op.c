/* Depthwise Conv through the operator (group = channels), with few planes so that the work splits
 * into blocks of output rows across the harness's threads, and with many, split by channel: batches,
 * 3x3 and 5x5 kernels, strides 1 and 2, and bottom padding so wide that whole output rows read only
 * padding. Checked against a naive loop. */
#include "test_conv_harness.h"

static uint32_t rng_state = 7;
static float rnd(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((rng_state >> 8) & 0xffff) / 32768.0f - 1.0f;
}

typedef struct dw_case {
    int64_t batch, ch, h, w, k, stride, pad_top, pad_left, pad_bottom, pad_right;
} dw_case;

static int64_t out_dim(int64_t in, int64_t k, int64_t s, int64_t pb, int64_t pe) { return (in + pb + pe - k) / s + 1; }

static void naive(const dw_case *t, const float *x, const float *w, const float *b, float *y) {
    int64_t oh = out_dim(t->h, t->k, t->stride, t->pad_top, t->pad_bottom);
    int64_t ow = out_dim(t->w, t->k, t->stride, t->pad_left, t->pad_right);
    for (int64_t n = 0; n < t->batch; n++)
        for (int64_t c = 0; c < t->ch; c++)
            for (int64_t i = 0; i < oh; i++)
                for (int64_t j = 0; j < ow; j++) {
                    double s = b[c];
                    for (int64_t r = 0; r < t->k; r++)
                        for (int64_t q = 0; q < t->k; q++) {
                            int64_t yi = i * t->stride - t->pad_top + r, xi = j * t->stride - t->pad_left + q;
                            if (yi >= 0 && yi < t->h && xi >= 0 && xi < t->w)
                                s += (double)w[(c * t->k + r) * t->k + q] * x[((n * t->ch + c) * t->h + yi) * t->w + xi];
                        }
                    y[((n * t->ch + c) * oh + i) * ow + j] = (float)s;
                }
}

static void one_case(const dw_case *t) {
    int64_t oh = out_dim(t->h, t->k, t->stride, t->pad_top, t->pad_bottom);
    int64_t ow = out_dim(t->w, t->k, t->stride, t->pad_left, t->pad_right);
    int64_t xn = t->batch * t->ch * t->h * t->w, wn = t->ch * t->k * t->k, yn = t->batch * t->ch * oh * ow;
    float *x = malloc(sizeof(float) * (size_t)xn), *w = malloc(sizeof(float) * (size_t)wn);
    float *b = malloc(sizeof(float) * (size_t)t->ch), *want = malloc(sizeof(float) * (size_t)yn);
    if (!x || !w || !b || !want) {
        CHECK(!"out of memory");
        free(x), free(w), free(b), free(want);
        return;
    }
    for (int64_t i = 0; i < xn; i++) x[i] = rnd();
    for (int64_t i = 0; i < wn; i++) w[i] = rnd();
    for (int64_t i = 0; i < t->ch; i++) b[i] = rnd();
    naive(t, x, w, b, want);
    nn_case c;
    nn_init(&c, "Conv", 13, 3, 1);
    int64_t xd[4] = {t->batch, t->ch, t->h, t->w}, wd[4] = {t->ch, 1, t->k, t->k}, bd[1] = {t->ch};
    int64_t strides[2] = {t->stride, t->stride}, pads[4] = {t->pad_top, t->pad_left, t->pad_bottom, t->pad_right};
    nn_input(&c, 0, CORT_FLOAT, 4, xd, x);
    nn_input(&c, 1, CORT_FLOAT, 4, wd, w);
    nn_input(&c, 2, CORT_FLOAT, 1, bd, b);
    nn_attr_int(&c, "group", t->ch);
    nn_attr_ints(&c, "strides", 2, strides);
    nn_attr_ints(&c, "pads", 4, pads);
    CHECK_OK(nn_run(&c));
    if (!nn_out_close(&c, 0, want, yn, 1e-4f)) {
        fprintf(stderr, "batch %lld ch %lld %lldx%lld k %lld s %lld pads %lld,%lld,%lld,%lld\n", (long long)t->batch,
                (long long)t->ch, (long long)t->h, (long long)t->w, (long long)t->k, (long long)t->stride,
                (long long)t->pad_top, (long long)t->pad_left, (long long)t->pad_bottom, (long long)t->pad_right);
        CHECK(!"depthwise output differs");
    }
    nn_free(&c);
    free(x), free(w), free(b), free(want);
}

int main(void) {
    static const dw_case cases[] = {
        {1, 1, 17, 19, 3, 1, 1, 1, 1, 1}, /* one plane: rows split across threads */
        {1, 2, 23, 9, 5, 2, 2, 2, 2, 2},  {2, 1, 12, 33, 3, 2, 1, 0, 1, 1}, {1, 1, 5, 7, 3, 1, 1, 1, 6, 1},
        {1, 1, 6, 6, 5, 2, 4, 1, 9, 0},   {1, 3, 2, 40, 3, 1, 1, 1, 1, 1},  {1, 1, 1, 1, 3, 1, 1, 1, 1, 1},
        {2, 24, 14, 14, 5, 1, 2, 2, 2, 2}, /* many planes: split by channel */
        {3, 16, 9, 11, 3, 2, 1, 1, 1, 1},
        {1, 200, 7, 7, 3, 1, 1, 1, 1, 1}, /* enough planes for task runs of whole 16-channel blocks */
        {2, 112, 6, 6, 5, 2, 2, 2, 2, 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) one_case(&cases[i]);
    return check_report("test_depthwise_op");
}
