/* Level-2 Conv fusions into com.cort::FusedConv (the Conv's attributes plus `activation` and
 * `activation_params`, as ONNX Runtime's com.microsoft::FusedConv), whose kernel computes
 * Y = act(Conv(X, W, B) + Z) as it stores its output:
 *   - Conv → Add(conv, Z) with Z of the same static shape (a residual) takes Z as a 4th input;
 *   - then a sole reader Relu, Clip with constant bounds, LeakyRelu, Sigmoid, HardSigmoid, HardSwish
 *     or Tanh becomes the activation, as does x * Sigmoid(x) (SiLU) read from the Conv's output;
 *   - before those, an inference BatchNormalization reading a Conv's output alone folds into the
 *     Conv's constant W and B (W' = W * s, B' = (B - mean) * s + beta, s = scale / sqrt(var + eps)),
 *     when those initializers belong to that Conv and BatchNormalization alone (they are replaced).
 * Every float Conv qualifies, groups included: paths that cannot apply the activation in their store
 * apply it right after. */
#include <math.h>
#include <string.h>

#include "opt/passes.h"

/* A float Conv, or a FusedConv that has taken a residual but no activation yet. */
static bool fusable_conv(const cort_graph *g, const cort_node *n, bool want_plain) {
    if (n->n_outputs != 1 || n->outputs[0] < 0 || n->n_inputs < 2) return false;
    bool plain = !*n->domain && !strcmp(n->op_type, "Conv");
    bool fused = !strcmp(n->domain, CORT_OPT_DOMAIN) && !strcmp(n->op_type, "FusedConv") &&
                 !*cort_attr_string(n, "activation", "");
    if (want_plain ? !plain : !(plain || fused)) return false;
    const cort_type *t = &g->values[n->outputs[0]].type;
    return t->kind == CORT_TYPE_TENSOR && t->elem == CORT_FLOAT;
}

/* The activation node n applied to value v, as FusedConv's attributes. */
typedef struct fused_act {
    const char *name;
    float params[2];
    int n_params;
} fused_act;

static bool activation_of(const cort_graph *g, const graph_uses *u, const cort_node *n, int v, fused_act *a) {
    if (*n->domain || n->n_outputs != 1 || n->n_inputs < 1 || n->inputs[0] != v) return false;
    a->n_params = 0;
    const char *op = n->op_type;
    if (!strcmp(op, "Relu") || !strcmp(op, "Sigmoid") || !strcmp(op, "Tanh") || !strcmp(op, "HardSwish")) {
        a->name = op;
        return true;
    }
    if (!strcmp(op, "LeakyRelu")) {
        a->name = op;
        a->params[0] = cort_attr_float(n, "alpha", 0.01f);
        a->n_params = 1;
        return true;
    }
    if (!strcmp(op, "HardSigmoid")) {
        a->name = op;
        a->params[0] = cort_attr_float(n, "alpha", 0.2f);
        a->params[1] = cort_attr_float(n, "beta", 0.5f);
        a->n_params = 2;
        return true;
    }
    if (strcmp(op, "Clip")) return false;
    float lo = -3.402823466e38f, hi = 3.402823466e38f;
    if (n->opset < 11) {
        lo = cort_attr_float(n, "min", lo);
        hi = cort_attr_float(n, "max", hi);
    } else {
        if (n->n_inputs > 1 && n->inputs[1] >= 0 && !cort_opt_const_scalar(g, u, n->inputs[1], &lo)) return false;
        if (n->n_inputs > 2 && n->inputs[2] >= 0 && !cort_opt_const_scalar(g, u, n->inputs[2], &hi)) return false;
    }
    a->name = "Clip";
    a->params[0] = lo;
    a->params[1] = hi;
    a->n_params = 2;
    return true;
}

/* Both readers of v when it has exactly two, both nodes of this graph. */
static bool two_readers(const cort_graph *g, const graph_uses *u, int v, int *r) {
    if (v < 0 || u->count[v] != 2 || u->outer_ref[v] || (g->values[v].flags & CORT_VF_GRAPH_OUTPUT)) return false;
    int found = 0;
    for (int i = 0; i < g->n_nodes && found < 2; i++) {
        if (u->dead[i]) continue;
        const cort_node *n = g->nodes[i];
        for (int k = 0; k < n->n_inputs; k++)
            if (n->inputs[k] == v) {
                r[found++] = i;
                break;
            }
    }
    return found == 2 && r[0] != r[1];
}

/* v * Sigmoid(v) read from v alone: sets *sig and *mul (the node whose output is the result). */
static bool silu_of(const cort_graph *g, const graph_uses *u, int v, int *sig, int *mul) {
    int r[2];
    if (!two_readers(g, u, v, r)) return false;
    for (int t = 0; t < 2; t++) {
        const cort_node *s = g->nodes[r[t]], *m = g->nodes[r[1 - t]];
        if (!cort_opt_is_op(s, "Sigmoid", 1) || s->inputs[0] != v || !cort_opt_is_op(m, "Mul", 2)) continue;
        int so = s->outputs[0];
        bool pair = (m->inputs[0] == v && m->inputs[1] == so) || (m->inputs[1] == v && m->inputs[0] == so);
        if (!pair || cort_opt_sole_reader(g, u, so) != r[1 - t] || m->n_outputs != 1) continue;
        *sig = r[t], *mul = r[1 - t];
        return true;
    }
    return false;
}

/* Conv node c becomes FusedConv with `inputs`, its attributes plus the activation's; its output
 * becomes `out`. */
static cort_status *rewrite_fused(cort_graph *g, graph_uses *u, cort_node *c, const int *inputs, int n_inputs,
                                  const fused_act *a, int out) {
    cort_attr attrs[64];
    int n = 0;
    for (int k = 0; k < c->n_attrs && n < 60; k++)
        if (strcmp(c->attrs[k].name, "activation") && strcmp(c->attrs[k].name, "activation_params"))
            attrs[n++] = c->attrs[k];
    if (c->n_attrs >= 60) return cort_node_error(c, CORT_INVALID_GRAPH, "too many attributes to fuse");
    if (a) {
        float *p = cort_pool_calloc(g->pool, 2, sizeof *p);
        if (!p) return cort_oom();
        memcpy(p, a->params, sizeof a->params);
        attrs[n++] = (cort_attr){.name = "activation", .type = CORT_ATTR_STRING, .s = a->name, .s_len = strlen(a->name)};
        if (a->n_params)
            attrs[n++] = (cort_attr){.name = "activation_params", .type = CORT_ATTR_FLOATS, .n = a->n_params, .floats = p};
    }
    CORT_TRY(cort_opt_rewrite(g, u, c, "FusedConv", inputs, n_inputs, attrs, n));
    c->outputs[0] = out;
    return NULL;
}

static int conv_inputs(const cort_node *c, int *in) {
    int n = c->n_inputs < 4 ? c->n_inputs : 4;
    for (int k = 0; k < 4; k++) in[k] = k < n ? c->inputs[k] : -1;
    return n;
}

/* Conv i → Add(conv, Z): Z, of the conv output's static shape, is ready before node i. */
static cort_status *fuse_residual(cort_model *m, cort_graph *g, graph_uses *u, int i, int *count) {
    cort_node *c = g->nodes[i];
    int v = c->outputs[0], j = cort_opt_sole_reader(g, u, v);
    if (j < 0 || !cort_opt_is_op(g->nodes[j], "Add", 2) || g->nodes[j]->n_outputs != 1) return NULL;
    const cort_node *add = g->nodes[j];
    int z = add->inputs[0] == v ? add->inputs[1] : add->inputs[0];
    if (z == v || z < 0) return NULL;
    const cort_type *tv = cort_opt_static_type(g, v), *tz = cort_opt_static_type(g, z);
    if (!tv || !tz || tz->elem != CORT_FLOAT || tz->rank != tv->rank) return NULL;
    for (int d = 0; d < tv->rank; d++)
        if (tv->dims[d].value != tz->dims[d].value) return NULL;
    int p = cort_opt_producer(g, u, z);
    if (p >= i) return NULL; /* computed after the Conv: fusing would break the order */
    int in[4];
    conv_inputs(c, in);
    if (c->n_inputs > 3 && c->inputs[3] >= 0) return NULL; /* already has a residual */
    in[3] = z;
    CORT_TRY(cort_opt_import_cort_domain(m));
    int out = add->outputs[0];
    CORT_TRY(rewrite_fused(g, u, c, in, 4, NULL, out));
    cort_opt_drop_node(g, u, j);
    (*count)++;
    return NULL;
}

/* Conv i → activation (or x * Sigmoid(x)). */
static cort_status *fuse_activation(cort_model *m, cort_graph *g, graph_uses *u, int i, int *count) {
    cort_node *c = g->nodes[i];
    int v = c->outputs[0], j = cort_opt_sole_reader(g, u, v), sig = -1, mul = -1;
    fused_act a;
    int drop[2], n_drop = 0, out;
    if (j >= 0 && activation_of(g, u, g->nodes[j], v, &a)) {
        drop[n_drop++] = j;
        out = g->nodes[j]->outputs[0];
    } else if (silu_of(g, u, v, &sig, &mul)) {
        a = (fused_act){"SiLU", {0, 0}, 0};
        drop[n_drop++] = sig;
        drop[n_drop++] = mul;
        out = g->nodes[mul]->outputs[0];
    } else {
        return NULL;
    }
    int in[4], n_in = conv_inputs(c, in);
    CORT_TRY(cort_opt_import_cort_domain(m));
    CORT_TRY(rewrite_fused(g, u, c, in, n_in, &a, out));
    for (int k = 0; k < n_drop; k++) cort_opt_drop_node(g, u, drop[k]);
    /* the fused output is now produced at i, before its readers: order stays topological */
    (*count)++;
    return NULL;
}

/* A float initializer of `count` values read by one node, which a fold may replace. */
static const cort_tensor *private_const(const cort_graph *g, const graph_uses *u, int v, int64_t count) {
    if (v < 0 || !u->is_const[v] || u->count[v] != 1 || u->outer_ref[v]) return NULL;
    if (g->values[v].flags & (CORT_VF_GRAPH_INPUT | CORT_VF_GRAPH_OUTPUT)) return NULL;
    const cort_tensor *t = g->values[v].init;
    return t && t->type == CORT_FLOAT && cort_tensor_count(t) == count ? t : NULL;
}

/* A constant float tensor of `count` values (read by anyone). */
static const float *const_floats(const cort_graph *g, const graph_uses *u, int v, int64_t count) {
    if (v < 0 || !u->is_const[v] || (g->values[v].flags & CORT_VF_GRAPH_INPUT)) return NULL;
    const cort_tensor *t = g->values[v].init;
    return t && t->type == CORT_FLOAT && cort_tensor_count(t) == count ? t->data : NULL;
}

/* Value v's initializer becomes a copy of t with `data` (allocated from the graph's pool). */
static cort_status *replace_init(cort_graph *g, int v, const cort_tensor *t, float *data) {
    cort_tensor *nt = cort_pool_alloc(g->pool, sizeof *nt);
    if (!nt) return cort_oom();
    *nt = *t;
    nt->data = data;
    g->values[v].init = nt;
    return NULL;
}

static cort_status *fold_batchnorm(cort_graph *g, graph_uses *u, int i, int *count) {
    cort_node *c = g->nodes[i];
    int v = c->outputs[0], j = cort_opt_sole_reader(g, u, v);
    if (j < 0) return NULL;
    const cort_node *bn = g->nodes[j];
    if (*bn->domain || strcmp(bn->op_type, "BatchNormalization") || bn->n_inputs != 5 || bn->inputs[0] != v) return NULL;
    for (int k = 1; k < bn->n_outputs; k++)
        if (bn->outputs[k] >= 0) return NULL; /* training outputs */
    if (bn->n_outputs < 1 || bn->outputs[0] < 0 || cort_attr_int(bn, "training_mode", 0)) return NULL;
    const cort_tensor *w = c->n_inputs > 1 ? g->values[c->inputs[1]].init : NULL;
    if (!w || w->rank < 3) return NULL;
    int64_t out_ch = w->dims[0], per = cort_tensor_count(w) / (out_ch > 0 ? out_ch : 1);
    w = private_const(g, u, c->inputs[1], cort_tensor_count(w));
    int b_in = c->n_inputs > 2 ? c->inputs[2] : -1;
    /* the bias goes to the Conv's own B, or else to BatchNormalization's beta, which nothing else reads */
    int b_to = b_in >= 0 ? b_in : bn->inputs[2];
    const cort_tensor *bt = private_const(g, u, b_to, out_ch);
    const float *scale = const_floats(g, u, bn->inputs[1], out_ch), *beta = const_floats(g, u, bn->inputs[2], out_ch);
    const float *mean = const_floats(g, u, bn->inputs[3], out_ch), *var = const_floats(g, u, bn->inputs[4], out_ch);
    if (!w || !bt || !scale || !beta || !mean || !var || out_ch <= 0) return NULL;
    float eps = cort_attr_float(bn, "epsilon", 1e-5f);
    float *nw = cort_pool_alloc(g->pool, sizeof(float) * (size_t)cort_tensor_count(w));
    float *nb = cort_pool_alloc(g->pool, sizeof(float) * (size_t)out_ch);
    int *in = cort_pool_calloc(g->pool, 3, sizeof *in);
    if (!nw || !nb || !in) return cort_oom();
    const float *wd = w->data, *bd = b_in >= 0 ? bt->data : NULL;
    for (int64_t o = 0; o < out_ch; o++) {
        float sc = (float)(scale[o] / sqrt((double)var[o] + (double)eps));
        for (int64_t k = 0; k < per; k++) nw[o * per + k] = wd[o * per + k] * sc;
        nb[o] = ((bd ? bd[o] : 0.0f) - mean[o]) * sc + beta[o];
    }
    CORT_TRY(replace_init(g, c->inputs[1], w, nw));
    CORT_TRY(replace_init(g, b_to, bt, nb));
    in[0] = c->inputs[0], in[1] = c->inputs[1], in[2] = b_to;
    if (b_in < 0) u->count[b_to]++; /* beta's read by BatchNormalization goes with it below */
    c->inputs = in;
    c->n_inputs = 3;
    c->outputs[0] = bn->outputs[0];
    cort_opt_drop_node(g, u, j);
    (*count)++;
    return NULL;
}

cort_status *cort_opt_fuse_activations(cort_model *m, cort_graph *g, graph_uses *u, int *count) {
    for (int i = 0; i < g->n_nodes; i++) {
        if (u->dead[i]) continue;
        if (fusable_conv(g, g->nodes[i], true)) CORT_TRY(fold_batchnorm(g, u, i, count));
        if (fusable_conv(g, g->nodes[i], true)) CORT_TRY(fuse_residual(m, g, u, i, count));
        if (!u->dead[i] && fusable_conv(g, g->nodes[i], false)) CORT_TRY(fuse_activation(m, g, u, i, count));
    }
    return NULL;
}
