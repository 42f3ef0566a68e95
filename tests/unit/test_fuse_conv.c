/* Conv fusions at level 2 (src/opt/fuse.c): Conv + Add(residual) + LeakyRelu, a grouped Conv + x *
 * Sigmoid(x) (SiLU) and Conv + Relu each become one com.cort::FusedConv, a residual Add after an
 * activation stays (Y = act(conv + Z) would be wrong there), and the fused session's outputs match
 * the unfused session's. The 64-channel 10x10 3x3 convolution runs through Winograd, the grouped one
 * and the 5x5 one (with a residual) through the padded-image GEMM. A BatchNormalization after a Conv
 * without bias folds into its weights (and then its Relu fuses). */
#include <math.h>
#include <string.h>

#include "graph_builder.h"
#include "onnx/onnx.h"

enum { C = 64, H = 10, W = 10, LEN = C * H * W };

static uint32_t rng_state = 99;
static float rnd(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((rng_state >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static void add_node(cort_graph *g, const char *op, const char *name, int a, int b, int out) {
    cort_node *n = gb_node(g, op, name, a, b, out, 14, op[0] == 'L' ? 1 : 0);
    if (n && op[0] == 'L') n->attrs[0] = (cort_attr){.name = "alpha", .type = CORT_ATTR_FLOAT, .f = 0.2f};
}

static int weight(cort_model *m, const char *name, int64_t d0, int64_t d1, int64_t k) {
    const int64_t wd[4] = {d0, d1, k, k}, bd[1] = {d0}; /* k 0: a bias of d0 values */
    float *d;
    int id = gb_initializer(m, name, CORT_FLOAT, k ? 4 : 1, k ? wd : bd, (void **)&d);
    int64_t count = k ? d0 * d1 * k * k : d0;
    for (int64_t i = 0; d && i < count; i++) d[i] = rnd() * 0.3f;
    return id;
}

static void add_conv(cort_model *m, cort_graph *g, const char *name, int x, int w, int b, int64_t k, int64_t group,
                     int out) {
    cort_node *n = cort_graph_add_node(g, "Conv", "", name, b >= 0 ? 3 : 2, 1, 2);
    int64_t *pads = cort_pool_calloc(&m->pool, 4, sizeof *pads);
    for (int i = 0; i < 4; i++) pads[i] = k / 2;
    n->inputs[0] = x, n->inputs[1] = w, n->outputs[0] = out, n->opset = 14;
    if (b >= 0) n->inputs[2] = b;
    n->attrs[0] = (cort_attr){.name = "pads", .type = CORT_ATTR_INTS, .n = 4, .ints = pads};
    n->attrs[1] = (cort_attr){.name = "group", .type = CORT_ATTR_INT, .i = group};
}

/* Y1 = LeakyRelu(Conv3x3(X) + X); Y2 = c2 * Sigmoid(c2), c2 = Conv3x3 group 2 (no bias);
 * Y3 = Relu(Conv1x1(X)) + X; Y4 = Relu(Conv5x5(X) + X); Y5 = Relu(BatchNormalization(Conv3x3(X))). */
static cort_model *make_model(void) {
    cort_model *m = gb_model(14, "convs");
    if (!m) return NULL;
    cort_graph *g = m->graph;
    static const int64_t xd[4] = {1, C, H, W};
    int x = gb_float_input(m, "X", 4, xd, NULL);
    int w1 = weight(m, "w1", C, C, 3), b1 = weight(m, "b1", C, 0, 0), w2 = weight(m, "w2", C, C / 2, 3);
    int w3 = weight(m, "w3", C, C, 1), b3 = weight(m, "b3", C, 0, 0);
    int c1 = cort_graph_value(g, "c1"), a1 = cort_graph_value(g, "a1"), y1 = cort_graph_value(g, "Y1");
    int c2 = cort_graph_value(g, "c2"), s2 = cort_graph_value(g, "s2"), y2 = cort_graph_value(g, "Y2");
    int c3 = cort_graph_value(g, "c3"), r3 = cort_graph_value(g, "r3"), y3 = cort_graph_value(g, "Y3");
    int w4 = weight(m, "w4", C, C, 5), c4 = cort_graph_value(g, "c4"), a4 = cort_graph_value(g, "a4");
    int y4 = cort_graph_value(g, "Y4");
    add_conv(m, g, "conv1", x, w1, b1, 3, 1, c1);
    add_node(g, "Add", "add1", x, c1, a1);
    add_node(g, "LeakyRelu", "leaky1", a1, -1, y1);
    add_conv(m, g, "conv2", x, w2, -1, 3, 2, c2);
    add_node(g, "Sigmoid", "sig2", c2, -1, s2);
    add_node(g, "Mul", "mul2", s2, c2, y2);
    add_conv(m, g, "conv3", x, w3, b3, 1, 1, c3);
    add_node(g, "Relu", "relu3", c3, -1, r3);
    add_node(g, "Add", "add3", r3, x, y3);
    add_conv(m, g, "conv4", x, w4, -1, 5, 1, c4);
    add_node(g, "Add", "add4", c4, x, a4);
    add_node(g, "Relu", "relu4", a4, -1, y4);
    int w5 = weight(m, "w5", C, C, 3), c5 = cort_graph_value(g, "c5"), n5 = cort_graph_value(g, "n5");
    int y5 = cort_graph_value(g, "Y5"), bn_in[4];
    static const char *bn_names[4] = {"scale", "beta", "mean", "var"};
    for (int k = 0; k < 4; k++) {
        bn_in[k] = weight(m, bn_names[k], C, 0, 0);
        float *d = g->values[bn_in[k]].init->data;
        for (int i = 0; k == 3 && i < C; i++) d[i] = 0.2f + d[i] * d[i]; /* variances > 0 */
    }
    add_conv(m, g, "conv5", x, w5, -1, 3, 1, c5);
    cort_node *bn = cort_graph_add_node(g, "BatchNormalization", "", "bn5", 5, 1, 1);
    bn->inputs[0] = c5, bn->outputs[0] = n5, bn->opset = 14;
    for (int k = 0; k < 4; k++) bn->inputs[k + 1] = bn_in[k];
    bn->attrs[0] = (cort_attr){.name = "epsilon", .type = CORT_ATTR_FLOAT, .f = 1e-3f};
    add_node(g, "Relu", "relu5", n5, -1, y5);
    cort_graph_add_output(g, y1);
    cort_graph_add_output(g, y2);
    cort_graph_add_output(g, y3);
    cort_graph_add_output(g, y4);
    cort_graph_add_output(g, y5);
    return cort_graph_check_and_sort(g) ? NULL : m;
}

static void run_model(int level, const float *x, float out[5][LEN], int *steps, int *fused_convs) {
    rng_state = 99; /* the same weights at every level */
    cort_session *s = gb_session(make_model(), level, 0, NULL);
    if (!s) return;
    *steps = s->main->n_steps;
    *fused_convs = 0;
    for (int i = 0; i < s->main->n_steps; i++) *fused_convs += !strcmp(s->main->steps[i].node->op_type, "FusedConv");
    static const int64_t dims[4] = {1, C, H, W};
    static const char *const names[5] = {"Y1", "Y2", "Y3", "Y4", "Y5"};
    gb_run_floats(s, "X", 4, dims, x, 5, names, &out[0][0], LEN);
    cort_session_free(s);
}

int main(void) {
    static float x[LEN], plain[5][LEN], fused[5][LEN];
    for (int i = 0; i < LEN; i++) x[i] = rnd();
    int steps1 = 0, steps2 = 0, convs1 = -1, convs2 = -1;
    run_model(CORT_OPT_BASIC, x, plain, &steps1, &convs1);
    run_model(CORT_OPT_ALL, x, fused, &steps2, &convs2);
    CHECK(steps1 == 15 && convs1 == 0);
    CHECK(steps2 == 6 && convs2 == 5); /* five FusedConv and the Add after conv3's Relu */
    bool negative = false;
    for (int k = 0; k < 5; k++) {
        float worst = 0;
        for (int i = 0; i < LEN; i++) {
            negative |= k == 0 && plain[k][i] < 0; /* LeakyRelu's slope is exercised */
            float d = fabsf(fused[k][i] - plain[k][i]) / (1.0f + fabsf(plain[k][i]));
            worst = d > worst ? d : worst;
        }
        if (!(worst <= 1e-5f)) fprintf(stderr, "output %d: relative difference %g\n", k, (double)worst);
        CHECK(worst <= 1e-5f);
    }
    CHECK(negative);
    return check_report("test_fuse_conv");
}
