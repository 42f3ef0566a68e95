/* Level-2 rewrites for DenseNet-like graphs:
 *   - Concat(axis 1) → inference BatchNormalization → Relu becomes one com.cort::ConcatBatchNormalization
 *     (src/ops/norm.c) when the Concat's and the BatchNormalization's outputs have no other reader: each
 *     dense layer normalises the concatenation of every feature map before it, so the copies grow
 *     quadratically with depth; fused, the inputs are read once and the result written once. A
 *     BatchNormalization → Relu without a Concat before it takes the same op with one input. A 2x2
 *     stride-2 AveragePool reading the result alone (a transition, once its 1x1 Conv has moved after
 *     the pool, below) joins too: the full-size normalised image is then never stored.
 *   - A pointwise (1x1, stride 1, unpadded) Conv followed by an unpadded AveragePool (through a Pad that
 *     adds nothing, as PyTorch exports DenseNet's transitions) swaps with it: averaging commutes with a
 *     per-position affine map, so the Conv then runs on the pooled, smaller image (a 2x2 pool: a quarter
 *     of the multiply-adds) while the pool reads the Conv's input instead of its output. */
#include <string.h>

#include "opt/passes.h"

static bool float_tensor_of_rank(const cort_graph *g, int v, int rank) {
    const cort_type *t = &g->values[v].type;
    return t->kind == CORT_TYPE_TENSOR && t->elem == CORT_FLOAT && (rank < 0 ? t->rank >= 2 : t->rank == rank);
}

/* Outputs past the first that something reads (or the graph returns). */
static bool extra_outputs_used(const cort_graph *g, const graph_uses *u, const cort_node *n) {
    for (int k = 1; k < n->n_outputs; k++) {
        int v = n->outputs[k];
        if (v >= 0 && (u->count[v] > 0 || u->outer_ref[v] || (g->values[v].flags & CORT_VF_GRAPH_OUTPUT)))
            return true;
    }
    return false;
}

/* An inference BatchNormalization with constant per-channel statistics (not opset < 9's per-position
 * form) over a float tensor of rank >= 2 whose channel count is known. */
static bool inference_batchnorm(const cort_graph *g, const graph_uses *u, const cort_node *n) {
    if (!cort_opt_is_op(n, "BatchNormalization", 5) || n->inputs[0] < 0 || extra_outputs_used(g, u, n)) return false;
    if (n->opset >= 14 && cort_attr_int(n, "training_mode", 0)) return false;
    if (n->opset < 9 && !cort_attr_int(n, "spatial", 1)) return false;
    int x = n->inputs[0];
    if (!float_tensor_of_rank(g, x, -1)) return false;
    int64_t channels = g->values[x].type.dims[1].value;
    if (channels < 1) return false;
    for (int k = 1; k < 5; k++) {
        int v = n->inputs[k];
        if (v < 0 || !u->is_const[v] || !g->values[v].init) return false;
        const cort_tensor *t = g->values[v].init;
        if (t->type != CORT_FLOAT || cort_tensor_count(t) != channels) return false;
    }
    return true;
}

/* The inputs of a Concat along axis 1 whose output only `bn` reads, all float of x's rank; 0 if none. */
static int concat_inputs(const cort_graph *g, const graph_uses *u, int x, const int **inputs) {
    int p = cort_opt_producer(g, u, x);
    if (p < 0 || !cort_opt_private(g, u, x)) return 0;
    const cort_node *c = g->nodes[p];
    if (*c->domain || strcmp(c->op_type, "Concat") || c->n_inputs < 1 || c->n_outputs != 1) return 0;
    int rank = g->values[x].type.rank;
    int64_t axis = cort_attr_int(c, "axis", c->opset < 4 ? 1 : 0);
    if (axis != 1 && axis != 1 - rank) return 0;
    for (int k = 0; k < c->n_inputs; k++)
        if (c->inputs[k] < 0 || !float_tensor_of_rank(g, c->inputs[k], rank)) return 0;
    *inputs = c->inputs;
    return c->n_inputs;
}

static bool all_ones(const int64_t *v, int64_t n);
static bool all_zero_attr(const cort_node *n, const char *name);
static bool explicit_pads(const cort_node *n);

/* A 2x2 stride-2 unpadded floor-mode AveragePool over a 4-D float tensor. */
static bool avgpool_2x2(const cort_graph *g, const cort_node *n) {
    if (!cort_opt_is_op(n, "AveragePool", 1) || n->n_outputs != 1 || !explicit_pads(n) || !all_zero_attr(n, "pads") ||
        cort_attr_int(n, "ceil_mode", 0) || !float_tensor_of_rank(g, n->inputs[0], 4))
        return false;
    const int64_t *k, *st, *d;
    int64_t nd = cort_attr_ints(n, "dilations", &d);
    if (cort_attr_ints(n, "kernel_shape", &k) != 2 || cort_attr_ints(n, "strides", &st) != 2 || !all_ones(d, nd))
        return false;
    return k[0] == 2 && k[1] == 2 && st[0] == 2 && st[1] == 2;
}

static cort_status *fuse_one_batchnorm(cort_model *m, cort_graph *g, graph_uses *u, int bn_at, int *count) {
    cort_node *bn = g->nodes[bn_at];
    int x = bn->inputs[0];
    const int *xs = &bn->inputs[0];
    int n_x = concat_inputs(g, u, x, &xs), concat_at = n_x ? cort_opt_producer(g, u, x) : -1;
    int relu_at = cort_opt_sole_reader(g, u, bn->outputs[0]);
    if (relu_at >= 0 && !cort_opt_is_op(g->nodes[relu_at], "Relu", 1)) relu_at = -1;
    if (!n_x && relu_at < 0) return NULL; /* a lone BatchNormalization: nothing to gain */
    if (!n_x) n_x = 1;
    int *inputs = cort_pool_calloc(g->pool, (size_t)n_x + 4, sizeof *inputs);
    if (!inputs) return cort_oom();
    memcpy(inputs, bn->inputs + 1, 4 * sizeof *inputs);
    memcpy(inputs + 4, xs, (size_t)n_x * sizeof *inputs);
    /* the last node of the chain becomes the fused one: it already follows every input's producer */
    cort_node *target = relu_at >= 0 ? g->nodes[relu_at] : bn;
    int pool_at = cort_opt_sole_reader(g, u, target->outputs[0]);
    if (pool_at >= 0 && !avgpool_2x2(g, g->nodes[pool_at])) pool_at = -1;
    cort_attr attrs[3] = {{.name = "epsilon", .type = CORT_ATTR_FLOAT, .f = cort_attr_float(bn, "epsilon", 1e-5f)}};
    int n_attrs = 1;
    if (relu_at >= 0) attrs[n_attrs++] = (cort_attr){.name = "activation", .type = CORT_ATTR_STRING, .s = "Relu", .s_len = 4};
    if (pool_at >= 0) attrs[n_attrs++] = (cort_attr){.name = "avg_pool_2x2", .type = CORT_ATTR_INT, .i = 1};
    CORT_TRY(cort_opt_import_cort_domain(m));
    CORT_TRY(cort_opt_rewrite(g, u, target, "ConcatBatchNormalization", inputs, n_x + 4, attrs, n_attrs));
    if (pool_at >= 0) { /* the fused node writes the pool's output; the full-size one goes */
        target->outputs[0] = g->nodes[pool_at]->outputs[0];
        cort_opt_drop_node(g, u, pool_at);
    }
    if (relu_at >= 0) cort_opt_drop_node(g, u, bn_at);
    if (concat_at >= 0) cort_opt_drop_node(g, u, concat_at);
    (*count)++;
    return NULL;
}

cort_status *cort_opt_fuse_concat_batchnorm(cort_model *m, cort_graph *g, graph_uses *u, int *count) {
    for (int i = 0; i < g->n_nodes; i++)
        if (!u->dead[i] && inference_batchnorm(g, u, g->nodes[i])) CORT_TRY(fuse_one_batchnorm(m, g, u, i, count));
    return NULL;
}

/* ---------------------------------------------------------------- AveragePool before a 1x1 Conv */

static bool all_ones(const int64_t *v, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (v[i] != 1) return false;
    return true;
}

static bool all_zero_attr(const cort_node *n, const char *name) {
    const int64_t *v;
    int64_t len = cort_attr_ints(n, name, &v);
    for (int64_t i = 0; i < len; i++)
        if (v[i] != 0) return false;
    return true;
}

static bool explicit_pads(const cort_node *n) {
    const char *a = cort_attr_string(n, "auto_pad", "NOTSET");
    return !strcmp(a, "NOTSET") || !strcmp(a, "VALID");
}

/* A float 2-D Conv with a constant 1x1 kernel, unit strides and no padding. */
static bool pointwise_conv(const cort_graph *g, const graph_uses *u, const cort_node *n) {
    if (!(cort_opt_is_op(n, "Conv", 2) || cort_opt_is_op(n, "Conv", 3)) || n->n_outputs != 1) return false;
    if (n->inputs[0] < 0 || !float_tensor_of_rank(g, n->inputs[0], 4) || !float_tensor_of_rank(g, n->outputs[0], 4))
        return false;
    int w = n->inputs[1];
    if (w < 0 || !u->is_const[w] || !g->values[w].init) return false;
    const cort_tensor *wt = g->values[w].init;
    if (wt->rank != 4 || wt->dims[2] != 1 || wt->dims[3] != 1) return false;
    const int64_t *s;
    int64_t ns = cort_attr_ints(n, "strides", &s);
    return all_ones(s, ns) && all_zero_attr(n, "pads") && explicit_pads(n);
}

/* A Pad that adds nothing: constant mode, constant pads all zero. */
static bool empty_pad(const cort_graph *g, const graph_uses *u, const cort_node *n) {
    if (*n->domain || strcmp(n->op_type, "Pad") || n->n_outputs != 1 || n->n_inputs < 1) return false;
    if (strcmp(cort_attr_string(n, "mode", "constant"), "constant")) return false;
    if (n->opset < 11) return all_zero_attr(n, "pads");
    int p = n->n_inputs > 1 ? n->inputs[1] : -1;
    if (p < 0 || !u->is_const[p] || !g->values[p].init) return false;
    const cort_tensor *t = g->values[p].init;
    if (t->type != CORT_INT64) return false;
    for (int64_t i = 0; i < cort_tensor_count(t); i++)
        if (((const int64_t *)t->data)[i] != 0) return false;
    return true;
}

/* An AveragePool without padding that shrinks the image. Every window then holds an input position
 * (ceil_mode's last windows start inside the image), so it averages weights that sum to one. */
static bool unpadded_shrinking_avgpool(const cort_graph *g, const cort_node *n) {
    if (!cort_opt_is_op(n, "AveragePool", 1) || n->n_outputs != 1 || !explicit_pads(n) || !all_zero_attr(n, "pads"))
        return false;
    if (!float_tensor_of_rank(g, n->inputs[0], 4) || !cort_opt_static_type(g, n->inputs[0]) ||
        !cort_opt_static_type(g, n->outputs[0]))
        return false;
    const cort_type *in = &g->values[n->inputs[0]].type, *out = &g->values[n->outputs[0]].type;
    return out->dims[2].value * out->dims[3].value < in->dims[2].value * in->dims[3].value;
}

/* Conv (y = conv(x)) → [Pad] → AveragePool (z) becomes AveragePool (y' = pool(x)) → Conv (z): the value y
 * is reused for the pooled input, its type set to x's channels at z's size. */
static cort_status *swap_pool_conv(cort_graph *g, graph_uses *u, int conv_at, int pad_at, int pool_at) {
    cort_node *conv = g->nodes[conv_at], *pool = g->nodes[pool_at];
    int x = conv->inputs[0], y = conv->outputs[0], z = pool->outputs[0];
    const cort_type *xt = &g->values[x].type, *zt = &g->values[z].type;
    cort_dim *dims = cort_pool_calloc(g->pool, 4, sizeof *dims);
    if (!dims) return cort_oom();
    dims[0] = zt->dims[0];
    dims[1] = xt->dims[1];
    dims[2] = zt->dims[2];
    dims[3] = zt->dims[3];
    if (pad_at >= 0) { /* the Pad's reads of y and of its pads go, and so does the pool's of its output */
        cort_opt_drop_node(g, u, pad_at);
        u->count[pool->inputs[0]]--;
        u->count[y]++; /* the Conv reads y now */
    } /* else y keeps its one reader (the Conv instead of the pool) */
    pool->inputs[0] = x; /* and x too (the pool instead of the Conv) */
    pool->outputs[0] = y;
    conv->inputs[0] = y;
    conv->outputs[0] = z;
    cort_type_set_tensor(&g->values[y].type, CORT_FLOAT, 4, dims);
    return NULL;
}

cort_status *cort_opt_pool_before_pointwise_conv(cort_graph *g, graph_uses *u, int *count) {
    for (int i = 0; i < g->n_nodes; i++) {
        if (u->dead[i] || !pointwise_conv(g, u, g->nodes[i])) continue;
        int next = cort_opt_sole_reader(g, u, g->nodes[i]->outputs[0]), pad_at = -1;
        if (next >= 0 && empty_pad(g, u, g->nodes[next])) {
            pad_at = next;
            next = cort_opt_sole_reader(g, u, g->nodes[next]->outputs[0]);
        }
        if (next < 0 || !unpadded_shrinking_avgpool(g, g->nodes[next])) continue;
        CORT_TRY(swap_pool_conv(g, u, i, pad_at, next));
        (*count)++;
    }
    return NULL;
}
