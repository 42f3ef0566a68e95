/* The in-memory model: graphs of values and nodes, with subgraphs. Built by src/onnx, checked and
 * typed by src/ir, rewritten by src/opt, planned by src/plan. All memory comes from the model's pool. */
#ifndef CORT_IR_IR_H
#define CORT_IR_IR_H
#include <stdbool.h>
#include <stdint.h>

#include "base/pool.h"
#include "base/status.h"
#include "base/tensor.h"

/* A dimension: value >= 0 is known; value < 0 with a symbol is symbolic; value < 0 without one is unknown. */
typedef struct cort_dim {
    int64_t value;
    const char *symbol;
} cort_dim;

typedef enum cort_type_kind {
    CORT_TYPE_UNKNOWN = 0,
    CORT_TYPE_TENSOR = 1,
    CORT_TYPE_SEQUENCE = 2,
    CORT_TYPE_OPTIONAL = 3,
    CORT_TYPE_MAP = 4,
    CORT_TYPE_SPARSE_TENSOR = 5
} cort_type_kind;

typedef struct cort_type {
    cort_type_kind kind;
    int32_t elem;            /* TENSOR/SPARSE: element type (0 unknown); MAP: key type */
    int32_t rank;            /* TENSOR: -1 when unknown */
    cort_dim *dims;          /* rank entries */
    struct cort_type *inner; /* SEQUENCE/OPTIONAL element type, MAP value type */
} cort_type;

/* AttributeProto.AttributeType numbering. */
typedef enum cort_attr_type {
    CORT_ATTR_UNDEFINED = 0,
    CORT_ATTR_FLOAT = 1,
    CORT_ATTR_INT = 2,
    CORT_ATTR_STRING = 3,
    CORT_ATTR_TENSOR = 4,
    CORT_ATTR_GRAPH = 5,
    CORT_ATTR_FLOATS = 6,
    CORT_ATTR_INTS = 7,
    CORT_ATTR_STRINGS = 8,
    CORT_ATTR_TENSORS = 9,
    CORT_ATTR_GRAPHS = 10,
    CORT_ATTR_SPARSE_TENSOR = 11,
    CORT_ATTR_SPARSE_TENSORS = 12,
    CORT_ATTR_TYPE_PROTO = 13,
    CORT_ATTR_TYPE_PROTOS = 14
} cort_attr_type;

struct cort_graph;

typedef struct cort_attr {
    const char *name;
    cort_attr_type type;
    const char *ref_attr_name; /* inside a function body: the caller's attribute it refers to */
    float f;
    int64_t i;
    const char *s; /* STRING: bytes (NUL-terminated copy), s_len bytes */
    size_t s_len;
    cort_tensor *t;          /* TENSOR, SPARSE_TENSOR (densified) */
    struct cort_graph *g;    /* GRAPH */
    cort_type *tp;           /* TYPE_PROTO */
    int64_t n;               /* element count of the list types */
    float *floats;
    int64_t *ints;
    const char **strings;
    size_t *string_lens;
    cort_tensor *tensors;    /* TENSORS, SPARSE_TENSORS */
    struct cort_graph **graphs;
    cort_type *type_protos;
} cort_attr;

typedef struct cort_node {
    const char *name;
    const char *op_type;
    const char *domain; /* "" for ai.onnx ("ai.onnx" is normalised to "") */
    int opset;          /* the model's opset version for this node's domain */
    int n_inputs, n_outputs, n_attrs;
    int *inputs;        /* value ids in the node's graph; -1 for an omitted optional input */
    int *outputs;       /* value ids; -1 for an omitted optional output */
    cort_attr *attrs;
    const char *doc_string;
} cort_node;

enum {
    CORT_VF_GRAPH_INPUT = 1,  /* fed by the caller (may also be an initializer: an overridable default) */
    CORT_VF_GRAPH_OUTPUT = 2,
    CORT_VF_INITIALIZER = 4,  /* `init` holds its constant data */
    CORT_VF_OUTER = 8         /* defined in an enclosing graph; resolved by name at plan time */
};

typedef struct cort_ir_value {
    const char *name;
    cort_type type;
    int flags;
    int producer;         /* index of the producing node, -1 if none */
    cort_tensor *init;    /* initializer data (read-only, may point into the mapped file) */
    const char *doc_string;
} cort_ir_value;

typedef struct cort_name_index {
    int *slots; /* value id + 1, 0 = empty */
    int cap;
} cort_name_index;

typedef struct cort_graph {
    const char *name;
    const char *doc_string;
    struct cort_graph *parent; /* enclosing graph of a subgraph, NULL at the top */
    cort_pool *pool;
    cort_ir_value *values;
    int n_values, cap_values;
    cort_node **nodes;
    int n_nodes, cap_nodes;
    int *inputs;
    int n_inputs, cap_inputs;
    int *outputs;
    int n_outputs, cap_outputs;
    cort_name_index index;
} cort_graph;

typedef struct cort_opset {
    const char *domain;
    int64_t version;
} cort_opset;

typedef struct cort_mapping {
    void *addr;
    size_t size;
} cort_mapping;

typedef struct cort_model {
    cort_pool pool;
    int64_t ir_version;
    int n_opsets;
    cort_opset *opsets;
    const char *producer_name, *producer_version, *domain, *doc_string;
    int64_t model_version;
    int n_meta;
    const char **meta_keys, **meta_values;
    cort_graph *graph;
    /* file mappings (model and external data) released with the model */
    cort_mapping *mappings;
    int n_mappings, cap_mappings;
} cort_model;

/* ---- model and graph construction (memory from model->pool; functions fail only on shortage) */
cort_status *cort_model_new(cort_model **out);
void cort_model_free(cort_model *model);
cort_status *cort_model_add_mapping(cort_model *model, void *addr, size_t size);
/* Opset version the model imports for `domain` ("" or "ai.onnx" for the default), -1 if none. */
int64_t cort_model_opset(const cort_model *model, const char *domain);

cort_graph *cort_graph_new(cort_pool *pool, cort_graph *parent, const char *name);
/* The id of the value named `name` in this graph only, -1 if absent. "" never names a value. */
int cort_graph_find(const cort_graph *g, const char *name);
/* The id of the value named `name`, creating it (producer -1, type unknown) if absent; -1 on shortage. */
int cort_graph_value(cort_graph *g, const char *name);
/* Appends a node and returns it (arrays for inputs/outputs/attrs allocated, ids -1); NULL on shortage. */
cort_node *cort_graph_add_node(cort_graph *g, const char *op_type, const char *domain, const char *name,
                               int n_inputs, int n_outputs, int n_attrs);
cort_status *cort_graph_add_input(cort_graph *g, int value_id);
cort_status *cort_graph_add_output(cort_graph *g, int value_id);

/* ---- attributes */
const cort_attr *cort_node_attr(const cort_node *node, const char *name);
int64_t cort_attr_int(const cort_node *node, const char *name, int64_t dflt);
float cort_attr_float(const cort_node *node, const char *name, float dflt);
/* NUL-terminated string attribute, or dflt. */
const char *cort_attr_string(const cort_node *node, const char *name, const char *dflt);
/* Number of ints in a list attribute (and *vals set), or -1 if absent. */
int64_t cort_attr_ints(const cort_node *node, const char *name, const int64_t **vals);
int64_t cort_attr_floats(const cort_node *node, const char *name, const float **vals);

/* Error naming the node: "node 'n' (Op, opset 13): <message>". */
cort_status *cort_node_error(const cort_node *node, cort_code code, const char *fmt, ...) CORT_PRINTF(3, 4);

/* ---- types */
void cort_type_set_tensor(cort_type *t, int32_t elem, int rank, cort_dim *dims);
/* "tensor(float)[1,3,N,224]", "seq(tensor(int64))", ... */
const char *cort_type_str(const cort_type *t, char *buf, size_t size);
cort_status *cort_type_copy(cort_pool *pool, cort_type *dst, const cort_type *src);

/* ---- checks and order (src/ir/check.c) */
/* Sorts g's nodes (and every subgraph's) topologically; fails naming a node on a cycle or on an input
 * that no node, input, initializer or enclosing graph defines. */
cort_status *cort_graph_check_and_sort(cort_graph *g);

#endif
