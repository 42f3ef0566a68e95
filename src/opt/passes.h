/* What the optimizer's passes share: who reads each value, which values are constant, which nodes are
 * gone. Internal to src/opt. */
#ifndef CORT_OPT_PASSES_H
#define CORT_OPT_PASSES_H
#include "opt/opt.h"

typedef struct graph_uses {
    int *count;      /* per value: node inputs + graph outputs + references from nested subgraphs */
    bool *outer_ref; /* per value: read by name from a nested subgraph */
    bool *is_const;  /* per value: constant data known at load */
    bool *dead;      /* per node */
} graph_uses;

cort_status *cort_opt_count_uses(const cort_graph *g, graph_uses *u);
void cort_opt_free_uses(graph_uses *u);
/* Marks node i removed and stops counting its reads. */
void cort_opt_drop_node(cort_graph *g, graph_uses *u, int i);
bool cort_opt_has_subgraph(const cort_node *n);
/* Every node input reading value `from` reads `to` instead (use counts moved). */
void cort_opt_replace_uses(cort_graph *g, graph_uses *u, int from, int to);
/* Removes the dropped nodes from g->nodes and the initializers nothing reads any more. */
void cort_opt_compact(cort_graph *g, const graph_uses *u);

/* ---- matching helpers for the fusions (src/opt/match.c) */
#define CORT_OPT_DOMAIN "com.cort"
/* The live node producing value v, or -1. */
int cort_opt_producer(const cort_graph *g, const graph_uses *u, int v);
/* True when v has exactly one reader, a node of this graph (not a graph output, not a subgraph's). */
bool cort_opt_private(const cort_graph *g, const graph_uses *u, int v);
/* The node reading v when v is private, else -1. */
int cort_opt_sole_reader(const cort_graph *g, const graph_uses *u, int v);
/* A default-domain node of this type with this many inputs and a first output. */
bool cort_opt_is_op(const cort_node *n, const char *op_type, int n_inputs);
/* A constant float tensor of one element. */
bool cort_opt_const_scalar(const cort_graph *g, const graph_uses *u, int v, float *out);
/* v equals `want` to a relative 1e-4 (the decimal constants exporters write). */
bool cort_opt_near(float v, double want);
/* v's type when it is a tensor of fully known shape, else NULL. */
const cort_type *cort_opt_static_type(const cort_graph *g, int v);
/* Adds the com.cort opset import the fused nodes need, once. */
cort_status *cort_opt_import_cort_domain(cort_model *m);
/* Node n becomes com.cort::op_type (opset 1) with these inputs (use counts moved) and attributes
 * (copied); its outputs stay. */
cort_status *cort_opt_rewrite(cort_graph *g, graph_uses *u, cort_node *n, const char *op_type, const int *inputs,
                              int n_inputs, const cort_attr *attrs, int n_attrs);

/* passes (src/opt/basic.c, src/opt/fuse.c); each returns how many nodes it removed or rewrote */
int cort_opt_eliminate_identities(cort_graph *g, graph_uses *u);
cort_status *cort_opt_fold_constants(cort_graph *g, graph_uses *u, const cort_fold_env *env, int *count);
int cort_opt_eliminate_dead_nodes(cort_graph *g, graph_uses *u);
cort_status *cort_opt_fuse_activations(cort_model *m, cort_graph *g, graph_uses *u, int *count);
/* src/opt/fuse_se.c: GlobalAveragePool -> 1x1 Conv -> 1x1 Conv -> Mul (squeeze-and-excitation) →
 * com.cort::SqueezeExcite (after the Conv fusions, whose activations it carries over). */
cort_status *cort_opt_fuse_squeeze_excite(cort_model *m, cort_graph *g, graph_uses *u, int *count);
/* src/opt/fuse_elementwise.c: x * Sigmoid(x) → com.cort::SiLU (after the Conv fusions). */
cort_status *cort_opt_fuse_elementwise(cort_model *m, cort_graph *g, graph_uses *u, int *count);
/* src/opt/fuse_transformer.c: MatMul + bias Add → com.cort::FusedMatMul; GELU (erf form) → com.cort::Gelu,
 * its tanh approximation → com.cort::FastGelu; either folded into the FusedMatMul before it. */
cort_status *cort_opt_fuse_matmul_bias(cort_model *m, cort_graph *g, graph_uses *u, int *count);
cort_status *cort_opt_fuse_gelu(cort_model *m, cort_graph *g, graph_uses *u, int *count);
/* The decomposed LayerNormalization over the last axis, and the standard one over the last axis with only
 * Y, → com.cort::LayerNormalization. */
cort_status *cort_opt_fuse_layernorm(cort_model *m, cort_graph *g, graph_uses *u, int *count);
/* A Gather of rows (constant indices, not along the last axis) moved before the row-by-row nodes that
 * compute what it reads (LayerNormalization, FusedMatMul, Gelu, elementwise Add/Sub/Mul/Div), so they
 * compute only the gathered rows; runs after the other fusions (it may add Gather nodes). */
cort_status *cort_opt_gather_rows_early(cort_graph *g, graph_uses *u, int *count);
/* A Transpose that moves only axes of size 1 → Reshape to its output shape (a view instead of a copy). */
cort_status *cort_opt_unit_transposes_as_reshapes(cort_graph *g, graph_uses *u, int *count);
/* src/opt/fuse_layout.c: Transpose of a Transpose → one (or none), Reshape of a Reshape → one, a Reshape
 * to the shape it already has → none (level 1, standard operators); MatMul(A, Transpose(B)) with B a
 * matrix → com.cort::FusedMatMul with transB (level 2). */
int cort_opt_cancel_layout(cort_graph *g, graph_uses *u);
cort_status *cort_opt_fuse_transposed_matmul(cort_model *m, cort_graph *g, graph_uses *u, int *count);
/* src/opt/fuse_concat.c: Concat(axis 1) → BatchNormalization [→ Relu], or BatchNormalization → Relu, →
 * com.cort::ConcatBatchNormalization; a 1x1 Conv → [empty Pad] → AveragePool swapped to pool first. */
cort_status *cort_opt_fuse_concat_batchnorm(cort_model *m, cort_graph *g, graph_uses *u, int *count);
cort_status *cort_opt_pool_before_pointwise_conv(cort_graph *g, graph_uses *u, int *count);
/* src/opt/fuse_attention.c: multi-head self-attention subgraphs → com.cort::Attention. */
cort_status *cort_opt_fuse_attention(cort_model *m, cort_graph *g, graph_uses *u, int *count);
#endif
