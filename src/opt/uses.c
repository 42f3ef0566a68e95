/* Use counts over a graph, and removing nodes, for the optimizer's passes. */
#include <stdlib.h>
#include <string.h>

#include "opt/passes.h"

static void mark_outer_refs(const cort_graph *top, const cort_graph *sub, graph_uses *u) {
    for (int v = 0; v < sub->n_values; v++) {
        if (!(sub->values[v].flags & CORT_VF_OUTER)) continue;
        int id = cort_graph_find(top, sub->values[v].name);
        if (id >= 0) {
            u->outer_ref[id] = true;
            u->count[id]++;
        }
    }
    for (int i = 0; i < sub->n_nodes; i++) {
        const cort_node *n = sub->nodes[i];
        for (int a = 0; a < n->n_attrs; a++) {
            if (n->attrs[a].g) mark_outer_refs(top, n->attrs[a].g, u);
            for (int64_t k = 0; n->attrs[a].graphs && k < n->attrs[a].n; k++) mark_outer_refs(top, n->attrs[a].graphs[k], u);
        }
    }
}

bool cort_opt_has_subgraph(const cort_node *n) {
    for (int a = 0; a < n->n_attrs; a++)
        if (n->attrs[a].type == CORT_ATTR_GRAPH || n->attrs[a].type == CORT_ATTR_GRAPHS) return true;
    return false;
}

cort_status *cort_opt_count_uses(const cort_graph *g, graph_uses *u) {
    size_t nv = (size_t)g->n_values + 1;
    u->count = calloc(nv, sizeof *u->count);
    u->outer_ref = calloc(nv, sizeof *u->outer_ref);
    u->is_const = calloc(nv, sizeof *u->is_const);
    u->dead = calloc((size_t)g->n_nodes + 1, sizeof *u->dead);
    if (!u->count || !u->outer_ref || !u->is_const || !u->dead) return cort_oom();
    for (int i = 0; i < g->n_nodes; i++) {
        const cort_node *n = g->nodes[i];
        for (int k = 0; k < n->n_inputs; k++)
            if (n->inputs[k] >= 0) u->count[n->inputs[k]]++;
        for (int a = 0; a < n->n_attrs; a++) {
            if (n->attrs[a].g) mark_outer_refs(g, n->attrs[a].g, u);
            for (int64_t k = 0; n->attrs[a].graphs && k < n->attrs[a].n; k++) mark_outer_refs(g, n->attrs[a].graphs[k], u);
        }
    }
    for (int k = 0; k < g->n_outputs; k++) u->count[g->outputs[k]]++;
    for (int v = 0; v < g->n_values; v++) {
        const cort_ir_value *iv = &g->values[v];
        u->is_const[v] = (iv->flags & CORT_VF_INITIALIZER) && !(iv->flags & CORT_VF_GRAPH_INPUT) && iv->init;
    }
    return NULL;
}

void cort_opt_free_uses(graph_uses *u) {
    free(u->count);
    free(u->outer_ref);
    free(u->is_const);
    free(u->dead);
}

void cort_opt_drop_node(cort_graph *g, graph_uses *u, int i) {
    const cort_node *n = g->nodes[i];
    u->dead[i] = true;
    for (int k = 0; k < n->n_inputs; k++)
        if (n->inputs[k] >= 0) u->count[n->inputs[k]]--;
}

/* Initializers nothing reads any more (folded into others, or feeding removed nodes) are not saved. */
static void drop_unused_initializers(cort_graph *g, const graph_uses *u) {
    for (int v = 0; v < g->n_values; v++) {
        cort_ir_value *iv = &g->values[v];
        if (!(iv->flags & CORT_VF_INITIALIZER) || (iv->flags & (CORT_VF_GRAPH_INPUT | CORT_VF_GRAPH_OUTPUT)) ||
            u->count[v] > 0)
            continue;
        iv->flags &= ~CORT_VF_INITIALIZER;
        iv->init = NULL;
        iv->type.kind = CORT_TYPE_UNKNOWN;
    }
}

void cort_opt_compact(cort_graph *g, const graph_uses *u) {
    int w = 0;
    for (int i = 0; i < g->n_nodes; i++)
        if (!u->dead[i]) g->nodes[w++] = g->nodes[i];
    g->n_nodes = w;
    drop_unused_initializers(g, u);
}
