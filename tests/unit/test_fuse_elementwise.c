/* Elementwise fusion at level 2: x * Sigmoid(x) becomes com.cort::SiLU (either operand order), a
 * sigmoid gate on another tensor stays as it is, and the fused session computes x / (1 + e^-x). */
#include <math.h>
#include <string.h>

#include "graph_builder.h"

#define LEN 30

static void add_node(cort_graph *g, const char *op, const char *name, int a, int b, int out) {
    gb_node(g, op, name, a, b, out, 13, 0);
}

/* Y = Sigmoid(X) * X (SiLU); Z = X * Sigmoid(Y) (a gate: its other operand is not Sigmoid's input);
 * W = Sigmoid(X) * X again, but this Sigmoid's output is also a graph output, so it must stay. */
static cort_model *make_model(void) {
    cort_model *m = gb_model(13, "silu");
    if (!m) return NULL;
    cort_graph *g = m->graph;
    static const int64_t xd[4] = {1, 2, 3, 5};
    int x = gb_float_input(m, "X", 4, xd, NULL), s1 = cort_graph_value(g, "s1"), y = cort_graph_value(g, "Y");
    int s2 = cort_graph_value(g, "s2"), z = cort_graph_value(g, "Z");
    int s3 = cort_graph_value(g, "S3"), w = cort_graph_value(g, "W");
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
    cort_session *s = gb_session(make_model(), level, 0, NULL);
    if (!s) return;
    *steps = s->main->n_steps;
    *fused = s->opt_stats.fused;
    *silu_steps = 0;
    for (int i = 0; i < s->main->n_steps; i++)
        *silu_steps += !strcmp(s->main->steps[i].node->op_type, "SiLU");
    float x[LEN];
    for (int i = 0; i < LEN; i++) x[i] = (float)(i - 15) * 0.7f;
    x[0] = -100.0f; /* sigmoid underflows towards 0 here: x * sigmoid(x) must stay finite */
    static const int64_t dims[4] = {1, 2, 3, 5};
    static const char *const names[4] = {"Y", "Z", "W", "S3"};
    gb_run_floats(s, "X", 4, dims, x, 4, names, &out[0][0], LEN);
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
