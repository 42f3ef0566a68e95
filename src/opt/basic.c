/* Level-1 passes: identity elimination, constant folding (including Shape and Size of statically
 * shaped values) and dead-node elimination, over the top graph. */
#include <stdlib.h>
#include <string.h>

#include "opt/passes.h"

/* ------------------------------------------------------------ identities */

static bool is_false_constant(const cort_graph *g, const graph_uses *u, int v) {
    if (v < 0) return true;
    if (!u->is_const[v]) return false;
    const cort_tensor *t = g->values[v].init;
    return t->type == CORT_BOOL && cort_tensor_count(t) == 1 && !*(const unsigned char *)t->data;
}

/* Identity, and Dropout in inference mode whose mask nobody reads, pass their input through. */
static bool passes_input_through(const cort_graph *g, const graph_uses *u, const cort_node *n) {
    if (*n->domain || n->n_inputs < 1 || n->inputs[0] < 0 || n->n_outputs < 1 || n->outputs[0] < 0) return false;
    if (!strcmp(n->op_type, "Identity")) return n->n_outputs == 1;
    if (strcmp(n->op_type, "Dropout")) return false;
    if (n->n_outputs > 1 && n->outputs[1] >= 0 && u->count[n->outputs[1]] > 0) return false;
    if (n->opset < 7 && cort_attr_int(n, "is_test", 0) == 0) return false;
    return n->n_inputs < 3 || is_false_constant(g, u, n->inputs[2]);
}

void cort_opt_replace_uses(cort_graph *g, graph_uses *u, int from, int to) {
    for (int i = 0; i < g->n_nodes; i++) {
        cort_node *n = g->nodes[i];
        for (int k = 0; k < n->n_inputs; k++) {
            if (n->inputs[k] != from) continue;
            n->inputs[k] = to;
            u->count[from]--;
            u->count[to]++;
        }
    }
}

int cort_opt_eliminate_identities(cort_graph *g, graph_uses *u) {
    int removed = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const cort_node *n = g->nodes[i];
        if (u->dead[i] || !passes_input_through(g, u, n)) continue;
        int in = n->inputs[0], out = n->outputs[0];
        /* graph outputs and names read by subgraphs keep their producer */
        if ((g->values[out].flags & CORT_VF_GRAPH_OUTPUT) || u->outer_ref[out]) continue;
        cort_opt_replace_uses(g, u, out, in);
        cort_opt_drop_node(g, u, i);
        removed++;
    }
    return removed;
}

/* ------------------------------------------------------------ constant folding */

static bool nondeterministic(const char *op) {
    static const char *const ops[] = {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
                                      "Multinomial",  "Bernoulli"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!strcmp(op, ops[i])) return true;
    return false;
}

static bool static_shape(const cort_type *t) {
    if (t->kind != CORT_TYPE_TENSOR || t->rank < 0) return false;
    for (int d = 0; d < t->rank; d++)
        if (t->dims[d].value < 0) return false;
    return true;
}

/* Shape and Size read only the shape, which may be known at load even when the data is not. */
static bool reads_only_shape(const cort_graph *g, const cort_node *n) {
    return (!strcmp(n->op_type, "Shape") || !strcmp(n->op_type, "Size")) && n->n_inputs == 1 && n->inputs[0] >= 0 &&
           static_shape(&g->values[n->inputs[0]].type);
}

static bool foldable(const cort_graph *g, const graph_uses *u, const cort_node *n) {
    if (*n->domain || nondeterministic(n->op_type) || cort_opt_has_subgraph(n) || n->n_inputs > 64) return false;
    if (reads_only_shape(g, n)) return true;
    for (int k = 0; k < n->n_inputs; k++)
        if (n->inputs[k] >= 0 && !u->is_const[n->inputs[k]]) return false;
    return true;
}

static cort_status *store_constant(cort_graph *g, int id, const cort_value *v) {
    cort_pool *pool = g->pool;
    cort_tensor *t = cort_pool_alloc(pool, sizeof *t);
    if (!t) return cort_oom();
    *t = v->t;
    size_t bytes = cort_tensor_nbytes(&v->t);
    t->data = cort_pool_alloc(pool, bytes ? bytes : 1);
    if (!t->data) return cort_oom();
    if (v->t.type == CORT_STRING) {
        char **dst = t->data, *const *src = v->t.data;
        for (int64_t i = 0; i < cort_tensor_count(&v->t); i++) {
            dst[i] = cort_pool_strdup(pool, src[i] ? src[i] : "");
            if (!dst[i]) return cort_oom();
        }
    } else if (bytes) {
        memcpy(t->data, v->t.data, bytes);
    }
    cort_dim *dims = t->rank ? cort_pool_calloc(pool, (size_t)t->rank, sizeof *dims) : NULL;
    if (t->rank && !dims) return cort_oom();
    for (int d = 0; d < t->rank; d++) dims[d] = (cort_dim){t->dims[d], NULL};
    cort_ir_value *iv = &g->values[id];
    iv->init = t;
    iv->flags |= CORT_VF_INITIALIZER;
    iv->producer = -1;
    cort_type_set_tensor(&iv->type, t->type, t->rank, dims);
    return NULL;
}

static bool results_storable(const cort_node *n, const cort_value *outs) {
    for (int k = 0; k < n->n_outputs; k++) {
        if (n->outputs[k] < 0) continue;
        if (outs[k].kind != CORT_VALUE_TENSOR || cort_tensor_nbytes(&outs[k].t) > CORT_FOLD_MAX_BYTES) return false;
    }
    return true;
}

/* Evaluates node i; errors leave the node to fail (or not) at run time, as without folding. */
static cort_status *fold_node(cort_graph *g, graph_uses *u, int i, const cort_fold_env *env, bool *folded) {
    const cort_node *n = g->nodes[i];
    cort_value in_vals[64], outs[16];
    const cort_value *ins[64];
    *folded = false;
    if (n->n_outputs > 16) return NULL;
    memset(in_vals, 0, sizeof in_vals);
    memset(outs, 0, sizeof outs);
    bool shape_only = reads_only_shape(g, n) && !u->is_const[n->inputs[0]];
    for (int k = 0; k < n->n_inputs; k++) {
        int v = n->inputs[k];
        ins[k] = NULL;
        if (v < 0) continue;
        in_vals[k].kind = CORT_VALUE_TENSOR;
        if (shape_only) { /* a shape without data: Shape and Size never read the elements */
            const cort_type *t = &g->values[v].type;
            in_vals[k].t.type = t->elem;
            in_vals[k].t.rank = t->rank;
            for (int d = 0; d < t->rank; d++) in_vals[k].t.dims[d] = t->dims[d].value;
        } else {
            in_vals[k].t = *g->values[v].init;
        }
        ins[k] = &in_vals[k];
    }
    cort_status *st = env->eval(env->ctx, g, n, ins, outs);
    if (!st && results_storable(n, outs)) {
        for (int k = 0; !st && k < n->n_outputs; k++)
            if (n->outputs[k] >= 0) st = store_constant(g, n->outputs[k], &outs[k]);
        if (!st) {
            for (int k = 0; k < n->n_outputs; k++)
                if (n->outputs[k] >= 0) u->is_const[n->outputs[k]] = true;
            cort_opt_drop_node(g, u, i);
            *folded = true;
        }
    } else {
        cort_status_free(st);
        st = NULL;
    }
    for (int k = 0; k < n->n_outputs; k++) cort_value_clear(&outs[k]);
    return st;
}

cort_status *cort_opt_fold_constants(cort_graph *g, graph_uses *u, const cort_fold_env *env, int *count) {
    for (int i = 0; i < g->n_nodes; i++) {
        if (u->dead[i] || !foldable(g, u, g->nodes[i])) continue;
        bool folded;
        CORT_TRY(fold_node(g, u, i, env, &folded));
        *count += folded;
    }
    return NULL;
}

/* ------------------------------------------------------------ dead nodes */

int cort_opt_eliminate_dead_nodes(cort_graph *g, graph_uses *u) {
    int removed = 0;
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        const cort_node *n = g->nodes[i];
        if (u->dead[i] || n->n_outputs == 0) continue;
        bool used = false;
        for (int k = 0; k < n->n_outputs && !used; k++) used = n->outputs[k] >= 0 && u->count[n->outputs[k]] > 0;
        if (used) continue;
        cort_opt_drop_node(g, u, i);
        removed++;
    }
    return removed;
}



