/* Generators: tensors made from attributes, shapes or random numbers. Constant, ConstantOfShape,
 * Range, EyeLike, RandomNormal(Like), RandomUniform(Like), Multinomial, Bernoulli.
 *
 * The random operators draw from a splitmix64 generator that lives in the kernel's locals for one
 * run: with a `seed` attribute every run gives the same numbers; without one each run is seeded
 * from the clock. No state survives between runs, so concurrent runs never share a generator. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops/op.h"

/* ---------------------------------------------------------------- shared helpers */

static cort_status *copy_strings(cort_kctx *ctx, cort_tensor *dst, const cort_tensor *src, int64_t n) {
    char **d = dst->data;
    char *const *s = src->data;
    for (int64_t i = 0; i < n; i++) d[i] = NULL; /* the executor frees whatever we set, even on error */
    for (int64_t i = 0; i < n; i++) {
        const char *str = s[i] ? s[i] : "";
        size_t len = strlen(str);
        d[i] = malloc(len + 1);
        if (!d[i]) return cort_kerr(ctx, "out of memory copying strings");
        memcpy(d[i], str, len + 1);
    }
    return NULL;
}

/* Writes `src` (any type, strings duplicated) into a new output 0 of the same shape. */
static cort_status *emit_copy(cort_kctx *ctx, const cort_tensor *src) {
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, src->type, src->rank, src->dims, &y));
    int64_t n = cort_tensor_count(src);
    if (src->type == CORT_STRING) return copy_strings(ctx, y, src, n);
    size_t bytes = cort_tensor_nbytes(src);
    if (bytes) memcpy(y->data, src->data, bytes);
    return NULL;
}

static cort_dim *dims_from_shape(cort_pool *pool, const int64_t *shape, int rank) {
    cort_dim *dims = cort_pool_calloc(pool, (size_t)rank + 1, sizeof(cort_dim));
    if (!dims) return NULL;
    for (int i = 0; i < rank; i++) dims[i].value = shape[i];
    return dims;
}

static bool is_numeric_or_bool(int32_t t) {
    return cort_elem_type_valid(t) && t != CORT_STRING && t != CORT_COMPLEX64 && t != CORT_COMPLEX128;
}

/* ---------------------------------------------------------------- Constant */

typedef struct constant_params {
    const cort_tensor *value;
} constant_params;

/* A 1-D (or scalar) tensor built in the pool from one of the value_* list attributes. */
static cort_tensor *pool_tensor(cort_pool *pool, int32_t type, int rank, int64_t n) {
    cort_tensor *t = cort_pool_alloc(pool, sizeof *t);
    if (!t) return NULL;
    t->type = type;
    t->rank = rank;
    if (rank == 1) t->dims[0] = n;
    t->data = cort_pool_calloc(pool, (size_t)(n ? n : 1), cort_elem_size(type));
    return t->data ? t : NULL;
}

static cort_status *constant_from_attr(cort_parse_ctx *pc, const cort_attr *a, cort_tensor **out) {
    const cort_node *node = pc->node;
    cort_tensor *t = NULL;
    switch (a->type) {
    case CORT_ATTR_TENSOR:
    case CORT_ATTR_SPARSE_TENSOR:
        if (!a->t) return cort_node_error(node, CORT_INVALID_GRAPH, "attribute '%s' holds no tensor", a->name);
        *out = a->t;
        return NULL;
    case CORT_ATTR_FLOAT:
        if ((t = pool_tensor(pc->pool, CORT_FLOAT, 0, 1))) ((float *)t->data)[0] = a->f;
        break;
    case CORT_ATTR_INT:
        if ((t = pool_tensor(pc->pool, CORT_INT64, 0, 1))) ((int64_t *)t->data)[0] = a->i;
        break;
    case CORT_ATTR_STRING:
        if ((t = pool_tensor(pc->pool, CORT_STRING, 0, 1))) ((const char **)t->data)[0] = a->s;
        break;
    case CORT_ATTR_FLOATS:
        if ((t = pool_tensor(pc->pool, CORT_FLOAT, 1, a->n)) && a->n)
            memcpy(t->data, a->floats, (size_t)a->n * sizeof(float));
        break;
    case CORT_ATTR_INTS:
        if ((t = pool_tensor(pc->pool, CORT_INT64, 1, a->n)) && a->n)
            memcpy(t->data, a->ints, (size_t)a->n * sizeof(int64_t));
        break;
    case CORT_ATTR_STRINGS:
        if ((t = pool_tensor(pc->pool, CORT_STRING, 1, a->n)))
            for (int64_t i = 0; i < a->n; i++) ((const char **)t->data)[i] = a->strings[i];
        break;
    default:
        return cort_node_error(node, CORT_INVALID_GRAPH, "attribute '%s' has unexpected type %d", a->name, a->type);
    }
    if (!t) return cort_oom();
    *out = t;
    return NULL;
}

static cort_status *constant_parse(cort_parse_ctx *pc) {
    static const char *const names[] = {"value", "sparse_value", "value_float", "value_floats", "value_int",
                                        "value_ints", "value_string", "value_strings"};
    constant_params *p = pc->params;
    const cort_attr *found = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const cort_attr *a = cort_node_attr(pc->node, names[i]);
        if (!a) continue;
        if (found)
            return cort_node_error(pc->node, CORT_INVALID_GRAPH, "attributes '%s' and '%s' both given; exactly one is allowed",
                                   found->name, a->name);
        found = a;
    }
    if (!found) return cort_node_error(pc->node, CORT_INVALID_GRAPH, "no value attribute");
    cort_tensor *t = NULL;
    CORT_TRY(constant_from_attr(pc, found, &t));
    if (cort_tensor_count(t) < 0)
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "value tensor has an invalid shape");
    p->value = t;
    return NULL;
}

static cort_status *constant_infer(cort_infer_ctx *ic) {
    const constant_params *p = ic->params;
    cort_dim *dims = dims_from_shape(ic->pool, p->value->dims, p->value->rank);
    if (!dims) return cort_oom();
    cort_type_set_tensor(&ic->out[0], p->value->type, p->value->rank, dims);
    return NULL;
}

static cort_status *constant_run(cort_kctx *ctx) {
    const constant_params *p = ctx->params;
    return emit_copy(ctx, p->value);
}

/* ---------------------------------------------------------------- ConstantOfShape */

typedef struct fill_params {
    int32_t type;
    unsigned char value[16]; /* one element of `type` */
} fill_params;

static cort_status *constant_of_shape_parse(cort_parse_ctx *pc) {
    fill_params *p = pc->params;
    const cort_attr *a = cort_node_attr(pc->node, "value");
    p->type = CORT_FLOAT; /* default: a float 0 */
    if (!a) return NULL;
    if (a->type != CORT_ATTR_TENSOR || !a->t)
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "attribute 'value' must be a tensor");
    if (cort_tensor_count(a->t) != 1)
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "attribute 'value' must hold exactly one element");
    if (!is_numeric_or_bool(a->t->type))
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "value of type %s not supported", cort_type_name(a->t->type));
    p->type = a->t->type;
    memcpy(p->value, a->t->data, cort_elem_size(p->type));
    return NULL;
}

/* Reads a 1-D int64 shape tensor into dims; fails on a negative dim or too many dims. */
static cort_status *read_shape(cort_kctx *ctx, const cort_tensor *t, int64_t dims[CORT_MAX_RANK], int *rank) {
    if (t->type != CORT_INT64) return cort_kerr(ctx, "shape must be int64, got %s", cort_type_name(t->type));
    if (t->rank != 1) return cort_kerr(ctx, "shape must be 1-D, got rank %d", t->rank);
    int64_t n = cort_tensor_count(t);
    if (n > CORT_MAX_RANK) return cort_kerr(ctx, "shape has %lld dims, at most %d", (long long)n, CORT_MAX_RANK);
    for (int64_t i = 0; i < n; i++) {
        dims[i] = ((const int64_t *)t->data)[i];
        if (dims[i] < 0) return cort_kerr(ctx, "shape dim %lld is negative (%lld)", (long long)i, (long long)dims[i]);
    }
    *rank = (int)n;
    if (cort_shape_count(dims, *rank) < 0) return cort_kerr(ctx, "shape has too many elements");
    return NULL;
}

static cort_status *constant_of_shape_run(cort_kctx *ctx) {
    const fill_params *p = ctx->params;
    const cort_tensor *shape = cort_in(ctx, 0);
    if (!shape) return cort_kerr(ctx, "missing input shape");
    int64_t dims[CORT_MAX_RANK];
    int rank = 0;
    CORT_TRY(read_shape(ctx, shape, dims, &rank));
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, p->type, rank, dims, &y));
    size_t es = cort_elem_size(p->type);
    int64_t n = cort_tensor_count(y);
    unsigned char *d = y->data;
    for (int64_t i = 0; i < n; i++) memcpy(d + (size_t)i * es, p->value, es);
    return NULL;
}

static cort_status *constant_of_shape_infer(cort_infer_ctx *ic) {
    const fill_params *p = ic->params;
    cort_type_set_tensor(&ic->out[0], p->type, -1, NULL);
    const cort_tensor *shape = ic->in_const ? ic->in_const[0] : NULL;
    const cort_type *st = ic->in[0];
    if (shape && shape->type == CORT_INT64 && shape->rank == 1 && shape->dims[0] <= CORT_MAX_RANK) {
        int rank = (int)shape->dims[0];
        for (int i = 0; i < rank; i++)
            if (((const int64_t *)shape->data)[i] < 0)
                return cort_node_error(ic->node, CORT_INVALID_ARGUMENT, "shape dim %d is negative", i);
        cort_dim *dims = dims_from_shape(ic->pool, shape->data, rank);
        if (!dims) return cort_oom();
        cort_type_set_tensor(&ic->out[0], p->type, rank, dims);
    } else if (st && st->kind == CORT_TYPE_TENSOR && st->rank == 1 && st->dims[0].value >= 0 &&
               st->dims[0].value <= CORT_MAX_RANK) {
        int rank = (int)st->dims[0].value;
        cort_dim *dims = cort_pool_calloc(ic->pool, (size_t)rank + 1, sizeof(cort_dim));
        if (!dims) return cort_oom();
        for (int i = 0; i < rank; i++) dims[i].value = -1;
        cort_type_set_tensor(&ic->out[0], p->type, rank, dims);
    }
    return NULL;
}

/* ---------------------------------------------------------------- Range */

static bool range_type_ok(int32_t t) {
    return t == CORT_FLOAT || t == CORT_DOUBLE || t == CORT_INT16 || t == CORT_INT32 || t == CORT_INT64;
}

/* Number of elements of Range(start, limit, delta): max(ceil((limit - start) / delta), 0). */
static bool range_count(const cort_tensor *start, const cort_tensor *limit, const cort_tensor *delta, int64_t *n) {
    if (start->type == CORT_FLOAT || start->type == CORT_DOUBLE) {
        double s = cort_get_f64(start, 0), l = cort_get_f64(limit, 0), d = cort_get_f64(delta, 0);
        if (d == 0 || !isfinite(s) || !isfinite(l) || !isfinite(d)) return false;
        double c = ceil((l - s) / d);
        if (!(c <= (double)CORT_MAX_ELEMENTS)) return false;
        *n = c > 0 ? (int64_t)c : 0;
        return true;
    }
    int64_t s = cort_get_i64(start, 0), l = cort_get_i64(limit, 0), d = cort_get_i64(delta, 0);
    if (d == 0) return false;
    /* the inputs are at most int64; differences of int64 fit in double well enough to bound the size */
    double span = (double)l - (double)s;
    if (fabs(span) > 9.0e18 || span / (double)d > (double)CORT_MAX_ELEMENTS) return false;
    int64_t diff = l - s; /* no overflow: the bound above keeps |diff| small relative to d */
    int64_t q = diff / d, r = diff % d;
    if (r != 0 && ((r > 0) == (d > 0))) q++;
    *n = q > 0 ? q : 0;
    return true;
}

static bool is_scalar_like(const cort_tensor *t) { return t && cort_tensor_count(t) == 1; }

static cort_status *range_run(cort_kctx *ctx) {
    const cort_tensor *start = cort_in(ctx, 0), *limit = cort_in(ctx, 1), *delta = cort_in(ctx, 2);
    if (!is_scalar_like(start) || !is_scalar_like(limit) || !is_scalar_like(delta))
        return cort_kerr(ctx, "start, limit and delta must be scalars");
    if (!range_type_ok(start->type) || limit->type != start->type || delta->type != start->type)
        return cort_kerr(ctx, "start, limit and delta must share one of float, double, int16, int32, int64");
    int64_t n;
    if (!range_count(start, limit, delta, &n)) return cort_kerr(ctx, "delta is zero or the range is too large");
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, start->type, 1, &n, &y));
    if (start->type == CORT_FLOAT || start->type == CORT_DOUBLE) {
        double s = cort_get_f64(start, 0), d = cort_get_f64(delta, 0);
        for (int64_t i = 0; i < n; i++) cort_set_f64(y, i, s + (double)i * d);
    } else {
        int64_t s = cort_get_i64(start, 0), d = cort_get_i64(delta, 0);
        for (int64_t i = 0; i < n; i++) cort_set_i64(y, i, s + i * d);
    }
    return NULL;
}

static cort_status *range_infer(cort_infer_ctx *ic) {
    const cort_type *st = ic->in[0];
    if (!st || st->kind != CORT_TYPE_TENSOR) return NULL;
    cort_dim *dims = cort_pool_calloc(ic->pool, 1, sizeof(cort_dim));
    if (!dims) return cort_oom();
    dims[0].value = -1;
    const cort_tensor *c0 = ic->in_const ? ic->in_const[0] : NULL;
    const cort_tensor *c1 = ic->in_const && ic->n_in > 1 ? ic->in_const[1] : NULL;
    const cort_tensor *c2 = ic->in_const && ic->n_in > 2 ? ic->in_const[2] : NULL;
    int64_t n;
    if (is_scalar_like(c0) && is_scalar_like(c1) && is_scalar_like(c2) && range_type_ok(c0->type) &&
        c1->type == c0->type && c2->type == c0->type && range_count(c0, c1, c2, &n))
        dims[0].value = n;
    cort_type_set_tensor(&ic->out[0], st->elem, 1, dims);
    return NULL;
}

/* ---------------------------------------------------------------- EyeLike */

typedef struct eye_params {
    int32_t dtype; /* 0: the input's type */
    int64_t k;
} eye_params;

static cort_status *eye_like_parse(cort_parse_ctx *pc) {
    eye_params *p = pc->params;
    p->k = cort_attr_int(pc->node, "k", 0);
    p->dtype = (int32_t)cort_attr_int(pc->node, "dtype", 0);
    if (p->dtype && !is_numeric_or_bool(p->dtype))
        return cort_node_error(pc->node, CORT_INVALID_GRAPH, "dtype %d not supported", p->dtype);
    return NULL;
}

static cort_status *eye_like_run(cort_kctx *ctx) {
    const eye_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0);
    if (!x) return cort_kerr(ctx, "missing input");
    if (x->rank != 2) return cort_kerr(ctx, "input must be 2-D, got rank %d", x->rank);
    int32_t type = p->dtype ? p->dtype : x->type;
    if (!is_numeric_or_bool(type)) return cort_kerr(ctx, "type %s not supported", cort_type_name(type));
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, type, 2, x->dims, &y));
    int64_t rows = x->dims[0], cols = x->dims[1];
    memset(y->data, 0, cort_tensor_nbytes(y));
    for (int64_t r = 0; r < rows; r++) {
        int64_t c = r + p->k;
        if (c >= 0 && c < cols) cort_set_f64(y, r * cols + c, 1.0);
    }
    return NULL;
}

static cort_status *eye_like_infer(cort_infer_ctx *ic) {
    const eye_params *p = ic->params;
    const cort_type *x = ic->in[0];
    if (!x || x->kind != CORT_TYPE_TENSOR) return NULL;
    CORT_TRY(cort_type_copy(ic->pool, &ic->out[0], x));
    if (p->dtype) ic->out[0].elem = p->dtype;
    return NULL;
}

/* ---------------------------------------------------------------- random numbers */

typedef struct rng {
    uint64_t state;
} rng;

static uint64_t rng_next(rng *r) {
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rng_uniform(rng *r) { return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0); }

static double rng_normal(rng *r) {
    double u1 = rng_uniform(r), u2 = rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

typedef struct random_params {
    int32_t dtype;         /* 0: the input's type (…Like, Bernoulli) */
    bool has_seed;
    float seed;
    double a, b;           /* mean/scale or low/high */
    int64_t sample_size;   /* Multinomial */
    int rank;              /* RandomNormal/RandomUniform */
    int64_t shape[CORT_MAX_RANK];
} random_params;

static void rng_init(rng *r, const random_params *p, const cort_kctx *ctx) {
    if (p->has_seed) {
        uint32_t bits;
        memcpy(&bits, &p->seed, sizeof bits);
        r->state = 0x853c49e6748fea9bull ^ bits;
    } else {
        r->state = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32) ^ (uint64_t)(uintptr_t)ctx;
    }
}

static bool random_float_type(int32_t t) {
    return t == CORT_FLOAT || t == CORT_DOUBLE || t == CORT_FLOAT16 || t == CORT_BFLOAT16;
}

static cort_status *random_parse(cort_parse_ctx *pc) {
    random_params *p = pc->params;
    const cort_node *node = pc->node;
    const char *op = node->op_type;
    bool is_like = strstr(op, "Like") != NULL;
    bool is_normal = !strncmp(op, "RandomNormal", 12);
    bool is_uniform = !strncmp(op, "RandomUniform", 13);
    bool is_multinomial = !strcmp(op, "Multinomial");
    int32_t dflt = (is_like || !strcmp(op, "Bernoulli")) ? 0 : is_multinomial ? CORT_INT32 : CORT_FLOAT;
    p->dtype = (int32_t)cort_attr_int(node, "dtype", dflt);
    const cort_attr *seed = cort_node_attr(node, "seed");
    p->has_seed = seed != NULL;
    p->seed = seed ? seed->f : 0;
    if (is_normal) {
        p->a = cort_attr_float(node, "mean", 0);
        p->b = cort_attr_float(node, "scale", 1);
    } else if (is_uniform) {
        p->a = cort_attr_float(node, "low", 0);
        p->b = cort_attr_float(node, "high", 1);
    }
    if (is_multinomial) {
        p->sample_size = cort_attr_int(node, "sample_size", 1);
        if (p->sample_size < 0 || p->sample_size > CORT_MAX_ELEMENTS)
            return cort_node_error(node, CORT_INVALID_GRAPH, "sample_size %lld is invalid", (long long)p->sample_size);
        if (p->dtype != CORT_INT32 && p->dtype != CORT_INT64)
            return cort_node_error(node, CORT_INVALID_GRAPH, "dtype must be int32 or int64, got %d", p->dtype);
    } else if (p->dtype && (is_normal || is_uniform) && !random_float_type(p->dtype)) {
        return cort_node_error(node, CORT_INVALID_GRAPH, "dtype %d is not a floating type", p->dtype);
    } else if (p->dtype && !is_numeric_or_bool(p->dtype)) {
        return cort_node_error(node, CORT_INVALID_GRAPH, "dtype %d not supported", p->dtype);
    }
    if ((is_normal || is_uniform) && !is_like) {
        const int64_t *shape;
        int64_t n = cort_attr_ints(node, "shape", &shape);
        if (n < 0) return cort_node_error(node, CORT_INVALID_GRAPH, "attribute 'shape' is required");
        if (n > CORT_MAX_RANK) return cort_node_error(node, CORT_INVALID_GRAPH, "shape has too many dims");
        for (int64_t i = 0; i < n; i++) {
            if (shape[i] < 0) return cort_node_error(node, CORT_INVALID_GRAPH, "shape dim %lld is negative", (long long)i);
            p->shape[i] = shape[i];
        }
        p->rank = (int)n;
        if (cort_shape_count(p->shape, p->rank) < 0)
            return cort_node_error(node, CORT_INVALID_GRAPH, "shape has too many elements");
    }
    return NULL;
}

static cort_status *fill_random(cort_kctx *ctx, int32_t type, int rank, const int64_t *dims, bool normal) {
    const random_params *p = ctx->params;
    if (!random_float_type(type)) return cort_kerr(ctx, "output type %s is not a floating type", cort_type_name(type));
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, type, rank, dims, &y));
    rng r;
    rng_init(&r, p, ctx);
    int64_t n = cort_tensor_count(y);
    for (int64_t i = 0; i < n; i++) {
        double v = normal ? p->a + p->b * rng_normal(&r) : p->a + (p->b - p->a) * rng_uniform(&r);
        cort_set_f64(y, i, v);
    }
    return NULL;
}

static cort_status *random_normal_run(cort_kctx *ctx) {
    const random_params *p = ctx->params;
    return fill_random(ctx, p->dtype, p->rank, p->shape, true);
}
static cort_status *random_uniform_run(cort_kctx *ctx) {
    const random_params *p = ctx->params;
    return fill_random(ctx, p->dtype, p->rank, p->shape, false);
}

static cort_status *random_like_run(cort_kctx *ctx, bool normal) {
    const random_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0);
    if (!x) return cort_kerr(ctx, "missing input");
    return fill_random(ctx, p->dtype ? p->dtype : x->type, x->rank, x->dims, normal);
}
static cort_status *random_normal_like_run(cort_kctx *ctx) { return random_like_run(ctx, true); }
static cort_status *random_uniform_like_run(cort_kctx *ctx) { return random_like_run(ctx, false); }

static cort_status *random_infer(cort_infer_ctx *ic) {
    const random_params *p = ic->params;
    cort_dim *dims = dims_from_shape(ic->pool, p->shape, p->rank);
    if (!dims) return cort_oom();
    cort_type_set_tensor(&ic->out[0], p->dtype, p->rank, dims);
    return NULL;
}

/* Output type `dtype` (or the input's) with the input's shape. */
static cort_status *random_like_infer(cort_infer_ctx *ic) {
    const random_params *p = ic->params;
    const cort_type *x = ic->in[0];
    if (!x || x->kind != CORT_TYPE_TENSOR) return NULL;
    CORT_TRY(cort_type_copy(ic->pool, &ic->out[0], x));
    if (p->dtype) ic->out[0].elem = p->dtype;
    return NULL;
}

static cort_status *bernoulli_run(cort_kctx *ctx) {
    const random_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0);
    if (!x) return cort_kerr(ctx, "missing input");
    if (!random_float_type(x->type)) return cort_kerr(ctx, "input must be floating, got %s", cort_type_name(x->type));
    int32_t type = p->dtype ? p->dtype : x->type;
    if (!is_numeric_or_bool(type)) return cort_kerr(ctx, "output type %s not supported", cort_type_name(type));
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, type, x->rank, x->dims, &y));
    rng r;
    rng_init(&r, p, ctx);
    int64_t n = cort_tensor_count(x);
    for (int64_t i = 0; i < n; i++) cort_set_f64(y, i, rng_uniform(&r) < cort_get_f64(x, i) ? 1.0 : 0.0);
    return NULL;
}

/* Draws sample_size class indices per batch row from the softmax of the row's logits. */
static cort_status *multinomial_run(cort_kctx *ctx) {
    const random_params *p = ctx->params;
    const cort_tensor *x = cort_in(ctx, 0);
    if (!x) return cort_kerr(ctx, "missing input");
    if (!random_float_type(x->type)) return cort_kerr(ctx, "input must be floating, got %s", cort_type_name(x->type));
    if (x->rank != 2) return cort_kerr(ctx, "input must be [batch_size, class_size], got rank %d", x->rank);
    int64_t batch = x->dims[0], classes = x->dims[1];
    int64_t dims[2] = {batch, p->sample_size};
    if (cort_shape_count(dims, 2) < 0) return cort_kerr(ctx, "output too large");
    if (classes == 0 && batch * p->sample_size > 0) return cort_kerr(ctx, "class_size is 0");
    cort_tensor *y;
    CORT_TRY(cort_out(ctx, 0, p->dtype, 2, dims, &y));
    if (cort_tensor_count(y) == 0) return NULL;
    double *cdf = ctx->svc->scratch(ctx, (size_t)(classes + 1) * sizeof(double));
    if (!cdf) return cort_kerr(ctx, "out of scratch memory");
    rng r;
    rng_init(&r, p, ctx);
    for (int64_t b = 0; b < batch; b++) {
        double max = -INFINITY, total = 0;
        for (int64_t c = 0; c < classes; c++) max = fmax(max, cort_get_f64(x, b * classes + c));
        for (int64_t c = 0; c < classes; c++) {
            total += isinf(max) ? 1.0 : exp(cort_get_f64(x, b * classes + c) - max);
            cdf[c] = total;
        }
        for (int64_t s = 0; s < p->sample_size; s++) {
            double u = rng_uniform(&r) * total;
            int64_t c = 0;
            while (c < classes - 1 && cdf[c] <= u) c++;
            cort_set_i64(y, b * p->sample_size + s, c);
        }
    }
    return NULL;
}

static cort_status *multinomial_infer(cort_infer_ctx *ic) {
    const random_params *p = ic->params;
    const cort_type *x = ic->in[0];
    cort_dim *dims = cort_pool_calloc(ic->pool, 2, sizeof(cort_dim));
    if (!dims) return cort_oom();
    dims[0].value = -1;
    if (x && x->kind == CORT_TYPE_TENSOR && x->rank == 2) dims[0] = x->dims[0];
    dims[1].value = p->sample_size;
    cort_type_set_tensor(&ic->out[0], p->dtype, 2, dims);
    return NULL;
}

const cort_op_def cort_ops_generator[] = {
    {"", "Constant", 1, CORT_OPSET_MAX, CORT_TS_ANY, 0, sizeof(constant_params), constant_parse, constant_infer,
     NULL, constant_run, 0},
    {"", "ConstantOfShape", 9, CORT_OPSET_MAX, CORT_T(CORT_INT64), 0, sizeof(fill_params), constant_of_shape_parse,
     constant_of_shape_infer, NULL, constant_of_shape_run, 0},
    {"", "Range", 11, CORT_OPSET_MAX, CORT_TS_ANY, 0, 0, NULL, range_infer, NULL, range_run, 0},
    {"", "EyeLike", 9, CORT_OPSET_MAX, CORT_TS_ANY, 0, sizeof(eye_params), eye_like_parse, eye_like_infer, NULL,
     eye_like_run, 0},
    {"", "RandomNormal", 1, CORT_OPSET_MAX, CORT_TS_ANY, 0, sizeof(random_params), random_parse, random_infer, NULL,
     random_normal_run, 0},
    {"", "RandomUniform", 1, CORT_OPSET_MAX, CORT_TS_ANY, 0, sizeof(random_params), random_parse, random_infer, NULL,
     random_uniform_run, 0},
    {"", "RandomNormalLike", 1, CORT_OPSET_MAX, CORT_TS_ANY, 0, sizeof(random_params), random_parse,
     random_like_infer, NULL, random_normal_like_run, 0},
    {"", "RandomUniformLike", 1, CORT_OPSET_MAX, CORT_TS_ANY, 0, sizeof(random_params), random_parse,
     random_like_infer, NULL, random_uniform_like_run, 0},
    {"", "Multinomial", 7, CORT_OPSET_MAX, CORT_TS_FLOAT, 0, sizeof(random_params), random_parse, multinomial_infer,
     NULL, multinomial_run, 0},
    {"", "Bernoulli", 15, CORT_OPSET_MAX, CORT_TS_FLOAT, 0, sizeof(random_params), random_parse, random_like_infer,
     NULL, bernoulli_run, 0},
    {0},
};
