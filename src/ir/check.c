/* Graph checks and topological order. Every node input must be defined: by a node of the graph, as a
 * graph input or initializer, or (in a subgraph) by an enclosing graph, which marks it CORT_VF_OUTER.
 * Nodes are sorted with Kahn's algorithm, taking among the ready nodes always the one that came
 * first, so an already ordered graph keeps its order. A node that holds subgraphs also depends on the
 * producers of the outer values its subgraphs read. */
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"

#define CHECK_MAX_DEPTH 64

static bool defined_here(const cort_ir_value *v) {
    return v->producer >= 0 || (v->flags & (CORT_VF_GRAPH_INPUT | CORT_VF_INITIALIZER));
}

/* Calls fn for every subgraph held by node n's attributes. */
typedef cort_status *(*subgraph_fn)(cort_graph *sub, void *arg, int depth);

static cort_status *each_subgraph(const cort_node *n, subgraph_fn fn, void *arg, int depth) {
    for (int a = 0; a < n->n_attrs; a++) {
        const cort_attr *at = &n->attrs[a];
        if (at->g) CORT_TRY(fn(at->g, arg, depth));
        for (int64_t k = 0; at->graphs && k < at->n; k++)
            if (at->graphs[k]) CORT_TRY(fn(at->graphs[k], arg, depth));
    }
    return NULL;
}

/* ---- pass 1: producers (every graph), values produced twice */

static cort_status *assign_producers(cort_graph *g, void *arg, int depth) {
    (void)arg;
    if (depth > CHECK_MAX_DEPTH) return cort_error(CORT_INVALID_GRAPH, "subgraphs nested too deeply");
    for (int v = 0; v < g->n_values; v++) {
        g->values[v].producer = -1;
        g->values[v].flags &= ~CORT_VF_OUTER;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const cort_node *n = g->nodes[i];
        for (int o = 0; o < n->n_outputs; o++) {
            int id = n->outputs[o];
            if (id < 0) continue;
            if (id >= g->n_values) return cort_node_error(n, CORT_INVALID_GRAPH, "output %d refers to no value", o);
            cort_ir_value *v = &g->values[id];
            if (v->producer >= 0)
                return cort_node_error(n, CORT_INVALID_GRAPH, "output '%s' is already produced by node '%s'", v->name,
                                       g->nodes[v->producer]->name);
            if (v->flags & (CORT_VF_GRAPH_INPUT | CORT_VF_INITIALIZER))
                return cort_node_error(n, CORT_INVALID_GRAPH, "output '%s' is also a graph input or initializer",
                                       v->name);
            v->producer = i;
        }
        CORT_TRY(each_subgraph(n, assign_producers, NULL, depth + 1));
    }
    return NULL;
}

/* ---- pass 2: every use defined, outer references marked (parents before children) */

static bool defined_in_ancestors(const cort_graph *g, const char *name) {
    for (const cort_graph *p = g->parent; p; p = p->parent) {
        int id = cort_graph_find(p, name);
        if (id >= 0 && (defined_here(&p->values[id]) || (p->values[id].flags & CORT_VF_OUTER))) return true;
    }
    return false;
}

static bool resolve_use(cort_graph *g, int id) {
    cort_ir_value *v = &g->values[id];
    if (defined_here(v) || (v->flags & CORT_VF_OUTER)) return true;
    if (!g->parent || !defined_in_ancestors(g, v->name)) return false;
    v->flags |= CORT_VF_OUTER;
    return true;
}

static cort_status *check_uses(cort_graph *g, void *arg, int depth) {
    (void)arg;
    for (int i = 0; i < g->n_nodes; i++) {
        const cort_node *n = g->nodes[i];
        for (int k = 0; k < n->n_inputs; k++) {
            int id = n->inputs[k];
            if (id < 0) continue;
            if (id >= g->n_values) return cort_node_error(n, CORT_INVALID_GRAPH, "input %d refers to no value", k);
            if (!resolve_use(g, id))
                return cort_node_error(n, CORT_INVALID_GRAPH, "input '%s' is not defined by any node, graph input or "
                                       "initializer", g->values[id].name);
        }
    }
    for (int k = 0; k < g->n_outputs; k++) {
        int id = g->outputs[k];
        if (id < 0 || id >= g->n_values) return cort_error(CORT_INVALID_GRAPH, "graph '%s': output %d refers to no value", g->name, k);
        if (!resolve_use(g, id))
            return cort_error(CORT_INVALID_GRAPH, "graph '%s': output '%s' is not defined", g->name, g->values[id].name);
    }
    for (int i = 0; i < g->n_nodes; i++) CORT_TRY(each_subgraph(g->nodes[i], check_uses, NULL, depth + 1));
    return NULL;
}

/* ---- pass 3: order */

typedef struct dep_list {
    int *from, *to; /* edge: node from must run before node to */
    int n, cap;
} dep_list;

static bool add_dep(dep_list *d, int from, int to) {
    if (d->n == d->cap) {
        int cap = d->cap ? d->cap * 2 : 64;
        int *f = realloc(d->from, (size_t)cap * sizeof *f);
        if (!f) return false;
        d->from = f;
        int *t = realloc(d->to, (size_t)cap * sizeof *t);
        if (!t) return false;
        d->to = t;
        d->cap = cap;
    }
    d->from[d->n] = from;
    d->to[d->n++] = to;
    return true;
}

typedef struct outer_walk {
    const cort_graph *top; /* the graph being sorted */
    int node;              /* the node of `top` holding the subgraphs */
    dep_list *deps;
} outer_walk;

/* The graph, between sub (exclusive) and top (exclusive), that defines `name`: NULL when top is the
 * nearest definition. */
static bool defined_between(const cort_graph *sub, const cort_graph *top, const char *name) {
    for (const cort_graph *p = sub->parent; p && p != top; p = p->parent) {
        int id = cort_graph_find(p, name);
        if (id >= 0 && defined_here(&p->values[id])) return true;
    }
    return false;
}

static cort_status *collect_outer_deps(cort_graph *sub, void *arg, int depth) {
    outer_walk *w = arg;
    for (int v = 0; v < sub->n_values; v++) {
        if (!(sub->values[v].flags & CORT_VF_OUTER)) continue;
        const char *name = sub->values[v].name;
        if (defined_between(sub, w->top, name)) continue;
        int id = cort_graph_find(w->top, name);
        if (id < 0 || w->top->values[id].producer < 0) continue;
        if (!add_dep(w->deps, w->top->values[id].producer, w->node)) return cort_oom();
    }
    for (int i = 0; i < sub->n_nodes; i++) CORT_TRY(each_subgraph(sub->nodes[i], collect_outer_deps, arg, depth + 1));
    return NULL;
}

static cort_status *collect_deps(cort_graph *g, dep_list *deps) {
    for (int i = 0; i < g->n_nodes; i++) {
        const cort_node *n = g->nodes[i];
        for (int k = 0; k < n->n_inputs; k++) {
            int id = n->inputs[k];
            if (id >= 0 && g->values[id].producer >= 0 && !add_dep(deps, g->values[id].producer, i)) return cort_oom();
        }
        outer_walk w = {g, i, deps};
        CORT_TRY(each_subgraph(n, collect_outer_deps, &w, 1));
    }
    return NULL;
}

/* A binary min-heap of node indices: the ready node that came first runs first. */
static void heap_push(int *h, int *n, int x) {
    int i = (*n)++;
    while (i > 0 && h[(i - 1) / 2] > x) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = x;
}

static int heap_pop(int *h, int *n) {
    int top = h[0], x = h[--(*n)], i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && h[c + 1] < h[c]) c++;
        if (h[c] >= x) break;
        h[i] = h[c];
        i = c;
    }
    if (*n > 0) h[i] = x;
    return top;
}

static cort_status *kahn(cort_graph *g, const dep_list *d, int *order) {
    int n = g->n_nodes;
    int *indeg = calloc((size_t)n + 1, sizeof *indeg), *start = calloc((size_t)n + 2, sizeof *start);
    int *adj = malloc(((size_t)d->n + 1) * sizeof *adj), *heap = malloc(((size_t)n + 1) * sizeof *heap);
    cort_status *st = NULL;
    if (!indeg || !start || !adj || !heap) {
        st = cort_oom();
        goto done;
    }
    for (int e = 0; e < d->n; e++) {
        indeg[d->to[e]]++;
        start[d->from[e] + 1]++;
    }
    for (int i = 0; i < n; i++) start[i + 1] += start[i];
    int *pos = malloc(((size_t)n + 1) * sizeof *pos);
    if (!pos) {
        st = cort_oom();
        goto done;
    }
    memcpy(pos, start, (size_t)n * sizeof *pos);
    for (int e = 0; e < d->n; e++) adj[pos[d->from[e]]++] = d->to[e];
    free(pos);
    int hn = 0, done_n = 0;
    for (int i = 0; i < n; i++)
        if (!indeg[i]) heap_push(heap, &hn, i);
    while (hn) {
        int u = heap_pop(heap, &hn);
        order[done_n++] = u;
        for (int e = start[u]; e < start[u + 1]; e++)
            if (--indeg[adj[e]] == 0) heap_push(heap, &hn, adj[e]);
    }
    if (done_n < n) {
        for (int i = 0; i < n; i++)
            if (indeg[i]) {
                st = cort_node_error(g->nodes[i], CORT_INVALID_GRAPH, "is part of a cycle");
                break;
            }
    }
done:
    free(indeg);
    free(start);
    free(adj);
    free(heap);
    return st;
}

static cort_status *sort_graph(cort_graph *g, void *arg, int depth) {
    (void)arg;
    int n = g->n_nodes;
    dep_list deps = {0};
    int *order = malloc(((size_t)n + 1) * sizeof *order);
    cort_node **sorted = malloc(((size_t)n + 1) * sizeof *sorted);
    cort_status *st = order && sorted ? collect_deps(g, &deps) : cort_oom();
    if (!st) st = kahn(g, &deps, order);
    if (!st) {
        for (int i = 0; i < n; i++) sorted[i] = g->nodes[order[i]];
        if (n) memcpy(g->nodes, sorted, (size_t)n * sizeof *sorted);
        for (int i = 0; i < n; i++)
            for (int o = 0; o < g->nodes[i]->n_outputs; o++)
                if (g->nodes[i]->outputs[o] >= 0) g->values[g->nodes[i]->outputs[o]].producer = i;
    }
    free(deps.from);
    free(deps.to);
    free(order);
    free(sorted);
    for (int i = 0; !st && i < n; i++) st = each_subgraph(g->nodes[i], sort_graph, NULL, depth + 1);
    return st;
}

cort_status *cort_graph_check_and_sort(cort_graph *g) {
    if (!g) return cort_error(CORT_INVALID_GRAPH, "no graph");
    CORT_TRY(assign_producers(g, NULL, 0));
    CORT_TRY(check_uses(g, NULL, 0));
    return sort_graph(g, NULL, 0);
}
