/* The operators that run on the vector math, through their kernels: Softmax lines of odd lengths
 * with large logits, Exp/Erf/Sigmoid/Tanh over lengths no vector width divides (float32 and
 * float16), and LayerNormalization's shape inference. */
#include "test_conv_harness.h"

#define LEN 1001

static float sample(int i) { return (float)(i % 97) / 4 - 12 + (float)i / 1000; }

/* Runs a one-input op on x (shape {LEN}) and compares with ref (relative tolerance, tiny absolute). */
static void check_unary(const char *op, int opset, double (*ref)(double)) {
    nn_case c;
    nn_init(&c, op, opset, 1, 1);
    int64_t dims[1] = {LEN};
    float x[LEN], want[LEN];
    for (int i = 0; i < LEN; i++) x[i] = sample(i);
    nn_input(&c, 0, CORT_FLOAT, 1, dims, x);
    CHECK_OK(nn_run(&c));
    for (int i = 0; i < LEN; i++) want[i] = (float)ref(x[i]);
    const cort_tensor *t = &c.outs[0].t;
    CHECK(c.outs[0].kind == CORT_VALUE_TENSOR && cort_tensor_count(t) == LEN);
    if (c.outs[0].kind == CORT_VALUE_TENSOR && cort_tensor_count(t) == LEN)
        for (int i = 0; i < LEN; i++) {
            double got = cort_get_f64(t, i);
            if (!(fabs(got - want[i]) <= 4e-7 * fabs(want[i]) + 1e-37)) {
                fprintf(stderr, "%s(%g): got %.9g want %.9g\n", op, x[i], got, want[i]);
                CHECK(0);
                break;
            }
        }
    nn_free(&c);

    /* float16 goes through float chunks: compare with the float result rounded to half */
    nn_init(&c, op, opset, 1, 1);
    uint16_t h[LEN];
    for (int i = 0; i < LEN; i++) h[i] = cort_f32_to_f16(x[i] / 4);
    nn_input(&c, 0, CORT_FLOAT16, 1, dims, h);
    CHECK_OK(nn_run(&c));
    t = &c.outs[0].t;
    CHECK(t->type == CORT_FLOAT16);
    if (t->type == CORT_FLOAT16)
        for (int i = 0; i < LEN; i++) {
            double w = ref(cort_f16_to_f32(h[i])), got = cort_get_f64(t, i);
            CHECK(fabs(got - w) <= 1e-3 * fabs(w) + 1e-7);
        }
    nn_free(&c);
}

static double sigmoid_ref(double x) { return 1 / (1 + exp(-x)); }

static void test_unary_ops(void) {
    check_unary("Exp", 13, exp);
    check_unary("Erf", 13, erf);
    check_unary("Sigmoid", 13, sigmoid_ref);
    check_unary("Tanh", 13, tanh);
}

/* Rows of 37 (the contiguous path) and columns (the strided one), with logits near 1000 that
 * overflow exp unless the maximum is subtracted first. */
static void test_softmax_lines(void) {
    enum { R = 3, N = 37 };
    float x[R * N];
    for (int i = 0; i < R * N; i++) x[i] = (i % 5 == 0 ? 1000.0f : 0.0f) + (float)(i % 11) / 3;
    for (int axis = 0; axis < 2; axis++) {
        nn_case c;
        nn_init(&c, "Softmax", 13, 1, 1);
        nn_attr_int(&c, "axis", axis);
        int64_t dims[2] = {R, N};
        nn_input(&c, 0, CORT_FLOAT, 2, dims, x);
        CHECK_OK(nn_run(&c));
        float want[R * N];
        int64_t lines = axis == 1 ? R : N, len = axis == 1 ? N : R, step = axis == 1 ? 1 : N;
        for (int64_t l = 0; l < lines; l++) {
            int64_t base = axis == 1 ? l * N : l;
            double max = -INFINITY, sum = 0;
            for (int64_t k = 0; k < len; k++) max = fmax(max, x[base + k * step]);
            for (int64_t k = 0; k < len; k++) sum += exp(x[base + k * step] - max);
            for (int64_t k = 0; k < len; k++) want[base + k * step] = (float)(exp(x[base + k * step] - max) / sum);
        }
        CHECK(nn_out_close(&c, 0, want, R * N, 1e-6f));
        nn_free(&c);
    }
}

/* Y keeps X's type and shape (symbolic dims too); Mean and InvStdDev set the normalised dims to 1. */
static void test_layernorm_infer(void) {
    const cort_op_def *def = cort_registry_find("", "LayerNormalization", 17, CORT_FLOAT, NULL);
    CHECK(def && def->infer);
    if (!def || !def->infer) return;
    nn_case c;
    nn_init(&c, "LayerNormalization", 17, 3, 3);
    nn_attr_int(&c, "axis", -2);
    void *params = cort_pool_alloc(&c.pool, def->params_size);
    CHECK(params != NULL);
    if (!params) return;
    cort_parse_ctx pc = {&c.node, NULL, params, &c.pool};
    CHECK_OK(def->parse(&pc));
    cort_dim xdims[3] = {{-1, "batch"}, {7, NULL}, {5, NULL}};
    cort_type xt = {CORT_TYPE_TENSOR, CORT_FLOAT, 3, xdims, NULL};
    cort_type st = {CORT_TYPE_TENSOR, CORT_FLOAT, 1, (cort_dim[]){{5, NULL}}, NULL};
    const cort_type *ins[3] = {&xt, &st, &st};
    const cort_tensor *consts[3] = {NULL, NULL, NULL};
    cort_type out[3] = {{0}};
    cort_infer_ctx ic = {&c.node, params, 3, 3, ins, consts, out, &c.pool};
    CHECK_OK(def->infer(&ic));
    CHECK(out[0].elem == CORT_FLOAT && out[0].rank == 3);
    if (out[0].rank == 3) CHECK(out[0].dims[0].symbol && !strcmp(out[0].dims[0].symbol, "batch"));
    for (int o = 1; o < 3; o++) {
        CHECK(out[o].kind == CORT_TYPE_TENSOR && out[o].elem == CORT_FLOAT && out[o].rank == 3);
        if (out[o].rank != 3) continue;
        CHECK(out[o].dims[0].symbol && !strcmp(out[o].dims[0].symbol, "batch"));
        CHECK(out[o].dims[1].value == 1 && out[o].dims[2].value == 1);
    }
    nn_free(&c);
}

int main(void) {
    test_unary_ops();
    test_softmax_lines();
    test_layernorm_infer();
    return check_report("vecmath_ops");
}
