/* Sequences and optionals (default domain): SequenceEmpty, SequenceConstruct, SequenceAt,
 * SequenceInsert, SequenceErase, SequenceLength, SplitToSequence, ConcatFromSequence, SequenceMap,
 * Optional, OptionalHasElement, OptionalGetElement.
 *
 * A sequence value owns its tensors; outputs are built with alloc_sequence and filled with deep
 * copies, since inputs are read-only and may be freed after the step. An optional holding a value is
 * that value itself; an empty one is a value of kind NONE. */
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"

/* ------------------------------------------------------------------ helpers */

/* A non-owning value viewing tensor t, for cort_value_copy. */
static cort_value tensor_view(const cort_tensor *t) {
    cort_value v;
    memset(&v, 0, sizeof v);
    v.kind = CORT_VALUE_TENSOR;
    v.t = *t;
    return v;
}

/* Copies the elements of src into dst (same type and count); strings are duplicated. */
static cort_status *copy_elements(const cort_kctx *ctx, cort_tensor *dst, int64_t dst_off, const cort_tensor *src,
                                  int64_t src_off, int64_t count) {
    if (count <= 0) return NULL;
    if (src->type != CORT_STRING) {
        size_t es = cort_elem_size(src->type);
        memcpy((char *)dst->data + (size_t)dst_off * es, (const char *)src->data + (size_t)src_off * es,
               (size_t)count * es);
        return NULL;
    }
    char **d = (char **)dst->data + dst_off;
    char *const *s = (char *const *)src->data + src_off;
    for (int64_t i = 0; i < count; i++) {
        const char *e = s[i] ? s[i] : "";
        size_t len = strlen(e);
        d[i] = malloc(len + 1);
        if (!d[i]) return cort_kerr(ctx, "out of memory copying strings");
        memcpy(d[i], e, len + 1);
    }
    return NULL;
}

/* Output i becomes a copy of tensor src. */
static cort_status *emit_tensor(cort_kctx *ctx, int i, const cort_tensor *src) {
    cort_tensor *out;
    CORT_TRY(cort_out(ctx, i, src->type, src->rank, src->dims, &out));
    if (src->type == CORT_STRING) memset(out->data, 0, cort_tensor_nbytes(out));
    return copy_elements(ctx, out, 0, src, 0, cort_tensor_count(src));
}

/* Output i becomes a copy of value v, whatever its kind. */
static cort_status *emit_value(cort_kctx *ctx, int i, const cort_value *v) {
    if (v->kind == CORT_VALUE_TENSOR) return emit_tensor(ctx, i, &v->t);
    return ctx->svc->set_output_value(ctx, i, v);
}

static cort_status *input_sequence(const cort_kctx *ctx, int i, const cort_value **out) {
    const cort_value *v = cort_in_value(ctx, i);
    if (!v || v->kind != CORT_VALUE_SEQUENCE) return cort_kerr(ctx, "input %d must be a sequence", i);
    *out = v;
    return NULL;
}

/* Reads a scalar (or one-element) integer position input. */
static cort_status *read_position(const cort_kctx *ctx, int i, int64_t *pos) {
    const cort_tensor *t = cort_in(ctx, i);
    if (t->type != CORT_INT32 && t->type != CORT_INT64)
        return cort_kerr(ctx, "position must be int32 or int64, got %s", cort_type_name(t->type));
    if (cort_tensor_count(t) != 1) return cort_kerr(ctx, "position must be a scalar");
    *pos = cort_get_i64(t, 0);
    return NULL;
}

/* Output `index` becomes a sequence of copies of items[0..n). */
static cort_status *emit_sequence(cort_kctx *ctx, int index, int32_t elem_type, const cort_value *const *items,
                                  int64_t n) {
    cort_value *dst = NULL;
    CORT_TRY(ctx->svc->alloc_sequence(ctx, index, elem_type, n, &dst));
    for (int64_t k = 0; k < n; k++) CORT_TRY(cort_value_copy(&dst[k], items[k]));
    return NULL;
}

static cort_status *check_elem_type(const cort_kctx *ctx, const cort_value *seq, const cort_tensor *t) {
    if (seq->seq_elem_type && t->type != seq->seq_elem_type)
        return cort_kerr(ctx, "tensor of type %s does not fit a sequence of %s", cort_type_name(t->type),
                         cort_type_name(seq->seq_elem_type));
    return NULL;
}

/* ------------------------------------------------------------------ construction and access */

typedef struct dtype_params {
    int32_t dtype;
} dtype_params;

static cort_status *parse_sequence_empty(cort_parse_ctx *pc) {
    dtype_params *p = pc->params;
    p->dtype = (int32_t)cort_attr_int(pc->node, "dtype", CORT_FLOAT);
    if (!cort_elem_type_valid(p->dtype))
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "unsupported dtype %d", p->dtype);
    return NULL;
}

static cort_status *run_sequence_empty(cort_kctx *ctx) {
    const dtype_params *p = ctx->params;
    return ctx->svc->alloc_sequence(ctx, 0, p->dtype, 0, NULL);
}

static cort_status *run_sequence_construct(cort_kctx *ctx) {
    if (ctx->n_in < 1) return cort_kerr(ctx, "needs at least one input");
    cort_value *dst = NULL;
    const cort_tensor *first = cort_in(ctx, 0);
    if (!first) return cort_kerr(ctx, "input 0 must be a tensor");
    for (int i = 1; i < ctx->n_in; i++) {
        const cort_tensor *t = cort_in(ctx, i);
        if (!t) return cort_kerr(ctx, "input %d must be a tensor", i);
        if (t->type != first->type)
            return cort_kerr(ctx, "input %d has type %s, input 0 %s", i, cort_type_name(t->type),
                             cort_type_name(first->type));
    }
    CORT_TRY(ctx->svc->alloc_sequence(ctx, 0, first->type, ctx->n_in, &dst));
    for (int i = 0; i < ctx->n_in; i++) {
        cort_value v = tensor_view(cort_in(ctx, i));
        CORT_TRY(cort_value_copy(&dst[i], &v));
    }
    return NULL;
}

static cort_status *run_sequence_at(cort_kctx *ctx) {
    const cort_value *seq = NULL;
    int64_t pos;
    CORT_TRY(input_sequence(ctx, 0, &seq));
    if (!cort_in(ctx, 1)) return cort_kerr(ctx, "position must be a tensor");
    CORT_TRY(read_position(ctx, 1, &pos));
    if (pos < -seq->seq_len || pos >= seq->seq_len)
        return cort_kerr(ctx, "position %lld is outside a sequence of %lld", (long long)pos, (long long)seq->seq_len);
    if (pos < 0) pos += seq->seq_len;
    return emit_value(ctx, 0, &seq->seq[pos]);
}

static cort_status *run_sequence_length(cort_kctx *ctx) {
    const cort_value *seq = NULL;
    CORT_TRY(input_sequence(ctx, 0, &seq));
    cort_tensor *out;
    CORT_TRY(cort_out(ctx, 0, CORT_INT64, 0, NULL, &out));
    *(int64_t *)out->data = seq->seq_len;
    return NULL;
}

/* The sequence with `insert` placed at `at`, or with item `skip` left out (the other one NULL / -1). */
static cort_status *emit_edited(cort_kctx *ctx, const cort_value *seq, const cort_value *insert, int64_t at,
                                int64_t skip) {
    int64_t n = seq->seq_len + (insert ? 1 : 0) - (skip >= 0 ? 1 : 0);
    const cort_value **items = ctx->svc->scratch(ctx, (size_t)(n > 0 ? n : 1) * sizeof *items);
    if (!items) return cort_kerr(ctx, "out of memory");
    int64_t k = 0;
    for (int64_t i = 0; i <= seq->seq_len; i++) {
        if (insert && i == at) items[k++] = insert;
        if (i < seq->seq_len && i != skip) items[k++] = &seq->seq[i];
    }
    int32_t elem = seq->seq_elem_type ? seq->seq_elem_type : insert ? insert->t.type : 0;
    return emit_sequence(ctx, 0, elem, items, n);
}

static cort_status *run_sequence_insert(cort_kctx *ctx) {
    const cort_value *seq = NULL;
    CORT_TRY(input_sequence(ctx, 0, &seq));
    const cort_tensor *t = cort_in(ctx, 1);
    if (!t) return cort_kerr(ctx, "input 1 must be a tensor");
    CORT_TRY(check_elem_type(ctx, seq, t));
    int64_t pos = seq->seq_len;
    if (cort_in(ctx, 2)) {
        CORT_TRY(read_position(ctx, 2, &pos));
        if (pos < -seq->seq_len || pos > seq->seq_len)
            return cort_kerr(ctx, "position %lld is outside [-%lld, %lld]", (long long)pos, (long long)seq->seq_len,
                             (long long)seq->seq_len);
        if (pos < 0) pos += seq->seq_len;
    }
    cort_value v = tensor_view(t);
    return emit_edited(ctx, seq, &v, pos, -1);
}

static cort_status *run_sequence_erase(cort_kctx *ctx) {
    const cort_value *seq = NULL;
    CORT_TRY(input_sequence(ctx, 0, &seq));
    int64_t pos = seq->seq_len - 1;
    if (cort_in(ctx, 1)) {
        CORT_TRY(read_position(ctx, 1, &pos));
        if (pos < -seq->seq_len || pos >= seq->seq_len)
            return cort_kerr(ctx, "position %lld is outside a sequence of %lld", (long long)pos,
                             (long long)seq->seq_len);
        if (pos < 0) pos += seq->seq_len;
    }
    if (seq->seq_len == 0) return cort_kerr(ctx, "cannot erase from an empty sequence");
    return emit_edited(ctx, seq, NULL, -1, pos);
}

/* ------------------------------------------------------------------ SplitToSequence */

typedef struct split_params {
    int64_t axis;
    bool keepdims;
} split_params;

static cort_status *parse_split_to_sequence(cort_parse_ctx *pc) {
    split_params *p = pc->params;
    p->axis = cort_attr_int(pc->node, "axis", 0);
    p->keepdims = cort_attr_int(pc->node, "keepdims", 1) != 0;
    return NULL;
}

/* Chunk lengths along the split axis of length `dim`: from the split input, or ones. */
static cort_status *split_lengths(cort_kctx *ctx, int64_t dim, int64_t **lens, int64_t *n) {
    const cort_tensor *s = cort_in(ctx, 1);
    if (s && s->type != CORT_INT32 && s->type != CORT_INT64)
        return cort_kerr(ctx, "split must be int32 or int64, got %s", cort_type_name(s->type));
    if (s && s->rank > 1) return cort_kerr(ctx, "split must be a scalar or 1-D");
    int64_t chunk = 1, count;
    if (s && s->rank == 1) {
        count = s->dims[0];
    } else {
        if (s) chunk = cort_get_i64(s, 0);
        if (chunk <= 0) return cort_kerr(ctx, "split size %lld must be positive", (long long)chunk);
        count = dim / chunk + (dim % chunk ? 1 : 0);
    }
    *lens = ctx->svc->scratch(ctx, (size_t)(count > 0 ? count : 1) * sizeof **lens);
    if (!*lens) return cort_kerr(ctx, "out of memory");
    int64_t total = 0;
    for (int64_t k = 0; k < count; k++) {
        int64_t len = s && s->rank == 1 ? cort_get_i64(s, k) : (dim - k * chunk < chunk ? dim - k * chunk : chunk);
        if (len < 0 || len > dim - total)
            return cort_kerr(ctx, "split lengths do not add up to the axis length %lld", (long long)dim);
        (*lens)[k] = len;
        total += len;
    }
    if (total != dim)
        return cort_kerr(ctx, "split lengths add up to %lld, axis length is %lld", (long long)total, (long long)dim);
    *n = count;
    return NULL;
}

static cort_status *run_split_to_sequence(cort_kctx *ctx) {
    const split_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0);
    if (!x) return cort_kerr(ctx, "input must be a tensor");
    int axis;
    if (x->rank == 0 || !cort_norm_axis(p->axis, x->rank, &axis))
        return cort_kerr(ctx, "axis %lld is out of range for rank %d", (long long)p->axis, x->rank);
    int64_t *lens = NULL, n = 0;
    CORT_TRY(split_lengths(ctx, x->dims[axis], &lens, &n));
    bool squeeze = !cort_in(ctx, 1) && !p->keepdims;
    int64_t outer = cort_shape_count(x->dims, axis), inner = cort_shape_count(x->dims + axis + 1, x->rank - axis - 1);
    cort_value *items = NULL;
    CORT_TRY(ctx->svc->alloc_sequence(ctx, 0, x->type, n, &items));
    int64_t start = 0;
    for (int64_t k = 0; k < n; k++) {
        int64_t dims[CORT_MAX_RANK];
        int rank = 0;
        for (int d = 0; d < x->rank; d++) {
            if (d == axis && squeeze) continue;
            dims[rank++] = d == axis ? lens[k] : x->dims[d];
        }
        CORT_TRY(cort_value_alloc_tensor(&items[k], x->type, rank, dims));
        int64_t block = lens[k] * inner;
        for (int64_t o = 0; o < outer; o++)
            CORT_TRY(copy_elements(ctx, &items[k].t, o * block, x, (o * x->dims[axis] + start) * inner, block));
        start += lens[k];
    }
    return NULL;
}

/* ------------------------------------------------------------------ ConcatFromSequence */

typedef struct concat_params {
    int64_t axis;
    bool new_axis;
} concat_params;

static cort_status *parse_concat_from_sequence(cort_parse_ctx *pc) {
    concat_params *p = pc->params;
    if (!cort_node_attr(pc->node, "axis"))
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "attribute 'axis' is required");
    p->axis = cort_attr_int(pc->node, "axis", 0);
    p->new_axis = cort_attr_int(pc->node, "new_axis", 0) != 0;
    return NULL;
}

/* Checks every item against the first and fills the output shape. */
static cort_status *concat_shape(const cort_kctx *ctx, const cort_value *seq, int axis, bool new_axis,
                                 int64_t *dims, int *rank) {
    const cort_tensor *first = &seq->seq[0].t;
    int64_t total = 0;
    for (int64_t k = 0; k < seq->seq_len; k++) {
        const cort_tensor *t = &seq->seq[k].t;
        if (seq->seq[k].kind != CORT_VALUE_TENSOR || t->type != first->type || t->rank != first->rank)
            return cort_kerr(ctx, "sequence item %lld differs in type or rank from item 0", (long long)k);
        for (int d = 0; d < t->rank; d++)
            if ((new_axis || d != axis) && t->dims[d] != first->dims[d])
                return cort_kerr(ctx, "sequence item %lld differs in dimension %d from item 0", (long long)k, d);
        total += new_axis ? 1 : t->dims[axis];
    }
    *rank = first->rank + (new_axis ? 1 : 0);
    for (int d = 0, s = 0; d < *rank; d++) {
        if (d == axis) {
            dims[d] = total;
            if (!new_axis) s++;
        } else {
            dims[d] = first->dims[s++];
        }
    }
    return NULL;
}

static cort_status *run_concat_from_sequence(cort_kctx *ctx) {
    const concat_params *p = ctx->params;
    const cort_value *seq = NULL;
    CORT_TRY(input_sequence(ctx, 0, &seq));
    if (seq->seq_len == 0) return cort_kerr(ctx, "cannot concatenate an empty sequence");
    const cort_tensor *first = &seq->seq[0].t;
    int out_rank_for_axis = first->rank + (p->new_axis ? 1 : 0), axis, rank = 0;
    if (!cort_norm_axis(p->axis, out_rank_for_axis, &axis) || out_rank_for_axis > CORT_MAX_RANK)
        return cort_kerr(ctx, "axis %lld is out of range for rank %d", (long long)p->axis, first->rank);
    int64_t dims[CORT_MAX_RANK];
    CORT_TRY(concat_shape(ctx, seq, axis, p->new_axis, dims, &rank));
    cort_tensor *out;
    CORT_TRY(cort_out(ctx, 0, first->type, rank, dims, &out));
    if (out->type == CORT_STRING) memset(out->data, 0, cort_tensor_nbytes(out));
    int64_t outer = cort_shape_count(dims, axis), inner = cort_shape_count(dims + axis + 1, rank - axis - 1);
    int64_t off = 0;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < seq->seq_len; k++) {
            const cort_tensor *t = &seq->seq[k].t;
            int64_t block = (p->new_axis ? 1 : t->dims[axis]) * inner;
            CORT_TRY(copy_elements(ctx, out, off, t, o * block, block));
            off += block;
        }
    return NULL;
}

/* ------------------------------------------------------------------ SequenceMap */

typedef struct map_params {
    const cort_graph *body;
} map_params;

static cort_status *parse_sequence_map(cort_parse_ctx *pc) {
    map_params *p = pc->params;
    const cort_attr *a = cort_node_attr(pc->node, "body");
    if (!a || a->type != CORT_ATTR_GRAPH || !a->g)
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "attribute 'body' (a graph) is required");
    p->body = a->g;
    if (p->body->n_inputs != pc->node->n_inputs || p->body->n_outputs != pc->node->n_outputs)
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "body takes %d inputs and %d outputs, node has %d and %d",
                               p->body->n_inputs, p->body->n_outputs, pc->node->n_inputs, pc->node->n_outputs);
    return NULL;
}

static int32_t body_output_elem(const cort_graph *g, int k) {
    const cort_type *t = &g->values[g->outputs[k]].type;
    while (t && t->kind != CORT_TYPE_TENSOR && t->inner) t = t->inner;
    return t && t->kind == CORT_TYPE_TENSOR ? t->elem : 0;
}

static cort_status *run_sequence_map(cort_kctx *ctx) {
    const map_params *p = ctx->params;
    const cort_value *seq = NULL;
    CORT_TRY(input_sequence(ctx, 0, &seq));
    int64_t n = seq->seq_len;
    for (int i = 1; i < ctx->n_in; i++) {
        const cort_value *v = cort_in_value(ctx, i);
        if (!v) return cort_kerr(ctx, "input %d is missing", i);
        if (v->kind == CORT_VALUE_SEQUENCE && v->seq_len != n)
            return cort_kerr(ctx, "sequence input %d has %lld items, input 0 has %lld", i, (long long)v->seq_len,
                             (long long)n);
    }
    int n_out = ctx->n_out;
    cort_value **items = ctx->svc->scratch(ctx, (size_t)(n_out > 0 ? n_out : 1) * sizeof *items);
    const cort_value **ins = ctx->svc->scratch(ctx, (size_t)ctx->n_in * sizeof *ins);
    cort_value *outs = ctx->svc->scratch(ctx, (size_t)(n_out > 0 ? n_out : 1) * sizeof *outs);
    if (!items || !ins || !outs) return cort_kerr(ctx, "out of memory");
    memset(outs, 0, (size_t)(n_out > 0 ? n_out : 1) * sizeof *outs);
    for (int k = 0; k < n_out; k++)
        CORT_TRY(ctx->svc->alloc_sequence(ctx, k, body_output_elem(p->body, k), n, &items[k]));
    for (int64_t it = 0; it < n; it++) {
        for (int i = 0; i < ctx->n_in; i++) {
            const cort_value *v = cort_in_value(ctx, i);
            ins[i] = v->kind == CORT_VALUE_SEQUENCE ? &v->seq[it] : v;
        }
        CORT_TRY(ctx->svc->run_subgraph(ctx, p->body, ctx->n_in, ins, n_out, outs));
        for (int k = 0; k < n_out; k++) {
            if (outs[k].kind != CORT_VALUE_TENSOR) {
                for (int q = 0; q < n_out; q++) cort_value_clear(&outs[q]);
                return cort_kerr(ctx, "body output %d is not a tensor", k);
            }
            items[k][it] = outs[k]; /* the sequence takes ownership */
            memset(&outs[k], 0, sizeof outs[k]);
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ optionals */

static cort_status *run_optional(cort_kctx *ctx) {
    const cort_value *v = cort_in_value(ctx, 0);
    if (!v || v->kind == CORT_VALUE_NONE || v->kind == CORT_VALUE_EMPTY)
        return ctx->svc->alloc_sequence(ctx, 0, v ? v->seq_elem_type : 0, -1, NULL);
    return emit_value(ctx, 0, v);
}

static cort_status *run_optional_has_element(cort_kctx *ctx) {
    const cort_value *v = cort_in_value(ctx, 0);
    cort_tensor *out;
    CORT_TRY(cort_out(ctx, 0, CORT_BOOL, 0, NULL, &out));
    *(uint8_t *)out->data = v && v->kind != CORT_VALUE_NONE && v->kind != CORT_VALUE_EMPTY;
    return NULL;
}

static cort_status *run_optional_get_element(cort_kctx *ctx) {
    const cort_value *v = cort_in_value(ctx, 0);
    if (!v || v->kind == CORT_VALUE_NONE || v->kind == CORT_VALUE_EMPTY)
        return cort_kerr(ctx, "the optional input has no value");
    return emit_value(ctx, 0, v);
}


/* ------------------------------------------------------------------ type inference */

static const cort_type *infer_in(const cort_infer_ctx *ic, int i) { return i < ic->n_in ? ic->in[i] : NULL; }

static void set_tensor_out(cort_infer_ctx *ic, int i, int32_t elem, int rank) {
    if (i < ic->n_out) cort_type_set_tensor(&ic->out[i], elem, rank, NULL);
}

/* Output i becomes a sequence (or optional) of tensors of elem, rank unknown. */
static cort_status *set_wrapped_out(cort_infer_ctx *ic, int i, cort_type_kind kind, int32_t elem) {
    if (i >= ic->n_out) return NULL;
    cort_type *inner = cort_pool_calloc(ic->pool, 1, sizeof *inner);
    if (!inner) return cort_oom();
    cort_type_set_tensor(inner, elem, -1, NULL);
    ic->out[i].kind = kind;
    ic->out[i].inner = inner;
    return NULL;
}

/* Element type of the tensors a sequence (or optional) type holds, 0 if unknown. */
static int32_t inner_elem(const cort_type *t) {
    if (!t) return 0;
    if (t->kind == CORT_TYPE_TENSOR) return t->elem;
    return t->inner ? inner_elem(t->inner) : 0;
}

static cort_status *infer_scalar_int64(cort_infer_ctx *ic) {
    set_tensor_out(ic, 0, CORT_INT64, 0);
    return NULL;
}

static cort_status *infer_scalar_bool(cort_infer_ctx *ic) {
    set_tensor_out(ic, 0, CORT_BOOL, 0);
    return NULL;
}

static cort_status *infer_sequence_empty(cort_infer_ctx *ic) {
    const dtype_params *p = ic->params;
    return set_wrapped_out(ic, 0, CORT_TYPE_SEQUENCE, p->dtype);
}

/* A sequence of the first input's element type (SequenceConstruct, SplitToSequence). */
static cort_status *infer_sequence_of_input(cort_infer_ctx *ic) {
    int32_t elem = inner_elem(infer_in(ic, 0));
    return elem ? set_wrapped_out(ic, 0, CORT_TYPE_SEQUENCE, elem) : NULL;
}

/* The same sequence type as input 0 (SequenceInsert, SequenceErase). */
static cort_status *infer_same_sequence(cort_infer_ctx *ic) {
    const cort_type *t = infer_in(ic, 0);
    if (!t || t->kind != CORT_TYPE_SEQUENCE) return NULL;
    return cort_type_copy(ic->pool, &ic->out[0], t);
}

/* A tensor of the element type the input sequence or optional holds (SequenceAt,
 * ConcatFromSequence, OptionalGetElement of a tensor). */
static cort_status *infer_element_tensor(cort_infer_ctx *ic) {
    const cort_type *t = infer_in(ic, 0);
    if (t && t->kind == CORT_TYPE_OPTIONAL && t->inner && t->inner->kind != CORT_TYPE_TENSOR)
        return cort_type_copy(ic->pool, &ic->out[0], t->inner); /* an optional sequence */
    int32_t elem = inner_elem(t);
    if (elem) set_tensor_out(ic, 0, elem, -1);
    return NULL;
}

#define SEQ_ROW(name, since, params, parse, infer, run) \
    {"", name, since, CORT_OPSET_MAX, CORT_TS_ANY, 0, params, parse, infer, NULL, run, 0}

const cort_op_def cort_ops_sequence[] = {
    SEQ_ROW("SequenceEmpty", 11, sizeof(dtype_params), parse_sequence_empty, infer_sequence_empty, run_sequence_empty),
    SEQ_ROW("SequenceConstruct", 11, 0, NULL, infer_sequence_of_input, run_sequence_construct),
    SEQ_ROW("SequenceAt", 11, 0, NULL, infer_element_tensor, run_sequence_at),
    SEQ_ROW("SequenceInsert", 11, 0, NULL, infer_same_sequence, run_sequence_insert),
    SEQ_ROW("SequenceErase", 11, 0, NULL, infer_same_sequence, run_sequence_erase),
    SEQ_ROW("SequenceLength", 11, 0, NULL, infer_scalar_int64, run_sequence_length),
    SEQ_ROW("SplitToSequence", 11, sizeof(split_params), parse_split_to_sequence, infer_sequence_of_input,
            run_split_to_sequence),
    SEQ_ROW("ConcatFromSequence", 11, sizeof(concat_params), parse_concat_from_sequence, infer_element_tensor,
            run_concat_from_sequence),
    SEQ_ROW("SequenceMap", 17, sizeof(map_params), parse_sequence_map, NULL, run_sequence_map),
    SEQ_ROW("Optional", 15, 0, NULL, NULL, run_optional),
    SEQ_ROW("OptionalHasElement", 15, 0, NULL, infer_scalar_bool, run_optional_has_element),
    SEQ_ROW("OptionalGetElement", 15, 0, NULL, infer_element_tensor, run_optional_get_element),
    {0},
};
