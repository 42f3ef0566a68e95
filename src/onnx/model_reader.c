/* ModelProto -> IR: the model, its graphs, nodes, attributes and types. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file_map.h"
#include "onnx/onnx.h"
#include "onnx/reader.h"
#include "ops/op.h"

enum { /* ModelProto */
    MP_IR_VERSION = 1, MP_PRODUCER_NAME = 2, MP_PRODUCER_VERSION = 3, MP_DOMAIN = 4, MP_MODEL_VERSION = 5,
    MP_DOC_STRING = 6, MP_GRAPH = 7, MP_OPSET_IMPORT = 8, MP_METADATA_PROPS = 14
};
enum { OPSET_DOMAIN = 1, OPSET_VERSION = 2, ENTRY_KEY = 1, ENTRY_VALUE = 2 };
enum { /* GraphProto */
    GP_NODE = 1, GP_NAME = 2, GP_INITIALIZER = 5, GP_DOC_STRING = 10, GP_INPUT = 11, GP_OUTPUT = 12,
    GP_VALUE_INFO = 13, GP_SPARSE_INITIALIZER = 15
};
enum { VI_NAME = 1, VI_TYPE = 2, VI_DOC_STRING = 3 };
enum { /* NodeProto */
    NP_INPUT = 1, NP_OUTPUT = 2, NP_NAME = 3, NP_OP_TYPE = 4, NP_ATTRIBUTE = 5, NP_DOC_STRING = 6,
    NP_DOMAIN = 7, NP_OVERLOAD = 8
};
enum { /* AttributeProto */
    AP_NAME = 1, AP_F = 2, AP_I = 3, AP_S = 4, AP_T = 5, AP_G = 6, AP_FLOATS = 7, AP_INTS = 8, AP_STRINGS = 9,
    AP_TENSORS = 10, AP_GRAPHS = 11, AP_DOC_STRING = 13, AP_TP = 14, AP_TYPE_PROTOS = 15, AP_TYPE = 20,
    AP_REF_ATTR_NAME = 21, AP_SPARSE_TENSOR = 22, AP_SPARSE_TENSORS = 23
};
enum { /* TypeProto */
    TY_TENSOR = 1, TY_SEQUENCE = 4, TY_MAP = 5, TY_SPARSE_TENSOR = 8, TY_OPTIONAL = 9,
    TY_ELEM_TYPE = 1, TY_SHAPE = 2, TY_MAP_KEY = 1, TY_MAP_VALUE = 2, SHAPE_DIM = 1, DIM_VALUE = 1, DIM_PARAM = 2
};

/* Adds context to an error unless its message is already long (deep nesting would otherwise repeat
 * the same context once per level). */
static cort_status *with_context(cort_status *st, const char *fmt, const char *a, const char *b) {
    if (!st || st->code == CORT_OUT_OF_MEMORY || strlen(cort_status_message(st)) > 400) return st;
    return cort_error_wrap(st, fmt, a, b);
}

static cort_status *bad(const char *what, const char *why) {
    return cort_error(CORT_INVALID_PROTOBUF, "%s: %s", what, why);
}

static cort_status *malformed(const char *what, const cort_pb_reader *r) {
    return cort_error(CORT_INVALID_PROTOBUF, "malformed %s: %s", what, r->error);
}

/* A pool copy of a string field, checking the wire type. */
static cort_status *read_string(cort_pool *pool, const cort_pb_field *f, const char *what, const char **out) {
    if (f->wire != CORT_PB_LEN) return bad(what, "string field with a wrong wire type");
    *out = cort_pool_strndup(pool, (const char *)f->data, f->len);
    return *out ? NULL : cort_oom();
}

static cort_status *read_varint(const cort_pb_field *f, const char *what, int64_t *out) {
    if (f->wire != CORT_PB_VARINT) return bad(what, "integer field with a wrong wire type");
    *out = (int64_t)f->u;
    return NULL;
}

static cort_status *expect_message(const cort_pb_field *f, const char *what) {
    return f->wire == CORT_PB_LEN ? NULL : bad(what, "message field with a wrong wire type");
}

static int count_fields(const uint8_t *msg, size_t len, uint32_t number) {
    cort_pb_reader r;
    cort_pb_field f;
    int n = 0;
    cort_pb_init(&r, msg, len);
    while (cort_pb_next(&r, &f) > 0)
        if (f.number == number && n < INT_MAX) n++;
    return n;
}

/* ------------------------------------------------------------------ types */

static cort_status *load_type(cort_loader *L, const uint8_t *msg, size_t len, cort_type *t, int depth);

static cort_status *check_elem(int64_t elem, const char *what) {
    if (elem == 0 || (elem > 0 && elem <= INT32_MAX && cort_elem_type_valid((int32_t)elem))) return NULL;
    return cort_error(CORT_INVALID_PROTOBUF, "%s: unknown element type %lld", what, (long long)elem);
}

static cort_status *load_dim(cort_pool *pool, const uint8_t *msg, size_t len, cort_dim *d) {
    cort_pb_reader r;
    cort_pb_field f;
    int rc;
    d->value = -1;
    d->symbol = NULL;
    cort_pb_init(&r, msg, len);
    while ((rc = cort_pb_next(&r, &f)) > 0) {
        if (f.number == DIM_VALUE) {
            int64_t v = 0;
            CORT_TRY(read_varint(&f, "TensorShapeProto.Dimension", &v));
            /* some exporters write -1 for "unknown"; any negative value reads as unknown */
            d->value = v >= 0 ? v : -1;
            d->symbol = NULL;
        } else if (f.number == DIM_PARAM) {
            CORT_TRY(read_string(pool, &f, "TensorShapeProto.Dimension", &d->symbol));
            d->value = -1;
            if (!*d->symbol) d->symbol = NULL;
        }
    }
    return rc < 0 ? malformed("TensorShapeProto.Dimension", &r) : NULL;
}

static cort_status *load_shape(cort_pool *pool, const uint8_t *msg, size_t len, cort_type *t) {
    int n = count_fields(msg, len, SHAPE_DIM);
    if (n > CORT_MAX_RANK) return bad("TensorShapeProto", "more than 16 dimensions");
    t->rank = n;
    t->dims = n ? cort_pool_calloc(pool, (size_t)n, sizeof *t->dims) : NULL;
    if (n && !t->dims) return cort_oom();
    cort_pb_reader r;
    cort_pb_field f;
    int rc, k = 0;
    cort_pb_init(&r, msg, len);
    while ((rc = cort_pb_next(&r, &f)) > 0 && k < n) {
        if (f.number != SHAPE_DIM) continue;
        CORT_TRY(expect_message(&f, "TensorShapeProto"));
        CORT_TRY(load_dim(pool, f.data, f.len, &t->dims[k++]));
    }
    return rc < 0 ? malformed("TensorShapeProto", &r) : NULL;
}

static cort_status *load_tensor_type(cort_loader *L, const uint8_t *msg, size_t len, cort_type *t) {
    cort_pb_reader r;
    cort_pb_field f;
    int rc;
    t->rank = -1;
    cort_pb_init(&r, msg, len);
    while ((rc = cort_pb_next(&r, &f)) > 0) {
        if (f.number == TY_ELEM_TYPE) {
            int64_t e = 0;
            CORT_TRY(read_varint(&f, "TypeProto.Tensor", &e));
            CORT_TRY(check_elem(e, "TypeProto.Tensor"));
            t->elem = (int32_t)e;
        } else if (f.number == TY_SHAPE) {
            CORT_TRY(expect_message(&f, "TypeProto.Tensor"));
            CORT_TRY(load_shape(&L->model->pool, f.data, f.len, t));
        }
    }
    return rc < 0 ? malformed("TypeProto.Tensor", &r) : NULL;
}

/* Sequence, optional and map types: one nested TypeProto (field `inner_field`), and for maps a key type. */
static cort_status *load_wrapper_type(cort_loader *L, const uint8_t *msg, size_t len, uint32_t inner_field,
                                      cort_type *t, int depth) {
    cort_pb_reader r;
    cort_pb_field f;
    int rc;
    cort_pb_init(&r, msg, len);
    while ((rc = cort_pb_next(&r, &f)) > 0) {
        if (f.number == inner_field) {
            CORT_TRY(expect_message(&f, "TypeProto"));
            t->inner = cort_pool_alloc(&L->model->pool, sizeof *t->inner);
            if (!t->inner) return cort_oom();
            CORT_TRY(load_type(L, f.data, f.len, t->inner, depth + 1));
        } else if (t->kind == CORT_TYPE_MAP && f.number == TY_MAP_KEY) {
            int64_t e = 0;
            CORT_TRY(read_varint(&f, "TypeProto.Map", &e));
            CORT_TRY(check_elem(e, "TypeProto.Map"));
            t->elem = (int32_t)e;
        }
    }
    return rc < 0 ? malformed("TypeProto", &r) : NULL;
}

static cort_status *load_type(cort_loader *L, const uint8_t *msg, size_t len, cort_type *t, int depth) {
    memset(t, 0, sizeof *t);
    t->rank = -1;
    if (depth > CORT_PB_MAX_DEPTH) return bad("TypeProto", "types nested too deeply");
    cort_pb_reader r;
    cort_pb_field f;
    int rc;
    cort_pb_init(&r, msg, len);
    while ((rc = cort_pb_next(&r, &f)) > 0) {
        switch (f.number) {
        case TY_TENSOR:
        case TY_SPARSE_TENSOR:
            CORT_TRY(expect_message(&f, "TypeProto"));
            memset(t, 0, sizeof *t);
            t->kind = f.number == TY_TENSOR ? CORT_TYPE_TENSOR : CORT_TYPE_SPARSE_TENSOR;
            CORT_TRY(load_tensor_type(L, f.data, f.len, t));
            break;
        case TY_SEQUENCE:
        case TY_OPTIONAL:
        case TY_MAP:
            CORT_TRY(expect_message(&f, "TypeProto"));
            memset(t, 0, sizeof *t);
            t->rank = -1;
            t->kind = f.number == TY_SEQUENCE ? CORT_TYPE_SEQUENCE
                      : f.number == TY_OPTIONAL ? CORT_TYPE_OPTIONAL : CORT_TYPE_MAP;
            CORT_TRY(load_wrapper_type(L, f.data, f.len, f.number == TY_MAP ? TY_MAP_VALUE : TY_ELEM_TYPE, t,
                                       depth));
            break;
        default: break;
        }
    }
    return rc < 0 ? malformed("TypeProto", &r) : NULL;
}

/* ------------------------------------------------------------------ tensors */

static cort_status *load_tensor(cort_loader *L, const uint8_t *msg, size_t len, bool sparse, cort_tensor **out,
                                const char **name) {
    cort_tensor *t = cort_pool_alloc(&L->model->pool, sizeof *t);
    if (!t) return cort_oom();
    const char *nm = NULL;
    size_t nl = 0;
    CORT_TRY(sparse ? cort_onnx_decode_sparse(msg, len, &L->env, t, &nm, &nl)
                    : cort_onnx_decode_tensor(msg, len, &L->env, t, &nm, &nl));
    if (name) {
        *name = cort_pool_strndup(&L->model->pool, nm ? nm : "", nl);
        if (!*name) return cort_oom();
    }
    *out = t;
    return NULL;
}

static cort_status *type_from_tensor(cort_pool *pool, const cort_tensor *t, cort_type *ty) {
    cort_dim *dims = t->rank ? cort_pool_calloc(pool, (size_t)t->rank, sizeof *dims) : NULL;
    if (t->rank && !dims) return cort_oom();
    for (int i = 0; i < t->rank; i++) dims[i].value = t->dims[i];
    cort_type_set_tensor(ty, t->type, t->rank, dims);
    return NULL;
}

/* ------------------------------------------------------------------ attributes */

typedef struct attr_fields {
    const char *name, *ref, *doc;
    int64_t type;
    bool has_f, has_i, has_s, has_t, has_g, has_tp, has_sparse;
    cort_pb_field f, i, s, t, g, tp, sparse;
    int64_t n_floats, n_ints;
    int n_strings, n_tensors, n_graphs, n_sparse, n_tps;
} attr_fields;

static cort_status *scan_attr(cort_pool *pool, const uint8_t *msg, size_t len, attr_fields *af) {
    memset(af, 0, sizeof *af);
    af->name = af->ref = af->doc = "";
    cort_pb_reader r;
    cort_pb_field f;
    int rc;
    cort_pb_init(&r, msg, len);
    while ((rc = cort_pb_next(&r, &f)) > 0) {
        switch (f.number) {
        case AP_NAME: CORT_TRY(read_string(pool, &f, "AttributeProto", &af->name)); break;
        case AP_REF_ATTR_NAME: CORT_TRY(read_string(pool, &f, "AttributeProto", &af->ref)); break;
        case AP_DOC_STRING: CORT_TRY(read_string(pool, &f, "AttributeProto", &af->doc)); break;
        case AP_TYPE: CORT_TRY(read_varint(&f, "AttributeProto", &af->type)); break;
        case AP_F: af->f = f; af->has_f = true; break;
        case AP_I: af->i = f; af->has_i = true; break;
        case AP_S: af->s = f; af->has_s = true; break;
        case AP_T: af->t = f; af->has_t = true; break;
        case AP_G: af->g = f; af->has_g = true; break;
        case AP_TP: af->tp = f; af->has_tp = true; break;
        case AP_SPARSE_TENSOR: af->sparse = f; af->has_sparse = true; break;
        case AP_STRINGS: af->n_strings++; break;
        case AP_TENSORS: af->n_tensors++; break;
        case AP_GRAPHS: af->n_graphs++; break;
        case AP_SPARSE_TENSORS: af->n_sparse++; break;
        case AP_TYPE_PROTOS: af->n_tps++; break;
        default: break;
        }
    }
    if (rc < 0) return malformed("AttributeProto", &r);
    const char *why = NULL;
    af->n_floats = cort_pb_repeated_count(msg, len, AP_FLOATS, CORT_PB_FIXED32, &why);
    if (af->n_floats >= 0) af->n_ints = cort_pb_repeated_count(msg, len, AP_INTS, CORT_PB_VARINT, &why);
    if (af->n_floats < 0 || af->n_ints < 0) return bad("AttributeProto", why);
    return NULL;
}

/* Attributes written before IR version 3 have no type field: the field that is present says it. */
static int64_t infer_attr_type(const attr_fields *af) {
    if (af->has_f) return CORT_ATTR_FLOAT;
    if (af->has_i) return CORT_ATTR_INT;
    if (af->has_s) return CORT_ATTR_STRING;
    if (af->has_t) return CORT_ATTR_TENSOR;
    if (af->has_g) return CORT_ATTR_GRAPH;
    if (af->has_sparse) return CORT_ATTR_SPARSE_TENSOR;
    if (af->has_tp) return CORT_ATTR_TYPE_PROTO;
    if (af->n_floats) return CORT_ATTR_FLOATS;
    if (af->n_ints) return CORT_ATTR_INTS;
    if (af->n_strings) return CORT_ATTR_STRINGS;
    if (af->n_tensors) return CORT_ATTR_TENSORS;
    if (af->n_graphs) return CORT_ATTR_GRAPHS;
    if (af->n_sparse) return CORT_ATTR_SPARSE_TENSORS;
    if (af->n_tps) return CORT_ATTR_TYPE_PROTOS;
    return CORT_ATTR_UNDEFINED;
}

static cort_status *attr_error(const attr_fields *af, const char *why) {
    return cort_error(CORT_INVALID_PROTOBUF, "attribute '%s': %s", af->name, why);
}

static cort_status *load_subgraph(cort_loader *L, cort_graph *g, const attr_fields *af, const cort_pb_field *f,
                                  const cort_fn_scope *scope, int depth, cort_graph **slot) {
    CORT_TRY(expect_message(f, "AttributeProto.g"));
    cort_graph *sub = cort_graph_new(g->pool, g, af->name);
    if (!sub) return cort_oom();
    *slot = sub; /* attached before loading, so that a failure still releases its arrays */
    cort_status *st = cort_onnx_load_graph(L, sub, f->data, f->len, scope, depth + 1);
    return with_context(st, "in subgraph '%s'%s: ", af->name, "");
}

static cort_status *load_scalar_attr(cort_loader *L, cort_graph *g, const attr_fields *af, cort_attr *a,
                                     const cort_fn_scope *scope, int depth) {
    cort_pool *pool = g->pool;
    switch (a->type) {
    case CORT_ATTR_FLOAT:
        if (!af->has_f) return NULL;
        if (af->f.wire != CORT_PB_FIXED32) return attr_error(af, "f is not a fixed32");
        a->f = cort_pb_as_float(af->f.u);
        return NULL;
    case CORT_ATTR_INT:
        if (!af->has_i) return NULL;
        return read_varint(&af->i, "AttributeProto.i", &a->i);
    case CORT_ATTR_STRING:
        if (!af->has_s) {
            a->s = "";
            return NULL;
        }
        CORT_TRY(read_string(pool, &af->s, "AttributeProto.s", &a->s));
        a->s_len = af->s.len;
        return NULL;
    case CORT_ATTR_TENSOR:
    case CORT_ATTR_SPARSE_TENSOR: {
        bool sparse = a->type == CORT_ATTR_SPARSE_TENSOR;
        const cort_pb_field *f = sparse ? &af->sparse : &af->t;
        if (!(sparse ? af->has_sparse : af->has_t)) return attr_error(af, "tensor value missing");
        CORT_TRY(expect_message(f, "AttributeProto.t"));
        return load_tensor(L, f->data, f->len, sparse, &a->t, NULL);
    }
    case CORT_ATTR_GRAPH:
        if (!af->has_g) return attr_error(af, "graph value missing");
        return load_subgraph(L, g, af, &af->g, scope, depth, &a->g);
    case CORT_ATTR_TYPE_PROTO:
        if (!af->has_tp) return attr_error(af, "type value missing");
        CORT_TRY(expect_message(&af->tp, "AttributeProto.tp"));
        a->tp = cort_pool_alloc(pool, sizeof *a->tp);
        if (!a->tp) return cort_oom();
        return load_type(L, af->tp.data, af->tp.len, a->tp, depth + 1);
    default: return NULL;
    }
}

static cort_status *load_numbers_attr(const uint8_t *msg, size_t len, cort_pool *pool, cort_attr *a,
                                      const attr_fields *af) {
    bool floats = a->type == CORT_ATTR_FLOATS;
    a->n = floats ? af->n_floats : af->n_ints;
    if (floats) a->floats = cort_pool_calloc(pool, (size_t)a->n + 1, sizeof *a->floats);
    else a->ints = cort_pool_calloc(pool, (size_t)a->n + 1, sizeof *a->ints);
    if (floats ? !a->floats : !a->ints) return cort_oom();
    cort_pb_repeated it;
    cort_pb_repeated_init(&it, msg, len, floats ? AP_FLOATS : AP_INTS, floats ? CORT_PB_FIXED32 : CORT_PB_VARINT);
    uint64_t v;
    for (int64_t k = 0; k < a->n && cort_pb_repeated_next(&it, &v) > 0; k++) {
        if (floats) a->floats[k] = cort_pb_as_float(v);
        else a->ints[k] = (int64_t)v;
    }
    return NULL;
}

static int list_count(const cort_attr *a, const attr_fields *af) {
    switch (a->type) {
    case CORT_ATTR_STRINGS: return af->n_strings;
    case CORT_ATTR_TENSORS: return af->n_tensors;
    case CORT_ATTR_GRAPHS: return af->n_graphs;
    case CORT_ATTR_SPARSE_TENSORS: return af->n_sparse;
    default: return af->n_tps;
    }
}

static uint32_t list_field(cort_attr_type type) {
    switch (type) {
    case CORT_ATTR_STRINGS: return AP_STRINGS;
    case CORT_ATTR_TENSORS: return AP_TENSORS;
    case CORT_ATTR_GRAPHS: return AP_GRAPHS;
    case CORT_ATTR_SPARSE_TENSORS: return AP_SPARSE_TENSORS;
    default: return AP_TYPE_PROTOS;
    }
}

static cort_status *alloc_list(cort_pool *pool, cort_attr *a) {
    size_t n = (size_t)a->n + 1;
    switch (a->type) {
    case CORT_ATTR_STRINGS:
        a->strings = cort_pool_calloc(pool, n, sizeof *a->strings);
        a->string_lens = cort_pool_calloc(pool, n, sizeof *a->string_lens);
        return a->strings && a->string_lens ? NULL : cort_oom();
    case CORT_ATTR_TENSORS:
    case CORT_ATTR_SPARSE_TENSORS:
        a->tensors = cort_pool_calloc(pool, n, sizeof *a->tensors);
        return a->tensors ? NULL : cort_oom();
    case CORT_ATTR_GRAPHS:
        a->graphs = cort_pool_calloc(pool, n, sizeof *a->graphs);
        return a->graphs ? NULL : cort_oom();
    default:
        a->type_protos = cort_pool_calloc(pool, n, sizeof *a->type_protos);
        return a->type_protos ? NULL : cort_oom();
    }
}

static cort_status *load_list_item(cort_loader *L, cort_graph *g, const attr_fields *af, cort_attr *a,
                                   const cort_pb_field *f, int64_t k, const cort_fn_scope *scope, int depth) {
    if (a->type == CORT_ATTR_STRINGS) {
        CORT_TRY(read_string(g->pool, f, "AttributeProto.strings", &a->strings[k]));
        a->string_lens[k] = f->len;
        return NULL;
    }
    CORT_TRY(expect_message(f, "AttributeProto"));
    if (a->type == CORT_ATTR_GRAPHS) return load_subgraph(L, g, af, f, scope, depth, &a->graphs[k]);
    if (a->type == CORT_ATTR_TYPE_PROTOS) return load_type(L, f->data, f->len, &a->type_protos[k], depth + 1);
    cort_tensor *t = NULL;
    CORT_TRY(load_tensor(L, f->data, f->len, a->type == CORT_ATTR_SPARSE_TENSORS, &t, NULL));
    a->tensors[k] = *t;
    return NULL;
}

static cort_status *load_list_attr(cort_loader *L, cort_graph *g, const uint8_t *msg, size_t len,
                                   const attr_fields *af, cort_attr *a, const cort_fn_scope *scope, int depth) {
    a->n = list_count(a, af);
    CORT_TRY(alloc_list(g->pool, a));
    uint32_t number = list_field(a->type);
    cort_pb_reader r;
    cort_pb_field f;
    int64_t k = 0;
    cort_pb_init(&r, msg, len);
    while (k < a->n && cort_pb_next(&r, &f) > 0) {
        if (f.number != number) continue;
        CORT_TRY(load_list_item(L, g, af, a, &f, k, scope, depth));
        k++;
    }
    return NULL;
}

static const cort_attr *scope_attr(const cort_fn_scope *scope, const char *name) {
    for (int i = 0; i < scope->n_attrs; i++)
        if (!strcmp(scope->attrs[i].name, name)) return &scope->attrs[i];
    return NULL;
}

cort_status *cort_onnx_load_attr(cort_loader *L, cort_graph *g, const uint8_t *msg, size_t len,
                                 const cort_fn_scope *scope, int depth, bool allow_graphs, cort_attr *a,
                                 bool *keep) {
    attr_fields af;
    *keep = true;
    memset(a, 0, sizeof *a);
    CORT_TRY(scan_attr(g->pool, msg, len, &af));
    if (!*af.name) return bad("AttributeProto", "attribute without a name");
    a->name = af.name;
    if (*af.ref && scope) {
        const cort_attr *given = scope_attr(scope, af.ref);
        if (!given) {
            *keep = false;
            return NULL;
        }
        *a = *given;
        a->name = af.name;
        return NULL;
    }
    if (*af.ref) a->ref_attr_name = af.ref;
    if (!af.type) af.type = infer_attr_type(&af);
    if (af.type < CORT_ATTR_FLOAT || af.type > CORT_ATTR_TYPE_PROTOS) return attr_error(&af, "unknown attribute type");
    a->type = (cort_attr_type)af.type;
    if (!allow_graphs && (a->type == CORT_ATTR_GRAPH || a->type == CORT_ATTR_GRAPHS))
        return attr_error(&af, "graph attributes of function calls and defaults are not supported");
    if (a->ref_attr_name) return NULL; /* a reference outside a function: nothing to read */
    cort_status *st;
    if (a->type == CORT_ATTR_FLOATS || a->type == CORT_ATTR_INTS) st = load_numbers_attr(msg, len, g->pool, a, &af);
    else if (a->type >= CORT_ATTR_STRINGS && a->type != CORT_ATTR_SPARSE_TENSOR && a->type != CORT_ATTR_TYPE_PROTO)
        st = load_list_attr(L, g, msg, len, &af, a, scope, depth);
    else st = load_scalar_attr(L, g, &af, a, scope, depth);
    if (st && strncmp(cort_status_message(st), "attribute '", 11))
        return with_context(st, "attribute '%s'%s: ", af.name, "");
    return st;
}

/* ------------------------------------------------------------------ nodes */

typedef struct node_fields {
    const char *name, *op_type, *domain, *overload, *doc;
    int n_inputs, n_outputs, n_attrs;
} node_fields;

static cort_status *scan_node(cort_pool *pool, const uint8_t *msg, size_t len, node_fields *nf) {
    memset(nf, 0, sizeof *nf);
    nf->name = nf->op_type = nf->domain = nf->overload = nf->doc = "";
    cort_pb_reader r;
    cort_pb_field f;
    int rc;
    cort_pb_init(&r, msg, len);
    while ((rc = cort_pb_next(&r, &f)) > 0) {
        switch (f.number) {
        case NP_INPUT: nf->n_inputs++; break;
        case NP_OUTPUT: nf->n_outputs++; break;
        case NP_ATTRIBUTE: nf->n_attrs++; break;
        case NP_NAME: CORT_TRY(read_string(pool, &f, "NodeProto", &nf->name)); break;
        case NP_OP_TYPE: CORT_TRY(read_string(pool, &f, "NodeProto", &nf->op_type)); break;
        case NP_DOMAIN: CORT_TRY(read_string(pool, &f, "NodeProto", &nf->domain)); break;
        case NP_OVERLOAD: CORT_TRY(read_string(pool, &f, "NodeProto", &nf->overload)); break;
        case NP_DOC_STRING: CORT_TRY(read_string(pool, &f, "NodeProto", &nf->doc)); break;
        default: break;
        }
    }
    if (rc < 0) return cort_error(CORT_INVALID_PROTOBUF, "node '%s': malformed NodeProto: %s", nf->name, r.error);
    if (!*nf->op_type) return cort_error(CORT_INVALID_GRAPH, "node '%s' has no op_type", nf->name);
    if (nf->n_inputs > 100000 || nf->n_outputs > 100000 || nf->n_attrs > 100000)
        return cort_error(CORT_INVALID_GRAPH, "node '%s' (%s) has too many inputs, outputs or attributes", nf->name,
                          nf->op_type);
    return NULL;
}

static bool find_opset(const cort_opset *opsets, int n, const char *domain, int64_t *version) {
    for (int i = 0; i < n; i++) {
        const char *d = !strcmp(opsets[i].domain, "ai.onnx") ? "" : opsets[i].domain;
        if (!strcmp(d, domain)) {
            *version = opsets[i].version;
            return true;
        }
    }
    return false;
}

/* The node's opset: the enclosing function's import for its domain, else the model's. */
static cort_status *assign_opset(cort_loader *L, cort_node *node, const cort_fn_scope *scope) {
    int64_t v = -1;
    bool found = scope && find_opset(scope->fn->opsets, scope->fn->n_opsets, node->domain, &v);
    if (!found) found = find_opset(L->model->opsets, L->model->n_opsets, node->domain, &v);
    if (!found)
        return cort_node_error(node, CORT_INVALID_GRAPH, "the model imports no opset for domain '%s'",
                               *node->domain ? node->domain : "ai.onnx");
    if (v < 1 || v > INT_MAX) return cort_node_error(node, CORT_INVALID_GRAPH, "invalid opset version %lld", (long long)v);
    node->opset = (int)v;
    if (!*node->domain && v > CORT_OPSET_MAX)
        return cort_node_error(node, CORT_NOT_IMPLEMENTED, "opset %lld is newer than the newest supported (%d)",
                               (long long)v, CORT_OPSET_MAX);
    return NULL;
}

static cort_status *value_of(cort_loader *L, cort_graph *g, const cort_fn_scope *scope, const cort_pb_field *f,
                             const char *what, int *id) {
    const char *raw;
    CORT_TRY(read_string(g->pool, f, what, &raw));
    *id = -1;
    const char *name = cort_onnx_scoped_name(L, scope, raw);
    if (!name) return cort_oom();
    if (!*name) return NULL; /* "" is an omitted optional input or output */
    *id = cort_graph_value(g, name);
    return *id < 0 ? cort_oom() : NULL;
}

static cort_status *fill_node(cort_loader *L, cort_graph *g, cort_node *node, const uint8_t *msg, size_t len,
                              const cort_fn_scope *scope, int depth) {
    cort_pb_reader r;
    cort_pb_field f;
    int ni = 0, no = 0, na = 0;
    cort_pb_init(&r, msg, len);
    while (cort_pb_next(&r, &f) > 0) {
        if (f.number == NP_INPUT && ni < node->n_inputs) {
            CORT_TRY(value_of(L, g, scope, &f, "NodeProto.input", &node->inputs[ni++]));
        } else if (f.number == NP_OUTPUT && no < node->n_outputs) {
            CORT_TRY(value_of(L, g, scope, &f, "NodeProto.output", &node->outputs[no++]));
        } else if (f.number == NP_ATTRIBUTE && na < node->n_attrs) {
            CORT_TRY(expect_message(&f, "NodeProto.attribute"));
            bool keep;
            CORT_TRY(cort_onnx_load_attr(L, g, f.data, f.len, scope, depth, true, &node->attrs[na], &keep));
            if (keep) na++;
            else memset(&node->attrs[na], 0, sizeof node->attrs[na]);
        }
    }
    node->n_attrs = na;
    for (int i = 0; i < na; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(node->attrs[i].name, node->attrs[j].name))
                return cort_node_error(node, CORT_INVALID_GRAPH, "attribute '%s' given twice", node->attrs[i].name);
    return NULL;
}

cort_status *cort_onnx_load_node(cort_loader *L, cort_graph *g, const uint8_t *msg, size_t len,
                                 const cort_fn_scope *scope, int depth) {
    node_fields nf;
    CORT_TRY(scan_node(g->pool, msg, len, &nf));
    const cort_onnx_function *fn = cort_onnx_find_function(L, nf.domain, nf.op_type, nf.overload);
    if (fn) return cort_onnx_inline_call(L, g, msg, len, fn, scope, depth);
    const char *name = cort_onnx_scoped_name(L, scope, nf.name);
    if (!name) return cort_oom();
    cort_node *node = cort_graph_add_node(g, nf.op_type, nf.domain, name, nf.n_inputs, nf.n_outputs, nf.n_attrs);
    if (!node) return cort_oom();
    node->doc_string = nf.doc;
    CORT_TRY(assign_opset(L, node, scope));
    cort_status *st = fill_node(L, g, node, msg, len, scope, depth);
    if (st && strncmp(cort_status_message(st), "node '", 6))
        return with_context(st, "node '%s' (%s): ", node->name, node->op_type);
    return st;
}

/* ------------------------------------------------------------------ graphs */

static cort_status *graph_error(const cort_graph *g, cort_code code, const char *what, const char *name) {
    return cort_error(code, "graph '%s': %s '%s'", g->name, what, name);
}

static cort_status *add_initializer(cort_loader *L, cort_graph *g, const cort_pb_field *f, bool sparse,
                                    const cort_fn_scope *scope) {
    CORT_TRY(expect_message(f, "GraphProto.initializer"));
    cort_tensor *t = NULL;
    const char *raw;
    CORT_TRY(load_tensor(L, f->data, f->len, sparse, &t, &raw));
    if (!*raw) return cort_error(CORT_INVALID_GRAPH, "graph '%s': an initializer has no name", g->name);
    const char *name = cort_onnx_scoped_name(L, scope, raw);
    if (!name) return cort_oom();
    int id = cort_graph_value(g, name);
    if (id < 0) return cort_oom();
    cort_ir_value *v = &g->values[id];
    if (v->flags & CORT_VF_INITIALIZER) return graph_error(g, CORT_INVALID_GRAPH, "duplicate initializer", name);
    v->flags |= CORT_VF_INITIALIZER;
    v->init = t;
    return type_from_tensor(g->pool, t, &v->type);
}

/* ValueInfoProto: the value (created if new) and, when given, its type. */
static cort_status *apply_value_info(cort_loader *L, cort_graph *g, const cort_pb_field *f,
                                     const cort_fn_scope *scope, int depth, int *id_out) {
    CORT_TRY(expect_message(f, "ValueInfoProto"));
    const char *raw = "", *doc = "";
    const cort_pb_field *type = NULL;
    cort_pb_field tf;
    cort_pb_reader r;
    cort_pb_field e;
    int rc;
    cort_pb_init(&r, f->data, f->len);
    while ((rc = cort_pb_next(&r, &e)) > 0) {
        if (e.number == VI_NAME) CORT_TRY(read_string(g->pool, &e, "ValueInfoProto", &raw));
        else if (e.number == VI_DOC_STRING) CORT_TRY(read_string(g->pool, &e, "ValueInfoProto", &doc));
        else if (e.number == VI_TYPE) {
            CORT_TRY(expect_message(&e, "ValueInfoProto.type"));
            tf = e;
            type = &tf;
        }
    }
    if (rc < 0) return malformed("ValueInfoProto", &r);
    if (!*raw) return cort_error(CORT_INVALID_GRAPH, "graph '%s': a graph input, output or value_info has no name", g->name);
    const char *name = cort_onnx_scoped_name(L, scope, raw);
    if (!name) return cort_oom();
    int id = cort_graph_value(g, name);
    if (id < 0) return cort_oom();
    if (type) {
        cort_type t;
        cort_status *st = load_type(L, type->data, type->len, &t, depth + 1);
        if (st) return with_context(st, "graph '%s', value '%s': ", g->name, name);
        if (t.kind != CORT_TYPE_UNKNOWN) g->values[id].type = t;
    }
    if (*doc) g->values[id].doc_string = doc;
    *id_out = id;
    return NULL;
}

typedef cort_status *(*graph_field_fn)(cort_loader *L, cort_graph *g, const cort_pb_field *f,
                                        const cort_fn_scope *scope, int depth);

static cort_status *on_initializer(cort_loader *L, cort_graph *g, const cort_pb_field *f, const cort_fn_scope *scope,
                                   int depth) {
    (void)depth;
    return add_initializer(L, g, f, false, scope);
}

static cort_status *on_sparse_initializer(cort_loader *L, cort_graph *g, const cort_pb_field *f,
                                          const cort_fn_scope *scope, int depth) {
    (void)depth;
    return add_initializer(L, g, f, true, scope);
}

static cort_status *on_input(cort_loader *L, cort_graph *g, const cort_pb_field *f, const cort_fn_scope *scope,
                             int depth) {
    int id;
    CORT_TRY(apply_value_info(L, g, f, scope, depth, &id));
    if (g->values[id].flags & CORT_VF_GRAPH_INPUT)
        return graph_error(g, CORT_INVALID_GRAPH, "duplicate graph input", g->values[id].name);
    return cort_graph_add_input(g, id);
}

static cort_status *on_output(cort_loader *L, cort_graph *g, const cort_pb_field *f, const cort_fn_scope *scope,
                              int depth) {
    int id;
    CORT_TRY(apply_value_info(L, g, f, scope, depth, &id));
    return cort_graph_add_output(g, id);
}

static cort_status *on_value_info(cort_loader *L, cort_graph *g, const cort_pb_field *f, const cort_fn_scope *scope,
                                  int depth) {
    int id;
    return apply_value_info(L, g, f, scope, depth, &id);
}

static cort_status *on_node(cort_loader *L, cort_graph *g, const cort_pb_field *f, const cort_fn_scope *scope,
                            int depth) {
    CORT_TRY(expect_message(f, "GraphProto.node"));
    return cort_onnx_load_node(L, g, f->data, f->len, scope, depth);
}

/* Calls fn for every field `number` of the graph, in file order. */
static cort_status *each_field(cort_loader *L, cort_graph *g, const uint8_t *msg, size_t len, uint32_t number,
                               graph_field_fn fn, const cort_fn_scope *scope, int depth) {
    cort_pb_reader r;
    cort_pb_field f;
    int rc;
    cort_pb_init(&r, msg, len);
    while ((rc = cort_pb_next(&r, &f)) > 0)
        if (f.number == number) CORT_TRY(fn(L, g, &f, scope, depth));
    return rc < 0 ? malformed("GraphProto", &r) : NULL;
}

cort_status *cort_onnx_load_graph(cort_loader *L, cort_graph *g, const uint8_t *msg, size_t len,
                                  const cort_fn_scope *scope, int depth) {
    if (depth > CORT_PB_MAX_DEPTH) return bad("GraphProto", "subgraphs nested too deeply");
    cort_pb_reader r;
    cort_pb_field f;
    int rc;
    cort_pb_init(&r, msg, len);
    while ((rc = cort_pb_next(&r, &f)) > 0) {
        if (f.number == GP_NAME) CORT_TRY(read_string(g->pool, &f, "GraphProto.name", &g->name));
        else if (f.number == GP_DOC_STRING) CORT_TRY(read_string(g->pool, &f, "GraphProto.doc_string", &g->doc_string));
    }
    if (rc < 0) return malformed("GraphProto", &r);
    /* Initializers first, so inputs that repeat them (IR < 4) find them; nodes after inputs so their
     * values exist in declaration order; value_info last, as it only annotates. */
    static const struct {
        uint32_t number;
        graph_field_fn fn;
    } order[] = {{GP_INITIALIZER, on_initializer}, {GP_SPARSE_INITIALIZER, on_sparse_initializer},
                 {GP_INPUT, on_input},             {GP_NODE, on_node},
                 {GP_OUTPUT, on_output},           {GP_VALUE_INFO, on_value_info}};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        CORT_TRY(each_field(L, g, msg, len, order[i].number, order[i].fn, scope, depth));
    return NULL;
}

/* ------------------------------------------------------------------ model */

cort_status *cort_onnx_load_opsets(cort_pool *pool, const uint8_t *msg, size_t len, uint32_t number,
                                   cort_opset **out, int *n) {
    *n = count_fields(msg, len, number);
    *out = cort_pool_calloc(pool, (size_t)*n + 1, sizeof **out);
    if (!*out) return cort_oom();
    cort_pb_reader r;
    cort_pb_field f;
    int k = 0;
    cort_pb_init(&r, msg, len);
    while (k < *n && cort_pb_next(&r, &f) > 0) {
        if (f.number != number) continue;
        CORT_TRY(expect_message(&f, "OperatorSetIdProto"));
        cort_opset *o = &(*out)[k++];
        o->domain = "";
        cort_pb_reader rr;
        cort_pb_field e;
        int rc;
        cort_pb_init(&rr, f.data, f.len);
        while ((rc = cort_pb_next(&rr, &e)) > 0) {
            if (e.number == OPSET_DOMAIN) CORT_TRY(read_string(pool, &e, "OperatorSetIdProto", &o->domain));
            else if (e.number == OPSET_VERSION) CORT_TRY(read_varint(&e, "OperatorSetIdProto", &o->version));
        }
        if (rc < 0) return malformed("OperatorSetIdProto", &rr);
    }
    return NULL;
}

static cort_status *load_metadata(cort_model *m, const uint8_t *msg, size_t len) {
    int n = count_fields(msg, len, MP_METADATA_PROPS);
    m->meta_keys = cort_pool_calloc(&m->pool, (size_t)n + 1, sizeof *m->meta_keys);
    m->meta_values = cort_pool_calloc(&m->pool, (size_t)n + 1, sizeof *m->meta_values);
    if (!m->meta_keys || !m->meta_values) return cort_oom();
    cort_pb_reader r;
    cort_pb_field f;
    cort_pb_init(&r, msg, len);
    while (m->n_meta < n && cort_pb_next(&r, &f) > 0) {
        if (f.number != MP_METADATA_PROPS) continue;
        CORT_TRY(expect_message(&f, "StringStringEntryProto"));
        const char *key = "", *value = "";
        cort_pb_reader rr;
        cort_pb_field e;
        int rc;
        cort_pb_init(&rr, f.data, f.len);
        while ((rc = cort_pb_next(&rr, &e)) > 0) {
            if (e.number == ENTRY_KEY) CORT_TRY(read_string(&m->pool, &e, "StringStringEntryProto", &key));
            else if (e.number == ENTRY_VALUE) CORT_TRY(read_string(&m->pool, &e, "StringStringEntryProto", &value));
        }
        if (rc < 0) return malformed("StringStringEntryProto", &rr);
        m->meta_keys[m->n_meta] = key;
        m->meta_values[m->n_meta++] = value;
    }
    return NULL;
}

static cort_status *load_model_fields(cort_model *m, const uint8_t *msg, size_t len, cort_pb_field *graph,
                                      bool *has_graph) {
    cort_pb_reader r;
    cort_pb_field f;
    int rc;
    cort_pb_init(&r, msg, len);
    while ((rc = cort_pb_next(&r, &f)) > 0) {
        switch (f.number) {
        case MP_IR_VERSION: CORT_TRY(read_varint(&f, "ModelProto.ir_version", &m->ir_version)); break;
        case MP_PRODUCER_NAME: CORT_TRY(read_string(&m->pool, &f, "ModelProto", &m->producer_name)); break;
        case MP_PRODUCER_VERSION: CORT_TRY(read_string(&m->pool, &f, "ModelProto", &m->producer_version)); break;
        case MP_DOMAIN: CORT_TRY(read_string(&m->pool, &f, "ModelProto", &m->domain)); break;
        case MP_MODEL_VERSION: CORT_TRY(read_varint(&f, "ModelProto.model_version", &m->model_version)); break;
        case MP_DOC_STRING: CORT_TRY(read_string(&m->pool, &f, "ModelProto", &m->doc_string)); break;
        case MP_GRAPH:
            CORT_TRY(expect_message(&f, "ModelProto.graph"));
            *graph = f;
            *has_graph = true;
            break;
        default: break;
        }
    }
    if (rc < 0) return malformed("ModelProto", &r);
    CORT_TRY(cort_onnx_load_opsets(&m->pool, msg, len, MP_OPSET_IMPORT, &m->opsets, &m->n_opsets));
    return load_metadata(m, msg, len);
}

static void *loader_alloc(void *self, const cort_tensor *t, size_t bytes) {
    (void)t;
    return cort_pool_alloc(&((cort_loader *)self)->model->pool, bytes);
}

static char *loader_string(void *self, const uint8_t *s, size_t len) {
    return cort_pool_strndup(&((cort_loader *)self)->model->pool, (const char *)s, len);
}

static cort_status *load_model(cort_loader *L, const uint8_t *msg, size_t len) {
    cort_model *m = L->model;
    cort_pb_field graph;
    bool has_graph = false;
    L->env = (cort_tensor_env){loader_alloc, loader_string, L->dir ? cort_onnx_external_data : NULL, L, true, L->dir != NULL};
    CORT_TRY(load_model_fields(m, msg, len, &graph, &has_graph));
    if (!has_graph) return cort_error(CORT_INVALID_PROTOBUF, "the model has no graph");
    CORT_TRY(cort_onnx_read_functions(L, msg, len));
    m->graph = cort_graph_new(&m->pool, NULL, "");
    if (!m->graph) return cort_oom();
    CORT_TRY(cort_onnx_load_graph(L, m->graph, graph.data, graph.len, NULL, 0));
    return cort_graph_check_and_sort(m->graph);
}

/* Loads from bytes that stay valid as long as the model (its pool copy or its file mapping). */
static cort_status *load_in_place(cort_model *m, const char *dir, const void *data, size_t size) {
    cort_loader L;
    memset(&L, 0, sizeof L);
    L.model = m;
    L.dir = dir;
    L.inline_budget = CORT_ONNX_INLINE_BASE + (int64_t)(size < (size_t)CORT_ONNX_MAX_INLINED_NODES ? size : CORT_ONNX_MAX_INLINED_NODES) * CORT_ONNX_INLINE_PER_BYTE;
    if (L.inline_budget > CORT_ONNX_MAX_INLINED_NODES) L.inline_budget = CORT_ONNX_MAX_INLINED_NODES;
    cort_status *st = load_model(&L, data, size);
    free(L.ext_files);
    return st;
}

cort_status *cort_onnx_load_bytes(const void *data, size_t size, cort_model **out) {
    *out = NULL;
    if (!data && size) return cort_error(CORT_INVALID_ARGUMENT, "no model bytes");
    cort_model *m;
    CORT_TRY(cort_model_new(&m));
    void *copy = size ? cort_pool_alloc(&m->pool, size) : NULL;
    if (size && !copy) {
        cort_model_free(m);
        return cort_oom();
    }
    if (size) memcpy(copy, data, size);
    cort_status *st = load_in_place(m, NULL, copy, size);
    if (st) {
        cort_model_free(m);
        return st;
    }
    *out = m;
    return NULL;
}

cort_status *cort_onnx_load_file(const char *path, cort_model **out) {
    *out = NULL;
    cort_model *m;
    CORT_TRY(cort_model_new(&m));
    void *addr;
    size_t size;
    cort_status *st = cort_map_file(path, &addr, &size);
    if (!st && addr) {
        st = cort_model_add_mapping(m, addr, size);
        if (st) cort_unmap_file(addr, size);
    }
    if (!st) {
        const char *slash = strrchr(path, '/');
        const char *dir = slash ? cort_pool_strndup(&m->pool, path, (size_t)(slash - path)) : cort_pool_strdup(&m->pool, ".");
        if (dir && !*dir) dir = "/";
        st = dir ? load_in_place(m, dir, addr, size) : cort_oom();
        if (st) st = cort_error_wrap(st, "%s: ", path);
    }
    if (st) {
        cort_model_free(m);
        return st;
    }
    *out = m;
    return NULL;
}
