#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"

/* ------------------------------------------------------------------ model */

cort_status *cort_model_new(cort_model **out) {
    cort_model *m = calloc(1, sizeof *m);
    if (!m) return cort_oom();
    cort_pool_init(&m->pool);
    m->producer_name = m->producer_version = m->domain = m->doc_string = "";
    *out = m;
    return NULL;
}

#include "base/file_map.h"

static void free_graph_indexes(cort_graph *g);

void cort_model_free(cort_model *model) {
    if (!model) return;
    if (model->graph) free_graph_indexes(model->graph);
    for (int i = 0; i < model->n_mappings; i++) cort_unmap_file(model->mappings[i].addr, model->mappings[i].size);
    free(model->mappings);
    cort_pool_release(&model->pool);
    free(model);
}

cort_status *cort_model_add_mapping(cort_model *model, void *addr, size_t size) {
    if (model->n_mappings == model->cap_mappings) {
        int cap = model->cap_mappings ? model->cap_mappings * 2 : 4;
        cort_mapping *m = realloc(model->mappings, (size_t)cap * sizeof *m);
        if (!m) return cort_oom();
        model->mappings = m;
        model->cap_mappings = cap;
    }
    model->mappings[model->n_mappings++] = (cort_mapping){addr, size};
    return NULL;
}

int64_t cort_model_opset(const cort_model *model, const char *domain) {
    if (!strcmp(domain, "ai.onnx")) domain = "";
    for (int i = 0; i < model->n_opsets; i++) {
        const char *d = model->opsets[i].domain;
        if (!strcmp(d, "ai.onnx")) d = "";
        if (!strcmp(d, domain)) return model->opsets[i].version;
    }
    return -1;
}

/* ------------------------------------------------------------------ graph
 * Arrays of a graph grow with realloc (the optimizer adds nodes and values), so they are heap memory
 * released through the model's list of graphs; names and nodes live in the pool. */

cort_graph *cort_graph_new(cort_pool *pool, cort_graph *parent, const char *name) {
    cort_graph *g = cort_pool_alloc(pool, sizeof *g);
    if (!g) return NULL;
    g->pool = pool;
    g->parent = parent;
    g->name = cort_pool_strdup(pool, name ? name : "");
    g->doc_string = "";
    return g->name ? g : NULL;
}

static void free_one_graph(cort_graph *g) {
    for (int i = 0; i < g->n_nodes; i++) {
        cort_node *n = g->nodes[i];
        for (int a = 0; a < n->n_attrs; a++) {
            if (n->attrs[a].g) free_one_graph(n->attrs[a].g);
            for (int64_t k = 0; n->attrs[a].graphs && k < n->attrs[a].n; k++)
                if (n->attrs[a].graphs[k]) free_one_graph(n->attrs[a].graphs[k]);
        }
    }
    free(g->values);
    free(g->nodes);
    free(g->inputs);
    free(g->outputs);
    free(g->index.slots);
    g->values = NULL;
    g->nodes = NULL;
    g->inputs = g->outputs = NULL;
    g->index.slots = NULL;
    g->n_values = g->n_nodes = g->n_inputs = g->n_outputs = 0;
    g->cap_values = g->cap_nodes = g->cap_inputs = g->cap_outputs = 0;
    g->index.cap = 0;
}

static void free_graph_indexes(cort_graph *g) { free_one_graph(g); }

static uint32_t hash_name(const char *s) {
    uint32_t h = 2166136261u;
    while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

static int index_lookup(const cort_graph *g, const char *name) {
    if (!g->index.cap) return -1;
    uint32_t mask = (uint32_t)g->index.cap - 1;
    for (uint32_t i = hash_name(name) & mask;; i = (i + 1) & mask) {
        int slot = g->index.slots[i];
        if (!slot) return -1;
        if (!strcmp(g->values[slot - 1].name, name)) return slot - 1;
    }
}

static void index_insert(cort_graph *g, int id) {
    uint32_t mask = (uint32_t)g->index.cap - 1;
    uint32_t i = hash_name(g->values[id].name) & mask;
    while (g->index.slots[i]) i = (i + 1) & mask;
    g->index.slots[i] = id + 1;
}

static bool index_grow(cort_graph *g) {
    int cap = g->index.cap ? g->index.cap * 2 : 64;
    int *slots = calloc((size_t)cap, sizeof *slots);
    if (!slots) return false;
    free(g->index.slots);
    g->index.slots = slots;
    g->index.cap = cap;
    for (int v = 0; v < g->n_values; v++) index_insert(g, v);
    return true;
}

int cort_graph_find(const cort_graph *g, const char *name) {
    if (!name || !*name) return -1;
    return index_lookup(g, name);
}

static bool grow(void **arr, int *cap, int need, size_t elem) {
    if (need <= *cap) return true;
    int c = *cap ? *cap : 8;
    while (c < need) c *= 2;
    void *p = realloc(*arr, (size_t)c * elem);
    if (!p) return false;
    memset((char *)p + (size_t)*cap * elem, 0, (size_t)(c - *cap) * elem);
    *arr = p;
    *cap = c;
    return true;
}

int cort_graph_value(cort_graph *g, const char *name) {
    int id = cort_graph_find(g, name);
    if (id >= 0) return id;
    if (!grow((void **)&g->values, &g->cap_values, g->n_values + 1, sizeof *g->values)) return -1;
    if ((g->n_values + 1) * 2 > g->index.cap && !index_grow(g)) return -1;
    cort_ir_value *v = &g->values[g->n_values];
    memset(v, 0, sizeof *v);
    v->name = cort_pool_strdup(g->pool, name);
    if (!v->name) return -1;
    v->producer = -1;
    v->doc_string = "";
    v->type.rank = -1;
    id = g->n_values++;
    if (*name) index_insert(g, id);
    return id;
}

cort_node *cort_graph_add_node(cort_graph *g, const char *op_type, const char *domain, const char *name,
                               int n_inputs, int n_outputs, int n_attrs) {
    if (!grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof *g->nodes)) return NULL;
    cort_node *n = cort_pool_alloc(g->pool, sizeof *n);
    if (!n) return NULL;
    if (!strcmp(domain, "ai.onnx")) domain = "";
    n->op_type = cort_pool_strdup(g->pool, op_type);
    n->domain = cort_pool_strdup(g->pool, domain);
    n->name = cort_pool_strdup(g->pool, name ? name : "");
    n->doc_string = "";
    n->inputs = cort_pool_calloc(g->pool, (size_t)n_inputs + 1, sizeof(int));
    n->outputs = cort_pool_calloc(g->pool, (size_t)n_outputs + 1, sizeof(int));
    n->attrs = cort_pool_calloc(g->pool, (size_t)n_attrs + 1, sizeof(cort_attr));
    if (!n->op_type || !n->domain || !n->name || !n->inputs || !n->outputs || !n->attrs) return NULL;
    n->n_inputs = n_inputs;
    n->n_outputs = n_outputs;
    n->n_attrs = n_attrs;
    for (int i = 0; i < n_inputs; i++) n->inputs[i] = -1;
    for (int i = 0; i < n_outputs; i++) n->outputs[i] = -1;
    g->nodes[g->n_nodes++] = n;
    return n;
}

cort_status *cort_graph_add_input(cort_graph *g, int value_id) {
    if (!grow((void **)&g->inputs, &g->cap_inputs, g->n_inputs + 1, sizeof(int))) return cort_oom();
    g->inputs[g->n_inputs++] = value_id;
    g->values[value_id].flags |= CORT_VF_GRAPH_INPUT;
    return NULL;
}

cort_status *cort_graph_add_output(cort_graph *g, int value_id) {
    if (!grow((void **)&g->outputs, &g->cap_outputs, g->n_outputs + 1, sizeof(int))) return cort_oom();
    g->outputs[g->n_outputs++] = value_id;
    g->values[value_id].flags |= CORT_VF_GRAPH_OUTPUT;
    return NULL;
}

/* ------------------------------------------------------------- attributes */

const cort_attr *cort_node_attr(const cort_node *node, const char *name) {
    for (int i = 0; i < node->n_attrs; i++)
        if (!strcmp(node->attrs[i].name, name)) return &node->attrs[i];
    return NULL;
}

int64_t cort_attr_int(const cort_node *node, const char *name, int64_t dflt) {
    const cort_attr *a = cort_node_attr(node, name);
    if (!a) return dflt;
    if (a->type == CORT_ATTR_FLOAT) return (int64_t)a->f;
    return a->i;
}

float cort_attr_float(const cort_node *node, const char *name, float dflt) {
    const cort_attr *a = cort_node_attr(node, name);
    if (!a) return dflt;
    if (a->type == CORT_ATTR_INT) return (float)a->i;
    return a->f;
}

const char *cort_attr_string(const cort_node *node, const char *name, const char *dflt) {
    const cort_attr *a = cort_node_attr(node, name);
    return a && a->type == CORT_ATTR_STRING && a->s ? a->s : dflt;
}

int64_t cort_attr_ints(const cort_node *node, const char *name, const int64_t **vals) {
    const cort_attr *a = cort_node_attr(node, name);
    if (!a || a->type != CORT_ATTR_INTS) return -1;
    *vals = a->ints;
    return a->n;
}

int64_t cort_attr_floats(const cort_node *node, const char *name, const float **vals) {
    const cort_attr *a = cort_node_attr(node, name);
    if (!a || a->type != CORT_ATTR_FLOATS) return -1;
    *vals = a->floats;
    return a->n;
}

cort_status *cort_node_error(const cort_node *node, cort_code code, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cort_error(code, "node '%s' (%s%s%s, opset %d): %s", node->name, node->domain,
                      *node->domain ? "::" : "", node->op_type, node->opset, msg);
}

/* ------------------------------------------------------------------ types */

void cort_type_set_tensor(cort_type *t, int32_t elem, int rank, cort_dim *dims) {
    t->kind = CORT_TYPE_TENSOR;
    t->elem = elem;
    t->rank = rank;
    t->dims = dims;
    t->inner = NULL;
}

static size_t append(char *buf, size_t size, size_t used, const char *fmt, ...) CORT_PRINTF(4, 5);
static size_t append(char *buf, size_t size, size_t used, const char *fmt, ...) {
    if (used >= size) return used;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + used, size - used, fmt, ap);
    va_end(ap);
    return n < 0 ? used : used + (size_t)n;
}

static size_t type_str(const cort_type *t, char *buf, size_t size, size_t used) {
    switch (t->kind) {
    case CORT_TYPE_TENSOR:
    case CORT_TYPE_SPARSE_TENSOR:
        used = append(buf, size, used, "%s(%s)", t->kind == CORT_TYPE_TENSOR ? "tensor" : "sparse_tensor",
                      cort_type_name(t->elem));
        if (t->rank < 0) return used;
        used = append(buf, size, used, "[");
        for (int i = 0; i < t->rank; i++) {
            const cort_dim *d = &t->dims[i];
            if (d->value >= 0) used = append(buf, size, used, "%s%lld", i ? "," : "", (long long)d->value);
            else used = append(buf, size, used, "%s%s", i ? "," : "", d->symbol ? d->symbol : "?");
        }
        return append(buf, size, used, "]");
    case CORT_TYPE_SEQUENCE:
    case CORT_TYPE_OPTIONAL:
        used = append(buf, size, used, t->kind == CORT_TYPE_SEQUENCE ? "seq(" : "optional(");
        if (t->inner) used = type_str(t->inner, buf, size, used);
        return append(buf, size, used, ")");
    case CORT_TYPE_MAP:
        used = append(buf, size, used, "map(%s,", cort_type_name(t->elem));
        if (t->inner) used = type_str(t->inner, buf, size, used);
        return append(buf, size, used, ")");
    default:
        return append(buf, size, used, "unknown");
    }
}

const char *cort_type_str(const cort_type *t, char *buf, size_t size) {
    if (size) buf[0] = 0;
    type_str(t, buf, size, 0);
    return buf;
}

cort_status *cort_type_copy(cort_pool *pool, cort_type *dst, const cort_type *src) {
    *dst = *src;
    if (src->rank > 0 && src->dims) {
        dst->dims = cort_pool_calloc(pool, (size_t)src->rank, sizeof *dst->dims);
        if (!dst->dims) return cort_oom();
        memcpy(dst->dims, src->dims, (size_t)src->rank * sizeof *dst->dims);
    }
    if (src->inner) {
        dst->inner = cort_pool_alloc(pool, sizeof *dst->inner);
        if (!dst->inner) return cort_oom();
        CORT_TRY(cort_type_copy(pool, dst->inner, src->inner));
    }
    return NULL;
}
