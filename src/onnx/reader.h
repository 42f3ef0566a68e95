/* Internals of the ModelProto reader shared by its files: the loading context, model-local
 * functions and their inlining, external data. */
#ifndef CORT_ONNX_READER_H
#define CORT_ONNX_READER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir/ir.h"
#include "onnx/pb.h"
#include "onnx/tensor_proto.h"

/* Nodes that inlining model-local functions may add to one model: at most this many, and at most a
 * base allowance plus a few per byte of the file, so that a small file cannot make the loader build a
 * huge graph (a legitimately large expansion comes with a correspondingly large file). */
#define CORT_ONNX_MAX_INLINED_NODES 4000000
#define CORT_ONNX_INLINE_BASE 65536
#define CORT_ONNX_INLINE_PER_BYTE 8

typedef struct cort_onnx_function {
    const char *name, *domain, *overload;
    int n_inputs, n_outputs;
    const char **inputs, **outputs;
    const uint8_t *msg; /* the FunctionProto: body nodes and default attributes are read from it */
    size_t len;
    int n_opsets;
    cort_opset *opsets;
    int64_t cost;   /* primitive nodes one call expands to (memoised; see functions.c) */
    int cost_state; /* 0 not computed, 1 being computed, 2 known */
} cort_onnx_function;

typedef struct cort_ext_file {
    const char *location;
    const uint8_t *addr;
    size_t size;
} cort_ext_file;

typedef struct cort_loader {
    cort_model *model;
    const char *dir; /* folder of the model file; NULL when reading bytes */
    cort_onnx_function *functions;
    int n_functions;
    cort_ext_file *ext_files; /* malloc'ed; the mappings themselves belong to the model */
    int n_ext_files, cap_ext_files;
    int64_t inlined_nodes, inline_budget;
    int64_t inline_serial;
    cort_tensor_env env; /* tensors from the model's pool, raw data in place, external data resolved */
} cort_loader;

/* A function call being inlined: how the names and attribute references of its body resolve. */
typedef struct cort_fn_scope {
    const cort_onnx_function *fn;
    const struct cort_fn_scope *caller; /* the enclosing call, for recursion detection */
    const char *prefix;                 /* unique prefix of the body's internal names */
    const char **actual_inputs;         /* per formal input: caller's name ("" when omitted) */
    const char **actual_outputs;        /* per formal output */
    const cort_attr *attrs;             /* the call's attributes, then the function's defaults */
    int n_attrs;
} cort_fn_scope;

/* ---- model_reader.c */
cort_status *cort_onnx_load_graph(cort_loader *L, cort_graph *g, const uint8_t *msg, size_t len,
                                  const cort_fn_scope *scope, int depth);
cort_status *cort_onnx_load_node(cort_loader *L, cort_graph *g, const uint8_t *msg, size_t len,
                                 const cort_fn_scope *scope, int depth);
/* Reads an AttributeProto into *a. With a scope, a reference (ref_attr_name) is replaced by the
 * caller's attribute; *keep is false when it refers to an attribute the caller did not give. */
cort_status *cort_onnx_load_attr(cort_loader *L, cort_graph *g, const uint8_t *msg, size_t len,
                                 const cort_fn_scope *scope, int depth, bool allow_graphs, cort_attr *a,
                                 bool *keep);
cort_status *cort_onnx_load_opsets(cort_pool *pool, const uint8_t *msg, size_t len, uint32_t number,
                                   cort_opset **out, int *n);

/* ---- functions.c */
cort_status *cort_onnx_read_functions(cort_loader *L, const uint8_t *model, size_t len);
const cort_onnx_function *cort_onnx_find_function(const cort_loader *L, const char *domain, const char *name,
                                                  const char *overload);
/* The name a body value has in the graph: formal parameters become the caller's names, other names
 * get the call's unique prefix. Outside a function the name is unchanged. NULL on shortage. */
const char *cort_onnx_scoped_name(cort_loader *L, const cort_fn_scope *scope, const char *name);
/* Inlines the call `call_msg` (a NodeProto calling fn) into g. */
cort_status *cort_onnx_inline_call(cort_loader *L, cort_graph *g, const uint8_t *call_msg, size_t call_len,
                                   const cort_onnx_function *fn, const cort_fn_scope *scope, int depth);

/* ---- external_data.c */
cort_status *cort_onnx_external_data(void *loader, const char *tensor_name, const uint8_t *msg, size_t len,
                                     size_t nbytes, const uint8_t **data);
#endif
