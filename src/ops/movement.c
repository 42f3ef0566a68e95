/* Element movement shared by the data-movement operator families (see movement.h). */
#include "ops/movement.h"

#include <stdlib.h>
#include <string.h>

cort_status *cort_move_out(cort_kctx *ctx, int index, int32_t type, int rank, const int64_t *dims,
                           cort_tensor **out) {
    CORT_TRY(cort_out(ctx, index, type, rank, dims, out));
    if (type == CORT_STRING) {
        int64_t n = cort_shape_count(dims, rank);
        if (n > 0) memset((*out)->data, 0, (size_t)n * sizeof(char *));
    }
    return NULL;
}

static cort_status *copy_strings(char **dst, char *const *src, int64_t n, int64_t src_stride) {
    for (int64_t i = 0; i < n; i++) {
        const char *s = src[i * src_stride] ? src[i * src_stride] : "";
        size_t len = strlen(s);
        char *d = malloc(len + 1);
        if (!d) return cort_oom();
        memcpy(d, s, len + 1);
        free(dst[i]); /* a scatter may overwrite an element it wrote before */
        dst[i] = d;
    }
    return NULL;
}

/* Copies n elements read `stride` apart into consecutive destination elements. */
static void copy_strided_run(char *dst, const char *src, int64_t n, int64_t stride, size_t esize) {
    if (stride == 1) {
        memcpy(dst, src, (size_t)n * esize);
        return;
    }
    switch (esize) {
    case 1: for (int64_t i = 0; i < n; i++) dst[i] = src[i * stride]; break;
    case 2: for (int64_t i = 0; i < n; i++) memcpy(dst + 2 * i, src + 2 * i * stride, 2); break;
    case 4: for (int64_t i = 0; i < n; i++) memcpy(dst + 4 * i, src + 4 * i * stride, 4); break;
    case 8: for (int64_t i = 0; i < n; i++) memcpy(dst + 8 * i, src + 8 * i * stride, 8); break;
    default:
        for (int64_t i = 0; i < n; i++) memcpy(dst + (size_t)i * esize, src + (size_t)(i * stride) * esize, esize);
        break;
    }
}

cort_status *cort_copy_elems(void *dst, int64_t di, const void *src, int64_t si, int64_t n, int32_t type) {
    if (n <= 0) return NULL;
    if (type == CORT_STRING) return copy_strings((char **)dst + di, (char *const *)src + si, n, 1);
    size_t esize = cort_elem_size(type);
    memmove((char *)dst + (size_t)di * esize, (const char *)src + (size_t)si * esize, (size_t)n * esize);
    return NULL;
}

#define FILL_LOOP(T)                                                                         \
    do {                                                                                     \
        T v, *d = (T *)dst + di;                                                             \
        memcpy(&v, value, sizeof v);                                                         \
        for (int64_t i = 0; i < n; i++) d[i] = v;                                            \
    } while (0)

cort_status *cort_fill_elems(void *dst, int64_t di, const void *value, int64_t n, int32_t type) {
    if (n <= 0) return NULL;
    if (type != CORT_STRING) {
        switch (cort_elem_size(type)) {
        case 1: memset((char *)dst + di, *(const unsigned char *)value, (size_t)n); return NULL;
        case 2: FILL_LOOP(uint16_t); return NULL;
        case 4: FILL_LOOP(uint32_t); return NULL;
        case 8: FILL_LOOP(uint64_t); return NULL;
        default: break;
        }
    }
    for (int64_t i = 0; i < n; i++) CORT_TRY(cort_copy_elems(dst, di + i, value, 0, 1, type));
    return NULL;
}

#define TAKE_LOOP(T)                                                                         \
    do {                                                                                     \
        T *d = dst;                                                                          \
        const T *sp = (const T *)src + base;                                                 \
        for (int64_t i = 0; i < n; i++) d[i] = sp[offsets[i]];                               \
    } while (0)

cort_status *cort_take_blocks(void *dst, const void *src, int64_t base, const int64_t *offsets, int64_t n,
                              int64_t block, int32_t type) {
    if (block <= 0 || n <= 0) return NULL;
    size_t es = cort_elem_size(type);
    if (block == 1 && type != CORT_STRING) {
        switch (es) { /* one element per index: embedding ids, GatherElements */
        case 1: TAKE_LOOP(uint8_t); return NULL;
        case 2: TAKE_LOOP(uint16_t); return NULL;
        case 4: TAKE_LOOP(uint32_t); return NULL;
        case 8: TAKE_LOOP(uint64_t); return NULL;
        default: break;
        }
    }
    for (int64_t i = 0; i < n; i++) CORT_TRY(cort_copy_elems(dst, i * block, src, base + offsets[i], block, type));
    return NULL;
}

void cort_dense_strides(const int64_t *dims, int rank, int64_t *strides) {
    int64_t s = 1;
    for (int i = rank - 1; i >= 0; i--) {
        strides[i] = s;
        s *= dims[i] > 0 ? dims[i] : 1;
    }
}

int64_t cort_dims_product(const int64_t *dims, int begin, int end) {
    int64_t p = 1;
    for (int i = begin; i < end; i++) p *= dims[i];
    return p;
}

/* Drops unit dims and merges dims that are contiguous with their inner neighbour, so the inner loop
 * runs as long as possible. */
static void simplify_view(cort_view *v) {
    int r = 0;
    for (int i = 0; i < v->rank; i++) {
        if (v->dims[i] == 1) continue;
        if (r > 0 && v->strides[r - 1] == v->strides[i] * v->dims[i]) {
            v->dims[r - 1] *= v->dims[i];
            v->strides[r - 1] = v->strides[i];
            continue;
        }
        v->dims[r] = v->dims[i];
        v->strides[r] = v->strides[i];
        r++;
    }
    v->rank = r;
}

typedef struct view_job {
    const cort_view *v; /* simplified, rank >= 1 */
    char *dst;
    const char *src;
    size_t esize;
} view_job;

static void copy_view_rows(void *arg, int64_t begin, int64_t end) {
    const view_job *job = arg;
    const cort_view *v = job->v;
    int outer = v->rank - 1;
    int64_t n = v->dims[outer], stride = v->strides[outer];
    int64_t idx[CORT_VIEW_MAX_RANK], off = v->offset, rem = begin;
    for (int k = outer - 1; k >= 0; k--) {
        idx[k] = rem % v->dims[k];
        rem /= v->dims[k];
        off += idx[k] * v->strides[k];
    }
    for (int64_t row = begin; row < end; row++) {
        copy_strided_run(job->dst + (size_t)(row * n) * job->esize, job->src + (size_t)off * job->esize, n,
                         stride, job->esize);
        for (int k = outer - 1; k >= 0; k--) { /* odometer step */
            off += v->strides[k];
            if (++idx[k] < v->dims[k]) break;
            off -= v->strides[k] * v->dims[k];
            idx[k] = 0;
        }
    }
}

static cort_status *copy_view_strings(char **dst, char *const *src, const cort_view *v) {
    int outer = v->rank - 1;
    int64_t n = v->dims[outer], rows = cort_dims_product(v->dims, 0, outer);
    int64_t idx[CORT_VIEW_MAX_RANK] = {0}, off = v->offset;
    for (int64_t row = 0; row < rows; row++) {
        CORT_TRY(copy_strings(dst + row * n, src + off, n, v->strides[outer]));
        for (int k = outer - 1; k >= 0; k--) {
            off += v->strides[k];
            if (++idx[k] < v->dims[k]) break;
            off -= v->strides[k] * v->dims[k];
            idx[k] = 0;
        }
    }
    return NULL;
}

/* ---- transposing views: when the source-contiguous dim is not the innermost one, copying row by row
 * reads memory `stride` apart and thrashes the cache; copying square tiles of (that dim x innermost dim)
 * keeps both the reads and the writes within a few cache lines. */
#define TILE 32

typedef struct tile_job {
    const cort_view *v;
    int j;                   /* the view dim whose source stride is 1 */
    int64_t dst_strides[CORT_VIEW_MAX_RANK];
    int64_t tiles_j;         /* tiles along dim j per outer position */
    char *dst;
    const char *src;
    size_t esize;
} tile_job;

/* dst[a*dst_row + b] = src[a + b*src_col] for a < na, b < nb (both <= TILE). The tile goes through a
 * small buffer so that every access to dst and src is a contiguous run: with power-of-two strides a
 * direct strided loop keeps evicting its own cache lines. */
#define TILE_LOOP(T)                                                                    \
    do {                                                                                \
        T buf[TILE * TILE];                                                             \
        T *d = (T *)(void *)dst;                                                        \
        const T *s = (const T *)(const void *)src;                                      \
        for (int64_t b = 0; b < nb; b++)                                                \
            for (int64_t a = 0; a < na; a++) buf[a * TILE + b] = s[a + b * src_col];    \
        for (int64_t a = 0; a < na; a++) memcpy(d + a * dst_row, buf + a * TILE, (size_t)nb * sizeof(T)); \
    } while (0)

static void copy_tile(char *dst, const char *src, int64_t na, int64_t nb, int64_t dst_row, int64_t src_col,
                      size_t esize) {
    switch (esize) {
    case 1: TILE_LOOP(uint8_t); break;
    case 2: TILE_LOOP(uint16_t); break;
    case 4: TILE_LOOP(uint32_t); break;
    case 8: TILE_LOOP(uint64_t); break;
    default:
        for (int64_t b = 0; b < nb; b++)
            for (int64_t a = 0; a < na; a++)
                memcpy(dst + (size_t)(a * dst_row + b) * esize, src + (size_t)(a + b * src_col) * esize, esize);
        break;
    }
}

/* Task t covers one outer position (all dims but j and the innermost) and one band of TILE along j. */
static void copy_tile_tasks(void *arg, int64_t begin, int64_t end) {
    const tile_job *job = arg;
    const cort_view *v = job->v;
    int last = v->rank - 1, j = job->j;
    int64_t nj = v->dims[j], nl = v->dims[last], src_col = v->strides[last], dst_row = job->dst_strides[j];
    for (int64_t t = begin; t < end; t++) {
        int64_t a0 = (t % job->tiles_j) * TILE, rem = t / job->tiles_j;
        int64_t src_off = v->offset + a0, dst_off = a0 * dst_row;
        for (int k = last - 1; k >= 0; k--) {
            if (k == j) continue;
            int64_t c = rem % v->dims[k];
            rem /= v->dims[k];
            src_off += c * v->strides[k];
            dst_off += c * job->dst_strides[k];
        }
        int64_t na = nj - a0 < TILE ? nj - a0 : TILE;
        for (int64_t b0 = 0; b0 < nl; b0 += TILE) {
            int64_t nb = nl - b0 < TILE ? nl - b0 : TILE;
            copy_tile(job->dst + (size_t)(dst_off + b0) * job->esize,
                      job->src + (size_t)(src_off + b0 * src_col) * job->esize, na, nb, dst_row, src_col, job->esize);
        }
    }
}

/* The dim to tile with the innermost one, or -1 when row copies are fine. */
static int transposed_dim(const cort_view *v) {
    int last = v->rank - 1;
    if (last < 1 || v->strides[last] == 1 || v->strides[last] == 0 || v->dims[last] < 4) return -1;
    for (int k = last - 1; k >= 0; k--)
        if (v->strides[k] == 1) return v->dims[k] >= 4 ? k : -1;
    return -1;
}

/* Copies are memory-bound: a thread only pays for its wake-up when it moves a good share of a cache. */
#define MIN_CHUNK_BYTES ((int64_t)256 * 1024)

/* How many units of `elems` elements each make one chunk worth a thread. */
static int64_t min_units(int64_t elems, size_t esize) {
    int64_t bytes = elems * (int64_t)esize;
    return bytes >= MIN_CHUNK_BYTES ? 1 : MIN_CHUNK_BYTES / (bytes > 0 ? bytes : 1);
}

static void run_tasks(cort_kctx *ctx, int64_t n, int64_t min_chunk, cort_range_fn fn, void *arg) {
    if (ctx && ctx->svc && ctx->svc->parallel_for && n > min_chunk)
        ctx->svc->parallel_for(ctx, n, min_chunk, fn, arg);
    else
        fn(arg, 0, n);
}

cort_status *cort_view_copy(cort_kctx *ctx, void *dst, const void *src, int32_t type, const cort_view *view) {
    cort_view v = *view;
    for (int i = 0; i < v.rank; i++)
        if (v.dims[i] == 0) return NULL;
    simplify_view(&v);
    if (v.rank == 0) return cort_copy_elems(dst, 0, src, v.offset, 1, type);
    if (type == CORT_STRING) return copy_view_strings(dst, src, &v);
    int j = transposed_dim(&v);
    if (j >= 0) {
        tile_job tj = {&v, j, {0}, (v.dims[j] + TILE - 1) / TILE, dst, src, cort_elem_size(type)};
        cort_dense_strides(v.dims, v.rank, tj.dst_strides);
        int64_t tasks = tj.tiles_j * cort_dims_product(v.dims, 0, v.rank) / v.dims[j] / v.dims[v.rank - 1];
        int64_t per_task = TILE * v.dims[v.rank - 1];
        run_tasks(ctx, tasks, min_units(per_task, tj.esize), copy_tile_tasks, &tj);
        return NULL;
    }
    view_job job = {&v, dst, src, cort_elem_size(type)};
    int64_t n = v.dims[v.rank - 1], rows = cort_dims_product(v.dims, 0, v.rank - 1);
    run_tasks(ctx, rows, min_units(n, job.esize), copy_view_rows, &job);
    return NULL;
}

cort_status *cort_move_input(const cort_kctx *ctx, int i, const char *name, const cort_tensor **t) {
    *t = cort_in(ctx, i);
    if (!*t) return cort_kerr(ctx, "input %d '%s' is missing or not a tensor", i, name);
    if (!cort_elem_type_valid((*t)->type))
        return cort_kerr(ctx, "input '%s' has unsupported element type %s", name, cort_type_name((*t)->type));
    return NULL;
}

static bool is_int_type(int32_t type) {
    switch (type) {
    case CORT_INT8: case CORT_INT16: case CORT_INT32: case CORT_INT64:
    case CORT_UINT8: case CORT_UINT16: case CORT_UINT32: case CORT_UINT64:
        return true;
    default:
        return false;
    }
}

cort_status *cort_read_ints(const cort_kctx *ctx, const cort_tensor *t, const char *what, int64_t *vals,
                            int max, int *n) {
    if (!is_int_type(t->type))
        return cort_kerr(ctx, "%s must hold integers, got %s", what, cort_type_name(t->type));
    if (t->rank > 1) return cort_kerr(ctx, "%s must be 1-D, got rank %d", what, (int)t->rank);
    int64_t count = cort_tensor_count(t);
    if (count < 0 || count > max)
        return cort_kerr(ctx, "%s has %lld values, at most %d allowed", what, (long long)count, max);
    for (int64_t i = 0; i < count; i++) vals[i] = cort_get_i64(t, i);
    *n = (int)count;
    return NULL;
}

bool cort_const_ints(const cort_tensor *t, int64_t *vals, int max, int *n) {
    if (!t || !is_int_type(t->type) || t->rank > 1 || !t->data) return false;
    int64_t count = cort_tensor_count(t);
    if (count < 0 || count > max) return false;
    for (int64_t i = 0; i < count; i++) vals[i] = cort_get_i64(t, i);
    *n = (int)count;
    return true;
}

cort_dim *cort_infer_out(cort_infer_ctx *ic, int index, int32_t elem, int rank, cort_status **st) {
    *st = NULL;
    if (index >= ic->n_out) return NULL;
    cort_dim *dims = NULL;
    if (rank > 0) {
        dims = cort_pool_calloc(ic->pool, (size_t)rank, sizeof *dims);
        if (!dims) {
            *st = cort_oom();
            return NULL;
        }
        for (int i = 0; i < rank; i++) dims[i].value = -1;
    }
    cort_type_set_tensor(&ic->out[index], elem, rank, dims);
    return dims;
}

int32_t cort_infer_elem(const cort_infer_ctx *ic, int index) {
    if (index >= ic->n_in || !ic->in[index] || ic->in[index]->kind != CORT_TYPE_TENSOR) return 0;
    return ic->in[index]->elem;
}

const cort_type *cort_infer_ranked(const cort_infer_ctx *ic, int index) {
    if (index >= ic->n_in || !ic->in[index]) return NULL;
    const cort_type *t = ic->in[index];
    if (t->kind != CORT_TYPE_TENSOR || t->rank < 0 || t->rank > CORT_MAX_RANK) return NULL;
    if (t->rank > 0 && !t->dims) return NULL;
    return t;
}

cort_status *cort_infer_elem_only(cort_infer_ctx *ic) {
    cort_status *st = NULL;
    int32_t elem = cort_infer_elem(ic, 0);
    for (int i = 0; i < ic->n_out && !st; i++) cort_infer_out(ic, i, elem, -1, &st);
    return st;
}

cort_status *cort_infer_like_input0(cort_infer_ctx *ic) { return cort_infer_like_input(ic, 0, 0); }

cort_status *cort_infer_like_input(cort_infer_ctx *ic, int out, int in) {
    cort_status *st;
    const cort_type *x = cort_infer_ranked(ic, in);
    cort_dim *dims = cort_infer_out(ic, out, cort_infer_elem(ic, in), x ? x->rank : -1, &st);
    if (!st && x && dims) memcpy(dims, x->dims, (size_t)x->rank * sizeof *dims);
    return st;
}

bool cort_infer_const_ints(const cort_infer_ctx *ic, int index, int64_t *vals, int max, int *n, bool *present) {
    *n = 0;
    *present = index < ic->n_in && ic->in[index];
    if (!*present) return true;
    return cort_const_ints(ic->in_const[index], vals, max, n);
}
