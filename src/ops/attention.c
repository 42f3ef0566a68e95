/* com.cort::Attention: multi-head self-attention over a packed QKV projection, as the optimizer fuses it
 * from the MatMul / Reshape / Transpose / Softmax subgraphs of BERT, GPT-2 and ViT exports
 * (src/opt/fuse_attention.c).
 *
 * Input 0 is QKV of shape [D0, D1, 3E]: per token, the query, key and value rows side by side, each E
 * wide and split into num_heads heads of E / num_heads. The sequence runs along axis `seq_axis` (1 for
 * [batch, seq, 3E], 0 for [seq, batch, 3E]), the batch along the other. Optional input 1 is a bool mask
 * of [S, S] elements: where it is false the score becomes mask_filter_value before the softmax (as the
 * exported Where does). Optional input 2 holds query indices (int64 or int32, a scalar or a vector,
 * negative counting from the end): only those rows of the result are computed, as a Gather of them
 * along the sequence axis would keep (src/opt/fuse_transformer.c moves such a Gather into the node:
 * ViT's classifier reads the class token only). Output 0 is [D0, D1, E] (the sequence axis of the
 * indices' length, or gone for a scalar): each head's result in its columns, which is the exported
 * graph's Transpose back to [.., seq, heads, head size].
 *
 * Per (batch, head): scores = scale * Q K^T by SGEMM reading Q and K in place through their row stride,
 * the mask and the row exponentials of a softmax on the S x S scores in scratch, then scores * V stored
 * straight into the head's columns of the output and scaled there by each row's 1 / sum (S x head size
 * products instead of S x S); no transposed copy of Q, K, V or the output is ever made. */
#include <math.h>
#include <string.h>

#include "kernels/transformer.h"
#include "ops/nn_util.h"
#include "ops/op.h"

typedef struct attention_params {
    int64_t heads;
    int seq_axis;
    float scale, filter;
} attention_params;

static cort_status *attention_parse(cort_parse_ctx *pc) {
    attention_params *p = pc->params;
    p->heads = cort_attr_int(pc->node, "num_heads", 0);
    p->seq_axis = (int)cort_attr_int(pc->node, "seq_axis", 1);
    p->scale = cort_attr_float(pc->node, "scale", 1.0f);
    p->filter = cort_attr_float(pc->node, "mask_filter_value", -10000.0f);
    if (p->heads < 1 || p->heads > (INT64_C(1) << 20))
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "num_heads is %lld, expected a positive count",
                               (long long)p->heads);
    if (p->seq_axis != 0 && p->seq_axis != 1)
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "seq_axis is %d, expected 0 or 1", p->seq_axis);
    return NULL;
}

static cort_status *attention_infer(cort_infer_ctx *ic) {
    const cort_type *x = ic->in[0];
    if (!x || x->kind != CORT_TYPE_TENSOR || x->rank != 3) return NULL;
    const attention_params *p = ic->params;
    const cort_type *idx = ic->n_in > 2 ? ic->in[2] : NULL;
    if (idx && (idx->kind != CORT_TYPE_TENSOR || idx->rank < 0 || idx->rank > 1)) return NULL;
    cort_dim *d = cort_pool_calloc(ic->pool, 3, sizeof *d);
    if (!d) return cort_oom();
    memcpy(d, x->dims, 3 * sizeof *d);
    d[2] = x->dims[2].value >= 0 ? (cort_dim){x->dims[2].value / 3, NULL} : (cort_dim){-1, NULL};
    int rank = 3;
    if (idx && idx->rank == 1) d[p->seq_axis] = idx->dims[0];
    else if (idx) memmove(d + p->seq_axis, d + p->seq_axis + 1, (size_t)(--rank - p->seq_axis) * sizeof *d);
    cort_type_set_tensor(&ic->out[0], x->elem, rank, d);
    return NULL;
}

typedef struct attention_job {
    const attention_params *p;
    const float *qkv;
    const unsigned char *mask;
    float *y;
    const int64_t *rows; /* the query rows, or NULL: all */
    int64_t batch, seq, queries, hidden, head_size, row_step, per_task;
    char *scratch;
    size_t scratch_each, scores_bytes;
} attention_job;

/* The query rows of one head side by side (head size apart) in `buf`, for one product over them. */
static const float *gather_queries(const attention_job *j, const float *q, int64_t ld_in, float *buf) {
    for (int64_t r = 0; r < j->queries; r++)
        memcpy(buf + r * j->head_size, q + j->rows[r] * ld_in, (size_t)j->head_size * sizeof *buf);
    return buf;
}

static void attention_head(const attention_job *j, int64_t bh, float *scores, void *work) {
    int64_t b = bh / j->p->heads, h = bh % j->p->heads, s = j->seq, e = j->hidden, dh = j->head_size;
    int64_t nq = j->queries, first_row = j->row_step == 1 ? b * s : b;
    const float *q = j->qkv + first_row * 3 * e + h * dh, *k = q + e, *v = q + 2 * e;
    float *y = j->y + (j->row_step == 1 ? b * nq : b) * e + h * dh, *inv_sum = scores + nq * s;
    int64_t ld_in = j->row_step * 3 * e, ld_q = ld_in, ld_out = j->row_step * e;
    if (j->rows) {
        q = gather_queries(j, q, ld_in, inv_sum + nq);
        ld_q = dh;
    }
    cort_sgemm(false, true, nq, s, dh, j->p->scale, q, ld_q, k, ld_in, 0.0f, scores, s, work);
    if (j->mask)
        for (int64_t r = 0; r < nq; r++) {
            const unsigned char *m = j->mask + (j->rows ? j->rows[r] : r) * s;
            for (int64_t c = 0; c < s; c++) scores[r * s + c] = m[c] ? scores[r * s + c] : j->p->filter;
        }
    cort_softmax_rows(scores, nq, s, s, inv_sum);
    cort_sgemm(false, false, nq, dh, s, 1.0f, scores, s, v, ld_in, 0.0f, y, ld_out, work);
    for (int64_t i = 0; i < nq; i++)
        for (int64_t c = 0; c < dh; c++) y[i * ld_out + c] *= inv_sum[i];
}

static void attention_task(void *arg, int64_t begin, int64_t end) {
    const attention_job *j = arg;
    int64_t total = j->batch * j->p->heads;
    for (int64_t task = begin; task < end; task++) {
        char *mine = j->scratch + (size_t)task * j->scratch_each;
        int64_t lo = task * j->per_task, hi = lo + j->per_task < total ? lo + j->per_task : total;
        for (int64_t bh = lo; bh < hi; bh++) attention_head(j, bh, (float *)mine, mine + j->scores_bytes);
    }
}

/* The query indices of input 2, each within [0, seq), in scratch: *rows NULL when there is no input 2. */
static cort_status *query_rows(cort_kctx *ctx, int64_t seq, int64_t **rows, int64_t *count) {
    const cort_tensor *idx = cort_in(ctx, 2);
    if (!idx) return NULL;
    if ((idx->type != CORT_INT64 && idx->type != CORT_INT32) || idx->rank > 1)
        return cort_kerr(ctx, "query indices must be an int64 or int32 scalar or vector");
    *count = cort_tensor_count(idx);
    void *buf;
    CORT_TRY(cort_nn_scratch(ctx, (size_t)(*count > 0 ? *count : 1) * sizeof(int64_t), &buf));
    *rows = buf;
    for (int64_t r = 0; r < *count; r++) {
        int64_t v = idx->type == CORT_INT64 ? ((const int64_t *)idx->data)[r] : ((const int32_t *)idx->data)[r];
        if (v < -seq || v >= seq)
            return cort_kerr(ctx, "query index %lld is out of range for a sequence of %lld", (long long)v,
                             (long long)seq);
        (*rows)[r] = v < 0 ? v + seq : v;
    }
    return NULL;
}

static cort_status *attention_run(cort_kctx *ctx) {
    const attention_params *p = ctx->params;
    const cort_tensor *x, *mask = cort_in(ctx, 1);
    CORT_TRY(cort_nn_input(ctx, 0, "QKV", &x));
    if (x->type != CORT_FLOAT || x->rank != 3)
        return cort_kerr(ctx, "QKV must be a rank-3 float tensor (got %s of rank %d)", cort_type_name(x->type),
                         x->rank);
    int64_t e = x->dims[2] / 3, seq = x->dims[p->seq_axis], batch = x->dims[1 - p->seq_axis];
    if (x->dims[2] % 3 || e % p->heads)
        return cort_kerr(ctx, "QKV's last dimension %lld is not 3 x num_heads (%lld) x head size",
                         (long long)x->dims[2], (long long)p->heads);
    if (mask && (mask->type != CORT_BOOL || cort_tensor_count(mask) != seq * seq))
        return cort_kerr(ctx, "mask must be bool with %lld x %lld elements", (long long)seq, (long long)seq);
    int64_t dims[3] = {x->dims[0], x->dims[1], e}, queries = seq, *rows = NULL;
    int rank = 3;
    CORT_TRY(query_rows(ctx, seq, &rows, &queries));
    if (rows && cort_in(ctx, 2)->rank == 0) { /* a scalar index: the sequence axis goes */
        memmove(dims + p->seq_axis, dims + p->seq_axis + 1, (size_t)(2 - p->seq_axis) * sizeof *dims);
        rank = 2;
    } else {
        dims[p->seq_axis] = queries;
    }
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, CORT_FLOAT, rank, dims, &y));
    if (cort_tensor_count(y) == 0) return NULL;
    attention_job j = {p, x->data, mask ? mask->data : NULL, y->data, rows, batch, seq, queries, e, e / p->heads,
                       p->seq_axis == 1 ? 1 : batch, 0, NULL, 0, 0};
    cort_threads th = cort_nn_threads(ctx);
    /* A few heads per task, several tasks per thread: a thread that starts late (woken after the
     * caller began) takes fewer, instead of the caller waiting for its fixed share. */
    int64_t total = batch * p->heads, want = th.count > 1 ? 4 * (int64_t)th.count : 1;
    int64_t tasks = want < total ? want : total;
    j.per_task = (total + tasks - 1) / tasks;
    tasks = (total + j.per_task - 1) / j.per_task;
    size_t w1 = cort_sgemm_work_size(queries, seq, j.head_size), w2 = cort_sgemm_work_size(queries, j.head_size, seq);
    /* scores, 1 / row sums and the gathered query rows */
    j.scores_bytes = ((size_t)(queries * (seq + 1 + j.head_size)) * sizeof(float) + 63) & ~(size_t)63;
    j.scratch_each = j.scores_bytes + ((w1 > w2 ? w1 : w2) + 63) / 64 * 64;
    void *scratch;
    CORT_TRY(cort_nn_scratch(ctx, j.scratch_each * (size_t)tasks, &scratch));
    j.scratch = scratch;
    th.parallel_for(th.self, tasks, 1, attention_task, &j);
    return NULL;
}

const cort_op_def cort_ops_attention[] = {
    {"com.cort", "Attention", 1, 1, CORT_T(CORT_FLOAT), 0, sizeof(attention_params), attention_parse, attention_infer,
     NULL, attention_run, 0},
    {0},
};
