/* `cort info`: what a model file holds, read through the ONNX reader and the IR (no session is
 * created, so models with operators cort lacks can still be inspected). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ir/ir.h"
#include "onnx/onnx.h"

typedef struct op_count {
    const char *domain, *op_type;
    int64_t count;
} op_count;

/* What a walk over a graph and its subgraphs adds up. */
typedef struct graph_totals {
    op_count *ops;
    size_t n_ops, cap_ops;
    int64_t nodes, subgraph_nodes;
    int64_t initializers, parameters, parameter_bytes;
} graph_totals;

static cort_status *count_op(graph_totals *t, const cort_node *node) {
    for (size_t i = 0; i < t->n_ops; i++)
        if (strcmp(t->ops[i].op_type, node->op_type) == 0 && strcmp(t->ops[i].domain, node->domain) == 0) {
            t->ops[i].count++;
            return NULL;
        }
    if (t->n_ops == t->cap_ops) {
        size_t cap = t->cap_ops ? 2 * t->cap_ops : 64;
        op_count *ops = realloc(t->ops, cap * sizeof *ops);
        if (!ops) return cort_oom();
        t->ops = ops;
        t->cap_ops = cap;
    }
    t->ops[t->n_ops++] = (op_count){node->domain ? node->domain : "", node->op_type ? node->op_type : "", 1};
    return NULL;
}

static void count_initializers(graph_totals *t, const cort_graph *g) {
    for (int v = 0; v < g->n_values; v++) {
        const cort_ir_value *val = &g->values[v];
        if (!(val->flags & CORT_VF_INITIALIZER) || !val->init) continue;
        int64_t n = cort_tensor_count(val->init);
        t->initializers++;
        if (n > 0) {
            t->parameters += n;
            t->parameter_bytes += (int64_t)cort_tensor_nbytes(val->init);
        }
    }
}

static cort_status *walk_graph(graph_totals *t, const cort_graph *g, int depth) {
    if (depth > 64) return cort_error(CORT_INVALID_GRAPH, "subgraphs nested too deeply");
    count_initializers(t, g);
    for (int i = 0; i < g->n_nodes; i++) {
        const cort_node *node = g->nodes[i];
        if (depth == 0) t->nodes++;
        else t->subgraph_nodes++;
        CORT_TRY(count_op(t, node));
        for (int a = 0; a < node->n_attrs; a++) {
            const cort_attr *attr = &node->attrs[a];
            if (attr->type == CORT_ATTR_GRAPH && attr->g) CORT_TRY(walk_graph(t, attr->g, depth + 1));
            if (attr->type == CORT_ATTR_GRAPHS)
                for (int64_t k = 0; k < attr->n; k++)
                    if (attr->graphs[k]) CORT_TRY(walk_graph(t, attr->graphs[k], depth + 1));
        }
    }
    return NULL;
}

static int compare_op_counts(const void *a, const void *b) {
    const op_count *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    int d = strcmp(x->domain, y->domain);
    return d ? d : strcmp(x->op_type, y->op_type);
}

static const char *domain_name(const char *domain) { return domain && *domain ? domain : "ai.onnx"; }

static void print_opsets(const cort_model *m) {
    printf("opsets:        ");
    for (int i = 0; i < m->n_opsets; i++)
        printf("%s%s %lld", i ? ", " : "", domain_name(m->opsets[i].domain), (long long)m->opsets[i].version);
    printf("%s\n", m->n_opsets ? "" : "(none)");
}

static void print_io_list(const char *title, const cort_graph *g, const int *ids, int n, int skip_initializers) {
    int shown = 0;
    for (int i = 0; i < n; i++)
        if (!skip_initializers || !(g->values[ids[i]].flags & CORT_VF_INITIALIZER)) shown++;
    printf("%s (%d):\n", title, shown);
    for (int i = 0; i < n; i++) {
        const cort_ir_value *v = &g->values[ids[i]];
        if (skip_initializers && (v->flags & CORT_VF_INITIALIZER)) continue;
        char type[1024];
        printf("  %-30s %s\n", v->name, cort_type_str(&v->type, type, sizeof type));
    }
}

static void print_model(const char *path, const cort_model *m, const graph_totals *t) {
    const cort_graph *g = m->graph;
    printf("model:         %s\n", path);
    printf("ir_version:    %lld\n", (long long)m->ir_version);
    printf("producer:      %s%s%s\n", m->producer_name ? m->producer_name : "",
           m->producer_version && *m->producer_version ? " " : "", m->producer_version ? m->producer_version : "");
    if (m->domain && *m->domain) printf("domain:        %s\n", m->domain);
    if (m->model_version) printf("model_version: %lld\n", (long long)m->model_version);
    print_opsets(m);
    if (g->name && *g->name) printf("graph:         %s\n", g->name);
    print_io_list("inputs", g, g->inputs, g->n_inputs, 1);
    print_io_list("outputs", g, g->outputs, g->n_outputs, 0);
    printf("initializers:  %lld (%.1f MB)\n", (long long)t->initializers, (double)t->parameter_bytes / 1e6);
    printf("parameters:    %lld\n", (long long)t->parameters);
    printf("nodes:         %lld", (long long)t->nodes);
    if (t->subgraph_nodes) printf(" (+%lld in subgraphs)", (long long)t->subgraph_nodes);
    printf("\nops (%zu types):\n", t->n_ops);
    for (size_t i = 0; i < t->n_ops; i++) {
        char name[256];
        snprintf(name, sizeof name, "%s%s%s", t->ops[i].domain, *t->ops[i].domain ? "." : "", t->ops[i].op_type);
        printf("  %-30s %lld\n", name, (long long)t->ops[i].count);
    }
}

int cli_info_main(const cli_command *self, int argc, char **argv) {
    const char *path = NULL;
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1] != 0) return cli_usage_error(self, "unknown option '%s'", argv[i]);
        if (path) return cli_usage_error(self, "unexpected argument '%s'", argv[i]);
        path = argv[i];
    }
    if (!path) return cli_usage_error(self, "missing MODEL");
    cort_model *model = NULL;
    cort_status *st = cort_onnx_load_file(path, &model);
    if (st) return cli_fail_status(self, st, NULL); /* load errors name the file */
    graph_totals t = {0};
    st = model->graph ? walk_graph(&t, model->graph, 0) : cort_error(CORT_INVALID_GRAPH, "the model has no graph");
    if (!st) {
        qsort(t.ops, t.n_ops, sizeof *t.ops, compare_op_counts);
        print_model(path, model, &t);
    }
    free(t.ops);
    cort_model_free(model);
    return st ? cli_fail_status(self, st, path) : CLI_EXIT_OK;
}
