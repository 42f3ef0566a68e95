/* Level-2 fusion: a Conv whose only reader is a Relu, or a Clip with constant bounds, becomes one
 * com.cort::FusedConv node (the Conv's attributes plus `activation` and `activation_params`, as ONNX
 * Runtime's com.microsoft::FusedConv), whose kernel applies the activation as it stores its output. */
#include <string.h>

#include "opt/passes.h"

#define CORT_DOMAIN "com.cort"

/* The single node reading value v, or -1 (several readers, a graph output, a subgraph's reference). */
static int only_reader(const cort_graph *g, const graph_uses *u, int v) {
    if (u->count[v] != 1 || u->outer_ref[v] || (g->values[v].flags & CORT_VF_GRAPH_OUTPUT)) return -1;
    for (int i = 0; i < g->n_nodes; i++) {
        if (u->dead[i]) continue;
        const cort_node *n = g->nodes[i];
        for (int k = 0; k < n->n_inputs; k++)
            if (n->inputs[k] == v) return i;
    }
    return -1;
}

static bool scalar_constant(const cort_graph *g, const graph_uses *u, int v, float *out) {
    if (v < 0 || !u->is_const[v]) return false;
    const cort_tensor *t = g->values[v].init;
    if (cort_tensor_count(t) != 1) return false;
    if (t->type == CORT_FLOAT) *out = *(const float *)t->data;
    else return false;
    return true;
}

/* Relu → ("Relu", no params); Clip with known bounds → ("Clip", [lo, hi]). */
static bool fusable_activation(const cort_graph *g, const graph_uses *u, const cort_node *n, const char **name,
                               float *params, int *n_params) {
    if (*n->domain || n->n_outputs != 1) return false;
    if (!strcmp(n->op_type, "Relu")) {
        *name = "Relu";
        *n_params = 0;
        return true;
    }
    if (strcmp(n->op_type, "Clip")) return false;
    float lo = -3.402823466e38f, hi = 3.402823466e38f;
    if (n->opset < 11) {
        lo = cort_attr_float(n, "min", lo);
        hi = cort_attr_float(n, "max", hi);
    } else {
        if (n->n_inputs > 1 && n->inputs[1] >= 0 && !scalar_constant(g, u, n->inputs[1], &lo)) return false;
        if (n->n_inputs > 2 && n->inputs[2] >= 0 && !scalar_constant(g, u, n->inputs[2], &hi)) return false;
    }
    *name = "Clip";
    params[0] = lo;
    params[1] = hi;
    *n_params = 2;
    return true;
}

/* Float Conv without groups: its GEMM applies the activation in its store for free, while grouped and
 * depthwise kernels would need a pass of their own, no cheaper than the separate node. */
static bool float_conv(const cort_graph *g, const cort_node *n) {
    if (*n->domain || strcmp(n->op_type, "Conv") || n->n_outputs != 1 || n->outputs[0] < 0) return false;
    if (cort_attr_int(n, "group", 1) != 1) return false;
    const cort_type *t = &g->values[n->outputs[0]].type;
    return t->kind == CORT_TYPE_TENSOR && t->elem == CORT_FLOAT;
}

static cort_status *ensure_domain_import(cort_model *m) {
    if (cort_model_opset(m, CORT_DOMAIN) >= 0) return NULL;
    cort_opset *o = cort_pool_calloc(&m->pool, (size_t)m->n_opsets + 1, sizeof *o);
    if (!o) return cort_oom();
    memcpy(o, m->opsets, (size_t)m->n_opsets * sizeof *o);
    o[m->n_opsets] = (cort_opset){CORT_DOMAIN, 1};
    m->opsets = o;
    m->n_opsets++;
    return NULL;
}

/* Conv node c takes over activation node a's output and carries the activation as attributes. */
static cort_status *rewrite_as_fused(cort_graph *g, cort_node *c, const cort_node *a, const char *name,
                                     const float *params, int n_params) {
    cort_attr *attrs = cort_pool_calloc(g->pool, (size_t)c->n_attrs + 2, sizeof *attrs);
    float *p = cort_pool_calloc(g->pool, 2, sizeof *p);
    if (!attrs || !p) return cort_oom();
    memcpy(attrs, c->attrs, (size_t)c->n_attrs * sizeof *attrs);
    memcpy(p, params, (size_t)n_params * sizeof *p);
    attrs[c->n_attrs] = (cort_attr){.name = "activation", .type = CORT_ATTR_STRING, .s = name, .s_len = strlen(name)};
    int n_attrs = c->n_attrs + 1;
    if (n_params) attrs[n_attrs++] = (cort_attr){.name = "activation_params", .type = CORT_ATTR_FLOATS, .n = n_params,
                                                 .floats = p};
    c->attrs = attrs;
    c->n_attrs = n_attrs;
    c->op_type = "FusedConv";
    c->domain = CORT_DOMAIN;
    c->opset = 1;
    c->outputs[0] = a->outputs[0];
    return NULL;
}

cort_status *cort_opt_fuse_activations(cort_model *m, cort_graph *g, graph_uses *u, int *count) {
    for (int i = 0; i < g->n_nodes; i++) {
        cort_node *c = g->nodes[i];
        if (u->dead[i] || !float_conv(g, c)) continue;
        int j = only_reader(g, u, c->outputs[0]);
        const char *name;
        float params[2];
        int n_params;
        if (j < 0 || !fusable_activation(g, u, g->nodes[j], &name, params, &n_params)) continue;
        if (g->nodes[j]->inputs[0] != c->outputs[0]) continue;
        CORT_TRY(ensure_domain_import(m));
        CORT_TRY(rewrite_as_fused(g, c, g->nodes[j], name, params, n_params));
        cort_opt_drop_node(g, u, j);
        /* the activation's output is now produced at i, before its readers: order stays topological */
        (*count)++;
    }
    return NULL;
}
