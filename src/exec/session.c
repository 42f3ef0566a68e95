/* Session creation: choose a kernel for every node, parse its attributes once, infer types, and
 * compute liveness — everything a run needs, decided before the first run. */
#include <stdlib.h>
#include <string.h>

#include "base/file_map.h"
#include "base/log.h"
#include "exec/exec.h"
#include "onnx/onnx.h"
#include "opt/opt.h"

typedef struct ext_ref {
    int depth; /* graphs up from the graph holding the reference */
    int id;    /* value id in that ancestor */
} ext_ref;

typedef struct ext_refs {
    ext_ref *items;
    int n, cap;
} ext_refs;

static cort_status *push_ref(ext_refs *r, int depth, int id) {
    if (r->n == r->cap) {
        int cap = r->cap ? r->cap * 2 : 16;
        ext_ref *p = realloc(r->items, (size_t)cap * sizeof *p);
        if (!p) return cort_oom();
        r->items = p;
        r->cap = cap;
    }
    r->items[r->n++] = (ext_ref){depth, id};
    return NULL;
}

/* The nearest enclosing graph that defines `name` (not merely refers to it), and how far up it is. */
static int resolve_outer(const cort_graph *g, const char *name, int *depth) {
    int d = 0;
    for (const cort_graph *a = g->parent; a; a = a->parent) {
        d++;
        int id = cort_graph_find(a, name);
        if (id >= 0 && !(a->values[id].flags & CORT_VF_OUTER)) {
            *depth = d;
            return id;
        }
    }
    return -1;
}

static const cort_tensor *constant_of(const cort_graph *g, int id) {
    if (id < 0) return NULL;
    const cort_ir_value *v = &g->values[id];
    if ((v->flags & CORT_VF_INITIALIZER) && !(v->flags & CORT_VF_GRAPH_INPUT)) return v->init;
    return NULL;
}

static cort_status *find_kernel(const cort_graph *g, const cort_node *n, const cort_op_def **out) {
    const char *why = NULL;
    int32_t type = 0;
    const cort_op_def *d = cort_registry_find(n->domain, n->op_type, n->opset, 0, &why);
    if (d && d->type_input >= 0 && d->type_input < n->n_inputs && n->inputs[d->type_input] >= 0) {
        const cort_type *t = &g->values[n->inputs[d->type_input]].type;
        if (t->kind == CORT_TYPE_TENSOR) type = t->elem;
    }
    if (d && type > 0) d = cort_registry_find(n->domain, n->op_type, n->opset, type, &why);
    if (!d) {
        if (why && !strcmp(why, "type not supported"))
            return cort_node_error(n, CORT_NOT_IMPLEMENTED, "no kernel for element type %s", cort_type_name(type));
        if (why && !strcmp(why, "opset not supported"))
            return cort_node_error(n, CORT_NOT_IMPLEMENTED, "operator not implemented for opset %d", n->opset);
        return cort_node_error(n, CORT_NOT_IMPLEMENTED, "unknown operator '%s' in domain '%s'", n->op_type,
                               *n->domain ? n->domain : "ai.onnx");
    }
    if (d->flags & CORT_OP_TRAINING)
        return cort_node_error(n, CORT_NOT_IMPLEMENTED, "training operator not supported");
    *out = d;
    return NULL;
}

/* Output types from the op's infer function, merged into what the model declared. */
static cort_status *infer_node(cort_session *s, cort_graph *g, cort_step *st) {
    const cort_node *n = st->node;
    if (!st->def->infer) return NULL;
    const cort_type *in[64];
    const cort_tensor *in_const[64];
    cort_type out[16];
    if (n->n_inputs > 64 || n->n_outputs > 16) return NULL; /* rare variadic giants: types at run */
    for (int i = 0; i < n->n_inputs; i++) {
        in[i] = n->inputs[i] >= 0 ? &g->values[n->inputs[i]].type : NULL;
        in_const[i] = constant_of(g, n->inputs[i]);
    }
    memset(out, 0, sizeof out);
    for (int i = 0; i < n->n_outputs; i++) out[i].rank = -1;
    cort_infer_ctx ic = {n, st->params, n->n_inputs, n->n_outputs, in, in_const, out, &s->model->pool};
    CORT_TRY(st->def->infer(&ic));
    for (int i = 0; i < n->n_outputs; i++) {
        if (n->outputs[i] < 0 || out[i].kind == CORT_TYPE_UNKNOWN) continue;
        cort_type *have = &g->values[n->outputs[i]].type;
        bool declared_richer = have->kind == out[i].kind && have->rank >= 0 && out[i].rank < 0;
        if (have->kind != CORT_TYPE_UNKNOWN && have->kind == CORT_TYPE_TENSOR && out[i].kind == CORT_TYPE_TENSOR &&
            have->elem && out[i].elem && have->elem != out[i].elem)
            return cort_node_error(n, CORT_INVALID_GRAPH, "output %d is declared %s but computes %s", i,
                                   cort_type_name(have->elem), cort_type_name(out[i].elem));
        if (!declared_richer) *have = out[i];
    }
    return NULL;
}

/* Kernel, parsed attributes and inferred output types of a node; with `prepare`, also its packed state. */
cort_status *cort_step_bind(cort_session *s, cort_graph *g, cort_step *st, bool prepare) {
    const cort_node *n = st->node;
    CORT_TRY(find_kernel(g, n, &st->def));
    if (st->def->params_size) {
        st->params = cort_pool_alloc(&s->pool, st->def->params_size);
        if (!st->params) return cort_oom();
    }
    if (st->def->parse) {
        cort_parse_ctx pc = {n, g, st->params, &s->pool};
        CORT_TRY(st->def->parse(&pc));
    }
    CORT_TRY(infer_node(s, g, st));
    if (prepare && st->def->prepare && n->n_inputs <= 64) {
        const cort_type *in[64];
        const cort_tensor *in_const[64];
        for (int i = 0; i < n->n_inputs; i++) {
            in[i] = n->inputs[i] >= 0 ? &g->values[n->inputs[i]].type : NULL;
            in_const[i] = constant_of(g, n->inputs[i]);
        }
        cort_prepare_ctx pc = {n, st->params, n->n_inputs, in, in_const, &s->pool, &st->state};
        CORT_TRY(st->def->prepare(&pc));
    }
    return NULL;
}

/* Types of every value of the top graph, before the optimizer looks at them. The parsed attributes are
 * dropped with the pool's other leftovers when the session ends. */
static cort_status *infer_types(cort_session *s, cort_graph *g) {
    for (int i = 0; i < g->n_nodes; i++) {
        cort_step st = {.node = g->nodes[i]};
        CORT_TRY(cort_step_bind(s, g, &st, false));
    }
    return NULL;
}

static cort_status *eval_for_folding(void *ctx, const cort_graph *g, const cort_node *n, const cort_value *const *in,
                                     cort_value *out) {
    cort_session *s = ctx;
    cort_step st = {.node = n};
    CORT_TRY(cort_step_bind(s, (cort_graph *)g, &st, true));
    return cort_eval_step(s, &st, in, out);
}

static cort_status *infer_for_fusion(void *ctx, cort_graph *g) { return infer_types(ctx, g); }

static cort_status *optimize(cort_session *s, const cort_session_options *opts) {
    if (s->opt_level >= CORT_OPT_BASIC) {
        CORT_TRY(infer_types(s, s->model->graph));
        cort_fold_env env = {s, eval_for_folding, infer_for_fusion};
        CORT_TRY(cort_optimize(s->model, s->opt_level, &env, &s->opt_stats));
    }
    if (opts && opts->optimized_path) CORT_TRY(cort_onnx_save_model(s->model, opts->optimized_path));
    return NULL;
}

static cort_status *build_exec_graph(cort_session *s, cort_graph *g, const cort_exec_graph *parent,
                                     cort_exec_graph **out, ext_refs *escaping);

static void extend_life(cort_exec_graph *eg, int id, int step) {
    if (eg->last_step[id] < step) eg->last_step[id] = step;
}

/* Subgraphs of step `si`: build them, and keep alive until `si` the values of this graph they read. */
static cort_status *build_children(cort_session *s, cort_exec_graph *eg, int si, ext_refs *escaping) {
    const cort_node *n = eg->steps[si].node;
    for (int a = 0; a < n->n_attrs; a++) {
        const cort_attr *at = &n->attrs[a];
        int count = at->type == CORT_ATTR_GRAPH ? 1 : at->type == CORT_ATTR_GRAPHS ? (int)at->n : 0;
        for (int k = 0; k < count; k++) {
            cort_graph *sub = at->type == CORT_ATTR_GRAPH ? at->g : at->graphs[k];
            if (!sub) continue;
            ext_refs refs = {0};
            cort_exec_graph *child = NULL;
            cort_status *st = build_exec_graph(s, sub, eg, &child, &refs);
            for (int r = 0; !st && r < refs.n; r++) {
                if (refs.items[r].depth == 1) extend_life(eg, refs.items[r].id, si);
                else st = push_ref(escaping, refs.items[r].depth - 1, refs.items[r].id);
            }
            free(refs.items);
            if (st) return st;
            cort_subgraph_link *links = cort_pool_calloc(&s->pool, (size_t)eg->n_children + 1, sizeof *links);
            if (!links) return cort_oom();
            if (eg->n_children) memcpy(links, eg->children, (size_t)eg->n_children * sizeof *links);
            links[eg->n_children++] = (cort_subgraph_link){sub, child};
            eg->children = links;
        }
    }
    return NULL;
}

/* A view made by an aliasing op reads its input's buffer: the input lives as long as the view.
 * Walking backwards carries the extension along chains of views. */
static void keep_alias_sources_alive(cort_exec_graph *eg) {
    for (int i = eg->n_steps - 1; i >= 0; i--) {
        const cort_step *st = &eg->steps[i];
        if (!(st->def->flags & CORT_OP_ALIAS_INPUT0) || st->node->n_inputs < 1 || st->node->n_outputs < 1) continue;
        int in = st->node->inputs[0], out = st->node->outputs[0];
        if (in >= 0 && out >= 0) extend_life(eg, in, eg->last_step[out] >= 0 ? eg->last_step[out] : i);
    }
}

/* The step after which v's memory is freed; -1 when the frame keeps it to the end (inputs, constants,
 * graph outputs and what views of them need). */
static int release_step(const cort_exec_graph *eg, int v) {
    if (eg->def_step[v] < 0 || (eg->graph->values[v].flags & CORT_VF_GRAPH_OUTPUT)) return -1;
    int at = eg->last_step[v] >= 0 ? eg->last_step[v] : eg->def_step[v];
    return at < eg->n_steps ? at : -1;
}

static cort_status *compute_release_lists(cort_session *s, cort_exec_graph *eg) {
    const cort_graph *g = eg->graph;
    int *count = calloc((size_t)eg->n_steps + 1, sizeof *count);
    if (!count) return cort_oom();
    for (int v = 0; v < g->n_values; v++) {
        int at = release_step(eg, v);
        if (at >= 0) count[at]++;
    }
    for (int i = 0; i < eg->n_steps; i++) {
        eg->steps[i].release = cort_pool_calloc(&s->pool, (size_t)count[i] + 1, sizeof(int));
        if (!eg->steps[i].release) {
            free(count);
            return cort_oom();
        }
    }
    for (int v = 0; v < g->n_values; v++) {
        int at = release_step(eg, v);
        if (at >= 0) eg->steps[at].release[eg->steps[at].n_release++] = v;
    }
    free(count);
    return NULL;
}

static bool in_mapping(const cort_model *m, const void *p, size_t size) {
    for (int i = 0; i < m->n_mappings; i++) {
        const char *base = m->mappings[i].addr;
        if ((const char *)p >= base && (const char *)p + size <= base + m->mappings[i].size) return true;
    }
    return false;
}

/* Weights a kernel packed at load into a layout of its own need not stay resident in their original form:
 * their pages of the mapped file are released at once, keeping the peak low (a reader that still needs
 * the original reads it again from the file). */
static void release_packed_inputs(cort_session *s, const cort_graph *g, const cort_step *st) {
    if (!st->state) return;
    for (int k = 0; k < st->node->n_inputs; k++) {
        const cort_tensor *t = constant_of(g, st->node->inputs[k]);
        size_t bytes = t ? cort_tensor_nbytes(t) : 0;
        if (bytes >= 65536 && in_mapping(s->model, t->data, bytes)) cort_release_mapped_pages(t->data, bytes);
    }
}

/* Reading the model touched the mapped file's pages, those of the weights the loader copied out (their
 * bytes were misaligned) among them: they all leave the resident set before the weights are packed, and
 * a weight used where it lies in the file is read again from it when touched (the mapping is read-only,
 * so nothing is lost). */
static void release_file_pages(const cort_model *m) {
    for (int i = 0; i < m->n_mappings; i++) cort_release_mapped_pages(m->mappings[i].addr, m->mappings[i].size);
}

/* Weights the loader had to copy out of the file (their bytes there were misaligned) that every step
 * reading them keeps packed: the copy is never read again (CORT_OP_PACKED_B), so its pages go back to the
 * system as soon as the last such step is prepared, before the next weight is packed: the copies and the
 * packed forms are never all resident at once. Only in a graph without subgraphs (whose readers by name
 * would not be counted here). */
typedef struct packed_copies {
    int *pending; /* per value: reads by steps not yet prepared, or -1: not a candidate / read as is */
} packed_copies;

static bool has_subgraphs(const cort_graph *g) {
    for (int i = 0; i < g->n_nodes; i++)
        for (int a = 0; a < g->nodes[i]->n_attrs; a++)
            if (g->nodes[i]->attrs[a].type == CORT_ATTR_GRAPH || g->nodes[i]->attrs[a].type == CORT_ATTR_GRAPHS)
                return true;
    return false;
}

static cort_status *find_packed_copies(cort_session *s, const cort_graph *g, bool top, packed_copies *pc) {
    pc->pending = NULL;
    if (!top || has_subgraphs(g)) return NULL;
    pc->pending = malloc(((size_t)g->n_values + 1) * sizeof *pc->pending);
    if (!pc->pending) return cort_oom();
    for (int v = 0; v < g->n_values; v++) {
        const cort_tensor *t = constant_of(g, v);
        size_t bytes = t ? cort_tensor_nbytes(t) : 0;
        bool candidate = bytes >= 65536 && !(g->values[v].flags & CORT_VF_GRAPH_OUTPUT) &&
                         !in_mapping(s->model, t->data, bytes);
        pc->pending[v] = candidate ? 0 : -1;
    }
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i]->n_inputs; k++) {
            int v = g->nodes[i]->inputs[k];
            if (v >= 0 && pc->pending[v] >= 0) pc->pending[v]++;
        }
    return NULL;
}

static void discard_packed_copies(const cort_graph *g, const cort_step *st, packed_copies *pc) {
    if (!pc->pending) return;
    for (int k = 0; k < st->node->n_inputs; k++) {
        int v = st->node->inputs[k];
        if (v < 0 || pc->pending[v] < 0) continue;
        if (k != 1 || !st->state || !(st->def->flags & CORT_OP_PACKED_B)) {
            pc->pending[v] = -1; /* read as it is */
            continue;
        }
        if (--pc->pending[v] == 0) {
            const cort_tensor *t = g->values[v].init;
            cort_discard_pages(t->data, cort_tensor_nbytes(t));
            pc->pending[v] = -1;
        }
    }
}

static cort_status *build_exec_graph(cort_session *s, cort_graph *g, const cort_exec_graph *parent,
                                     cort_exec_graph **out, ext_refs *escaping) {
    cort_exec_graph *eg = cort_pool_alloc(&s->pool, sizeof *eg);
    if (!eg) return cort_oom();
    eg->graph = g;
    eg->parent = parent;
    eg->n_steps = g->n_nodes;
    size_t nv = (size_t)g->n_values + 1;
    eg->steps = cort_pool_calloc(&s->pool, (size_t)g->n_nodes + 1, sizeof *eg->steps);
    eg->outer_ids = cort_pool_calloc(&s->pool, nv, sizeof(int));
    eg->outer_depth = cort_pool_calloc(&s->pool, nv, sizeof(int));
    eg->def_step = cort_pool_calloc(&s->pool, nv, sizeof(int));
    eg->last_step = cort_pool_calloc(&s->pool, nv, sizeof(int));
    if (!eg->steps || !eg->outer_ids || !eg->outer_depth || !eg->def_step || !eg->last_step) return cort_oom();
    for (int v = 0; v < g->n_values; v++) {
        eg->outer_ids[v] = -1;
        eg->def_step[v] = -1;
        eg->last_step[v] = -1;
        if (!(g->values[v].flags & CORT_VF_OUTER)) continue;
        int depth = 0, id = resolve_outer(g, g->values[v].name, &depth);
        if (id < 0)
            return cort_error(CORT_INVALID_GRAPH, "graph '%s': value '%s' is not defined in any enclosing graph",
                              g->name, g->values[v].name);
        eg->outer_ids[v] = id;
        eg->outer_depth[v] = depth;
        CORT_TRY(push_ref(escaping, depth, id));
    }
    packed_copies copies;
    CORT_TRY(find_packed_copies(s, g, parent == NULL, &copies));
    for (int i = 0; i < g->n_nodes; i++) {
        cort_step *st = &eg->steps[i];
        st->node = g->nodes[i];
        cort_status *bound = cort_step_bind(s, g, st, true);
        if (bound) {
            free(copies.pending);
            return bound;
        }
        release_packed_inputs(s, g, st);
        discard_packed_copies(g, st, &copies);
        cort_log(s->log_level, CORT_LOG_VERBOSE, "node '%s' (%s, opset %d): kernel of opsets %d-%d", st->node->name,
                 st->node->op_type, st->node->opset, st->def->since, st->def->until);
        for (int k = 0; k < st->node->n_outputs; k++)
            if (st->node->outputs[k] >= 0) eg->def_step[st->node->outputs[k]] = i;
        for (int k = 0; k < st->node->n_inputs; k++)
            if (st->node->inputs[k] >= 0) extend_life(eg, st->node->inputs[k], i);
        CORT_TRY(build_children(s, eg, i, escaping)); /* copies.pending is NULL where there are children */
    }
    free(copies.pending);
    for (int k = 0; k < g->n_outputs; k++) eg->last_step[g->outputs[k]] = eg->n_steps;
    keep_alias_sources_alive(eg);
    CORT_TRY(compute_release_lists(s, eg));
    *out = eg;
    return NULL;
}

/* ------------------------------------------------------------ I/O metadata */

static cort_status *describe_value(cort_session *s, const cort_graph *g, int id, cort_io_entry *e) {
    const cort_ir_value *v = &g->values[id];
    const cort_type *t = &v->type;
    e->value_id = id;
    e->info.name = v->name;
    e->info.kind = t->kind == CORT_TYPE_SPARSE_TENSOR ? CORT_TYPE_TENSOR : (int)t->kind;
    const cort_type *tensor = t;
    while ((tensor->kind == CORT_TYPE_SEQUENCE || tensor->kind == CORT_TYPE_OPTIONAL) && tensor->inner)
        tensor = tensor->inner;
    e->info.elem_type = (cort_elem_type)(tensor->kind == CORT_TYPE_TENSOR ? tensor->elem : 0);
    e->info.rank = tensor == t && t->kind == CORT_TYPE_TENSOR ? t->rank : -1;
    e->info.has_default = (v->flags & CORT_VF_INITIALIZER) != 0;
    if (e->info.rank > 0) {
        e->dims = cort_pool_calloc(&s->pool, (size_t)e->info.rank, sizeof *e->dims);
        e->dim_names = cort_pool_calloc(&s->pool, (size_t)e->info.rank, sizeof *e->dim_names);
        if (!e->dims || !e->dim_names) return cort_oom();
        for (int d = 0; d < e->info.rank; d++) {
            e->dims[d] = t->dims[d].value >= 0 ? t->dims[d].value : -1;
            e->dim_names[d] = t->dims[d].value >= 0 ? NULL : t->dims[d].symbol;
        }
    }
    e->info.dims = e->dims;
    e->info.dim_names = e->dim_names;
    return NULL;
}

static cort_status *describe_io(cort_session *s) {
    const cort_graph *g = s->model->graph;
    s->inputs = cort_pool_calloc(&s->pool, (size_t)g->n_inputs + 1, sizeof *s->inputs);
    s->outputs = cort_pool_calloc(&s->pool, (size_t)g->n_outputs + 1, sizeof *s->outputs);
    if (!s->inputs || !s->outputs) return cort_oom();
    s->n_inputs = g->n_inputs;
    s->n_outputs = g->n_outputs;
    for (int i = 0; i < g->n_inputs; i++) CORT_TRY(describe_value(s, g, g->inputs[i], &s->inputs[i]));
    for (int i = 0; i < g->n_outputs; i++) CORT_TRY(describe_value(s, g, g->outputs[i], &s->outputs[i]));
    return NULL;
}

cort_status *cort_session_prepare(cort_model *model, const cort_session_options *opts, cort_session **out) {
    *out = NULL;
    cort_session *s = calloc(1, sizeof *s);
    if (!s) {
        cort_model_free(model);
        return cort_oom();
    }
    cort_pool_init(&s->pool);
    pthread_mutex_init(&s->lock, NULL);
    s->model = model;
    s->threads = opts && opts->threads > 0 ? opts->threads : cort_physical_cores();
    s->opt_level = opts ? opts->opt_level : CORT_OPT_ALL;
    s->log_level = opts ? opts->log_level : CORT_LOG_WARNING;
    ext_refs escaping = {0};
    cort_status *st = cort_threadpool_create(s->threads, &s->threadpool);
    if (!st) st = optimize(s, opts);
    if (!st) release_file_pages(model);
    if (!st) st = build_exec_graph(s, model->graph, NULL, &s->main, &escaping);
    free(escaping.items);
    if (!st) st = describe_io(s);
    if (!st)
        cort_log(s->log_level, CORT_LOG_INFO,
                 "session: %d nodes to run (constant folding removed %d, identities %d, dead nodes %d), %d thread(s)",
                 s->main->n_steps, s->opt_stats.folded, s->opt_stats.identities, s->opt_stats.dead, s->threads);
    if (!st) st = cort_profiler_init(&s->prof, opts ? opts->profile_prefix : NULL, s->main->n_steps);
    if (st) {
        cort_session_release(s);
        return st;
    }
    *out = s;
    return NULL;
}

void cort_session_release(cort_session *s) {
    if (!s) return;
    while (s->idle) {
        cort_run_ctx *rc = s->idle;
        s->idle = *(cort_run_ctx **)rc; /* the first member of a run context links the idle stack */
        cort_run_ctx_free(rc);
    }
    for (int i = 0; i < CORT_PLAN_CACHE; i++) {
        free(s->plans[i].signature);
        free(s->plans[i].offsets);
        free(s->plans[i].sizes);
    }
    cort_threadpool_free(s->threadpool);
    cort_profiler_free(&s->prof);
    pthread_mutex_destroy(&s->lock);
    cort_pool_release(&s->pool);
    cort_model_free(s->model);
    free(s);
}
