/* Level-2 squeeze-and-excitation fusion, after the Conv fusions: 
 *
 *     g = GlobalAveragePool(X); h = Conv1x1(g, W1, B1) + act; s = Conv1x1(h, W2, B2) + gate; Y = X * s
 *
 * becomes one com.cort::SqueezeExcite(X, W1, B1, W2, B2) (src/ops/squeeze_excite.c) with the two
 * activations as attributes. The Convs are plain Conv or FusedConv with an activation but no residual,
 * 1x1 filters of group 1 without padding; g, h and s must have no other reader. */
#include <string.h>

#include "opt/passes.h"

/* Node n is a Conv or an unfused-residual FusedConv with a 1x1 filter, group 1 and no padding, reading
 * `in` and writing one output; sets its activation attribute and parameters (NULL when none). */
static bool pointwise_conv(const cort_graph *g, const cort_node *n, int in, const cort_attr **act,
                           const cort_attr **params) {
    bool plain = !*n->domain && !strcmp(n->op_type, "Conv");
    bool fused = !strcmp(n->domain, CORT_OPT_DOMAIN) && !strcmp(n->op_type, "FusedConv");
    if (!(plain || fused) || n->n_inputs < 2 || n->n_inputs > 3 || n->inputs[0] != in || n->n_outputs != 1 ||
        n->outputs[0] < 0)
        return false;
    if (cort_attr_int(n, "group", 1) != 1) return false;
    const char *auto_pad = cort_attr_string(n, "auto_pad", "NOTSET");
    if (strcmp(auto_pad, "NOTSET") && strcmp(auto_pad, "VALID")) return false;
    const int64_t *v;
    int64_t k = cort_attr_ints(n, "pads", &v);
    for (int64_t i = 0; i < k; i++)
        if (v[i]) return false;
    k = cort_attr_ints(n, "kernel_shape", &v);
    for (int64_t i = 0; i < k; i++)
        if (v[i] != 1) return false;
    *act = fused ? cort_node_attr(n, "activation") : NULL;
    *params = fused ? cort_node_attr(n, "activation_params") : NULL;
    if (*act && (*act)->type != CORT_ATTR_STRING) return false;
    if (*params && (*params)->type != CORT_ATTR_FLOATS) return false;
    return true;
}

/* W of a pointwise conv as [rows, cols, 1...] of `rank`, statically known (rows < 0: any). */
static bool weight_shape(const cort_graph *g, int w, int rank, int64_t rows, int64_t cols, int64_t *rows_out) {
    const cort_type *t = w >= 0 ? cort_opt_static_type(g, w) : NULL;
    if (!t || t->elem != CORT_FLOAT || t->rank != rank || t->dims[1].value != cols) return false;
    if (rows >= 0 && t->dims[0].value != rows) return false;
    for (int d = 2; d < rank; d++)
        if (t->dims[d].value != 1) return false;
    *rows_out = t->dims[0].value;
    return true;
}

/* The attribute `a` (an activation or its parameters) renamed. */
static int renamed(const cort_attr *a, const char *name, cort_attr *out) {
    if (!a) return 0;
    *out = *a;
    out->name = name;
    return 1;
}

/* Mul node i reading X and the gate s: when s ends a squeeze-and-excitation chain, rewrites it. */
static cort_status *fuse_at(cort_model *m, cort_graph *g, graph_uses *u, int i, int *count) {
    cort_node *mul = g->nodes[i];
    for (int side = 0; side < 2; side++) {
        int x = mul->inputs[side], s = mul->inputs[1 - side];
        int c2 = cort_opt_producer(g, u, s);
        if (c2 < 0 || cort_opt_sole_reader(g, u, s) != i) continue;
        const cort_node *conv2 = g->nodes[c2];
        int h = conv2->inputs[0], c1 = cort_opt_producer(g, u, h);
        if (c1 < 0 || cort_opt_sole_reader(g, u, h) != c2) continue;
        const cort_node *conv1 = g->nodes[c1];
        int pooled = conv1->inputs[0], gp = cort_opt_producer(g, u, pooled);
        if (gp < 0 || cort_opt_sole_reader(g, u, pooled) != c1) continue;
        const cort_node *pool = g->nodes[gp];
        if (!cort_opt_is_op(pool, "GlobalAveragePool", 1) || pool->inputs[0] != x) continue;
        const cort_attr *act1, *par1, *act2, *par2;
        if (!pointwise_conv(g, conv1, pooled, &act1, &par1) || !pointwise_conv(g, conv2, h, &act2, &par2)) continue;
        const cort_type *tx = &g->values[x].type;
        if (tx->kind != CORT_TYPE_TENSOR || tx->elem != CORT_FLOAT || tx->rank < 3 || tx->dims[1].value < 1) continue;
        int64_t ch = tx->dims[1].value, r, c_back;
        if (!weight_shape(g, conv1->inputs[1], tx->rank, -1, ch, &r) ||
            !weight_shape(g, conv2->inputs[1], tx->rank, ch, r, &c_back))
            continue;
        int in[5] = {x, conv1->inputs[1], conv1->n_inputs > 2 ? conv1->inputs[2] : -1, conv2->inputs[1],
                     conv2->n_inputs > 2 ? conv2->inputs[2] : -1};
        cort_attr attrs[4];
        int n_attrs = renamed(act1, "activation", &attrs[0]);
        n_attrs += renamed(par1, "activation_params", &attrs[n_attrs]);
        n_attrs += renamed(act2, "gate", &attrs[n_attrs]);
        n_attrs += renamed(par2, "gate_params", &attrs[n_attrs]);
        CORT_TRY(cort_opt_import_cort_domain(m));
        /* the Mul's place follows X's producer and the weights are initializers: order stays topological */
        CORT_TRY(cort_opt_rewrite(g, u, mul, "SqueezeExcite", in, 5, attrs, n_attrs));
        cort_opt_drop_node(g, u, c2);
        cort_opt_drop_node(g, u, c1);
        cort_opt_drop_node(g, u, gp);
        (*count)++;
        return NULL;
    }
    return NULL;
}

cort_status *cort_opt_fuse_squeeze_excite(cort_model *m, cort_graph *g, graph_uses *u, int *count) {
    for (int i = 0; i < g->n_nodes; i++)
        if (!u->dead[i] && cort_opt_is_op(g->nodes[i], "Mul", 2)) CORT_TRY(fuse_at(m, g, u, i, count));
    return NULL;
}
