/* What the fusion passes share to recognise a subgraph and rewrite it: who produces and who reads a
 * value, constant scalars, and rewiring a node's inputs with the use counts kept right. */
#include <math.h>
#include <string.h>

#include "opt/passes.h"

int cort_opt_producer(const cort_graph *g, const graph_uses *u, int v) {
    if (v < 0) return -1;
    for (int i = 0; i < g->n_nodes; i++) {
        if (u->dead[i]) continue;
        const cort_node *n = g->nodes[i];
        for (int k = 0; k < n->n_outputs; k++)
            if (n->outputs[k] == v) return i;
    }
    return -1;
}

bool cort_opt_private(const cort_graph *g, const graph_uses *u, int v) {
    return v >= 0 && u->count[v] == 1 && !u->outer_ref[v] && !(g->values[v].flags & CORT_VF_GRAPH_OUTPUT);
}

int cort_opt_sole_reader(const cort_graph *g, const graph_uses *u, int v) {
    if (!cort_opt_private(g, u, v)) return -1;
    for (int i = 0; i < g->n_nodes; i++) {
        if (u->dead[i]) continue;
        const cort_node *n = g->nodes[i];
        for (int k = 0; k < n->n_inputs; k++)
            if (n->inputs[k] == v) return i;
    }
    return -1;
}

bool cort_opt_is_op(const cort_node *n, const char *op_type, int n_inputs) {
    return !*n->domain && !strcmp(n->op_type, op_type) && n->n_inputs == n_inputs && n->n_outputs >= 1 &&
           n->outputs[0] >= 0;
}

bool cort_opt_const_scalar(const cort_graph *g, const graph_uses *u, int v, float *out) {
    if (v < 0 || !u->is_const[v]) return false;
    const cort_tensor *t = g->values[v].init;
    if (t->type != CORT_FLOAT || cort_tensor_count(t) != 1) return false;
    *out = *(const float *)t->data;
    return true;
}

bool cort_opt_near(float v, double want) { return fabs(v - want) <= 1e-4 * fabs(want); }

const cort_type *cort_opt_static_type(const cort_graph *g, int v) {
    const cort_type *t = &g->values[v].type;
    if (t->kind != CORT_TYPE_TENSOR || t->rank < 0) return NULL;
    for (int d = 0; d < t->rank; d++)
        if (t->dims[d].value < 0) return NULL;
    return t;
}

cort_status *cort_opt_import_cort_domain(cort_model *m) {
    if (cort_model_opset(m, CORT_OPT_DOMAIN) >= 0) return NULL;
    cort_opset *o = cort_pool_calloc(&m->pool, (size_t)m->n_opsets + 1, sizeof *o);
    if (!o) return cort_oom();
    memcpy(o, m->opsets, (size_t)m->n_opsets * sizeof *o);
    o[m->n_opsets] = (cort_opset){CORT_OPT_DOMAIN, 1};
    m->opsets = o;
    m->n_opsets++;
    return NULL;
}

cort_status *cort_opt_rewrite(cort_graph *g, graph_uses *u, cort_node *n, const char *op_type, const int *inputs,
                              int n_inputs, const cort_attr *attrs, int n_attrs) {
    int *in = cort_pool_calloc(g->pool, (size_t)n_inputs + 1, sizeof *in);
    cort_attr *at = cort_pool_calloc(g->pool, (size_t)n_attrs + 1, sizeof *at);
    if (!in || !at) return cort_oom();
    for (int k = 0; k < n->n_inputs; k++)
        if (n->inputs[k] >= 0) u->count[n->inputs[k]]--;
    for (int k = 0; k < n_inputs; k++) {
        in[k] = inputs[k];
        if (in[k] >= 0) u->count[in[k]]++;
    }
    if (n_attrs) memcpy(at, attrs, (size_t)n_attrs * sizeof *at);
    n->op_type = op_type;
    n->domain = CORT_OPT_DOMAIN;
    n->opset = 1;
    n->inputs = in;
    n->n_inputs = n_inputs;
    n->attrs = at;
    n->n_attrs = n_attrs;
    return NULL;
}
