/* Level-2 elementwise fusion over what the Conv fusions left: x * Sigmoid(x) (SiLU, "Swish", as
 * EfficientNet and YOLO write it) becomes one com.cort::SiLU node, one pass over the tensor instead
 * of two passes and an intermediate as large as x. It runs after the Conv fusions, which take the
 * pattern into the convolution's store where they can. */
#include "opt/passes.h"

static bool float_tensor(const cort_graph *g, int v) {
    const cort_type *t = &g->values[v].type;
    return t->kind == CORT_TYPE_TENSOR && t->elem == CORT_FLOAT;
}

cort_status *cort_opt_fuse_elementwise(cort_model *m, cort_graph *g, graph_uses *u, int *count) {
    for (int i = 0; i < g->n_nodes; i++) {
        const cort_node *s = g->nodes[i];
        if (u->dead[i] || !cort_opt_is_op(s, "Sigmoid", 1) || s->inputs[0] < 0) continue;
        int x = s->inputs[0], j = cort_opt_sole_reader(g, u, s->outputs[0]);
        if (j < 0 || !float_tensor(g, x)) continue;
        cort_node *mul = g->nodes[j];
        if (!cort_opt_is_op(mul, "Mul", 2)) continue;
        int a = mul->inputs[0], b = mul->inputs[1];
        if (!((a == x && b == s->outputs[0]) || (b == x && a == s->outputs[0]))) continue;
        CORT_TRY(cort_opt_import_cort_domain(m));
        /* the Mul stays where it is, after x's producer and before its own readers */
        CORT_TRY(cort_opt_rewrite(g, u, mul, "SiLU", &x, 1, NULL, 0));
        cort_opt_drop_node(g, u, i);
        (*count)++;
    }
    return NULL;
}
