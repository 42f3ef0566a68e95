/* Recurrent layers: RNN, GRU and LSTM (default domain, opsets 1..17).
 *
 * Inputs X, W, R, B, sequence_lens, initial_h (, initial_c, P for LSTM); outputs Y, Y_h (, Y_c), each
 * optional. The input projection of all time steps is one matrix product; each step then multiplies
 * the previous hidden state by R for the whole batch and applies the gates row by row. A batch row
 * whose sequence has ended keeps its state and leaves zeros in Y. */
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/vecmath.h"
#include "ops/op.h"

typedef enum { CELL_SIMPLE, CELL_GRU, CELL_LSTM } rnn_cell;
typedef enum { DIR_FORWARD, DIR_REVERSE, DIR_BIDIRECTIONAL } rnn_direction;

typedef enum {
    ACT_RELU,
    ACT_TANH,
    ACT_SIGMOID,
    ACT_AFFINE,
    ACT_LEAKY_RELU,
    ACT_THRESHOLDED_RELU,
    ACT_SCALED_TANH,
    ACT_HARD_SIGMOID,
    ACT_ELU,
    ACT_SOFTSIGN,
    ACT_SOFTPLUS
} rnn_act_kind;

typedef struct rnn_act {
    rnn_act_kind kind;
    float alpha, beta;
} rnn_act;

#define RNN_MAX_ACTS 3 /* per direction: f (RNN); f, g (GRU); f, g, h (LSTM) */

typedef struct rnn_params {
    rnn_cell cell;
    rnn_direction direction;
    int num_dirs;
    int64_t hidden_size; /* 0 when the attribute is absent: taken from R */
    rnn_act acts[2][RNN_MAX_ACTS];
    bool has_clip;
    float clip;
    bool linear_before_reset;
    bool input_forget;
    int layout; /* 0: [seq, batch, ...]; 1: [batch, seq, ...] */
} rnn_params;

typedef struct rnn_act_info {
    const char *name;
    rnn_act_kind kind;
    bool uses_alpha, uses_beta;
    float alpha, beta; /* defaults */
} rnn_act_info;

static const rnn_act_info act_table[] = {
    {"Relu", ACT_RELU, false, false, 0, 0},
    {"Tanh", ACT_TANH, false, false, 0, 0},
    {"Sigmoid", ACT_SIGMOID, false, false, 0, 0},
    {"Affine", ACT_AFFINE, true, true, 1.0f, 0.0f},
    {"LeakyRelu", ACT_LEAKY_RELU, true, false, 0.01f, 0},
    {"ThresholdedRelu", ACT_THRESHOLDED_RELU, true, false, 1.0f, 0},
    {"ScaledTanh", ACT_SCALED_TANH, true, true, 1.0f, 1.0f},
    {"HardSigmoid", ACT_HARD_SIGMOID, true, true, 0.2f, 0.5f},
    {"Elu", ACT_ELU, true, false, 1.0f, 0},
    {"Softsign", ACT_SOFTSIGN, false, false, 0, 0},
    {"Softplus", ACT_SOFTPLUS, false, false, 0, 0},
};

static bool same_name_ignoring_case(const char *a, const char *b) {
    for (; *a && *b; a++, b++) {
        char ca = (char)(*a >= 'A' && *a <= 'Z' ? *a + 32 : *a);
        char cb = (char)(*b >= 'A' && *b <= 'Z' ? *b + 32 : *b);
        if (ca != cb) return false;
    }
    return *a == *b;
}

static const rnn_act_info *find_activation(const char *name) {
    for (size_t i = 0; i < sizeof act_table / sizeof act_table[0]; i++)
        if (same_name_ignoring_case(name, act_table[i].name)) return &act_table[i];
    return NULL;
}

static int acts_per_direction(rnn_cell cell) { return cell == CELL_SIMPLE ? 1 : cell == CELL_GRU ? 2 : 3; }
static int gate_count(rnn_cell cell) { return cell == CELL_SIMPLE ? 1 : cell == CELL_GRU ? 3 : 4; }

static void set_default_activations(rnn_params *p) {
    static const rnn_act_kind defaults[3][RNN_MAX_ACTS] = {
        {ACT_TANH, ACT_TANH, ACT_TANH},
        {ACT_SIGMOID, ACT_TANH, ACT_TANH},
        {ACT_SIGMOID, ACT_TANH, ACT_TANH},
    };
    for (int d = 0; d < 2; d++)
        for (int k = 0; k < RNN_MAX_ACTS; k++) p->acts[d][k] = (rnn_act){defaults[p->cell][k], 0, 0};
}

/* activation_alpha / activation_beta are consumed, in order, only by the functions that take them
 * (as ONNX Runtime does); a bidirectional layer given one direction's list uses it for both. */
static cort_status *parse_activations(const cort_node *node, rnn_params *p) {
    const cort_attr *names = cort_node_attr(node, "activations");
    set_default_activations(p);
    if (!names) return NULL;
    if (names->type != CORT_ATTR_STRINGS)
        return cort_node_error(node, CORT_INVALID_GRAPH, "attribute 'activations' must be a list of strings");
    int per_dir = acts_per_direction(p->cell);
    int64_t n = names->n;
    if (n != per_dir && n != (int64_t)per_dir * p->num_dirs)
        return cort_node_error(node, CORT_INVALID_GRAPH, "%lld activations given, expected %d per direction",
                               (long long)n, per_dir);
    const float *alphas = NULL, *betas = NULL;
    int64_t n_alpha = cort_attr_floats(node, "activation_alpha", &alphas);
    int64_t n_beta = cort_attr_floats(node, "activation_beta", &betas);
    int64_t ia = 0, ib = 0;
    for (int64_t i = 0; i < n; i++) {
        const rnn_act_info *info = find_activation(names->strings[i]);
        if (!info)
            return cort_node_error(node, CORT_NOT_IMPLEMENTED, "unsupported activation '%s'", names->strings[i]);
        rnn_act a = {info->kind, info->alpha, info->beta};
        if (info->uses_alpha && ia < n_alpha) a.alpha = alphas[ia++];
        if (info->uses_beta && ib < n_beta) a.beta = betas[ib++];
        p->acts[i / per_dir][i % per_dir] = a;
    }
    if (n == per_dir && p->num_dirs == 2)
        for (int k = 0; k < per_dir; k++) p->acts[1][k] = p->acts[0][k];
    return NULL;
}

static cort_status *parse_direction(const cort_node *node, rnn_params *p) {
    const char *dir = cort_attr_string(node, "direction", "forward");
    if (!strcmp(dir, "forward")) p->direction = DIR_FORWARD;
    else if (!strcmp(dir, "reverse")) p->direction = DIR_REVERSE;
    else if (!strcmp(dir, "bidirectional")) p->direction = DIR_BIDIRECTIONAL;
    else return cort_node_error(node, CORT_INVALID_GRAPH, "unknown direction '%s'", dir);
    p->num_dirs = p->direction == DIR_BIDIRECTIONAL ? 2 : 1;
    return NULL;
}

static cort_status *parse_rnn_common(cort_parse_ctx *pc, rnn_cell cell) {
    const cort_node *node = pc->node;
    rnn_params *p = pc->params;
    p->cell = cell;
    CORT_TRY(parse_direction(node, p));
    p->hidden_size = cort_attr_int(node, "hidden_size", 0);
    if (p->hidden_size < 0 || p->hidden_size > ((int64_t)1 << 30))
        return cort_node_error(node, CORT_INVALID_GRAPH, "invalid hidden_size %lld", (long long)p->hidden_size);
    if (cort_node_attr(node, "clip")) {
        p->has_clip = true;
        p->clip = cort_attr_float(node, "clip", 0);
        if (!(p->clip > 0)) return cort_node_error(node, CORT_INVALID_GRAPH, "clip must be positive");
    }
    p->layout = node->opset >= 14 ? (int)cort_attr_int(node, "layout", 0) : 0;
    if (p->layout != 0 && p->layout != 1)
        return cort_node_error(node, CORT_INVALID_GRAPH, "layout must be 0 or 1, got %d", p->layout);
    if (cell == CELL_GRU) p->linear_before_reset = cort_attr_int(node, "linear_before_reset", 0) != 0;
    if (cell == CELL_LSTM) p->input_forget = cort_attr_int(node, "input_forget", 0) != 0;
    return parse_activations(node, p);
}

static cort_status *parse_rnn(cort_parse_ctx *pc) { return parse_rnn_common(pc, CELL_SIMPLE); }
static cort_status *parse_gru(cort_parse_ctx *pc) { return parse_rnn_common(pc, CELL_GRU); }
static cort_status *parse_lstm(cort_parse_ctx *pc) { return parse_rnn_common(pc, CELL_LSTM); }

/* ------------------------------------------------------------------ shape inference */

static cort_dim known_dim(int64_t v) { return (cort_dim){v, NULL}; }

static cort_status *infer_rnn(cort_infer_ctx *ic) {
    const rnn_params *p = ic->params;
    const cort_type *x = ic->n_in > 0 ? ic->in[0] : NULL;
    const cort_type *r = ic->n_in > 2 ? ic->in[2] : NULL;
    if (!x || x->kind != CORT_TYPE_TENSOR) return NULL;
    cort_dim seq = {-1, NULL}, batch = {-1, NULL}, hidden = known_dim(p->hidden_size ? p->hidden_size : -1);
    if (x->rank == 3) {
        seq = x->dims[p->layout ? 1 : 0];
        batch = x->dims[p->layout ? 0 : 1];
    }
    if (!p->hidden_size && r && r->kind == CORT_TYPE_TENSOR && r->rank == 3) hidden = r->dims[2];
    cort_dim dirs = known_dim(p->num_dirs);
    for (int i = 0; i < ic->n_out && i < 3; i++) {
        int rank = i == 0 ? 4 : 3;
        cort_dim *dims = cort_pool_calloc(ic->pool, (size_t)rank, sizeof *dims);
        if (!dims) return cort_oom();
        if (i == 0 && p->layout == 0) { dims[0] = seq; dims[1] = dirs; dims[2] = batch; dims[3] = hidden; }
        else if (i == 0) { dims[0] = batch; dims[1] = seq; dims[2] = dirs; dims[3] = hidden; }
        else if (p->layout == 0) { dims[0] = dirs; dims[1] = batch; dims[2] = hidden; }
        else { dims[0] = batch; dims[1] = dirs; dims[2] = hidden; }
        cort_type_set_tensor(&ic->out[i], x->elem, rank, dims);
    }
    return NULL;
}

/* ------------------------------------------------------------------ prepare */

/* A float W known at load is packed once for the input projection's GEMM. */
typedef struct rnn_state {
    const float *packed_w[2];
    int64_t input, gate_rows; /* the packed W's shape per direction: [gate_rows, input] */
} rnn_state;

static cort_status *prepare_rnn(cort_prepare_ctx *pc) {
    const rnn_params *p = pc->params;
    const cort_tensor *w = pc->n_in > 1 ? pc->in_const[1] : NULL;
    if (!w || w->type != CORT_FLOAT || w->rank != 3 || w->dims[0] != p->num_dirs) return NULL;
    int64_t gate_rows = w->dims[1], input = w->dims[2];
    if (gate_rows <= 0 || input <= 0 || cort_shape_count(w->dims, 3) < 0) return NULL; /* checked at run */
    rnn_state *st = cort_pool_calloc(pc->pool, 1, sizeof *st);
    if (!st) return cort_oom();
    st->input = input;
    st->gate_rows = gate_rows;
    for (int d = 0; d < p->num_dirs; d++) {
        float *packed = cort_pool_alloc(pc->pool, cort_sgemm_packed_b_size(input, gate_rows));
        if (!packed) return cort_oom();
        cort_sgemm_pack_b(true, input, gate_rows, (const float *)w->data + d * gate_rows * input, input, packed);
        st->packed_w[d] = packed;
    }
    *pc->state = st;
    return NULL;
}

/* ------------------------------------------------------------------ run */

/* Everything one run needs, with the buffers as untyped pointers; rnn_steps.h does the math. */
typedef struct rnn_job {
    cort_kctx *ctx;
    const rnn_params *p;
    int64_t seq, batch, input, hidden;
    int gates, num_dirs;
    const void *x, *w, *r, *b, *init_h, *init_c, *peep;
    const int64_t *lens; /* NULL: every row runs the full sequence */
    void *y, *y_h, *y_c; /* NULL when the output is not wanted */
    const void *packed_w[2]; /* per direction: W packed at load for the input projection, or NULL */
} rnn_job;

/* Row of the input projection holding (time t, batch b): X's own row order. */
static inline int64_t rnn_input_row(const rnn_job *j, int64_t t, int64_t b) {
    return j->p->layout ? b * j->seq + t : t * j->batch + b;
}

/* Offset of Y[t, d, b, :] (layout 0) or Y[b, t, d, :] (layout 1). */
static inline int64_t rnn_output_offset(const rnn_job *j, int64_t t, int d, int64_t b) {
    int64_t row = j->p->layout ? (b * j->seq + t) * j->num_dirs + d : (t * j->num_dirs + d) * j->batch + b;
    return row * j->hidden;
}

/* Offset of a state tensor's [d, b, :] (layout 0) or [b, d, :] (layout 1). */
static inline int64_t rnn_state_offset(const rnn_job *j, int d, int64_t b) {
    int64_t row = j->p->layout ? b * j->num_dirs + d : d * j->batch + b;
    return row * j->hidden;
}

static void kctx_parallel_for(void *self, int64_t n, int64_t min_chunk, cort_task_fn fn, void *arg) {
    cort_kctx *ctx = self;
    ctx->svc->parallel_for(ctx, n, min_chunk, fn, arg);
}

static cort_threads kctx_threads(const rnn_job *j) {
    return (cort_threads){kctx_parallel_for, j->ctx, j->ctx->threads > 0 ? j->ctx->threads : 1};
}

/* c[m x n] = a[m x k] * b^T, b being n x k (W and R are stored that way) */
static void gemm_nt_f32(const rnn_job *j, void *work, int64_t m, int64_t n, int64_t k, const float *a,
                        int64_t lda, const float *b, int64_t ldb, float *c, int64_t ldc) {
    cort_threads th = kctx_threads(j);
    cort_sgemm_mt(&th, false, true, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc, work);
}

static size_t gemm_work_f32(const rnn_job *j, int64_t m, int64_t n, int64_t k) {
    cort_threads th = kctx_threads(j);
    return cort_sgemm_mt_work_size(m, n, k, th.count);
}

static cort_status *pack_weights_f32(const rnn_job *j, const float *r, int64_t n, int64_t k, const void **packed) {
    size_t bytes = cort_sgemm_packed_b_size(k, n);
    float *p = j->ctx->svc->scratch(j->ctx, bytes);
    if (!p) return cort_kerr(j->ctx, "out of memory for %zu bytes of packed recurrence weights", bytes);
    cort_sgemm_pack_b(true, k, n, r, k, p);
    *packed = p;
    return NULL;
}

static void gemm_packed_f32(const rnn_job *j, void *work, int64_t m, int64_t n, int64_t k, const float *a,
                            int64_t lda, const void *packed_b, float *c, int64_t ldc) {
    cort_threads th = kctx_threads(j);
    cort_sgemm_packed_b_mt(&th, false, m, n, k, 1.0f, a, lda, packed_b, 0.0f, c, ldc, work);
}

static void gemm_nt_f64(const rnn_job *j, void *work, int64_t m, int64_t n, int64_t k, const double *a,
                        int64_t lda, const double *b, int64_t ldb, double *c, int64_t ldc) {
    cort_dgemm(false, true, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, ldc);
}

static size_t gemm_work_f64(const rnn_job *j, int64_t m, int64_t n, int64_t k) { return 64; }

/* DGEMM has no packed form: double layers take the dot-product path whatever the batch. */
static cort_status *pack_weights_f64(const rnn_job *j, const double *r, int64_t n, int64_t k,
                                     const void **packed) {
    *packed = NULL;
    return NULL;
}

static void gemm_packed_f64(const rnn_job *j, void *work, int64_t m, int64_t n, int64_t k, const double *a,
                            int64_t lda, const void *packed_b, double *c, int64_t ldc) {}

/* Up to this many batch rows, each step multiplies by R with dot products over its rows (a GEMV)
 * rather than calling the GEMM, which would repack R at every step. */
#define RNN_GEMV_MAX_BATCH 4

/* ---- gate math: float takes the array math of kernels/vecmath.h (vectorised, ~2 ulp) and its
 * element cores where an activation needs one value at a time */
static inline double gate_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

#define RNN_T float
#define RNN_FN(name) name##_f32
#define RNN_SIGMOID cort_vm_sigmoid
#define RNN_TANH cort_vm_tanh
#define RNN_EXP cort_vm_exp
#define RNN_VTANH cort_vtanh
#define RNN_VSIGMOID cort_vsigmoid
#define RNN_DOT_ROWS cort_sgemv_rows
#define RNN_LOG1P log1pf
#define RNN_FABS fabsf
#include "ops/rnn_steps.h"
#undef RNN_T
#undef RNN_FN
#undef RNN_SIGMOID
#undef RNN_TANH
#undef RNN_EXP
#undef RNN_VTANH
#undef RNN_VSIGMOID
#undef RNN_DOT_ROWS
#undef RNN_LOG1P
#undef RNN_FABS

#define RNN_T double
#define RNN_FN(name) name##_f64
#define RNN_SIGMOID gate_sigmoid
#define RNN_TANH tanh
#define RNN_EXP exp
#define RNN_LOG1P log1p
#define RNN_FABS fabs
#include "ops/rnn_steps.h"
#undef RNN_T
#undef RNN_FN
#undef RNN_SIGMOID
#undef RNN_TANH
#undef RNN_EXP
#undef RNN_LOG1P
#undef RNN_FABS

/* Checks that tensor t (named for messages) has the given rank and dims; -1 in want skips a dim. */
static cort_status *check_shape(const cort_kctx *ctx, const cort_tensor *t, const char *name, int type, int rank,
                                const int64_t *want) {
    char got[128], exp[128];
    if (t->type != type)
        return cort_kerr(ctx, "input %s has type %s, expected %s like X", name, cort_type_name(t->type),
                         cort_type_name(type));
    bool ok = t->rank == rank;
    for (int i = 0; ok && i < rank; i++) ok = want[i] < 0 || t->dims[i] == want[i];
    if (!ok)
        return cort_kerr(ctx, "input %s has shape %s, expected %s", name,
                         cort_shape_str(t->dims, t->rank, got, sizeof got),
                         cort_shape_str(want, rank, exp, sizeof exp));
    return NULL;
}

static cort_status *read_sequence_lens(cort_kctx *ctx, rnn_job *j) {
    const cort_tensor *sl = cort_in(ctx, 4);
    if (!sl) return NULL;
    if (sl->type != CORT_INT32 && sl->type != CORT_INT64)
        return cort_kerr(ctx, "sequence_lens must be int32, got %s", cort_type_name(sl->type));
    if (sl->rank != 1 || sl->dims[0] != j->batch)
        return cort_kerr(ctx, "sequence_lens must have shape [%lld]", (long long)j->batch);
    int64_t *lens = ctx->svc->scratch(ctx, (size_t)(j->batch ? j->batch : 1) * sizeof *lens);
    if (!lens) return cort_oom();
    for (int64_t b = 0; b < j->batch; b++) {
        lens[b] = cort_get_i64(sl, b);
        if (lens[b] < 0 || lens[b] > j->seq)
            return cort_kerr(ctx, "sequence_lens[%lld] = %lld is outside [0, %lld]", (long long)b, (long long)lens[b],
                             (long long)j->seq);
    }
    j->lens = lens;
    return NULL;
}

static cort_status *bind_inputs(cort_kctx *ctx, rnn_job *j) {
    const rnn_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0), *w = cort_in(ctx, 1), *r = cort_in(ctx, 2);
    if (!x || !w || !r) return cort_kerr(ctx, "inputs X, W and R are required");
    if (!cort_is_float_type(x->type))
        return cort_kerr(ctx, "element type %s not supported (float16, bfloat16, float, double)",
                         cort_type_name(x->type));
    if (x->rank != 3) return cort_kerr(ctx, "X must have rank 3, got %d", x->rank);
    if (r->rank != 3) return cort_kerr(ctx, "R must have rank 3, got %d", r->rank);
    j->p = p;
    j->ctx = ctx;
    j->gates = gate_count(p->cell);
    j->num_dirs = p->num_dirs;
    j->seq = x->dims[p->layout ? 1 : 0];
    j->batch = x->dims[p->layout ? 0 : 1];
    j->input = x->dims[2];
    j->hidden = p->hidden_size ? p->hidden_size : r->dims[2];
    int64_t nd = p->num_dirs, gh = j->gates * j->hidden;
    int64_t w_dims[3] = {nd, gh, j->input}, r_dims[3] = {nd, gh, j->hidden}, b_dims[2] = {nd, 2 * gh};
    int64_t s_dims[3] = {nd, j->batch, j->hidden}, p_dims[2] = {nd, 3 * j->hidden};
    if (p->layout) { s_dims[0] = j->batch; s_dims[1] = nd; }
    CORT_TRY(check_shape(ctx, w, "W", x->type, 3, w_dims));
    CORT_TRY(check_shape(ctx, r, "R", x->type, 3, r_dims));
    const cort_tensor *b = cort_in(ctx, 3), *h0 = cort_in(ctx, 5);
    const cort_tensor *c0 = p->cell == CELL_LSTM ? cort_in(ctx, 6) : NULL;
    const cort_tensor *peep = p->cell == CELL_LSTM ? cort_in(ctx, 7) : NULL;
    if (b) CORT_TRY(check_shape(ctx, b, "B", x->type, 2, b_dims));
    if (h0) CORT_TRY(check_shape(ctx, h0, "initial_h", x->type, 3, s_dims));
    if (c0) CORT_TRY(check_shape(ctx, c0, "initial_c", x->type, 3, s_dims));
    if (peep) CORT_TRY(check_shape(ctx, peep, "P", x->type, 2, p_dims));
    int64_t total = j->seq * j->batch * gh; /* the largest scratch buffer */
    if (cort_shape_count((int64_t[]){j->seq, j->batch, gh}, 3) < 0 || total > CORT_MAX_ELEMENTS)
        return cort_kerr(ctx, "sequence too large");
    const rnn_state *st = ctx->state;
    if (st && x->type == CORT_FLOAT && st->input == j->input && st->gate_rows == gh)
        for (int d = 0; d < p->num_dirs; d++) j->packed_w[d] = st->packed_w[d];
    j->x = x->data;
    j->w = w->data;
    j->r = r->data;
    j->b = b ? b->data : NULL;
    j->init_h = h0 ? h0->data : NULL;
    j->init_c = c0 ? c0->data : NULL;
    j->peep = peep ? peep->data : NULL;
    return read_sequence_lens(ctx, j);
}

static cort_status *alloc_outputs(cort_kctx *ctx, rnn_job *j, int32_t type) {
    int64_t nd = j->num_dirs;
    int64_t y_dims[4] = {j->seq, nd, j->batch, j->hidden}, s_dims[3] = {nd, j->batch, j->hidden};
    if (j->p->layout) {
        int64_t yl[4] = {j->batch, j->seq, nd, j->hidden}, sl[3] = {j->batch, nd, j->hidden};
        memcpy(y_dims, yl, sizeof yl);
        memcpy(s_dims, sl, sizeof sl);
    }
    void **slots[3] = {&j->y, &j->y_h, &j->y_c};
    int n_out = j->p->cell == CELL_LSTM ? 3 : 2;
    for (int i = 0; i < n_out && i < ctx->n_out; i++) {
        if (!cort_out_wanted(ctx, i)) continue;
        cort_tensor *t;
        CORT_TRY(cort_out(ctx, i, type, i == 0 ? 4 : 3, i == 0 ? y_dims : s_dims, &t));
        *slots[i] = t->data;
    }
    /* rows past a sequence's end are never written by the steps */
    if (j->y) memset(j->y, 0, (size_t)(j->seq * nd * j->batch * j->hidden) * cort_elem_size(type));
    return NULL;
}

/* Half-precision layers run in float: the inputs are widened into scratch, the job then points at
 * float copies, and finish_half_outputs narrows the results into the real outputs. */
static cort_status *widen_input(cort_kctx *ctx, int i, const void **data) {
    const cort_tensor *t = cort_in(ctx, i);
    if (!t || !*data) return NULL;
    int64_t n = cort_tensor_count(t);
    float *f = ctx->svc->scratch(ctx, (size_t)(n > 0 ? n : 1) * sizeof *f);
    if (!f) return cort_kerr(ctx, "out of memory widening input %d to float", i);
    cort_convert_to_f32(t->type, t->data, n, f);
    *data = f;
    return NULL;
}

static cort_status *widen_half_inputs(cort_kctx *ctx, rnn_job *j) {
    const void **slots[8] = {&j->x, &j->w, &j->r, &j->b, NULL, &j->init_h, &j->init_c, &j->peep};
    for (int i = 0; i < 8; i++)
        if (slots[i]) CORT_TRY(widen_input(ctx, i, slots[i]));
    return NULL;
}

/* Points the job's wanted outputs at float scratch, remembering the real (half) buffers in `real`. */
static cort_status *redirect_half_outputs(cort_kctx *ctx, rnn_job *j, void **real, int64_t *counts) {
    void **slots[3] = {&j->y, &j->y_h, &j->y_c};
    int64_t state = j->num_dirs * j->batch * j->hidden;
    int64_t sizes[3] = {j->seq * state, state, state};
    for (int i = 0; i < 3; i++) {
        real[i] = *slots[i];
        counts[i] = sizes[i];
        if (!real[i]) continue;
        float *f = ctx->svc->scratch(ctx, (size_t)(sizes[i] > 0 ? sizes[i] : 1) * sizeof *f);
        if (!f) return cort_kerr(ctx, "out of memory for float outputs");
        memset(f, 0, (size_t)sizes[i] * sizeof *f);
        *slots[i] = f;
    }
    return NULL;
}

static cort_status *run_rnn(cort_kctx *ctx) {
    rnn_job j;
    memset(&j, 0, sizeof j);
    CORT_TRY(bind_inputs(ctx, &j));
    int32_t type = cort_in(ctx, 0)->type;
    CORT_TRY(alloc_outputs(ctx, &j, type));
    bool half = type == CORT_FLOAT16 || type == CORT_BFLOAT16;
    void *real[3] = {0};
    int64_t counts[3] = {0};
    if (half) {
        CORT_TRY(widen_half_inputs(ctx, &j));
        CORT_TRY(redirect_half_outputs(ctx, &j, real, counts));
    }
    if (type == CORT_DOUBLE) CORT_TRY(run_directions_f64(&j));
    else CORT_TRY(run_directions_f32(&j));
    void *outs[3] = {j.y, j.y_h, j.y_c};
    for (int i = 0; half && i < 3; i++)
        if (real[i]) cort_convert_from_f32(type, outs[i], counts[i], real[i]);
    return NULL;
}

#define RNN_TYPES CORT_TS_FLOAT

const cort_op_def cort_ops_rnn[] = {
    {"", "RNN", 1, CORT_OPSET_MAX, RNN_TYPES, 0, sizeof(rnn_params), parse_rnn, infer_rnn, prepare_rnn, run_rnn, 0},
    {"", "GRU", 1, CORT_OPSET_MAX, RNN_TYPES, 0, sizeof(rnn_params), parse_gru, infer_rnn, prepare_rnn, run_rnn, 0},
    {"", "LSTM", 1, CORT_OPSET_MAX, RNN_TYPES, 0, sizeof(rnn_params), parse_lstm, infer_rnn, prepare_rnn, run_rnn, 0},
    {0},
};
