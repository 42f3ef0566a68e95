/* The pass manager: which passes run at which level, in what order. */
#include <string.h>

#include "opt/passes.h"

cort_status *cort_optimize(cort_model *m, int level, const cort_fold_env *env, cort_opt_stats *stats) {
    memset(stats, 0, sizeof *stats);
    if (level < 1) return NULL;
    cort_graph *g = m->graph;
    graph_uses u = {0};
    cort_status *st = cort_opt_count_uses(g, &u);
    if (!st) {
        stats->identities = cort_opt_eliminate_identities(g, &u);
        st = cort_opt_fold_constants(g, &u, env, &stats->folded);
    }
    if (!st && level >= CORT_OPT_LEVEL_EXTENDED) st = cort_opt_fuse_activations(m, g, &u, &stats->fused);
    if (!st) {
        stats->dead = cort_opt_eliminate_dead_nodes(g, &u);
        cort_opt_compact(g, &u);
        st = cort_graph_check_and_sort(g);
    }
    cort_opt_free_uses(&u);
    return st;
}
