/* IR -> ModelProto bytes: everything the reader reads, with initializers as raw_data and the known
 * types of values as value_info. Model-local functions were inlined at load, so none are written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx.h"
#include "onnx/pb.h"
#include "onnx/tensor_proto.h"

enum {
    MP_IR_VERSION = 1, MP_PRODUCER_NAME = 2, MP_PRODUCER_VERSION = 3, MP_DOMAIN = 4, MP_MODEL_VERSION = 5,
    MP_DOC_STRING = 6, MP_GRAPH = 7, MP_OPSET_IMPORT = 8, MP_METADATA_PROPS = 14
};
enum { OPSET_DOMAIN = 1, OPSET_VERSION = 2, ENTRY_KEY = 1, ENTRY_VALUE = 2 };
enum {
    GP_NODE = 1, GP_NAME = 2, GP_INITIALIZER = 5, GP_DOC_STRING = 10, GP_INPUT = 11, GP_OUTPUT = 12,
    GP_VALUE_INFO = 13
};
enum { VI_NAME = 1, VI_TYPE = 2, VI_DOC_STRING = 3 };
enum { NP_INPUT = 1, NP_OUTPUT = 2, NP_NAME = 3, NP_OP_TYPE = 4, NP_ATTRIBUTE = 5, NP_DOC_STRING = 6, NP_DOMAIN = 7 };
enum {
    AP_NAME = 1, AP_F = 2, AP_I = 3, AP_S = 4, AP_T = 5, AP_G = 6, AP_FLOATS = 7, AP_INTS = 8, AP_STRINGS = 9,
    AP_TENSORS = 10, AP_GRAPHS = 11, AP_TP = 14, AP_TYPE_PROTOS = 15, AP_TYPE = 20, AP_REF_ATTR_NAME = 21,
    AP_SPARSE_TENSOR = 22, AP_SPARSE_TENSORS = 23
};
enum {
    TY_TENSOR = 1, TY_SEQUENCE = 4, TY_MAP = 5, TY_SPARSE_TENSOR = 8, TY_OPTIONAL = 9, TY_ELEM_TYPE = 1, TY_SHAPE = 2,
    TY_MAP_KEY = 1, TY_MAP_VALUE = 2, SHAPE_DIM = 1, DIM_VALUE = 1, DIM_PARAM = 2
};
enum { SP_VALUES = 1, SP_INDICES = 2, SP_DIMS = 3 };

#define WRITE_MAX_DEPTH 64

typedef struct model_writer {
    cort_pb_writer w;
    const char *error; /* a reason the IR cannot be written, NULL when fine */
} model_writer;

static void write_type(model_writer *mw, uint32_t number, const cort_type *t, int depth);

static void write_shape_type(model_writer *mw, uint32_t kind_field, const cort_type *t) {
    cort_pb_writer *w = &mw->w;
    size_t m = cort_pb_w_begin(w, kind_field);
    if (t->elem) cort_pb_w_varint(w, TY_ELEM_TYPE, (uint64_t)t->elem);
    if (t->rank >= 0) {
        size_t shape = cort_pb_w_begin(w, TY_SHAPE);
        for (int i = 0; i < t->rank; i++) {
            size_t dim = cort_pb_w_begin(w, SHAPE_DIM);
            if (t->dims[i].value >= 0) cort_pb_w_varint(w, DIM_VALUE, (uint64_t)t->dims[i].value);
            else if (t->dims[i].symbol) cort_pb_w_string(w, DIM_PARAM, t->dims[i].symbol);
            cort_pb_w_end(w, dim);
        }
        cort_pb_w_end(w, shape);
    }
    cort_pb_w_end(w, m);
}

static void write_type(model_writer *mw, uint32_t number, const cort_type *t, int depth) {
    cort_pb_writer *w = &mw->w;
    if (depth > WRITE_MAX_DEPTH) {
        mw->error = "types nested too deeply";
        return;
    }
    size_t m = cort_pb_w_begin(w, number);
    switch (t->kind) {
    case CORT_TYPE_TENSOR: write_shape_type(mw, TY_TENSOR, t); break;
    case CORT_TYPE_SPARSE_TENSOR: write_shape_type(mw, TY_SPARSE_TENSOR, t); break;
    case CORT_TYPE_SEQUENCE:
    case CORT_TYPE_OPTIONAL: {
        size_t inner = cort_pb_w_begin(w, t->kind == CORT_TYPE_SEQUENCE ? TY_SEQUENCE : TY_OPTIONAL);
        if (t->inner) write_type(mw, TY_ELEM_TYPE, t->inner, depth + 1);
        cort_pb_w_end(w, inner);
        break;
    }
    case CORT_TYPE_MAP: {
        size_t inner = cort_pb_w_begin(w, TY_MAP);
        cort_pb_w_varint(w, TY_MAP_KEY, (uint64_t)t->elem);
        if (t->inner) write_type(mw, TY_MAP_VALUE, t->inner, depth + 1);
        cort_pb_w_end(w, inner);
        break;
    }
    default: break;
    }
    cort_pb_w_end(w, m);
}

static bool elem_is_zero(const cort_tensor *t, int64_t i, size_t es) {
    if (t->type == CORT_STRING) {
        const char *s = ((char *const *)t->data)[i];
        return !s || !*s;
    }
    const uint8_t *p = (const uint8_t *)t->data + (size_t)i * es;
    for (size_t k = 0; k < es; k++)
        if (p[k]) return false;
    return true;
}

/* A densified sparse tensor goes back out as its non-zero elements with linear indices. */
static void write_sparse(model_writer *mw, uint32_t number, const cort_tensor *t) {
    int64_t n = cort_tensor_count(t), nnz = 0;
    size_t es = cort_elem_size(t->type);
    if (n < 0 || !es) {
        mw->error = "sparse tensor with an invalid shape";
        return;
    }
    for (int64_t i = 0; i < n; i++) nnz += !elem_is_zero(t, i, es);
    cort_tensor values = {.type = t->type, .rank = 1, .dims = {nnz}};
    cort_tensor indices = {.type = CORT_INT64, .rank = 1, .dims = {nnz}};
    values.data = malloc((size_t)nnz * es + 1);
    indices.data = malloc((size_t)nnz * sizeof(int64_t) + 1);
    if (!values.data || !indices.data) {
        mw->w.failed = true;
    } else {
        int64_t k = 0;
        for (int64_t i = 0; i < n; i++) {
            if (elem_is_zero(t, i, es)) continue;
            memcpy((uint8_t *)values.data + (size_t)k * es, (const uint8_t *)t->data + (size_t)i * es, es);
            ((int64_t *)indices.data)[k++] = i;
        }
        size_t m = cort_pb_w_begin(&mw->w, number);
        cort_onnx_encode_tensor(&mw->w, SP_VALUES, &values, NULL);
        cort_onnx_encode_tensor(&mw->w, SP_INDICES, &indices, NULL);
        for (int d = 0; d < t->rank; d++) cort_pb_w_varint(&mw->w, SP_DIMS, (uint64_t)t->dims[d]);
        cort_pb_w_end(&mw->w, m);
    }
    free(values.data);
    free(indices.data);
}

static void write_graph(model_writer *mw, uint32_t number, const cort_graph *g, int depth);

static void write_attr_value(model_writer *mw, const cort_attr *a, int depth) {
    cort_pb_writer *w = &mw->w;
    switch (a->type) {
    case CORT_ATTR_FLOAT: {
        union { float f; uint32_t u; } bits = {a->f};
        cort_pb_w_fixed32(w, AP_F, bits.u);
        break;
    }
    case CORT_ATTR_INT: cort_pb_w_varint(w, AP_I, (uint64_t)a->i); break;
    case CORT_ATTR_STRING: cort_pb_w_bytes(w, AP_S, a->s, a->s ? a->s_len : 0); break;
    case CORT_ATTR_TENSOR: if (a->t) cort_onnx_encode_tensor(w, AP_T, a->t, NULL); break;
    case CORT_ATTR_SPARSE_TENSOR: if (a->t) write_sparse(mw, AP_SPARSE_TENSOR, a->t); break;
    case CORT_ATTR_GRAPH: if (a->g) write_graph(mw, AP_G, a->g, depth + 1); break;
    case CORT_ATTR_TYPE_PROTO: if (a->tp) write_type(mw, AP_TP, a->tp, depth + 1); break;
    case CORT_ATTR_FLOATS: {
        size_t m = cort_pb_w_begin(w, AP_FLOATS);
        for (int64_t k = 0; k < a->n; k++) {
            union { float f; uint32_t u; } bits = {a->floats[k]};
            uint8_t b[4] = {(uint8_t)bits.u, (uint8_t)(bits.u >> 8), (uint8_t)(bits.u >> 16), (uint8_t)(bits.u >> 24)};
            cort_pb_w_raw(w, b, 4);
        }
        cort_pb_w_end(w, m);
        break;
    }
    case CORT_ATTR_INTS: {
        size_t m = cort_pb_w_begin(w, AP_INTS);
        for (int64_t k = 0; k < a->n; k++) cort_pb_w_raw_varint(w, (uint64_t)a->ints[k]);
        cort_pb_w_end(w, m);
        break;
    }
    case CORT_ATTR_STRINGS:
        for (int64_t k = 0; k < a->n; k++)
            cort_pb_w_bytes(w, AP_STRINGS, a->strings[k], a->strings[k] ? a->string_lens[k] : 0);
        break;
    case CORT_ATTR_TENSORS:
        for (int64_t k = 0; k < a->n; k++) cort_onnx_encode_tensor(w, AP_TENSORS, &a->tensors[k], NULL);
        break;
    case CORT_ATTR_SPARSE_TENSORS:
        for (int64_t k = 0; k < a->n; k++) write_sparse(mw, AP_SPARSE_TENSORS, &a->tensors[k]);
        break;
    case CORT_ATTR_GRAPHS:
        for (int64_t k = 0; k < a->n; k++)
            if (a->graphs[k]) write_graph(mw, AP_GRAPHS, a->graphs[k], depth + 1);
        break;
    case CORT_ATTR_TYPE_PROTOS:
        for (int64_t k = 0; k < a->n; k++) write_type(mw, AP_TYPE_PROTOS, &a->type_protos[k], depth + 1);
        break;
    default: break;
    }
}

static void write_attr(model_writer *mw, const cort_attr *a, int depth) {
    cort_pb_writer *w = &mw->w;
    size_t m = cort_pb_w_begin(w, NP_ATTRIBUTE);
    cort_pb_w_string(w, AP_NAME, a->name);
    cort_pb_w_varint(w, AP_TYPE, (uint64_t)a->type);
    if (a->ref_attr_name) cort_pb_w_string(w, AP_REF_ATTR_NAME, a->ref_attr_name);
    else write_attr_value(mw, a, depth);
    cort_pb_w_end(w, m);
}

static void write_value_name(cort_pb_writer *w, uint32_t number, const cort_graph *g, int id) {
    const char *name = id >= 0 && id < g->n_values ? g->values[id].name : "";
    cort_pb_w_bytes(w, number, name, strlen(name)); /* "" marks an omitted input or output */
}

static void write_node(model_writer *mw, const cort_graph *g, const cort_node *n, int depth) {
    cort_pb_writer *w = &mw->w;
    size_t m = cort_pb_w_begin(w, GP_NODE);
    for (int i = 0; i < n->n_inputs; i++) write_value_name(w, NP_INPUT, g, n->inputs[i]);
    for (int i = 0; i < n->n_outputs; i++) write_value_name(w, NP_OUTPUT, g, n->outputs[i]);
    cort_pb_w_string(w, NP_NAME, n->name);
    cort_pb_w_string(w, NP_OP_TYPE, n->op_type);
    for (int i = 0; i < n->n_attrs; i++) write_attr(mw, &n->attrs[i], depth);
    cort_pb_w_string(w, NP_DOC_STRING, n->doc_string);
    cort_pb_w_string(w, NP_DOMAIN, n->domain);
    cort_pb_w_end(w, m);
}

static void write_value_info(model_writer *mw, uint32_t number, const cort_ir_value *v) {
    cort_pb_writer *w = &mw->w;
    size_t m = cort_pb_w_begin(w, number);
    cort_pb_w_string(w, VI_NAME, v->name);
    if (v->type.kind != CORT_TYPE_UNKNOWN) write_type(mw, VI_TYPE, &v->type, 0);
    cort_pb_w_string(w, VI_DOC_STRING, v->doc_string);
    cort_pb_w_end(w, m);
}

static void write_graph(model_writer *mw, uint32_t number, const cort_graph *g, int depth) {
    cort_pb_writer *w = &mw->w;
    if (depth > WRITE_MAX_DEPTH) {
        mw->error = "subgraphs nested too deeply";
        return;
    }
    size_t m = cort_pb_w_begin(w, number);
    for (int i = 0; i < g->n_nodes; i++) write_node(mw, g, g->nodes[i], depth);
    cort_pb_w_string(w, GP_NAME, g->name);
    for (int v = 0; v < g->n_values; v++)
        if ((g->values[v].flags & CORT_VF_INITIALIZER) && g->values[v].init)
            cort_onnx_encode_tensor(w, GP_INITIALIZER, g->values[v].init, g->values[v].name);
    cort_pb_w_string(w, GP_DOC_STRING, g->doc_string);
    for (int i = 0; i < g->n_inputs; i++) write_value_info(mw, GP_INPUT, &g->values[g->inputs[i]]);
    for (int i = 0; i < g->n_outputs; i++) write_value_info(mw, GP_OUTPUT, &g->values[g->outputs[i]]);
    for (int v = 0; v < g->n_values; v++) {
        const cort_ir_value *val = &g->values[v];
        if (!*val->name || val->type.kind == CORT_TYPE_UNKNOWN) continue;
        /* an element type still unknown is not expressible in ONNX: say nothing rather than "0" */
        if (val->type.kind == CORT_TYPE_TENSOR && val->type.elem == 0) continue;
        if (val->flags & (CORT_VF_GRAPH_INPUT | CORT_VF_GRAPH_OUTPUT | CORT_VF_INITIALIZER)) continue;
        write_value_info(mw, GP_VALUE_INFO, val);
    }
    cort_pb_w_end(w, m);
}

/* The opset each domain's nodes use. Nodes inlined from a model-local function carry the function's
 * imports, which may differ from the model's; a flat model can state only one version per domain. */
typedef struct domain_opsets {
    cort_opset *list;
    int n, cap;
    const char *conflict; /* a domain whose nodes use two versions */
} domain_opsets;

static bool note_opset(domain_opsets *d, const char *domain, int64_t version) {
    for (int i = 0; i < d->n; i++)
        if (!strcmp(d->list[i].domain, domain)) {
            if (d->list[i].version != version) d->conflict = d->list[i].domain;
            return true;
        }
    if (d->n == d->cap) {
        int cap = d->cap ? d->cap * 2 : 8;
        cort_opset *l = realloc(d->list, (size_t)cap * sizeof *l);
        if (!l) return false;
        d->list = l;
        d->cap = cap;
    }
    d->list[d->n++] = (cort_opset){domain, version};
    return true;
}

static bool collect_opsets(domain_opsets *d, const cort_graph *g, int depth) {
    if (depth > WRITE_MAX_DEPTH) return true; /* write_graph reports it */
    for (int i = 0; i < g->n_nodes; i++) {
        const cort_node *n = g->nodes[i];
        if (!note_opset(d, n->domain, n->opset)) return false;
        for (int a = 0; a < n->n_attrs; a++) {
            if (n->attrs[a].g && !collect_opsets(d, n->attrs[a].g, depth + 1)) return false;
            for (int64_t k = 0; n->attrs[a].graphs && k < n->attrs[a].n; k++)
                if (n->attrs[a].graphs[k] && !collect_opsets(d, n->attrs[a].graphs[k], depth + 1)) return false;
        }
    }
    return true;
}

static void write_opset(cort_pb_writer *w, const char *domain, int64_t version) {
    size_t o = cort_pb_w_begin(w, MP_OPSET_IMPORT);
    cort_pb_w_string(w, OPSET_DOMAIN, domain);
    cort_pb_w_varint(w, OPSET_VERSION, (uint64_t)version);
    cort_pb_w_end(w, o);
}

/* The model's imports, with the version its nodes actually use where that differs, plus domains only
 * inlined function bodies imported. */
static void write_opsets(model_writer *mw, const cort_model *m) {
    domain_opsets used = {0};
    if (!collect_opsets(&used, m->graph, 0)) {
        mw->w.failed = true;
    } else if (used.conflict) {
        mw->error = "nodes of one domain use two opset versions (inlined from a function with its own imports)";
    } else {
        for (int i = 0; i < m->n_opsets; i++) {
            const char *d = strcmp(m->opsets[i].domain, "ai.onnx") ? m->opsets[i].domain : "";
            int64_t v = m->opsets[i].version;
            for (int k = 0; k < used.n; k++)
                if (!strcmp(used.list[k].domain, d)) v = used.list[k].version;
            write_opset(&mw->w, m->opsets[i].domain, v);
        }
        for (int k = 0; k < used.n; k++)
            if (cort_model_opset(m, used.list[k].domain) < 0)
                write_opset(&mw->w, used.list[k].domain, used.list[k].version);
    }
    free(used.list);
}

static void write_model(model_writer *mw, const cort_model *m) {
    cort_pb_writer *w = &mw->w;
    cort_pb_w_varint(w, MP_IR_VERSION, (uint64_t)m->ir_version);
    cort_pb_w_string(w, MP_PRODUCER_NAME, m->producer_name);
    cort_pb_w_string(w, MP_PRODUCER_VERSION, m->producer_version);
    cort_pb_w_string(w, MP_DOMAIN, m->domain);
    if (m->model_version) cort_pb_w_varint(w, MP_MODEL_VERSION, (uint64_t)m->model_version);
    cort_pb_w_string(w, MP_DOC_STRING, m->doc_string);
    write_graph(mw, MP_GRAPH, m->graph, 0);
    write_opsets(mw, m);
    for (int i = 0; i < m->n_meta; i++) {
        size_t e = cort_pb_w_begin(w, MP_METADATA_PROPS);
        cort_pb_w_string(w, ENTRY_KEY, m->meta_keys[i]);
        cort_pb_w_string(w, ENTRY_VALUE, m->meta_values[i]);
        cort_pb_w_end(w, e);
    }
}

cort_status *cort_onnx_write_model(const cort_model *m, void **out, size_t *size) {
    *out = NULL;
    *size = 0;
    if (!m || !m->graph) return cort_error(CORT_INVALID_ARGUMENT, "cannot write a model without a graph");
    model_writer mw;
    memset(&mw, 0, sizeof mw);
    write_model(&mw, m);
    if (mw.error || mw.w.failed) {
        cort_pb_writer_free(&mw.w);
        return mw.error ? cort_error(CORT_INVALID_GRAPH, "cannot write the model: %s", mw.error) : cort_oom();
    }
    *out = mw.w.buf;
    *size = mw.w.len;
    return NULL;
}

cort_status *cort_onnx_save_model(const cort_model *m, const char *path) {
    void *bytes;
    size_t size;
    CORT_TRY(cort_onnx_write_model(m, &bytes, &size));
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(bytes);
        return cort_error(CORT_FAIL, "cannot create '%s'", path);
    }
    bool ok = fwrite(bytes, 1, size, f) == size;
    ok = fclose(f) == 0 && ok;
    free(bytes);
    return ok ? NULL : cort_error(CORT_FAIL, "cannot write '%s'", path);
}
