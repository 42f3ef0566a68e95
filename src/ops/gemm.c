/* Matrix products: Gemm, MatMul, MatMulInteger, QLinearMatMul, Det and Einsum.
 * Float runs on the blocked SGEMM kernel (float16/bfloat16 through float copies), double on DGEMM,
 * integer types on plain loops with wrapping 64-bit arithmetic. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/transformer.h"
#include "ops/fused.h"
#include "ops/nn_util.h"
#include "ops/op.h"

static bool is_int_type(int32_t t) {
    return t == CORT_INT8 || t == CORT_UINT8 || t == CORT_INT16 || t == CORT_UINT16 || t == CORT_INT32 ||
           t == CORT_UINT32 || t == CORT_INT64 || t == CORT_UINT64;
}

static cort_status *same_type(const cort_kctx *ctx, const cort_tensor *a, const cort_tensor *b, const char *what) {
    if (a->type != b->type)
        return cort_kerr(ctx, "%s: element types differ (%s vs %s)", what, cort_type_name(a->type),
                         cort_type_name(b->type));
    return NULL;
}

static cort_dim *pool_dims(cort_pool *pool, int rank) {
    return cort_pool_calloc(pool, rank > 0 ? (size_t)rank : 1, sizeof(cort_dim));
}

/* ================================================================ constant B, packed at load */

/* A float B operand known at load, packed for the SGEMM micro-kernel (op(B) is k x n). */
/* A float, float16 or bfloat16 B operand known at load, packed (as float) for the SGEMM micro-kernel
 * (op(B) is k x n). */
typedef struct packed_b {
    int32_t type;
    int64_t dims[2];
    bool trans;
    float *packed;
} packed_b;

static cort_status *pack_const_b(cort_prepare_ctx *pc, bool trans) {
    const cort_tensor *b = pc->n_in > 1 ? pc->in_const[1] : NULL;
    if (!b || b->rank != 2 || cort_tensor_count(b) <= 0) return NULL;
    if (b->type != CORT_FLOAT && b->type != CORT_FLOAT16 && b->type != CORT_BFLOAT16) return NULL;
    int64_t k = b->dims[trans ? 1 : 0], n = b->dims[trans ? 0 : 1], count = cort_tensor_count(b);
    packed_b *st = cort_pool_alloc(pc->pool, sizeof *st);
    if (!st) return cort_node_error(pc->node, CORT_OUT_OF_MEMORY, "out of memory");
    st->packed = cort_pool_alloc(pc->pool, cort_sgemm_packed_b_size(k, n));
    if (!st->packed) return cort_node_error(pc->node, CORT_OUT_OF_MEMORY, "out of memory packing B");
    float *widened = NULL;
    if (b->type != CORT_FLOAT) { /* a float copy only for the packing */
        widened = malloc((size_t)count * sizeof(float));
        if (!widened) return cort_node_error(pc->node, CORT_OUT_OF_MEMORY, "out of memory packing B");
        cort_convert_to_f32(b->type, b->data, count, widened);
    }
    st->type = b->type;
    st->dims[0] = b->dims[0];
    st->dims[1] = b->dims[1];
    st->trans = trans;
    cort_sgemm_pack_b(trans, k, n, widened ? widened : b->data, b->dims[1], st->packed);
    free(widened);
    *pc->state = st;
    return NULL;
}

/* The packed form of B from prepare, if it is for this B. */
static const float *packed_b_for(const cort_kctx *ctx, const cort_tensor *b, bool trans) {
    const packed_b *st = ctx->state;
    if (!st || b->type != st->type || b->rank != 2 || st->trans != trans || st->dims[0] != b->dims[0] ||
        st->dims[1] != b->dims[1])
        return NULL;
    return st->packed;
}

/* ================================================================ Gemm */

typedef struct gemm_params {
    float alpha, beta;
    int trans_a, trans_b;
} gemm_params;

static cort_status *gemm_parse(cort_parse_ctx *pc) {
    gemm_params *p = pc->params;
    p->alpha = cort_attr_float(pc->node, "alpha", 1.0f);
    p->beta = cort_attr_float(pc->node, "beta", 1.0f);
    p->trans_a = cort_attr_int(pc->node, "transA", 0) != 0;
    p->trans_b = cort_attr_int(pc->node, "transB", 0) != 0;
    return NULL;
}

static cort_status *gemm_prepare(cort_prepare_ctx *pc) {
    const gemm_params *p = pc->params;
    return pack_const_b(pc, p->trans_b);
}

static cort_status *gemm_infer(cort_infer_ctx *ic) {
    const gemm_params *p = ic->params;
    const cort_type *a = ic->in[0], *b = ic->n_in > 1 ? ic->in[1] : NULL;
    if (!a || !b || a->kind != CORT_TYPE_TENSOR) return NULL;
    if (a->rank != 2 || b->rank != 2) {
        cort_type_set_tensor(&ic->out[0], a->elem, -1, NULL);
        return NULL;
    }
    cort_dim *d = pool_dims(ic->pool, 2);
    if (!d) return cort_oom();
    d[0] = a->dims[p->trans_a ? 1 : 0];
    d[1] = b->dims[p->trans_b ? 0 : 1];
    cort_type_set_tensor(&ic->out[0], a->elem, 2, d);
    return NULL;
}

/* Checks that C (rank <= 2) broadcasts to m x n and returns its row and column strides. */
static cort_status *bias_strides(const cort_kctx *ctx, const cort_tensor *c, int64_t m, int64_t n, int64_t *rs,
                                 int64_t *cs) {
    int64_t cm = 1, cn = 1;
    if (c->rank > 2) return cort_kerr(ctx, "input C has rank %d, expected at most 2", c->rank);
    if (c->rank == 2) cm = c->dims[0];
    if (c->rank >= 1) cn = c->dims[c->rank - 1];
    if ((cm != 1 && cm != m) || (cn != 1 && cn != n))
        return cort_kerr(ctx, "input C of shape [%lld,%lld] does not broadcast to [%lld,%lld]", (long long)cm,
                         (long long)cn, (long long)m, (long long)n);
    *rs = cm == 1 ? 0 : cn;
    *cs = cn == 1 ? 0 : 1;
    return NULL;
}

static void gemm_ints(const gemm_params *p, const cort_tensor *a, const cort_tensor *b, const cort_tensor *c,
                      int64_t rs, int64_t cs, int64_t m, int64_t n, int64_t k, cort_tensor *y) {
    int64_t alpha = (int64_t)p->alpha, beta = (int64_t)p->beta;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            uint64_t acc = 0;
            for (int64_t q = 0; q < k; q++) {
                int64_t av = cort_get_i64(a, p->trans_a ? q * m + i : i * k + q);
                int64_t bv = cort_get_i64(b, p->trans_b ? j * k + q : q * n + j);
                acc += (uint64_t)av * (uint64_t)bv;
            }
            acc *= (uint64_t)alpha;
            if (c) acc += (uint64_t)beta * (uint64_t)cort_get_i64(c, i * rs + j * cs);
            cort_set_i64(y, i * n + j, (int64_t)acc);
        }
}

/* Y = beta * C broadcast to m x n (rs, cs: C's row and column strides, cs 0 or 1), a row at a time so
 * that the common case, a bias row, is a vector loop; rows split among the threads. */
typedef struct c_fill {
    float *y;
    const float *c;
    float beta;
    int64_t rs, cs, n;
} c_fill;

static void fill_from_c(void *arg, int64_t begin, int64_t end) {
    const c_fill *f = arg;
    for (int64_t i = begin; i < end; i++) {
        const float *ci = f->c + i * f->rs;
        float *yi = f->y + i * f->n;
        if (f->cs == 1)
            for (int64_t j = 0; j < f->n; j++) yi[j] = f->beta * ci[j];
        else
            for (int64_t j = 0; j < f->n; j++) yi[j] = f->beta * ci[0];
    }
}

static cort_status *gemm_f32(cort_kctx *ctx, const gemm_params *p, const cort_tensor *a, const cort_tensor *b,
                             const cort_tensor *c, int64_t rs, int64_t cs, int64_t m, int64_t n, int64_t k,
                             cort_tensor *y) {
    const float *af, *bf = NULL, *cf = NULL, *pb = packed_b_for(ctx, b, p->trans_b);
    float *yf;
    CORT_TRY(cort_nn_as_f32(ctx, a, &af));
    if (!pb) CORT_TRY(cort_nn_as_f32(ctx, b, &bf));
    if (c) CORT_TRY(cort_nn_as_f32(ctx, c, &cf));
    CORT_TRY(cort_nn_output_f32(ctx, y, &yf));
    bool with_c = cf && p->beta != 0;
    cort_threads th = cort_nn_threads(ctx);
    if (with_c) {
        c_fill f = {yf, cf, p->beta, rs, cs, n};
        th.parallel_for(th.self, m, (16384 + n - 1) / n, fill_from_c, &f);
    }
    void *work;
    CORT_TRY(cort_nn_scratch(ctx, pb ? cort_sgemm_packed_b_mt_work_size(m, n, k, th.count)
                                   : cort_sgemm_mt_work_size(m, n, k, th.count), &work));
    if (pb)
        cort_sgemm_packed_b_mt(&th, p->trans_a, m, n, k, p->alpha, af, p->trans_a ? m : k, pb, with_c ? 1.0f : 0.0f,
                               yf, n, work);
    else
        cort_sgemm_mt(&th, p->trans_a, p->trans_b, m, n, k, p->alpha, af, p->trans_a ? m : k, bf,
                      p->trans_b ? k : n, with_c ? 1.0f : 0.0f, yf, n, work);
    cort_nn_finish_f32(y, yf);
    return NULL;
}

static void gemm_f64(const gemm_params *p, const cort_tensor *a, const cort_tensor *b, const cort_tensor *c,
                     int64_t rs, int64_t cs, int64_t m, int64_t n, int64_t k, cort_tensor *y) {
    double *yd = y->data;
    const double *cd = c ? c->data : NULL;
    bool with_c = cd && p->beta != 0;
    if (with_c)
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) yd[i * n + j] = p->beta * cd[i * rs + j * cs];
    cort_dgemm(p->trans_a, p->trans_b, m, n, k, p->alpha, a->data, p->trans_a ? m : k, b->data,
               p->trans_b ? k : n, with_c ? 1.0 : 0.0, yd, n);
}

static cort_status *gemm_run(cort_kctx *ctx) {
    const gemm_params *p = ctx->params;
    const cort_tensor *a, *b, *c = cort_in(ctx, 2);
    CORT_TRY(cort_nn_input(ctx, 0, "A", &a));
    CORT_TRY(cort_nn_input(ctx, 1, "B", &b));
    CORT_TRY(same_type(ctx, a, b, "A and B"));
    if (c) CORT_TRY(same_type(ctx, a, c, "A and C"));
    if (a->rank != 2 || b->rank != 2)
        return cort_kerr(ctx, "A and B must have rank 2 (got %d and %d)", a->rank, b->rank);
    int64_t m = a->dims[p->trans_a ? 1 : 0], k = a->dims[p->trans_a ? 0 : 1];
    int64_t kb = b->dims[p->trans_b ? 1 : 0], n = b->dims[p->trans_b ? 0 : 1];
    if (k != kb) return cort_kerr(ctx, "inner dimensions differ: A gives K=%lld, B gives K=%lld", (long long)k,
                                  (long long)kb);
    int64_t rs = 0, cs = 0;
    if (c) CORT_TRY(bias_strides(ctx, c, m, n, &rs, &cs));
    if (c && cort_tensor_count(c) == 0 && m * n > 0) return cort_kerr(ctx, "input C is empty");
    cort_tensor *y;
    int64_t dims[2] = {m, n};
    CORT_TRY(cort_out(ctx, 0, a->type, 2, dims, &y));
    if (m * n == 0) return NULL;
    if (a->type == CORT_DOUBLE) {
        gemm_f64(p, a, b, c, rs, cs, m, n, k, y);
        return NULL;
    }
    if (cort_is_float_type(a->type)) return gemm_f32(ctx, p, a, b, c, rs, cs, m, n, k, y);
    if (is_int_type(a->type)) {
        gemm_ints(p, a, b, c, rs, cs, m, n, k, y);
        return NULL;
    }
    return cort_kerr(ctx, "element type %s is not supported", cort_type_name(a->type));
}

/* ================================================================ MatMul family shapes */

/* Shapes of a numpy-style matmul: batch dims broadcast, 1-D operands promoted and then dropped. */
typedef struct mm_shape {
    int64_t m, n, k, batch;
    int batch_rank, out_rank;
    int64_t batch_dims[CORT_MAX_RANK], a_stride[CORT_MAX_RANK], b_stride[CORT_MAX_RANK];
    int64_t out_dims[CORT_MAX_RANK];
    bool b_shared; /* one B matrix for every batch: the batches fold into the rows of one GEMM */
} mm_shape;

/* Matrix strides (in matrices) of an operand's batch dims aligned to the broadcast batch shape. */
static void batch_strides(const int64_t *dims, int rank, int batch_rank, int64_t *stride) {
    int64_t s = 1;
    for (int i = batch_rank - 1; i >= 0; i--) {
        int src = i - (batch_rank - rank);
        int64_t d = src >= 0 ? dims[src] : 1;
        stride[i] = d == 1 ? 0 : s;
        s *= d;
    }
}

static cort_status *matmul_shape(const cort_kctx *ctx, const cort_tensor *a, const cort_tensor *b, mm_shape *s) {
    if (a->rank < 1 || b->rank < 1) return cort_kerr(ctx, "MatMul operands must have rank >= 1 (got %d and %d)",
                                                     a->rank, b->rank);
    int ar = a->rank >= 2 ? a->rank - 2 : 0, br = b->rank >= 2 ? b->rank - 2 : 0;
    s->m = a->rank >= 2 ? a->dims[a->rank - 2] : 1;
    s->k = a->dims[a->rank - 1];
    int64_t kb = b->rank >= 2 ? b->dims[b->rank - 2] : b->dims[0];
    s->n = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
    if (s->k != kb) return cort_kerr(ctx, "inner dimensions differ: %lld vs %lld", (long long)s->k, (long long)kb);
    if (!cort_broadcast_shape(a->dims, ar, b->dims, br, s->batch_dims, &s->batch_rank))
        return cort_kerr(ctx, "batch dimensions of the operands do not broadcast");
    batch_strides(a->dims, ar, s->batch_rank, s->a_stride);
    batch_strides(b->dims, br, s->batch_rank, s->b_stride);
    s->batch = 1;
    for (int i = 0; i < s->batch_rank; i++) s->batch *= s->batch_dims[i];
    int64_t b_mats = 1;
    for (int i = 0; i < br; i++) b_mats *= b->dims[i];
    s->b_shared = b_mats == 1 && a->rank >= 2;
    s->out_rank = s->batch_rank;
    memcpy(s->out_dims, s->batch_dims, sizeof(int64_t) * (size_t)s->batch_rank);
    if (a->rank >= 2) s->out_dims[s->out_rank++] = s->m;
    if (b->rank >= 2) s->out_dims[s->out_rank++] = s->n;
    if (s->out_rank > CORT_MAX_RANK) return cort_kerr(ctx, "result rank exceeds %d", CORT_MAX_RANK);
    return NULL;
}

/* Matrix indices of A and B used by output batch `idx`. */
static void batch_sources(const mm_shape *s, int64_t idx, int64_t *a_mat, int64_t *b_mat) {
    int64_t am = 0, bm = 0;
    for (int i = s->batch_rank - 1; i >= 0; i--) {
        int64_t c = idx % s->batch_dims[i];
        idx /= s->batch_dims[i];
        am += c * s->a_stride[i];
        bm += c * s->b_stride[i];
    }
    *a_mat = am;
    *b_mat = bm;
}

static cort_status *matmul_infer(cort_infer_ctx *ic) {
    const cort_type *a = ic->in[0], *b = ic->n_in > 1 ? ic->in[1] : NULL;
    if (!a || !b || a->kind != CORT_TYPE_TENSOR || b->kind != CORT_TYPE_TENSOR) return NULL;
    if (a->rank < 1 || b->rank < 1) {
        cort_type_set_tensor(&ic->out[0], a->elem, -1, NULL);
        return NULL;
    }
    int ar = a->rank >= 2 ? a->rank - 2 : 0, br = b->rank >= 2 ? b->rank - 2 : 0;
    int batch = ar > br ? ar : br;
    int rank = batch + (a->rank >= 2) + (b->rank >= 2);
    cort_dim *d = pool_dims(ic->pool, rank);
    if (!d) return cort_oom();
    for (int i = 0; i < batch; i++) {
        int ia = i - (batch - ar), ib = i - (batch - br);
        cort_dim da = ia >= 0 ? a->dims[ia] : (cort_dim){1, NULL};
        cort_dim db = ib >= 0 ? b->dims[ib] : (cort_dim){1, NULL};
        d[i] = da.value == 1 ? db : (db.value == 1 || da.value >= 0 || da.symbol) ? da : db;
    }
    int r = batch;
    if (a->rank >= 2) d[r++] = a->dims[a->rank - 2];
    if (b->rank >= 2) d[r++] = b->dims[b->rank - 1];
    cort_type_set_tensor(&ic->out[0], a->elem, rank, d);
    return NULL;
}

/* ================================================================ MatMul */

typedef struct batched_sgemm {
    const mm_shape *s;
    const float *a, *b;
    float *c;
    char *work;
    size_t work_each;
    int64_t per_task;
} batched_sgemm;

static void sgemm_batch_task(void *arg, int64_t begin, int64_t end) {
    const batched_sgemm *t = arg;
    const mm_shape *s = t->s;
    for (int64_t task = begin; task < end; task++) {
        int64_t lo = task * t->per_task, hi = lo + t->per_task < s->batch ? lo + t->per_task : s->batch;
        for (int64_t i = lo; i < hi; i++) {
            int64_t am, bm;
            batch_sources(s, i, &am, &bm);
            cort_sgemm(false, false, s->m, s->n, s->k, 1.0f, t->a + am * s->m * s->k, s->k, t->b + bm * s->k * s->n,
                       s->n, 0.0f, t->c + i * s->m * s->n, s->n, t->work + (size_t)task * t->work_each);
        }
    }
}

static cort_status *matmul_f32(cort_kctx *ctx, const mm_shape *s, const float *a, const float *b,
                               const float *packed, float *c) {
    cort_threads th = cort_nn_threads(ctx);
    void *work;
    if (s->b_shared || s->batch == 1) {
        int64_t rows = s->b_shared ? s->batch * s->m : s->m;
        bool use_packed = packed && s->b_shared;
        CORT_TRY(cort_nn_scratch(ctx, use_packed ? cort_sgemm_packed_b_mt_work_size(rows, s->n, s->k, th.count)
                                               : cort_sgemm_mt_work_size(rows, s->n, s->k, th.count), &work));
        if (use_packed)
            cort_sgemm_packed_b_mt(&th, false, rows, s->n, s->k, 1.0f, a, s->k, packed, 0.0f, c, s->n, work);
        else
            cort_sgemm_mt(&th, false, false, rows, s->n, s->k, 1.0f, a, s->k, b, s->n, 0.0f, c, s->n, work);
        return NULL;
    }
    if (s->batch >= th.count) { /* one thread per group of whole matrices */
        batched_sgemm t = {s, a, b, c, NULL, cort_sgemm_work_size(s->m, s->n, s->k), 0};
        int64_t tasks = th.count;
        t.per_task = (s->batch + tasks - 1) / tasks;
        tasks = (s->batch + t.per_task - 1) / t.per_task;
        CORT_TRY(cort_nn_scratch(ctx, t.work_each * (size_t)tasks, &work));
        t.work = work;
        th.parallel_for(th.self, tasks, 1, sgemm_batch_task, &t);
        return NULL;
    }
    CORT_TRY(cort_nn_scratch(ctx, cort_sgemm_mt_work_size(s->m, s->n, s->k, th.count), &work));
    for (int64_t i = 0; i < s->batch; i++) {
        int64_t am, bm;
        batch_sources(s, i, &am, &bm);
        cort_sgemm_mt(&th, false, false, s->m, s->n, s->k, 1.0f, a + am * s->m * s->k, s->k, b + bm * s->k * s->n,
                      s->n, 0.0f, c + i * s->m * s->n, s->n, work);
    }
    return NULL;
}

static void matmul_f64(const mm_shape *s, const double *a, const double *b, double *c) {
    for (int64_t i = 0; i < s->batch; i++) {
        int64_t am, bm;
        batch_sources(s, i, &am, &bm);
        cort_dgemm(false, false, s->m, s->n, s->k, 1.0, a + am * s->m * s->k, s->k, b + bm * s->k * s->n, s->n, 0.0,
                   c + i * s->m * s->n, s->n);
    }
}

static void matmul_ints(const mm_shape *s, const cort_tensor *a, const cort_tensor *b, cort_tensor *c) {
    for (int64_t bi = 0; bi < s->batch; bi++) {
        int64_t am, bm;
        batch_sources(s, bi, &am, &bm);
        int64_t ao = am * s->m * s->k, bo = bm * s->k * s->n, co = bi * s->m * s->n;
        for (int64_t i = 0; i < s->m; i++)
            for (int64_t j = 0; j < s->n; j++) {
                uint64_t acc = 0;
                for (int64_t q = 0; q < s->k; q++)
                    acc += (uint64_t)cort_get_i64(a, ao + i * s->k + q) * (uint64_t)cort_get_i64(b, bo + q * s->n + j);
                cort_set_i64(c, co + i * s->n + j, (int64_t)acc);
            }
    }
}

/* B is packed only when A is known to be a matrix (or a stack of them): a vector A multiplies B unpacked,
 * and the packed state promises the run never reads B's elements (CORT_OP_PACKED_B). */
static cort_status *matmul_prepare(cort_prepare_ctx *pc) {
    const cort_type *a = pc->n_in > 0 && pc->in ? pc->in[0] : NULL;
    const cort_tensor *a_const = pc->n_in > 0 && pc->in_const ? pc->in_const[0] : NULL;
    int rank = a && a->kind == CORT_TYPE_TENSOR ? a->rank : a_const ? a_const->rank : -1;
    return rank >= 2 ? pack_const_b(pc, false) : NULL;
}

static cort_status *matmul_run(cort_kctx *ctx) {
    const cort_tensor *a, *b;
    CORT_TRY(cort_nn_input(ctx, 0, "A", &a));
    CORT_TRY(cort_nn_input(ctx, 1, "B", &b));
    CORT_TRY(same_type(ctx, a, b, "A and B"));
    mm_shape s;
    CORT_TRY(matmul_shape(ctx, a, b, &s));
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, a->type, s.out_rank, s.out_dims, &y));
    if (cort_tensor_count(y) == 0) return NULL;
    if (a->type == CORT_DOUBLE) {
        matmul_f64(&s, a->data, b->data, y->data);
        return NULL;
    }
    if (cort_is_float_type(a->type)) {
        const float *af, *bf = NULL, *pb = s.b_shared ? packed_b_for(ctx, b, false) : NULL;
        float *yf;
        CORT_TRY(cort_nn_as_f32(ctx, a, &af));
        if (!pb) CORT_TRY(cort_nn_as_f32(ctx, b, &bf));
        CORT_TRY(cort_nn_output_f32(ctx, y, &yf));
        CORT_TRY(matmul_f32(ctx, &s, af, bf, pb, yf));
        cort_nn_finish_f32(y, yf);
        return NULL;
    }
    if (is_int_type(a->type)) {
        matmul_ints(&s, a, b, y);
        return NULL;
    }
    return cort_kerr(ctx, "element type %s is not supported", cort_type_name(a->type));
}

/* ================================================================ com.cort::FusedMatMul */

/* Y = act(A * op(B) + bias): a MatMul with a constant 2-D B (transposed when transB), the bias Add
 * that follows it and optionally a GELU, as the optimizer fuses them (src/opt/fuse_transformer.c).
 * A's leading dims fold into the rows of one GEMM against B packed at load. With an activation, the bias
 * and GELU are the GEMM's per-column epilogue: each thread applies them to the blocks of Y it computed
 * while they are in its cache (no second pass over Y, no fork for one). Without one the bias is written
 * into Y first (rows split among the threads) and the GEMM accumulates onto it (beta 1). */
typedef struct fused_matmul_params {
    bool trans_b;
    cort_fused_act act;
} fused_matmul_params;

static cort_status *fused_matmul_parse(cort_parse_ctx *pc) {
    fused_matmul_params *p = pc->params;
    p->trans_b = cort_attr_int(pc->node, "transB", 0) != 0;
    const char *act = cort_attr_string(pc->node, "activation", "");
    if (!cort_fused_act_from_name(act, &p->act))
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "unknown activation '%s' (expected Gelu or FastGelu)",
                               act);
    return NULL;
}

static cort_status *fused_matmul_prepare(cort_prepare_ctx *pc) {
    const fused_matmul_params *p = pc->params;
    return pack_const_b(pc, p->trans_b);
}

static cort_status *fused_matmul_infer(cort_infer_ctx *ic) {
    const fused_matmul_params *p = ic->params;
    const cort_type *a = ic->in[0], *b = ic->n_in > 1 ? ic->in[1] : NULL;
    if (!a || !b || a->kind != CORT_TYPE_TENSOR || b->kind != CORT_TYPE_TENSOR || a->rank < 1 || b->rank != 2)
        return NULL;
    cort_dim *d = pool_dims(ic->pool, a->rank);
    if (!d) return cort_oom();
    memcpy(d, a->dims, (size_t)a->rank * sizeof *d);
    d[a->rank - 1] = b->dims[p->trans_b ? 0 : 1];
    cort_type_set_tensor(&ic->out[0], a->elem, a->rank, d);
    return NULL;
}

/* Rows of Y: the bias copied in before the GEMM accumulates onto it, or added with the activation after. */
typedef struct bias_rows {
    cort_fused_act act;
    const float *bias;
    float *y;
    int64_t n;
} bias_rows;

static void fill_bias_task(void *arg, int64_t begin, int64_t end) {
    const bias_rows *t = arg;
    for (int64_t i = begin; i < end; i++) memcpy(t->y + i * t->n, t->bias, (size_t)t->n * sizeof *t->y);
}

static void finish_rows_task(void *arg, int64_t begin, int64_t end) {
    const bias_rows *t = arg;
    cort_fused_act_rows(t->act, t->bias, t->y + begin * t->n, end - begin, t->n);
}

static cort_status *fused_matmul_run(cort_kctx *ctx) {
    const fused_matmul_params *p = ctx->params;
    const cort_tensor *a, *b, *bias = cort_in(ctx, 2);
    CORT_TRY(cort_nn_input(ctx, 0, "A", &a));
    CORT_TRY(cort_nn_input(ctx, 1, "B", &b));
    if (a->type != CORT_FLOAT || b->type != CORT_FLOAT || (bias && bias->type != CORT_FLOAT))
        return cort_kerr(ctx, "A, B and bias must be float");
    if (a->rank < 1 || b->rank != 2) return cort_kerr(ctx, "A must have rank >= 1 and B rank 2 (got %d and %d)",
                                                      a->rank, b->rank);
    int64_t k = a->dims[a->rank - 1], kb = b->dims[p->trans_b ? 1 : 0], n = b->dims[p->trans_b ? 0 : 1];
    if (k != kb) return cort_kerr(ctx, "inner dimensions differ: %lld vs %lld", (long long)k, (long long)kb);
    if (bias && cort_tensor_count(bias) != n)
        return cort_kerr(ctx, "bias has %lld elements, expected %lld", (long long)cort_tensor_count(bias),
                         (long long)n);
    int64_t dims[CORT_MAX_RANK];
    memcpy(dims, a->dims, (size_t)a->rank * sizeof *dims);
    dims[a->rank - 1] = n;
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, CORT_FLOAT, a->rank, dims, &y));
    int64_t m = 1;
    for (int d = 0; d < a->rank - 1; d++) m *= a->dims[d];
    if (m * n == 0) return NULL;
    cort_threads th = cort_nn_threads(ctx);
    const float *pb = packed_b_for(ctx, b, p->trans_b);
    void *work;
    if (k > 0 && p->act != CORT_FUSED_NONE) { /* bias + GELU: the GEMM's per-column epilogue */
        CORT_TRY(cort_nn_scratch(ctx, cort_sgemm_col_ep_mt_work_size(m, n, k, th.count, pb != NULL), &work));
        cort_sgemm_col_epilogue ep = {bias ? bias->data : NULL, true, p->act == CORT_FUSED_FAST_GELU};
        cort_sgemm_col_ep_mt(&th, m, n, k, a->data, k, pb, p->trans_b, b->data, p->trans_b ? k : n, y->data, n,
                             &ep, work);
        return NULL;
    }
    /* the bias copied in first (all threads) and accumulated onto (beta 1): cheaper than a pass after */
    int64_t rows_per_chunk = (16384 + n - 1) / n;
    bias_rows rows = {p->act, bias ? bias->data : NULL, y->data, n};
    if (bias) th.parallel_for(th.self, m, rows_per_chunk, fill_bias_task, &rows);
    else if (k == 0) memset(y->data, 0, (size_t)(m * n) * sizeof(float));
    rows.bias = NULL;
    CORT_TRY(cort_nn_scratch(ctx, pb ? cort_sgemm_packed_b_mt_work_size(m, n, k, th.count)
                                     : cort_sgemm_mt_work_size(m, n, k, th.count), &work));
    float beta = bias ? 1.0f : 0.0f;
    if (k > 0 && pb)
        cort_sgemm_packed_b_mt(&th, false, m, n, k, 1.0f, a->data, k, pb, beta, y->data, n, work);
    else if (k > 0)
        cort_sgemm_mt(&th, false, p->trans_b, m, n, k, 1.0f, a->data, k, b->data, p->trans_b ? k : n, beta, y->data,
                      n, work);
    if (p->act != CORT_FUSED_NONE) th.parallel_for(th.self, m, rows_per_chunk, finish_rows_task, &rows); /* k 0 */
    return NULL;
}

/* ================================================================ MatMulInteger, QLinearMatMul */

/* A zero point (or scale) that is a scalar or one value per row / column of a matrix operand. */
static cort_status *per_axis_values(const cort_kctx *ctx, const cort_tensor *t, const char *name, int64_t len,
                                    int64_t *stride) {
    int64_t count = cort_tensor_count(t);
    if (count == 1) {
        *stride = 0;
        return NULL;
    }
    if (t->rank == 1 && count == len) {
        *stride = 1;
        return NULL;
    }
    return cort_kerr(ctx, "%s must be a scalar or have %lld elements (got %lld)", name, (long long)len,
                     (long long)count);
}

static bool is_8bit(int32_t t) { return t == CORT_INT8 || t == CORT_UINT8; }

/* Integer products of zero-point-shifted 8-bit operands, one int32 result per output element. */
typedef struct qmm_inputs {
    const cort_tensor *a, *b, *a_zp, *b_zp;
    int64_t a_zp_stride, b_zp_stride;
} qmm_inputs;

static cort_status *qmm_zero_points(const cort_kctx *ctx, const mm_shape *s, qmm_inputs *q) {
    q->a_zp_stride = q->b_zp_stride = 0;
    if (q->a_zp) {
        if (q->a_zp->type != q->a->type) return cort_kerr(ctx, "a_zero_point type differs from A");
        CORT_TRY(per_axis_values(ctx, q->a_zp, "a_zero_point", s->m, &q->a_zp_stride));
    }
    if (q->b_zp) {
        if (q->b_zp->type != q->b->type) return cort_kerr(ctx, "b_zero_point type differs from B");
        CORT_TRY(per_axis_values(ctx, q->b_zp, "b_zero_point", s->n, &q->b_zp_stride));
    }
    return NULL;
}

static void qmm_products(const mm_shape *s, const qmm_inputs *q, int32_t *acc) {
    for (int64_t bi = 0; bi < s->batch; bi++) {
        int64_t am, bm;
        batch_sources(s, bi, &am, &bm);
        int64_t ao = am * s->m * s->k, bo = bm * s->k * s->n;
        int32_t *c = acc + bi * s->m * s->n;
        for (int64_t i = 0; i < s->m * s->n; i++) c[i] = 0;
        for (int64_t i = 0; i < s->m; i++) {
            int32_t za = q->a_zp ? (int32_t)cort_get_i64(q->a_zp, i * q->a_zp_stride) : 0;
            for (int64_t p = 0; p < s->k; p++) {
                int32_t av = (int32_t)cort_get_i64(q->a, ao + i * s->k + p) - za;
                if (!av) continue;
                for (int64_t j = 0; j < s->n; j++) {
                    int32_t zb = q->b_zp ? (int32_t)cort_get_i64(q->b_zp, j * q->b_zp_stride) : 0;
                    int32_t prod = av * ((int32_t)cort_get_i64(q->b, bo + p * s->n + j) - zb);
                    c[i * s->n + j] = (int32_t)((uint32_t)c[i * s->n + j] + (uint32_t)prod); /* wraps */
                }
            }
        }
    }
}

static cort_status *matmulinteger_run(cort_kctx *ctx) {
    qmm_inputs q = {0};
    CORT_TRY(cort_nn_input(ctx, 0, "A", &q.a));
    CORT_TRY(cort_nn_input(ctx, 1, "B", &q.b));
    q.a_zp = cort_in(ctx, 2);
    q.b_zp = cort_in(ctx, 3);
    if (!is_8bit(q.a->type) || !is_8bit(q.b->type))
        return cort_kerr(ctx, "A and B must be int8 or uint8 (got %s and %s)", cort_type_name(q.a->type),
                         cort_type_name(q.b->type));
    mm_shape s;
    CORT_TRY(matmul_shape(ctx, q.a, q.b, &s));
    CORT_TRY(qmm_zero_points(ctx, &s, &q));
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, CORT_INT32, s.out_rank, s.out_dims, &y));
    if (cort_tensor_count(y) > 0) qmm_products(&s, &q, y->data);
    return NULL;
}

/* Rounds half to even and saturates to the range of an 8-bit type. */
static int64_t saturate_8bit(double v, int32_t type) {
    double r = nearbyint(v);
    double lo = type == CORT_UINT8 ? 0 : -128, hi = type == CORT_UINT8 ? 255 : 127;
    return (int64_t)(r < lo ? lo : r > hi ? hi : r);
}

static cort_status *qlinearmatmul_run(cort_kctx *ctx) {
    qmm_inputs q = {0};
    const cort_tensor *a_scale, *b_scale, *y_scale, *y_zp;
    CORT_TRY(cort_nn_input(ctx, 0, "a", &q.a));
    CORT_TRY(cort_nn_input(ctx, 1, "a_scale", &a_scale));
    CORT_TRY(cort_nn_input(ctx, 2, "a_zero_point", &q.a_zp));
    CORT_TRY(cort_nn_input(ctx, 3, "b", &q.b));
    CORT_TRY(cort_nn_input(ctx, 4, "b_scale", &b_scale));
    CORT_TRY(cort_nn_input(ctx, 5, "b_zero_point", &q.b_zp));
    CORT_TRY(cort_nn_input(ctx, 6, "y_scale", &y_scale));
    CORT_TRY(cort_nn_input(ctx, 7, "y_zero_point", &y_zp));
    if (!is_8bit(q.a->type) || !is_8bit(q.b->type) || !is_8bit(y_zp->type))
        return cort_kerr(ctx, "a, b and y_zero_point must be int8 or uint8");
    if (!cort_is_float_type(a_scale->type) || !cort_is_float_type(b_scale->type) ||
        !cort_is_float_type(y_scale->type))
        return cort_kerr(ctx, "scales must be floating point");
    if (cort_tensor_count(y_scale) != 1 || cort_tensor_count(y_zp) != 1)
        return cort_kerr(ctx, "y_scale and y_zero_point must be scalars");
    mm_shape s;
    CORT_TRY(matmul_shape(ctx, q.a, q.b, &s));
    CORT_TRY(qmm_zero_points(ctx, &s, &q));
    int64_t as_stride = 0, bs_stride = 0;
    CORT_TRY(per_axis_values(ctx, a_scale, "a_scale", s.m, &as_stride));
    CORT_TRY(per_axis_values(ctx, b_scale, "b_scale", s.n, &bs_stride));
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, y_zp->type, s.out_rank, s.out_dims, &y));
    int64_t count = cort_tensor_count(y);
    if (count == 0) return NULL;
    void *buf;
    CORT_TRY(cort_nn_scratch(ctx, (size_t)count * sizeof(int32_t), &buf));
    int32_t *acc = buf;
    qmm_products(&s, &q, acc);
    double ys = cort_get_f64(y_scale, 0), yz = (double)cort_get_i64(y_zp, 0);
    for (int64_t e = 0; e < count; e++) {
        int64_t i = (e / s.n) % s.m, j = e % s.n;
        double scale = cort_get_f64(a_scale, i * as_stride) * cort_get_f64(b_scale, j * bs_stride) / ys;
        cort_set_i64(y, e, saturate_8bit((double)acc[e] * scale + yz, y_zp->type));
    }
    return NULL;
}

/* ================================================================ Det */

/* Determinant by LU decomposition with partial pivoting, in double. `m` is n x n scratch. */
static double determinant(double *m, int64_t n) {
    double det = 1;
    for (int64_t c = 0; c < n; c++) {
        int64_t piv = c;
        for (int64_t r = c + 1; r < n; r++)
            if (fabs(m[r * n + c]) > fabs(m[piv * n + c])) piv = r;
        if (m[piv * n + c] == 0) return 0;
        if (piv != c) {
            for (int64_t j = 0; j < n; j++) {
                double t = m[c * n + j];
                m[c * n + j] = m[piv * n + j];
                m[piv * n + j] = t;
            }
            det = -det;
        }
        double d = m[c * n + c];
        det *= d;
        for (int64_t r = c + 1; r < n; r++) {
            double f = m[r * n + c] / d;
            for (int64_t j = c + 1; j < n; j++) m[r * n + j] -= f * m[c * n + j];
        }
    }
    return det;
}

static cort_status *det_run(cort_kctx *ctx) {
    const cort_tensor *x;
    CORT_TRY(cort_nn_input(ctx, 0, "X", &x));
    if (!cort_is_float_type(x->type)) return cort_kerr(ctx, "element type %s is not supported", cort_type_name(x->type));
    if (x->rank < 2 || x->dims[x->rank - 1] != x->dims[x->rank - 2])
        return cort_kerr(ctx, "input must have shape [*, M, M]");
    int64_t n = x->dims[x->rank - 1];
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, x->type, x->rank - 2, x->dims, &y));
    int64_t mats = cort_tensor_count(y);
    void *buf;
    CORT_TRY(cort_nn_scratch(ctx, (size_t)(n * n > 0 ? n * n : 1) * sizeof(double), &buf));
    double *m = buf;
    for (int64_t b = 0; b < mats; b++) {
        for (int64_t i = 0; i < n * n; i++) m[i] = cort_get_f64(x, b * n * n + i);
        cort_set_f64(y, b, determinant(m, n));
    }
    return NULL;
}

/* ================================================================ Einsum */

enum { EINSUM_LABELS = 52 + CORT_MAX_RANK }; /* a-z, A-Z, then one label per ellipsis dim */

typedef struct einsum_term {
    int rank;                   /* number of labels including expanded ellipsis dims */
    int ellipsis_at;            /* index of "..." among the labels, -1 if absent */
    int n_letters;              /* labels written as letters */
    int8_t letters[CORT_MAX_RANK * 2];
} einsum_term;

typedef struct einsum_params {
    int n_inputs;
    bool explicit_output;
    einsum_term in[CORT_MAX_RANK];
    einsum_term out;
} einsum_params;

static int einsum_letter(char c) {
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= 'A' && c <= 'Z') return 26 + c - 'A';
    return -1;
}

/* Parses one comma-separated term of the equation (spaces ignored). */
static cort_status *einsum_parse_term(const cort_node *node, const char **pos, einsum_term *t) {
    const char *s = *pos;
    t->ellipsis_at = -1;
    t->n_letters = 0;
    while (*s && *s != ',' && *s != '-') {
        if (*s == ' ') {
            s++;
        } else if (*s == '.') {
            if (strncmp(s, "...", 3) || t->ellipsis_at >= 0)
                return cort_node_error(node, CORT_INVALID_GRAPH, "bad ellipsis in equation");
            t->ellipsis_at = t->n_letters;
            s += 3;
        } else {
            int l = einsum_letter(*s);
            if (l < 0) return cort_node_error(node, CORT_INVALID_GRAPH, "bad character '%c' in equation", *s);
            if (t->n_letters >= (int)sizeof t->letters)
                return cort_node_error(node, CORT_INVALID_GRAPH, "equation term too long");
            t->letters[t->n_letters++] = (int8_t)l;
            s++;
        }
    }
    *pos = s;
    return NULL;
}

static cort_status *einsum_parse(cort_parse_ctx *pc) {
    einsum_params *p = pc->params;
    const char *eq = cort_attr_string(pc->node, "equation", NULL);
    if (!eq) return cort_node_error(pc->node, CORT_INVALID_GRAPH, "attribute 'equation' is required");
    const char *s = eq;
    for (;;) {
        if (p->n_inputs >= CORT_MAX_RANK)
            return cort_node_error(pc->node, CORT_INVALID_GRAPH, "too many operands in equation");
        CORT_TRY(einsum_parse_term(pc->node, &s, &p->in[p->n_inputs++]));
        if (*s != ',') break;
        s++;
    }
    if (*s == '-') {
        if (s[1] != '>') return cort_node_error(pc->node, CORT_INVALID_GRAPH, "expected '->' in equation");
        s += 2;
        p->explicit_output = true;
        CORT_TRY(einsum_parse_term(pc->node, &s, &p->out));
        if (*s) return cort_node_error(pc->node, CORT_INVALID_GRAPH, "unexpected '%c' in equation", *s);
    }
    if (pc->node->n_inputs != p->n_inputs)
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "equation has %d operands but the node has %d inputs",
                               p->n_inputs, pc->node->n_inputs);
    return NULL;
}

/* Labels of each dim of a term, with ellipsis dims mapped to labels 52.. aligned to the right. */
static void einsum_term_labels(const einsum_term *t, int ell_rank, int ell_total, int *labels, int *rank) {
    int r = 0;
    for (int i = 0; i <= t->n_letters; i++) {
        if (i == t->ellipsis_at)
            for (int e = 0; e < ell_rank; e++) labels[r++] = 52 + ell_total - ell_rank + e;
        if (i < t->n_letters) labels[r++] = t->letters[i];
    }
    *rank = r;
}

typedef struct einsum_plan {
    int n_in;
    int in_rank[CORT_MAX_RANK], in_labels[CORT_MAX_RANK][CORT_MAX_RANK];
    int out_rank, out_labels[CORT_MAX_RANK];
    int sum_count, sum_labels[EINSUM_LABELS];
    int64_t size[EINSUM_LABELS];
} einsum_plan;

static cort_status *einsum_label_size(const cort_kctx *ctx, einsum_plan *pl, int label, int64_t d) {
    if (pl->size[label] < 0 || pl->size[label] == 1) {
        pl->size[label] = d;
    } else if (d != pl->size[label] && d != 1) {
        return cort_kerr(ctx, "dimension sizes %lld and %lld disagree for one label", (long long)pl->size[label],
                         (long long)d);
    }
    return NULL;
}

static cort_status *einsum_build(const cort_kctx *ctx, const einsum_params *p, einsum_plan *pl) {
    int ell_total = 0, count[EINSUM_LABELS] = {0};
    for (int l = 0; l < EINSUM_LABELS; l++) pl->size[l] = -1;
    pl->n_in = p->n_inputs;
    for (int i = 0; i < p->n_inputs; i++) {
        const cort_tensor *t = cort_in(ctx, i);
        if (!t) return cort_kerr(ctx, "input %d is missing", i);
        int ell = t->rank - p->in[i].n_letters;
        if (ell < 0 || (ell > 0 && p->in[i].ellipsis_at < 0))
            return cort_kerr(ctx, "input %d has rank %d, which its equation term does not match", i, t->rank);
        if (ell > ell_total) ell_total = ell;
    }
    for (int i = 0; i < p->n_inputs; i++) {
        const cort_tensor *t = cort_in(ctx, i);
        einsum_term_labels(&p->in[i], t->rank - p->in[i].n_letters, ell_total, pl->in_labels[i], &pl->in_rank[i]);
        for (int d = 0; d < t->rank; d++) {
            CORT_TRY(einsum_label_size(ctx, pl, pl->in_labels[i][d], t->dims[d]));
            count[pl->in_labels[i][d]]++;
        }
    }
    if (p->explicit_output) {
        if (p->out.n_letters + ell_total > CORT_MAX_RANK) return cort_kerr(ctx, "output rank too large");
        einsum_term_labels(&p->out, p->out.ellipsis_at >= 0 ? ell_total : 0, ell_total, pl->out_labels,
                           &pl->out_rank);
        for (int d = 0; d < pl->out_rank; d++)
            if (pl->size[pl->out_labels[d]] < 0) return cort_kerr(ctx, "output label absent from the inputs");
        if (ell_total > 0 && p->out.ellipsis_at < 0)
            return cort_kerr(ctx, "inputs have ellipsis dims but the output has no '...'");
    } else { /* implicit: ellipsis dims, then letters used once, alphabetically */
        pl->out_rank = 0;
        for (int e = 0; e < ell_total; e++) pl->out_labels[pl->out_rank++] = 52 + e;
        for (int l = 0; l < 52; l++)
            if (count[l] == 1) {
                if (pl->out_rank >= CORT_MAX_RANK) return cort_kerr(ctx, "output rank too large");
                pl->out_labels[pl->out_rank++] = l;
            }
    }
    bool in_out[EINSUM_LABELS] = {false};
    for (int d = 0; d < pl->out_rank; d++) in_out[pl->out_labels[d]] = true;
    pl->sum_count = 0;
    for (int l = 0; l < EINSUM_LABELS; l++)
        if (pl->size[l] >= 0 && !in_out[l]) pl->sum_labels[pl->sum_count++] = l;
    return NULL;
}

/* Advances the odometer over `labels`; false when it wraps around. */
static bool einsum_next(const einsum_plan *pl, const int *labels, int n, int64_t *val) {
    for (int d = n - 1; d >= 0; d--) {
        if (++val[labels[d]] < pl->size[labels[d]]) return true;
        val[labels[d]] = 0;
    }
    return false;
}

/* Per input, the element stride of each label: the sum over its dims carrying that label (a repeated
 * label walks the diagonal), 0 for broadcast size-1 dims. */
typedef struct einsum_strides {
    int64_t s[CORT_MAX_RANK][EINSUM_LABELS];
} einsum_strides;

static void einsum_label_strides(const einsum_plan *pl, const cort_kctx *ctx, einsum_strides *st) {
    memset(st, 0, sizeof *st);
    for (int i = 0; i < pl->n_in; i++) {
        const cort_tensor *t = cort_in(ctx, i);
        int64_t step = 1;
        for (int d = pl->in_rank[i] - 1; d >= 0; d--) {
            if (t->dims[d] != 1) st->s[i][pl->in_labels[i][d]] += step;
            step *= t->dims[d];
        }
    }
}

static int64_t einsum_offset(const einsum_strides *st, int i, const int *labels, int n, const int64_t *val) {
    int64_t off = 0;
    for (int d = 0; d < n; d++) off += val[labels[d]] * st->s[i][labels[d]];
    return off;
}

/* Sums over the contracted labels for every output element, on operands copied to double (floating
 * types) or int64 (integers, wrapping). The innermost contracted label runs as a strided loop. */
static void einsum_compute(const einsum_plan *pl, const einsum_strides *st, const double *const *fx,
                           const int64_t *const *ix, cort_tensor *y) {
    int64_t count = cort_tensor_count(y), val[EINSUM_LABELS] = {0}, base[CORT_MAX_RANK], off[CORT_MAX_RANK];
    bool empty_sum = false;
    for (int k = 0; k < pl->sum_count; k++) empty_sum |= pl->size[pl->sum_labels[k]] == 0;
    int outer = pl->sum_count > 0 ? pl->sum_count - 1 : 0;
    int inner_label = pl->sum_count > 0 ? pl->sum_labels[pl->sum_count - 1] : -1;
    int64_t inner_n = inner_label >= 0 ? pl->size[inner_label] : 1;
    for (int64_t e = 0; e < count; e++) {
        double fsum = 0;
        uint64_t isum = 0;
        for (int i = 0; i < pl->n_in; i++) base[i] = einsum_offset(st, i, pl->out_labels, pl->out_rank, val);
        for (int k = 0; k < pl->sum_count; k++) val[pl->sum_labels[k]] = 0;
        if (!empty_sum) do {
                for (int i = 0; i < pl->n_in; i++) off[i] = base[i] + einsum_offset(st, i, pl->sum_labels, outer, val);
                for (int64_t v = 0; v < inner_n; v++) {
                    double fp = 1;
                    uint64_t ip = 1;
                    for (int i = 0; i < pl->n_in; i++) {
                        int64_t at = off[i] + (inner_label >= 0 ? v * st->s[i][inner_label] : 0);
                        if (fx) fp *= fx[i][at];
                        else ip *= (uint64_t)ix[i][at];
                    }
                    fsum += fp;
                    isum += ip;
                }
            } while (einsum_next(pl, pl->sum_labels, outer, val));
        if (fx) cort_set_f64(y, e, fsum);
        else cort_set_i64(y, e, (int64_t)isum);
        einsum_next(pl, pl->out_labels, pl->out_rank, val);
    }
}

static cort_status *einsum_run(cort_kctx *ctx) {
    const einsum_params *p = ctx->params;
    einsum_plan pl;
    CORT_TRY(einsum_build(ctx, p, &pl));
    const cort_tensor *x0 = cort_in(ctx, 0);
    for (int i = 1; i < pl.n_in; i++) CORT_TRY(same_type(ctx, x0, cort_in(ctx, i), "operands"));
    if (!cort_is_float_type(x0->type) && !is_int_type(x0->type))
        return cort_kerr(ctx, "element type %s is not supported", cort_type_name(x0->type));
    int64_t dims[CORT_MAX_RANK];
    for (int d = 0; d < pl.out_rank; d++) dims[d] = pl.size[pl.out_labels[d]];
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, x0->type, pl.out_rank, dims, &y));
    if (cort_tensor_count(y) == 0) return NULL;
    bool floating = cort_is_float_type(x0->type);
    const double *fx[CORT_MAX_RANK];
    const int64_t *ix[CORT_MAX_RANK];
    for (int i = 0; i < pl.n_in; i++) { /* 8-byte copies: one element read costs no type switch */
        const cort_tensor *t = cort_in(ctx, i);
        int64_t n = cort_tensor_count(t);
        void *buf;
        CORT_TRY(cort_nn_scratch(ctx, (size_t)(n > 0 ? n : 1) * 8, &buf));
        for (int64_t e = 0; e < n; e++) {
            if (floating) ((double *)buf)[e] = cort_get_f64(t, e);
            else ((int64_t *)buf)[e] = cort_get_i64(t, e);
        }
        fx[i] = buf;
        ix[i] = buf;
    }
    einsum_strides *st;
    void *stbuf;
    CORT_TRY(cort_nn_scratch(ctx, sizeof *st, &stbuf));
    st = stbuf;
    einsum_label_strides(&pl, ctx, st);
    einsum_compute(&pl, st, floating ? fx : NULL, floating ? NULL : ix, y);
    return NULL;
}

/* ================================================================ table */

#define GEMM_TYPES (CORT_TS_FLOAT | CORT_T(CORT_INT32) | CORT_T(CORT_INT64) | CORT_T(CORT_UINT32) | CORT_T(CORT_UINT64))

const cort_op_def cort_ops_gemm[] = {
    {"", "Gemm", 1, CORT_OPSET_MAX, GEMM_TYPES, 0, sizeof(gemm_params), gemm_parse, gemm_infer, gemm_prepare,
     gemm_run, CORT_OP_PACKED_B},
    {"", "MatMul", 1, CORT_OPSET_MAX, GEMM_TYPES, 0, 0, NULL, matmul_infer, matmul_prepare, matmul_run,
     CORT_OP_PACKED_B},
    {"", "MatMulInteger", 10, CORT_OPSET_MAX, CORT_T(CORT_INT8) | CORT_T(CORT_UINT8), 0, 0, NULL, NULL, NULL,
     matmulinteger_run, 0},
    {"", "QLinearMatMul", 10, CORT_OPSET_MAX, CORT_T(CORT_INT8) | CORT_T(CORT_UINT8), 0, 0, NULL, NULL, NULL,
     qlinearmatmul_run, 0},
    {"", "Det", 11, CORT_OPSET_MAX, CORT_TS_FLOAT, 0, 0, NULL, NULL, NULL, det_run, 0},
    {"com.cort", "FusedMatMul", 1, 1, CORT_T(CORT_FLOAT), 0, sizeof(fused_matmul_params), fused_matmul_parse,
     fused_matmul_infer, fused_matmul_prepare, fused_matmul_run, CORT_OP_PACKED_B},
    {"", "Einsum", 12, CORT_OPSET_MAX, CORT_TS_NUM, 0, sizeof(einsum_params), einsum_parse, NULL, NULL, einsum_run, 0},
    {0},
};
