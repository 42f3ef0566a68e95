/* The operator interface. Each op family lives in one file of src/ops/ and exports a table of
 * cort_op_def rows; src/ops/registry.c lists the tables. Operators know nothing of files or of how
 * the session plans memory: they parse attributes once, optionally infer types at load, and at run
 * read inputs and ask the kernel context for outputs. */
#ifndef CORT_OPS_OP_H
#define CORT_OPS_OP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/tensor.h"
#include "ir/ir.h"

/* ---------------------------------------------------------------- parse
 * Called once per node at session creation. `params` is zeroed memory of the row's params_size.
 * Validate attributes here and fail with cort_node_error(). Extra memory comes from `pool`. */
typedef struct cort_parse_ctx {
    const cort_node *node;
    const cort_graph *graph; /* the node's graph (for input value types/initializers) */
    void *params;
    cort_pool *pool;
} cort_parse_ctx;

/* ---------------------------------------------------------------- infer (optional)
 * Called at load in topological order. Input types may be partly unknown (rank -1, elem 0, symbolic
 * dims). Fill out[i] for each output (dims from `pool`). `in_const[i]` is the constant value of input i
 * when known at load (initializer or folded constant), else NULL. */
typedef struct cort_infer_ctx {
    const cort_node *node;
    const void *params;
    int n_in, n_out;
    const cort_type *const *in;      /* NULL for an omitted input */
    const cort_tensor *const *in_const;
    cort_type *out;
    cort_pool *pool;
} cort_infer_ctx;

/* ---------------------------------------------------------------- run */
typedef struct cort_kctx cort_kctx;
typedef void (*cort_range_fn)(void *arg, int64_t begin, int64_t end);

/* Services the executor provides to kernels (implemented in src/exec). */
typedef struct cort_kctx_services {
    cort_status *(*alloc_output)(cort_kctx *ctx, int index, int32_t type, int rank, const int64_t *dims,
                                 cort_tensor **out);
    /* Output `index` becomes a sequence of `len` zeroed values the kernel fills (each with
     * cort_value_alloc_tensor / cort_value_copy); or, with len < 0, an optional without a value. */
    cort_status *(*alloc_sequence)(cort_kctx *ctx, int index, int32_t elem_type, int64_t len,
                                   cort_value **items);
    /* Stores a deep copy of `v` (tensor, sequence or none) as output `index`. */
    cort_status *(*set_output_value)(cort_kctx *ctx, int index, const cort_value *v);
    /* Scratch memory (64-byte aligned) valid until the kernel returns; NULL on shortage. Call it from the
     * kernel's own thread (not from parallel_for workers): allocate per-task scratch up front. */
    void *(*scratch)(cort_kctx *ctx, size_t bytes);
    /* Runs subgraph `g` (an attribute of this node) with the given inputs (matched to g's inputs in
     * order); fills `outputs` (n_out zeroed values the caller then owns and must clear). */
    cort_status *(*run_subgraph)(cort_kctx *ctx, const cort_graph *g, int n_in, const cort_value *const *inputs,
                                 int n_out, cort_value *outputs);
    /* Calls fn over [0, n) split into chunks across the session's threads; returns when all are done. */
    void (*parallel_for)(cort_kctx *ctx, int64_t n, int64_t min_chunk, cort_range_fn fn, void *arg);
    /* Output `out` becomes a view of input `in`'s elements under the shape `dims` (same element count;
     * not for strings). Only for rows flagged CORT_OP_ALIAS_INPUT0, whose input the session then keeps
     * alive as long as the view. */
    cort_status *(*alias_output)(cort_kctx *ctx, int out, int in, int rank, const int64_t *dims);
} cort_kctx_services;

struct cort_kctx {
    const cort_node *node;
    const void *params;
    const void *state;             /* from prepare(), read-only at run */
    int n_in, n_out;
    const cort_value *const *in;   /* NULL for an omitted input */
    const cort_kctx_services *svc;
    void *exec;                    /* the executor's private data */
    int threads;
};

/* The tensor of input i, or NULL if omitted (or not a tensor). */
static inline const cort_tensor *cort_in(const cort_kctx *ctx, int i) {
    if (i >= ctx->n_in || !ctx->in[i] || ctx->in[i]->kind != CORT_VALUE_TENSOR) return NULL;
    return &ctx->in[i]->t;
}
static inline const cort_value *cort_in_value(const cort_kctx *ctx, int i) {
    return i < ctx->n_in ? ctx->in[i] : NULL;
}
static inline cort_status *cort_out(cort_kctx *ctx, int i, int32_t type, int rank, const int64_t *dims,
                                    cort_tensor **out) {
    return ctx->svc->alloc_output(ctx, i, type, rank, dims, out);
}
/* True when output i is wanted by the graph (not omitted). */
bool cort_out_wanted(const cort_kctx *ctx, int i);

/* Error naming the running node. */
cort_status *cort_kerr(const cort_kctx *ctx, const char *fmt, ...) CORT_PRINTF(2, 3);

/* ---------------------------------------------------------------- prepare (optional)
 * Called once at load after parse, with the constant inputs known then: pack weights, pick a kernel
 * variant, size scratch. Set *state (memory from pool). */
typedef struct cort_prepare_ctx {
    const cort_node *node;
    const void *params;
    int n_in;
    const cort_type *const *in;
    const cort_tensor *const *in_const;
    cort_pool *pool;
    const void **state;
} cort_prepare_ctx;

/* Newest default-domain opset cort implements; models importing a newer one are refused at load. */
#define CORT_OPSET_MAX 18

/* Bit masks of element types for a row's type constraint. */
#define CORT_T(t) (1u << (t))
#define CORT_TS_FLOAT (CORT_T(CORT_FLOAT) | CORT_T(CORT_DOUBLE) | CORT_T(CORT_FLOAT16) | CORT_T(CORT_BFLOAT16))
#define CORT_TS_SINT (CORT_T(CORT_INT8) | CORT_T(CORT_INT16) | CORT_T(CORT_INT32) | CORT_T(CORT_INT64))
#define CORT_TS_UINT (CORT_T(CORT_UINT8) | CORT_T(CORT_UINT16) | CORT_T(CORT_UINT32) | CORT_T(CORT_UINT64))
#define CORT_TS_INT (CORT_TS_SINT | CORT_TS_UINT)
#define CORT_TS_NUM (CORT_TS_FLOAT | CORT_TS_INT)
#define CORT_TS_ALL (CORT_TS_NUM | CORT_T(CORT_BOOL) | CORT_T(CORT_STRING))
#define CORT_TS_ANY 0u /* no check */

enum {
    CORT_OP_TRAINING = 1,       /* training-only operator: refused at load with a clear message */
    CORT_OP_ALIAS_INPUT0 = 2,   /* run may make output 0 a view of input 0 (svc->alias_output) */
    CORT_OP_INPLACE_INPUT0 = 4, /* the kernel is correct when output 0 shares input 0's buffer (same size):
                                   the planner may place them together when input 0 dies here */
    CORT_OP_PACKED_B = 8,       /* when prepare() sets a state, it holds constant input 1 packed, and run
                                   reads only that input's type and shape, never its elements: the session
                                   may give the original's memory back */
};

typedef struct cort_op_def {
    const char *domain; /* "" for ai.onnx */
    const char *op_type;
    int since, until;   /* opset versions served, inclusive */
    uint32_t types;     /* allowed element types of input `type_input` (CORT_TS_ANY: no check) */
    int type_input;
    size_t params_size;
    cort_status *(*parse)(cort_parse_ctx *pc);   /* may be NULL when there are no attributes */
    cort_status *(*infer)(cort_infer_ctx *ic);   /* may be NULL: output types unknown until run */
    cort_status *(*prepare)(cort_prepare_ctx *pc); /* may be NULL */
    cort_status *(*run)(cort_kctx *ctx);
    unsigned flags;
} cort_op_def;

/* The row serving (domain, op_type, opset) for element type `type` (0 = unknown, not checked).
 * On failure returns NULL and sets *why to one of: "unknown operator", "opset not supported",
 * "type not supported". */
const cort_op_def *cort_registry_find(const char *domain, const char *op_type, int opset, int32_t type,
                                      const char **why);

/* ---------------------------------------------------------------- helpers shared by op families */
/* Numpy-style broadcast of two shapes into out (rank *out_rank); false if incompatible. */
bool cort_broadcast_shape(const int64_t *a, int ra, const int64_t *b, int rb, int64_t *out, int *out_rank);
/* Reads element i of a numeric tensor of any type as double / int64. */
double cort_get_f64(const cort_tensor *t, int64_t i);
int64_t cort_get_i64(const cort_tensor *t, int64_t i);
/* Writes element i of a numeric tensor of any type (with the type's conversion rules). */
void cort_set_f64(cort_tensor *t, int64_t i, double v);
void cort_set_i64(cort_tensor *t, int64_t i, int64_t v);
/* Normalises a possibly negative axis against rank; false if out of [-rank, rank). */
bool cort_norm_axis(int64_t axis, int rank, int *out);

#endif
