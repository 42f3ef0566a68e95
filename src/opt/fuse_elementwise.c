/* Level-2 elementwise fusion over what the Conv fusions left: x * Sigmoid(x) (SiLU, "Swish", as
 * EfficientNet and YOLO write it) becomes one com.cort::SiLU node, one pass over the tensor instead
 * of two passes and an intermediate as large as x. It runs after the Conv fusions, which take the
 * pattern into the convolution's store where they can. */
#include <string.h>

#include "opt/passes.h"

#define SILU_DOMAIN "com.cort"

/* The node reading value v when it is its only reader in this graph (not a graph output, not read
 * from a subgraph), else -1. */
static int sole_reader(const cort_graph *g, const graph_uses *u, int v) {
    if (v < 0 || u->count[v] != 1 || u->outer_ref[v] || (g->values[v].flags & CORT_VF_GRAPH_OUTPUT)) return -1;
    for (int i = 0; i < g->n_nodes; i++) {
        if (u->dead[i]) continue;
        const cort_node *n = g->nodes[i];
        for (int k = 0; k < n->n_inputs; k++)
            if (n->inputs[k] == v) return i;
    }
    return -1;
}

static bool is_default_op(const cort_node *n, const char *op_type, int n_inputs) {
    return !*n->domain && !strcmp(n->op_type, op_type) && n->n_inputs == n_inputs && n->n_outputs == 1 &&
           n->outputs[0] >= 0;
}

static bool float_tensor(const cort_graph *g, int v) {
    const cort_type *t = &g->values[v].type;
    return t->kind == CORT_TYPE_TENSOR && t->elem == CORT_FLOAT;
}

static cort_status *import_domain(cort_model *m) {
    if (cort_model_opset(m, SILU_DOMAIN) >= 0) return NULL;
    cort_opset *o = cort_pool_calloc(&m->pool, (size_t)m->n_opsets + 1, sizeof *o);
    if (!o) return cort_oom();
    memcpy(o, m->opsets, (size_t)m->n_opsets * sizeof *o);
    o[m->n_opsets] = (cort_opset){SILU_DOMAIN, 1};
    m->opsets = o;
    m->n_opsets++;
    return NULL;
}

/* Mul node `mul` reading x and Sigmoid(x) becomes SiLU(x); the Sigmoid node goes. */
static cort_status *rewrite_silu(cort_graph *g, graph_uses *u, cort_node *mul, int sigmoid, int x) {
    int *in = cort_pool_calloc(g->pool, 1, sizeof *in);
    if (!in) return cort_oom();
    in[0] = x;
    u->count[mul->inputs[0]]--;
    u->count[mul->inputs[1]]--;
    u->count[x]++;
    mul->inputs = in;
    mul->n_inputs = 1;
    mul->n_attrs = 0;
    mul->op_type = "SiLU";
    mul->domain = SILU_DOMAIN;
    mul->opset = 1;
    cort_opt_drop_node(g, u, sigmoid);
    return NULL;
}

cort_status *cort_opt_fuse_elementwise(cort_model *m, cort_graph *g, graph_uses *u, int *count) {
    for (int i = 0; i < g->n_nodes; i++) {
        const cort_node *s = g->nodes[i];
        if (u->dead[i] || !is_default_op(s, "Sigmoid", 1) || s->inputs[0] < 0) continue;
        int x = s->inputs[0], j = sole_reader(g, u, s->outputs[0]);
        if (j < 0 || !float_tensor(g, x)) continue;
        cort_node *mul = g->nodes[j];
        if (!is_default_op(mul, "Mul", 2)) continue;
        int a = mul->inputs[0], b = mul->inputs[1];
        if (!((a == x && b == s->outputs[0]) || (b == x && a == s->outputs[0]))) continue;
        CORT_TRY(import_domain(m));
        /* the Mul stays where it is, after x's producer and before its own readers */
        CORT_TRY(rewrite_silu(g, u, mul, i, x));
        (*count)++;
    }
    return NULL;
}
