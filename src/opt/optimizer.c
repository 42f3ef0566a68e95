/* The pass manager: which passes run at which level, in what order. */
#include <string.h>

#include "opt/passes.h"

/* Level 2 and above: fusions into com.cort operators, after folding has made the shapes constant. */
static cort_status *fuse(cort_model *m, cort_graph *g, graph_uses *u, cort_opt_stats *stats) {
    CORT_TRY(cort_opt_pool_before_pointwise_conv(g, u, &stats->fused)); /* on plain Convs */
    CORT_TRY(cort_opt_fuse_activations(m, g, u, &stats->fused));
    CORT_TRY(cort_opt_fuse_concat_batchnorm(m, g, u, &stats->fused)); /* the BatchNormalizations no Conv took */
    CORT_TRY(cort_opt_fuse_squeeze_excite(m, g, u, &stats->fused));
    CORT_TRY(cort_opt_fuse_layernorm(m, g, u, &stats->fused));
    CORT_TRY(cort_opt_fuse_attention(m, g, u, &stats->fused));
    CORT_TRY(cort_opt_fuse_matmul_bias(m, g, u, &stats->fused));
    CORT_TRY(cort_opt_fuse_transposed_matmul(m, g, u, &stats->fused));
    CORT_TRY(cort_opt_fuse_gelu(m, g, u, &stats->fused));
    CORT_TRY(cort_opt_fuse_elementwise(m, g, u, &stats->fused)); /* what the Conv fusions left */
    CORT_TRY(cort_opt_unit_transposes_as_reshapes(g, u, &stats->fused));
    return cort_opt_gather_rows_early(g, u, &stats->fused);
}

/* Drops what folding left unread, then infers the types again over the smaller graph: a shape that
 * folding made constant (a Reshape target, Split sizes) makes more shapes known, and with them more
 * Shape nodes foldable. Repeats while folding finds something new. */
static cort_status *fold_to_fixpoint(cort_graph *g, graph_uses *u, const cort_fold_env *env, cort_opt_stats *stats) {
    CORT_TRY(cort_opt_fold_constants(g, u, env, &stats->folded));
    for (int round = 0; round < 4 && env->infer; round++) {
        stats->dead += cort_opt_eliminate_dead_nodes(g, u);
        cort_opt_compact(g, u);
        memset(u->dead, 0, (size_t)g->n_nodes * sizeof *u->dead);
        CORT_TRY(env->infer(env->ctx, g));
        int before = stats->folded;
        CORT_TRY(cort_opt_fold_constants(g, u, env, &stats->folded));
        if (stats->folded == before) break;
    }
    return NULL;
}

cort_status *cort_optimize(cort_model *m, int level, const cort_fold_env *env, cort_opt_stats *stats) {
    memset(stats, 0, sizeof *stats);
    if (level < 1) return NULL;
    cort_graph *g = m->graph;
    graph_uses u = {0};
    cort_status *st = cort_opt_count_uses(g, &u);
    if (!st) {
        stats->identities = cort_opt_eliminate_identities(g, &u);
        st = fold_to_fixpoint(g, &u, env, stats);
        if (!st) stats->identities += cort_opt_cancel_layout(g, &u);
    }
    if (!st && level >= CORT_OPT_LEVEL_EXTENDED) st = fuse(m, g, &u, stats);
    if (!st) {
        stats->dead += cort_opt_eliminate_dead_nodes(g, &u);
        cort_opt_compact(g, &u);
        st = cort_graph_check_and_sort(g);
    }
    cort_opt_free_uses(&u);
    return st;
}
