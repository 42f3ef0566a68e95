/* Level-2 squeeze-and-excitation fusion, after the Conv fusions: 
 *
 *     g = GlobalAveragePool(X); h = Conv1x1(g, W1, B1) + act; s = Conv1x1(h, W2, B2) + gate; Y = X * s
 *
 * becomes one com.cort::SqueezeExcite(X, W1, B1, W2, B2) (src/ops/squeeze_excite.c) with the two
 * activations as attributes. The Convs are plain Conv or FusedConv with an activation but no residual,
 * 1x1 filters of group 1 without padding; g, h and s must have no other reader.
 *
 * When Y's one reader is a 1x1 Conv of group 1 (MobileNetV3's and EfficientNet's projections) with
 * O output channels, X holds one image and O * SE_FOLD_RATIO <= X's plane, the product moves into
 * that Conv's weights: the SqueezeExcite node takes the Conv's W3 as a sixth input and writes W3
 * scaled per input channel into Y's value, and the Conv reads X and those weights. */
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

/* Folding pays where the weights are this many times smaller than X: a pass over O x C values (and
 * the Conv packing them at each run instead of once) replaces one over C x plane. Measured on
 * EfficientNet-B0's and MobileNetV3's blocks: a clear gain on planes of 28x28 and up (O 16..40), none
 * on 14x14 ones (O 40..80, ratios 2.5..5). */
enum { SE_FOLD_RATIO = 8 };

/* SqueezeExcite node i: its product moves into the weights of the Conv reading its output, if any
 * qualifies (see the top of the file). */
static cort_status *fold_into_conv(cort_graph *g, graph_uses *u, int i) {
    cort_node *se = g->nodes[i];
    int x = se->inputs[0], y = se->outputs[0], j = cort_opt_sole_reader(g, u, y);
    if (j < 0) return NULL;
    cort_node *conv = g->nodes[j];
    bool plain = !*conv->domain && !strcmp(conv->op_type, "Conv");
    bool fused = !strcmp(conv->domain, CORT_OPT_DOMAIN) && !strcmp(conv->op_type, "FusedConv");
    if (!(plain || fused) || conv->n_inputs < 2 || conv->inputs[0] != y || cort_attr_int(conv, "group", 1) != 1)
        return NULL;
    const cort_type *tx = cort_opt_static_type(g, x);
    int w3 = conv->inputs[1];
    int64_t o;
    if (!tx || tx->dims[0].value != 1 || !weight_shape(g, w3, tx->rank, -1, tx->dims[1].value, &o)) return NULL;
    int p = cort_opt_producer(g, u, w3);
    if (p >= i) return NULL; /* computed after the SqueezeExcite node */
    int64_t plane = 1;
    for (int d = 2; d < tx->rank; d++) plane *= tx->dims[d].value;
    if (o * SE_FOLD_RATIO > plane) return NULL;
    int *in = cort_pool_calloc(g->pool, 7, sizeof *in);
    if (!in) return cort_oom();
    memcpy(in, se->inputs, 5 * sizeof *in);
    in[5] = w3;
    se->inputs = in;
    se->n_inputs = 6;
    CORT_TRY(cort_type_copy(g->pool, &g->values[y].type, &g->values[w3].type));
    conv->inputs[0] = x;
    conv->inputs[1] = y;
    u->count[x]++; /* W3's read moved from the Conv to the SqueezeExcite node; Y's is now the weights' */
    return NULL;
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
        return fold_into_conv(g, u, i);
    }
    return NULL;
}

cort_status *cort_opt_fuse_squeeze_excite(cort_model *m, cort_graph *g, graph_uses *u, int *count) {
    for (int i = 0; i < g->n_nodes; i++)
        if (!u->dead[i] && cort_opt_is_op(g->nodes[i], "Mul", 2)) CORT_TRY(fuse_at(m, g, u, i, count));
    return NULL;
}
