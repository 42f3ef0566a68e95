/* Graph optimizations over the IR, by level as in ONNX Runtime: 0 none, 1 basic (constant folding,
 * identity and dead-node elimination), 2 extended and 99 all (fusions, added pass by pass). Passes
 * rewrite the graph in place and keep it topologically sorted. */
#ifndef CORT_OPT_OPT_H
#define CORT_OPT_OPT_H
#include "ir/ir.h"

/* What the optimizer asks of the session. `eval` evaluates one node on constant inputs (the session's
 * ordinary kernel path): `outputs` are n_outputs zeroed values the callee fills and the caller then owns.
 * `infer` (may be NULL) infers the types of g's values again, node by node, so the shapes that folding
 * made constant (Reshape targets, Split sizes) reach the fusions that need them. */
typedef struct cort_fold_env {
    void *ctx;
    cort_status *(*eval)(void *ctx, const cort_graph *g, const cort_node *n, const cort_value *const *inputs,
                         cort_value *outputs);
    cort_status *(*infer)(void *ctx, cort_graph *g);
} cort_fold_env;

#define CORT_OPT_LEVEL_EXTENDED 2

/* Folded tensors larger than this stay computed at run time (constant folding must not bloat memory). */
#define CORT_FOLD_MAX_BYTES ((size_t)64 << 20)

typedef struct cort_opt_stats {
    int folded, identities, dead, fused;
} cort_opt_stats;

cort_status *cort_optimize(cort_model *m, int level, const cort_fold_env *env, cort_opt_stats *stats);
#endif
