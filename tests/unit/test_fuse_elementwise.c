/* Elementwise fusion at level 2: x * Sigmoid(x) becomes com.cort::SiLU (either operand order), a
 * sigmoid gate on another tensor stays as it is, and the fused session computes x / (1 + e^-x). */
#include <math.h>
#include <string.h>

#include "check.h"
#include "exec/exec.h"
#include "onnx/onnx.h"

#define LEN 30

static void add_node(cort_graph *g, const char *op, const char *name, int a, int b, int out) {
    cort_node *n = cort_graph_add_node(g, op, "", name, b >= 0 ? 2 : 1, 1, 0);
    if (!n) return;
    n->inputs[0] = a;
    if (b >= 0) n->inputs[1] = b;
    n->outputs[0] = out;
    n->opset = 13;
}

/* Y = Sigmoid(X) * X (SiLU); Z = X * Sigmoid(Y) (a gate: its other operand is not Sigmoid's input);
 * W = Sigmoid(X) * X again, but this Sigmoid's output is also a graph output, so it must stay. */
static cort_model *make_model(void) {
    cort_model *m = NULL;
    if (cort_model_new(&m)) return NULL;
    m->ir_version = 8;
    m->n_opsets = 1;
    m->opsets = cort_pool_calloc(&m->pool, 1, sizeof *m->opsets);
    m->opsets[0] = (cort_opset){"", 13};
    cort_graph *g = m->graph = cort_graph_new(&m->pool, NULL, "silu");
    int x = cort_graph_value(g, "X"), s1 = cort_graph_value(g, "s1"), y = cort_graph_value(g, "Y");
    int s2 = cort_graph_value(g, "s2"), z = cort_graph_value(g, "Z");
    int s3 = cort_graph_value(g, "S3"), w = cort_graph_value(g, "W");
    cort_dim *xd = cort_pool_calloc(&m->pool, 4, sizeof *xd);
    xd[0] = (cort_dim){1, NULL};
    xd[1] = (cort_dim){2, NULL};
    xd[2] = (cort_dim){3, NULL};
    xd[3] = (cort_dim){5, NULL};
    cort_type_set_tensor(&g->values[x].type, CORT_FLOAT, 4, xd);
    cort_graph_add_input(g, x);
    add_node(g, "Sigmoid", "sig1", x, -1, s1);
    add_node(g, "Mul", "mul1", s1, x, y);
    add_node(g, "Sigmoid", "sig2", y, -1, s2);
    add_node(g, "Mul", "gate", x, s2, z);
    add_node(g, "Sigmoid", "sig3", x, -1, s3);
    add_node(g, "Mul", "mul3", x, s3, w);
    cort_graph_add_output(g, y);
    cort_graph_add_output(g, z);
    cort_graph_add_output(g, w);
    cort_graph_add_output(g, s3);
    return cort_graph_check_and_sort(g) ? NULL : m;
}

static void run_model(int level, float out[4][LEN], int *steps, int *fused, int *silu_steps) {
    cort_session_options *opts = NULL;
    cort_session *s = NULL;
    CHECK_OK(cort_session_options_create(&opts));
    CHECK_OK(cort_session_options_set_opt_level(opts, (cort_opt_level)level));
    CHECK_OK(cort_session_prepare(make_model(), opts, &s));
    cort_session_options_free(opts);
    if (!s) return;
    *steps = s->main->n_steps;
    *fused = s->opt_stats.fused;
    *silu_steps = 0;
    for (int i = 0; i < s->main->n_steps; i++)
        *silu_steps += !strcmp(s->main->steps[i].node->op_type, "SiLU");
    float x[LEN];
    for (int i = 0; i < LEN; i++) x[i] = (float)(i - 15) * 0.7f;
    x[0] = -100.0f; /* sigmoid underflows towards 0 here: x * sigmoid(x) must stay finite */
    int64_t dims[4] = {1, 2, 3, 5};
    cort_value *in = NULL, *vals[4] = {NULL, NULL, NULL, NULL};
    const char *in_name = "X", *names[4] = {"Y", "Z", "W", "S3"};
    CHECK_OK(cort_tensor_create_view(CORT_FLOAT, dims, 4, x, sizeof x, &in));
    CHECK_OK(cort_session_run(s, NULL, &in_name, (const cort_value *const *)&in, 1, names, 4, vals));
    for (int k = 0; k < 4; k++) {
        if (vals[k]) memcpy(out[k], cort_tensor_data(vals[k]), LEN * sizeof(float));
        cort_value_free(vals[k]);
    }
    cort_value_free(in);
    cort_session_free(s);
}

int main(void) {
    float plain[4][LEN], fused[4][LEN];
    int steps0 = 0, steps2 = 0, fused0 = -1, fused2 = -1, silu0 = -1, silu2 = -1;
    run_model(CORT_OPT_BASIC, plain, &steps0, &fused0, &silu0);
    run_model(CORT_OPT_ALL, fused, &steps2, &fused2, &silu2);
    CHECK(steps0 == 6 && fused0 == 0 && silu0 == 0);
    CHECK(steps2 == 5 && fused2 == 1 && silu2 == 1);
    for (int i = 0; i < LEN; i++) {
        double x = i == 0 ? -100.0 : (i - 15) * 0.7f, want = x / (1 + exp(-x));
        CHECK(isfinite(fused[0][i]));
        CHECK(fabs(fused[0][i] - want) <= 1e-6 * fabs(want) + 1e-40);
        for (int k = 0; k < 4; k++) CHECK(fabsf(fused[k][i] - plain[k][i]) <= 1e-6f * fabsf(plain[k][i]) + 1e-40f);
    }
    return check_report("test_fuse_elementwise");
}
