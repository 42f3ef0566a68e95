/* What the optimizer's passes share: who reads each value, which values are constant, which nodes are
 * gone. Internal to src/opt. */
#ifndef CORT_OPT_PASSES_H
#define CORT_OPT_PASSES_H
#include "opt/opt.h"

typedef struct graph_uses {
    int *count;      /* per value: node inputs + graph outputs + references from nested subgraphs */
    bool *outer_ref; /* per value: read by name from a nested subgraph */
    bool *is_const;  /* per value: constant data known at load */
    bool *dead;      /* per node */
} graph_uses;

cort_status *cort_opt_count_uses(const cort_graph *g, graph_uses *u);
void cort_opt_free_uses(graph_uses *u);
/* Marks node i removed and stops counting its reads. */
void cort_opt_drop_node(cort_graph *g, graph_uses *u, int i);
bool cort_opt_has_subgraph(const cort_node *n);
/* Removes the dropped nodes from g->nodes and the initializers nothing reads any more. */
void cort_opt_compact(cort_graph *g, const graph_uses *u);

/* passes (src/opt/basic.c, src/opt/fuse.c); each returns how many nodes it removed or rewrote */
int cort_opt_eliminate_identities(cort_graph *g, graph_uses *u);
cort_status *cort_opt_fold_constants(cort_graph *g, graph_uses *u, const cort_fold_env *env, int *count);
int cort_opt_eliminate_dead_nodes(cort_graph *g, graph_uses *u);
cort_status *cort_opt_fuse_activations(cort_model *m, cort_graph *g, graph_uses *u, int *count);
#endif
