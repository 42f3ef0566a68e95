/* src/opt/fuse_concat.c at level 2: Concat(axis 1) → BatchNormalization → Relu and Concat →
 * BatchNormalization become com.cort::ConcatBatchNormalization, a Concat that something else reads
 * stays (its BatchNormalization → Relu still fuse, with one input), a 1x1 Conv → empty Pad → 2x2
 * AveragePool runs as AveragePool → Conv, a padded AveragePool does not move, and a DenseNet transition
 * (Concat → BN → Relu → 1x1 Conv → Pad → 2x2 AveragePool) ends as one fused node (the pool included)
 * and the Conv; every output matches the level-1 session's. Batch 2, inputs of unequal channel counts
 * and odd image sizes (the pools drop the last row and column) exercise the channel and pool maps.
 * The affine kernel both BatchNormalization paths use (cort_scale_shift) is checked on its own. */
#include <math.h>
#include <string.h>

#include "graph_builder.h"
#include "kernels/kernels.h"

enum { N = 2, C = 4, H = 7, W = 7, LEN_X = N * C * H * W }; /* odd: pools drop the last row and column */

static uint32_t rng_state = 7;
static float rnd(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((rng_state >> 8) & 0xffff) / 32768.0f - 1.0f;
}

/* A constant float tensor of `count` random values (variances: positive) with the given dims. */
static int constant(cort_model *m, const char *name, int rank, const int64_t *dims, bool positive) {
    float *d;
    int id = gb_initializer(m, name, CORT_FLOAT, rank, dims, (void **)&d);
    int64_t count = 1;
    for (int r = 0; r < rank; r++) count *= dims[r];
    for (int64_t i = 0; d && i < count; i++) d[i] = positive ? 0.3f + fabsf(rnd()) : rnd();
    return id;
}

static int int64_constant(cort_model *m, const char *name, int64_t count) {
    void *d;
    return gb_initializer(m, name, CORT_INT64, 1, &count, &d);
}

static void concat(cort_graph *g, const char *name, const int *in, int n, int out) {
    cort_node *c = cort_graph_add_node(g, "Concat", "", name, n, 1, 1);
    if (!c) return;
    for (int k = 0; k < n; k++) c->inputs[k] = in[k];
    c->outputs[0] = out, c->opset = 14;
    c->attrs[0] = (cort_attr){.name = "axis", .type = CORT_ATTR_INT, .i = 1};
}

static void batchnorm(cort_model *m, const char *name, int x, int64_t channels, int out) {
    char names[4][32];
    int stats[4];
    int64_t d[1] = {channels};
    for (int k = 0; k < 4; k++) {
        snprintf(names[k], sizeof names[k], "%s_%d", name, k);
        stats[k] = constant(m, cort_pool_strdup(&m->pool, names[k]), 1, d, k == 3);
    }
    cort_node *bn = cort_graph_add_node(m->graph, "BatchNormalization", "", name, 5, 1, 1);
    if (!bn) return;
    bn->inputs[0] = x, bn->outputs[0] = out, bn->opset = 14;
    for (int k = 0; k < 4; k++) bn->inputs[k + 1] = stats[k];
    bn->attrs[0] = (cort_attr){.name = "epsilon", .type = CORT_ATTR_FLOAT, .f = 1e-3f};
}

static void conv1x1(cort_model *m, const char *name, int x, int64_t in_ch, int64_t out_ch, int out) {
    char wn[32], bn[32];
    snprintf(wn, sizeof wn, "%s_w", name);
    snprintf(bn, sizeof bn, "%s_b", name);
    int64_t wd[4] = {out_ch, in_ch, 1, 1}, bd[1] = {out_ch};
    int w = constant(m, cort_pool_strdup(&m->pool, wn), 4, wd, false);
    int b = constant(m, cort_pool_strdup(&m->pool, bn), 1, bd, false);
    cort_node *n = cort_graph_add_node(m->graph, "Conv", "", name, 3, 1, 0);
    if (!n) return;
    n->inputs[0] = x, n->inputs[1] = w, n->inputs[2] = b, n->outputs[0] = out, n->opset = 14;
}

static void avgpool(cort_model *m, const char *name, int x, int64_t k, int64_t s, int64_t pad, int out) {
    int64_t *ints = cort_pool_calloc(&m->pool, 8, sizeof *ints);
    if (!ints) return;
    ints[0] = ints[1] = k, ints[2] = ints[3] = s;
    for (int i = 4; i < 8; i++) ints[i] = pad;
    cort_node *n = cort_graph_add_node(m->graph, "AveragePool", "", name, 1, 1, 3);
    if (!n) return;
    n->inputs[0] = x, n->outputs[0] = out, n->opset = 14;
    n->attrs[0] = (cort_attr){.name = "kernel_shape", .type = CORT_ATTR_INTS, .n = 2, .ints = ints};
    n->attrs[1] = (cort_attr){.name = "strides", .type = CORT_ATTR_INTS, .n = 2, .ints = ints + 2};
    n->attrs[2] = (cort_attr){.name = "pads", .type = CORT_ATTR_INTS, .n = 4, .ints = ints + 4};
}

/* f1 = Sigmoid(X) (4 channels), f2 = Conv1x1(X) (3 channels);
 * Y1 = Relu(BN(Concat(X, f1, f2))); Y2 = BN(Concat(f2, X)); Y3 = Relu(BN(K3)) with K3 = Concat(X, f2)
 * also an output; Y4 = AveragePool2x2(Pad0(Conv1x1(X))); Y5 = AveragePool3x3 pad 1 (Conv1x1(X));
 * Y6 = AveragePool2x2(Pad0(Conv1x1(Relu(BN(Concat(X, f1)))))). */
static cort_model *make_model(void) {
    cort_model *m = gb_model(14, "dense");
    if (!m) return NULL;
    cort_graph *g = m->graph;
    static const int64_t xd[4] = {N, C, H, W};
    int x = gb_float_input(m, "X", 4, xd, NULL);
    int f1 = cort_graph_value(g, "f1"), f2 = cort_graph_value(g, "f2");
    gb_node(g, "Sigmoid", "sig", x, -1, f1, 14, 0);
    conv1x1(m, "conv_f2", x, C, 3, f2);
    int k1 = cort_graph_value(g, "k1"), n1 = cort_graph_value(g, "n1"), y1 = cort_graph_value(g, "Y1");
    concat(g, "cat1", (int[]){x, f1, f2}, 3, k1);
    batchnorm(m, "bn1", k1, 11, n1);
    gb_node(g, "Relu", "relu1", n1, -1, y1, 14, 0);
    int k2 = cort_graph_value(g, "k2"), y2 = cort_graph_value(g, "Y2");
    concat(g, "cat2", (int[]){f2, x}, 2, k2);
    batchnorm(m, "bn2", k2, 7, y2);
    int k3 = cort_graph_value(g, "K3"), n3 = cort_graph_value(g, "n3"), y3 = cort_graph_value(g, "Y3");
    concat(g, "cat3", (int[]){x, f2}, 2, k3);
    batchnorm(m, "bn3", k3, 7, n3);
    gb_node(g, "Relu", "relu3", n3, -1, y3, 14, 0);
    int c4 = cort_graph_value(g, "c4"), p4 = cort_graph_value(g, "p4"), y4 = cort_graph_value(g, "Y4");
    conv1x1(m, "conv4", x, C, 5, c4);
    gb_node(g, "Pad", "pad4", c4, int64_constant(m, "pads4", 8), p4, 14, 0);
    avgpool(m, "pool4", p4, 2, 2, 0, y4);
    int c5 = cort_graph_value(g, "c5"), y5 = cort_graph_value(g, "Y5");
    conv1x1(m, "conv5", x, C, 5, c5);
    avgpool(m, "pool5", c5, 3, 1, 1, y5);
    /* a DenseNet transition: Relu(BN(Concat(X, f1))) → Conv1x1 → empty Pad → AveragePool 2x2 */
    int k6 = cort_graph_value(g, "k6"), n6 = cort_graph_value(g, "n6"), r6 = cort_graph_value(g, "r6");
    int c6 = cort_graph_value(g, "c6"), p6 = cort_graph_value(g, "p6"), y6 = cort_graph_value(g, "Y6");
    concat(g, "cat6", (int[]){x, f1}, 2, k6);
    batchnorm(m, "bn6", k6, 8, n6);
    gb_node(g, "Relu", "relu6", n6, -1, r6, 14, 0);
    conv1x1(m, "conv6", r6, 8, 5, c6);
    gb_node(g, "Pad", "pad6", c6, int64_constant(m, "pads6", 8), p6, 14, 0);
    avgpool(m, "pool6", p6, 2, 2, 0, y6);
    int outs[7] = {y1, y2, y3, k3, y4, y5, y6};
    for (int k = 0; k < 7; k++) cort_graph_add_output(g, outs[k]);
    return cort_graph_check_and_sort(g) ? NULL : m;
}

enum { LEN1 = N * 11 * H * W, LEN2 = N * 7 * H * W, LEN4 = N * 5 * 3 * 3, LEN5 = N * 5 * H * W };
enum { OUTS = 7 };
static const int64_t lens[OUTS] = {LEN1, LEN2, LEN2, LEN2, LEN4, LEN5, LEN4};

typedef struct result {
    float *out[OUTS];
    int fused_bn, pads, steps, avgpools;
    bool pool_first; /* Y4's Conv reads a pooled (3x3) image */
} result;

static void run_model(int level, const float *x, result *r) {
    rng_state = 7; /* the same constants at every level */
    cort_session *s = gb_session(make_model(), level, 0, NULL);
    if (!s) return;
    r->steps = s->main->n_steps;
    r->fused_bn = r->pads = r->avgpools = 0;
    r->pool_first = false;
    const cort_graph *g = s->model->graph;
    for (int i = 0; i < s->main->n_steps; i++) {
        const cort_node *n = s->main->steps[i].node;
        r->fused_bn += !strcmp(n->op_type, "ConcatBatchNormalization");
        r->pads += !strcmp(n->op_type, "Pad");
        r->avgpools += !strcmp(n->op_type, "AveragePool");
        if (!strcmp(g->values[n->outputs[0]].name, "Y4") && strstr(n->op_type, "Conv"))
            r->pool_first = g->values[n->inputs[0]].type.dims[2].value == 3;
    }
    static const int64_t dims[4] = {N, C, H, W};
    static const char *const names[OUTS] = {"Y1", "Y2", "Y3", "K3", "Y4", "Y5", "Y6"};
    for (int k = 0; k < OUTS; k++) gb_run_floats(s, "X", 4, dims, x, 1, &names[k], r->out[k], lens[k]);
    cort_session_free(s);
}

/* The kernel both paths share, against its formula: every length up to 70 (vector tails), NaN kept. */
static void test_scale_shift(void) {
    float x[70], y[70];
    for (int n = 0; n <= 70; n++)
        for (int relu = 0; relu < 2; relu++) {
            for (int i = 0; i < n; i++) x[i] = i == 5 ? NAN : rnd();
            for (int i = 0; i < 70; i++) y[i] = 777.0f;
            cort_scale_shift(x, n, 1.5f, -0.25f, relu, y);
            int bad = 0;
            for (int i = 0; i < 70; i++) {
                float v = x[i] * 1.5f - 0.25f, want = i >= n ? 777.0f : relu && v < 0 ? 0.0f : v;
                bad += i == 5 && i < n ? !isnan(y[i]) : !(fabsf(y[i] - want) <= 1e-6f);
            }
            CHECK(bad == 0);
        }
}

int main(void) {
    test_scale_shift();
    static float x[LEN_X], plain[OUTS][LEN1], fused[OUTS][LEN1];
    for (int i = 0; i < LEN_X; i++) x[i] = rnd();
    result r1 = {.fused_bn = -1}, r2 = {.fused_bn = -1};
    for (int k = 0; k < OUTS; k++) r1.out[k] = plain[k], r2.out[k] = fused[k];
    run_model(CORT_OPT_BASIC, x, &r1);
    run_model(CORT_OPT_ALL, x, &r2);
    CHECK(r1.fused_bn == 0 && r1.pads == 2 && r1.avgpools == 3 && !r1.pool_first);
    /* the transition's pool joins its normalisation once its Conv has moved after it */
    CHECK(r2.fused_bn == 4 && r2.pads == 0 && r2.avgpools == 2 && r2.pool_first);
    /* level 2: sig, conv_f2, 4 fused, cat3, conv4 + pool4, conv5 + pool5, conv6 */
    CHECK(r2.steps == 12);
    bool rectified = false, negative = false;
    for (int k = 0; k < OUTS; k++) {
        float worst = 0;
        for (int64_t i = 0; i < lens[k]; i++) {
            rectified |= k == 0 && plain[k][i] == 0;
            negative |= k == 1 && plain[k][i] < 0; /* Y2 has no Relu */
            float d = fabsf(fused[k][i] - plain[k][i]) / (1.0f + fabsf(plain[k][i]));
            worst = d > worst || isnan(d) ? d : worst; /* a NaN anywhere fails */
        }
        if (!(worst <= 1e-5f)) fprintf(stderr, "output %d: relative difference %g\n", k, (double)worst);
        CHECK(worst <= 1e-5f);
    }
    CHECK(rectified && negative);
    return check_report("test_fuse_concat");
}
