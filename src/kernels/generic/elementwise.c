/* Drivers for the elementwise kernels: broadcast plans, half-precision chunking, range splitting. */
#include "kernels/generic/elementwise.h"

#include <stdlib.h>
#include <string.h>

/* float16/bfloat16 go through float buffers of this many elements (on the stack). */
#define HALF_CHUNK 256

static inline float bits_to_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
static inline uint32_t f32_to_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* float16 -> float32 without branches, so loops vectorise: the half's exponent and mantissa placed
 * in a float and scaled by 2^112 rebias normals and subnormals alike; Inf/NaN are selected apart.
 * Agrees with cort_f16_to_f32 on every input. */
static inline float f16_to_f32_fast(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, em = h & 0x7fffu;
    uint32_t scaled = f32_to_bits(bits_to_f32(em << 13) * 0x1p112f);
    uint32_t special = (em << 13) | 0x7f800000u;
    /* masks rather than ?: so the compiler keeps the float multiply unconditional (and vectorises) */
    uint32_t is_special = 0u - (uint32_t)(em >= 0x7c00u);
    return bits_to_f32(sign | (special & is_special) | (scaled & ~is_special));
}

/* float32 -> float16, round to nearest even, without branches. Small values are rounded by the FPU:
 * adding 0.5 aligns the float's mantissa so its low bits are the half's subnormal mantissa. Normal
 * values rebias the exponent and round on the 13 dropped bits. Agrees with cort_f32_to_f16 except
 * that NaNs become the quiet NaN 0x7e00 (with the sign). */
static inline uint16_t f32_to_f16_fast(float x) {
    uint32_t f = f32_to_bits(x), sign = (f >> 16) & 0x8000u;
    f &= 0x7fffffffu;
    const uint32_t overflow = (127u + 16u) << 23; /* 65536.0: everything above is inf */
    const uint32_t denorm_magic = ((127u - 15u) + (23u - 10u) + 1u) << 23;
    uint32_t big = 0x7c00u | ((uint32_t)(f > 0x7f800000u) << 9);
    uint32_t small = f32_to_bits(bits_to_f32(f) + bits_to_f32(denorm_magic)) - denorm_magic;
    uint32_t normal = (f + ((uint32_t)(15 - 127) << 23) + 0xfffu + ((f >> 13) & 1u)) >> 13;
    uint32_t is_big = 0u - (uint32_t)(f >= overflow), is_small = 0u - (uint32_t)(f < (113u << 23));
    uint32_t o = (big & is_big) | (small & is_small & ~is_big) | (normal & ~is_small & ~is_big);
    return (uint16_t)(o | sign);
}

void cort_ew_half_to_f32(int32_t type, const uint16_t *x, float *y, int64_t n) {
    if (type == CORT_FLOAT16)
        for (int64_t i = 0; i < n; i++) y[i] = f16_to_f32_fast(x[i]);
    else
        for (int64_t i = 0; i < n; i++) y[i] = bits_to_f32((uint32_t)x[i] << 16);
}

void cort_ew_f32_to_half(int32_t type, const float *x, uint16_t *y, int64_t n) {
    if (type == CORT_FLOAT16)
        for (int64_t i = 0; i < n; i++) y[i] = f32_to_f16_fast(x[i]);
    else
        for (int64_t i = 0; i < n; i++) y[i] = cort_f32_to_bf16(x[i]);
}

/* ------------------------------------------------------------------ unary */
void cort_ew_unary_range(void *arg, int64_t begin, int64_t end) {
    const cort_ew_unary_job *job = arg;
    bool half_x = cort_ew_is_half(job->x_type), half_y = cort_ew_is_half(job->y_type);
    size_t xs = cort_elem_size(job->x_type), ys = cort_elem_size(job->y_type);
    if (!half_x && !half_y) {
        job->fn((const char *)job->x + (size_t)begin * xs, (char *)job->y + (size_t)begin * ys, end - begin,
                job->p);
        return;
    }
    float xbuf[HALF_CHUNK], ybuf[HALF_CHUNK];
    for (int64_t i = begin; i < end; i += HALF_CHUNK) {
        int64_t n = end - i < HALF_CHUNK ? end - i : HALF_CHUNK;
        const void *x = (const char *)job->x + (size_t)i * xs;
        void *y = (char *)job->y + (size_t)i * ys;
        if (half_x) {
            cort_ew_half_to_f32(job->x_type, x, xbuf, n);
            x = xbuf;
        }
        job->fn(x, half_y ? (void *)ybuf : y, n, job->p);
        if (half_y) cort_ew_f32_to_half(job->y_type, ybuf, y, n);
    }
}

/* ------------------------------------------------------------------ broadcast plan */
bool cort_bcast_init(cort_bcast *b, int n_in, const int64_t *const *in_dims, const int *in_ranks,
                     const int64_t *out_dims, int out_rank) {
    if (n_in < 1 || n_in > CORT_BCAST_MAX_IN || out_rank > CORT_MAX_RANK || out_rank < 0) return false;
    memset(b, 0, sizeof *b);
    b->n_in = n_in;
    int64_t full_strides[CORT_BCAST_MAX_IN][CORT_MAX_RANK];
    for (int k = 0; k < n_in; k++) {
        int r = in_ranks[k];
        if (r > out_rank || r < 0) return false;
        int64_t stride = 1;
        for (int i = out_rank - 1; i >= 0; i--) {
            int j = i - (out_rank - r);
            int64_t d = j >= 0 ? in_dims[k][j] : 1;
            if (d == out_dims[i]) {
                full_strides[k][i] = d == 1 ? 0 : stride;
            } else if (d == 1) {
                full_strides[k][i] = 0;
            } else {
                return false;
            }
            stride *= d;
        }
    }
    int64_t count = 1;
    for (int i = 0; i < out_rank; i++) count *= out_dims[i];
    b->count = count;
    /* Drop size-1 dims, then merge a dim into its predecessor when every input is contiguous across
     * the pair (or broadcast along both). */
    int rank = 0;
    for (int i = 0; i < out_rank; i++) {
        if (out_dims[i] == 1) continue;
        bool merge = rank > 0;
        for (int k = 0; k < n_in && merge; k++)
            merge = b->strides[k][rank - 1] == full_strides[k][i] * out_dims[i];
        if (merge) {
            b->dims[rank - 1] *= out_dims[i];
            for (int k = 0; k < n_in; k++) b->strides[k][rank - 1] = full_strides[k][i];
        } else {
            b->dims[rank] = out_dims[i];
            for (int k = 0; k < n_in; k++) b->strides[k][rank] = full_strides[k][i];
            rank++;
        }
    }
    if (rank == 0) { /* every dim is 1: one element (or a scalar) */
        b->dims[0] = 1;
        for (int k = 0; k < n_in; k++) b->strides[k][0] = 0;
        rank = 1;
    }
    b->rank = rank;
    b->inner = b->dims[rank - 1];
    b->rows = count == 0 ? 0 : count / b->inner;
    return true;
}

void cort_bcast_row_offsets(const cort_bcast *b, int64_t row, int64_t *offsets) {
    for (int k = 0; k < b->n_in; k++) offsets[k] = 0;
    for (int i = b->rank - 2; i >= 0 && row > 0; i--) {
        int64_t c = row % b->dims[i];
        row /= b->dims[i];
        for (int k = 0; k < b->n_in; k++) offsets[k] += c * b->strides[k][i];
    }
}

/* ------------------------------------------------------------------ binary */
int64_t cort_ew_binary_units(const cort_ew_binary_job *job) {
    return job->plan.rank == 1 ? job->plan.count : job->plan.rows;
}

/* 8192 elements a chunk (a few microseconds): at 1 << 15, bert's [1,128,768] Adds made 3 chunks for 2
 * threads, one thread taking two of them (or all three when the other woke late). */
int64_t cort_ew_binary_min_chunk(const cort_ew_binary_job *job) {
    const int64_t elems = 1 << 13;
    if (job->plan.rank == 1) return elems;
    return job->plan.inner >= elems ? 1 : elems / job->plan.inner;
}

/* Runs fn on one run of n elements, through float chunks when an operand or the result is half. */
static void binary_run(const cort_ew_binary_job *job, const char *a, int64_t sa, const char *b, int64_t sb,
                       char *y, int64_t n) {
    bool ha = cort_ew_is_half(job->a_type), hb = cort_ew_is_half(job->b_type);
    bool hy = cort_ew_is_half(job->y_type);
    if (!ha && !hb && !hy) {
        job->fn(a, sa, b, sb, y, n);
        return;
    }
    size_t as = cort_elem_size(job->a_type), bs = cort_elem_size(job->b_type), ys = cort_elem_size(job->y_type);
    float abuf[HALF_CHUNK], bbuf[HALF_CHUNK], ybuf[HALF_CHUNK];
    for (int64_t i = 0; i < n; i += HALF_CHUNK) {
        int64_t m = n - i < HALF_CHUNK ? n - i : HALF_CHUNK;
        const void *pa = a + (size_t)(i * sa) * as, *pb = b + (size_t)(i * sb) * bs;
        void *py = y + (size_t)i * ys;
        if (ha) {
            cort_ew_half_to_f32(job->a_type, pa, abuf, sa ? m : 1);
            pa = abuf;
        }
        if (hb) {
            cort_ew_half_to_f32(job->b_type, pb, bbuf, sb ? m : 1);
            pb = bbuf;
        }
        job->fn(pa, sa, pb, sb, hy ? (void *)ybuf : py, m);
        if (hy) cort_ew_f32_to_half(job->y_type, ybuf, py, m);
    }
}

void cort_ew_binary_range(void *arg, int64_t begin, int64_t end) {
    const cort_ew_binary_job *job = arg;
    const cort_bcast *p = &job->plan;
    size_t as = cort_elem_size(job->a_type), bs = cort_elem_size(job->b_type), ys = cort_elem_size(job->y_type);
    int last = p->rank - 1;
    int64_t sa = p->strides[0][last], sb = p->strides[1][last];
    if (p->rank == 1) {
        binary_run(job, (const char *)job->a + (size_t)(begin * sa) * as, sa,
                   (const char *)job->b + (size_t)(begin * sb) * bs, sb, (char *)job->y + (size_t)begin * ys,
                   end - begin);
        return;
    }
    for (int64_t row = begin; row < end; row++) {
        int64_t off[CORT_BCAST_MAX_IN];
        cort_bcast_row_offsets(p, row, off);
        binary_run(job, (const char *)job->a + (size_t)off[0] * as, sa, (const char *)job->b + (size_t)off[1] * bs,
                   sb, (char *)job->y + (size_t)(row * p->inner) * ys, p->inner);
    }
}

/* ------------------------------------------------------------------ per-row scaling */
/* A clone per vector width, picked at load (ifunc): baseline x86-64 code would run it 4 wide, on
 * planes that are often in cache. Clang emits the clones only where called: the entry calls this. */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static void scale_rows(const float *x, const float *scale, int64_t rows, int64_t len, float *y) {
    for (int64_t r = 0; r < rows; r++) {
        const float s = scale[r], *xr = x + r * len;
        float *yr = y + r * len;
        for (int64_t i = 0; i < len; i++) yr[i] = xr[i] * s;
    }
}

void cort_ew_scale_rows(const float *x, const float *scale, int64_t rows, int64_t len, float *y) {
    scale_rows(x, scale, rows, len, y);
}

/* ------------------------------------------------------------------ select */
/* The contiguous case (no operand broadcast along the row) gets its own loop so it vectorises. */
#define SELECT_ROW(T)                                                                    \
    do {                                                                                 \
        const T *x_ = (const T *)job->x + ox, *z_ = (const T *)job->z + oz;              \
        const uint8_t *c_ = job->c + oc;                                                 \
        T *y_ = (T *)job->y + y0;                                                        \
        if (sc == 1 && sx == 1 && sz == 1)                                               \
            for (int64_t i = 0; i < n; i++) y_[i] = c_[i] ? x_[i] : z_[i];               \
        else                                                                             \
            for (int64_t i = 0; i < n; i++) y_[i] = c_[i * sc] ? x_[i * sx] : z_[i * sz]; \
    } while (0)

static void select_strings(cort_ew_select_job *job, int64_t oc, int64_t sc, int64_t ox, int64_t sx, int64_t oz,
                           int64_t sz, int64_t y0, int64_t n) {
    char *const *x = job->x, *const *z = job->z;
    char **y = job->y;
    for (int64_t i = 0; i < n; i++) {
        const char *s = job->c[oc + i * sc] ? x[ox + i * sx] : z[oz + i * sz];
        y[y0 + i] = strdup(s ? s : "");
        if (!y[y0 + i]) job->failed = true;
    }
}

void cort_ew_select_range(void *arg, int64_t begin, int64_t end) {
    cort_ew_select_job *job = arg;
    const cort_bcast *p = &job->plan;
    int last = p->rank - 1;
    int64_t sc = p->strides[0][last], sx = p->strides[1][last], sz = p->strides[2][last];
    for (int64_t row = begin; row < end; row++) {
        int64_t off[CORT_BCAST_MAX_IN];
        cort_bcast_row_offsets(p, row, off);
        int64_t oc = off[0], ox = off[1], oz = off[2], y0 = row * p->inner, n = p->inner;
        if (job->strings) {
            select_strings(job, oc, sc, ox, sx, oz, sz, y0, n);
            continue;
        }
        switch (job->elem_size) {
        case 1: SELECT_ROW(uint8_t); break;
        case 2: SELECT_ROW(uint16_t); break;
        case 4: SELECT_ROW(uint32_t); break;
        case 8: SELECT_ROW(uint64_t); break;
        default: {
            const char *x = job->x, *z = job->z;
            char *y = job->y;
            size_t es = job->elem_size;
            for (int64_t i = 0; i < n; i++) {
                const char *src = job->c[oc + i * sc] ? x + (size_t)(ox + i * sx) * es : z + (size_t)(oz + i * sz) * es;
                memcpy(y + (size_t)(y0 + i) * es, src, es);
            }
        }
        }
    }
}
