/* Level-1 graph optimizations: constants fold (Shape of a static shape included), identities and dead
 * nodes go, and the optimized session computes what the unoptimized one does. */
#include <stdbool.h>
#include <string.h>

#include "graph_builder.h"
#include "onnx/onnx.h"

static void add_node(cort_graph *g, const char *op, const char *name, int a, int b, int out) {
    gb_node(g, op, name, a, b, out, 13, 0);
}

/* Z = Relu(Identity(X + C*C)), S = Shape(X), plus an unused Neg(X); C is a Constant node. */
static cort_model *make_model(void) {
    cort_model *m = gb_model(13, "opt");
    if (!m) return NULL;
    cort_graph *g = m->graph;
    static const int64_t xd[2] = {2, 3};
    int x = gb_float_input(m, "X", 2, xd, NULL), c = cort_graph_value(g, "C"), d = cort_graph_value(g, "D");
    int y = cort_graph_value(g, "Y"), i = cort_graph_value(g, "I"), z = cort_graph_value(g, "Z");
    int sh = cort_graph_value(g, "S"), unused = cort_graph_value(g, "unused");
    cort_node *cn = cort_graph_add_node(g, "Constant", "", "const", 0, 1, 1);
    cn->outputs[0] = c;
    cn->opset = 13;
    cort_tensor *t = cort_pool_alloc(&m->pool, sizeof *t);
    float *data = cort_pool_calloc(&m->pool, 3, sizeof(float));
    data[0] = -1, data[1] = 2, data[2] = 3;
    *t = (cort_tensor){.type = CORT_FLOAT, .rank = 1, .dims = {3}, .data = data};
    cn->attrs[0] = (cort_attr){.name = "value", .type = CORT_ATTR_TENSOR, .t = t};
    add_node(g, "Mul", "square", c, c, d);
    add_node(g, "Add", "add", x, d, y);
    add_node(g, "Identity", "identity", y, -1, i);
    add_node(g, "Relu", "relu", i, -1, z);
    add_node(g, "Shape", "shape", x, -1, sh);
    add_node(g, "Neg", "neg", x, -1, unused);
    cort_graph_add_output(g, z);
    cort_graph_add_output(g, sh);
    return cort_graph_check_and_sort(g) ? NULL : m;
}

static cort_session *open_session(int level, const char *save_path) {
    return gb_session(make_model(), level, 0, save_path);
}

static void run(cort_session *s, float *z, int64_t *shape) {
    float x[6] = {1, -2, 3, -4, 5, -60};
    int64_t dims[2] = {2, 3};
    cort_value *in = NULL, *out[2] = {NULL, NULL};
    const char *in_name = "X", *out_names[2] = {"Z", "S"};
    CHECK_OK(cort_tensor_create_view(CORT_FLOAT, dims, 2, x, sizeof x, &in));
    CHECK_OK(cort_session_run(s, NULL, &in_name, (const cort_value *const *)&in, 1, out_names, 2, out));
    if (out[0] && out[1]) {
        memcpy(z, cort_tensor_data(out[0]), 6 * sizeof *z);
        memcpy(shape, cort_tensor_data(out[1]), 2 * sizeof *shape);
    }
    cort_value_free(in);
    cort_value_free(out[0]);
    cort_value_free(out[1]);
}

/* Y = Relu(Conv(X, W)), Z = Clip(Conv(X, W2), 0, 6) with 3x3 weights: both pairs fuse at level 2. */
static cort_model *make_conv_model(void) {
    cort_model *m = gb_model(13, "fuse");
    if (!m) return NULL;
    cort_graph *g = m->graph;
    static const int64_t xd[4] = {1, 1, 5, 5};
    int x = gb_float_input(m, "X", 4, xd, NULL), w = cort_graph_value(g, "W"), w2 = cort_graph_value(g, "W2");
    int c1 = cort_graph_value(g, "c1"), c2 = cort_graph_value(g, "c2"), y = cort_graph_value(g, "Y");
    int z = cort_graph_value(g, "Z"), lo = cort_graph_value(g, "lo"), hi = cort_graph_value(g, "hi");
    int ids[4] = {w, w2, lo, hi};
    for (int k = 0; k < 4; k++) {
        cort_tensor *t = cort_pool_alloc(&m->pool, sizeof *t);
        float *d = cort_pool_calloc(&m->pool, 9, sizeof(float));
        for (int i = 0; i < 9; i++) d[i] = k == 0 ? (float)(i - 4) : k == 1 ? (float)(4 - i) * 0.5f : 0;
        if (k >= 2) d[0] = k == 2 ? 0.0f : 6.0f;
        *t = k < 2 ? (cort_tensor){.type = CORT_FLOAT, .rank = 4, .dims = {1, 1, 3, 3}, .data = d}
                   : (cort_tensor){.type = CORT_FLOAT, .rank = 0, .data = d};
        g->values[ids[k]].init = t;
        g->values[ids[k]].flags |= CORT_VF_INITIALIZER;
    }
    cort_node *conv1 = cort_graph_add_node(g, "Conv", "", "conv1", 2, 1, 0);
    conv1->inputs[0] = x, conv1->inputs[1] = w, conv1->outputs[0] = c1;
    cort_node *conv2 = cort_graph_add_node(g, "Conv", "", "conv2", 2, 1, 0);
    conv2->inputs[0] = x, conv2->inputs[1] = w2, conv2->outputs[0] = c2;
    add_node(g, "Relu", "relu", c1, -1, y);
    cort_node *clip = cort_graph_add_node(g, "Clip", "", "clip", 3, 1, 0);
    clip->inputs[0] = c2, clip->inputs[1] = lo, clip->inputs[2] = hi, clip->outputs[0] = z;
    for (int i = 0; i < g->n_nodes; i++) g->nodes[i]->opset = 13;
    cort_graph_add_output(g, y);
    cort_graph_add_output(g, z);
    return cort_graph_check_and_sort(g) ? NULL : m;
}

static void run_conv_model(int level, float *y, float *z, int *steps, int *fused) {
    cort_session *s = gb_session(make_conv_model(), level, 0, NULL);
    if (!s) return;
    *steps = s->main->n_steps;
    *fused = s->opt_stats.fused;
    float x[25], yz[2][9] = {{0}};
    for (int i = 0; i < 25; i++) x[i] = (float)((i * 7) % 11) - 5.0f;
    static const int64_t dims[4] = {1, 1, 5, 5};
    static const char *const out_names[2] = {"Y", "Z"};
    gb_run_floats(s, "X", 4, dims, x, 2, out_names, &yz[0][0], 9);
    memcpy(y, yz[0], sizeof yz[0]);
    memcpy(z, yz[1], sizeof yz[1]);
    cort_session_free(s);
}

static void check_activation_fusion(void) {
    float y1[9], z1[9], y2[9], z2[9];
    int steps1 = 0, steps2 = 0, fused1 = -1, fused2 = -1;
    run_conv_model(CORT_OPT_BASIC, y1, z1, &steps1, &fused1);
    run_conv_model(CORT_OPT_ALL, y2, z2, &steps2, &fused2);
    CHECK(steps1 == 4 && fused1 == 0);
    CHECK(steps2 == 2 && fused2 == 2);
    CHECK(!memcmp(y1, y2, sizeof y1) && !memcmp(z1, z2, sizeof z1));
    bool clipped = false, relued = true;
    for (int i = 0; i < 9; i++) {
        relued &= y2[i] >= 0;
        clipped |= z2[i] == 6.0f;
        CHECK(z2[i] >= 0 && z2[i] <= 6);
    }
    CHECK(relued && clipped);
}

int main(void) {
    check_activation_fusion();
    const char *saved = "/tmp/cort_test_opt_saved.onnx";
    cort_session *plain = open_session(CORT_OPT_DISABLE_ALL, NULL), *opt = open_session(CORT_OPT_BASIC, saved);
    CHECK(plain && opt);
    if (!plain || !opt) return check_report("test_opt");
    CHECK(plain->main->n_steps == 7);
    CHECK(opt->opt_stats.folded == 3);     /* Constant, Mul, Shape */
    CHECK(opt->opt_stats.identities == 1);
    CHECK(opt->opt_stats.dead == 1);       /* Neg */
    CHECK(opt->main->n_steps == 2);        /* Add, Relu */
    float z0[6], z1[6];
    int64_t s0[2], s1[2];
    run(plain, z0, s0);
    run(opt, z1, s1);
    CHECK(!memcmp(z0, z1, sizeof z0) && s1[0] == 2 && s1[1] == 3 && !memcmp(s0, s1, sizeof s0));
    CHECK(z1[0] == 2 && z1[1] == 2 && z1[5] == 0);
    /* the saved optimized model loads and has the two remaining nodes */
    cort_model *m = NULL;
    CHECK_OK(cort_onnx_load_file(saved, &m));
    CHECK(m && m->graph->n_nodes == 2);
    cort_model_free(m);
    remove(saved);
    cort_session_free(plain);
    cort_session_free(opt);
    return check_report("test_opt");
}
