/* Plain-C elementwise kernels: typed loops over contiguous memory that compilers vectorise, a
 * numpy broadcast plan, and range drivers that parallel_for can split. float16 and bfloat16 run the
 * float32 loop on converted chunks. Kernels see raw buffers only: no graphs, no kernel contexts. */
#ifndef CORT_KERNELS_GENERIC_ELEMENTWISE_H
#define CORT_KERNELS_GENERIC_ELEMENTWISE_H
#include <stdbool.h>
#include <stdint.h>

#include "base/tensor.h"

/* Number of entries of a per-element-type function table (indexed by cort_elem_type). */
#define CORT_EW_NTYPES 17

/* Coefficients some maps take (activation alpha/beta/gamma, clip bounds). */
typedef struct cort_ew_params {
    float alpha, beta, gamma;
    double lo, hi;    /* float bounds */
    int64_t ilo, ihi; /* signed integer bounds */
    uint64_t ulo, uhi;
} cort_ew_params;

static inline bool cort_ew_is_half(int32_t type) { return type == CORT_FLOAT16 || type == CORT_BFLOAT16; }

/* ------------------------------------------------------------------ unary maps */
typedef void (*cort_ew_unary_fn)(const void *x, void *y, int64_t n, const cort_ew_params *p);

/* y[i] = EXPR for i < n, with the input element in `v` and the parameters in the struct `p`. x may equal y (ops
 * run in place), so the pointers are not restrict-qualified; compilers still vectorise behind a
 * run-time overlap check. */
#define CORT_EW_UNARY(name, TX, TY, EXPR)                                                   \
    static void name(const void *px_, void *py_, int64_t n_, const cort_ew_params *pp_) {   \
        const TX *x_ = px_;                                                                 \
        TY *y_ = py_;                                                                       \
        /* a local copy: stores through y_ cannot change it, so coefficients stay in registers */ \
        const cort_ew_params p = pp_ ? *pp_ : (cort_ew_params){0};                          \
        (void)p;                                                                            \
        for (int64_t i_ = 0; i_ < n_; i_++) {                                               \
            TX v = x_[i_];                                                                  \
            y_[i_] = (TY)(EXPR);                                                            \
        }                                                                                   \
    }

/* One map over [begin, end) of flat elements. A half-precision input or output goes through
 * float chunks, so `fn` is then the float32 entry (with a float32 or non-half output). */
typedef struct cort_ew_unary_job {
    cort_ew_unary_fn fn;
    int32_t x_type, y_type;
    const void *x;
    void *y;
    const cort_ew_params *p;
} cort_ew_unary_job;
void cort_ew_unary_range(void *job, int64_t begin, int64_t end);

/* ------------------------------------------------------------------ broadcasting */
#define CORT_BCAST_MAX_IN 3

/* Iteration plan for numpy broadcasting of up to three inputs into one output. Dims of size 1 are
 * dropped and neighbouring dims merged where every input allows, so the innermost run is as long as
 * possible. Inputs step by `strides` (in elements; 0 along broadcast dims). */
typedef struct cort_bcast {
    int n_in;
    int rank;            /* >= 1 */
    int64_t dims[CORT_MAX_RANK];
    int64_t strides[CORT_BCAST_MAX_IN][CORT_MAX_RANK];
    int64_t count;       /* output elements */
    int64_t inner;       /* length of the innermost run */
    int64_t rows;        /* count / inner (0 when count is 0) */
} cort_bcast;

/* Plans broadcasting the inputs (shapes right-aligned) into out_dims; false if some input does not
 * broadcast to out_dims or the ranks exceed CORT_MAX_RANK. */
bool cort_bcast_init(cort_bcast *b, int n_in, const int64_t *const *in_dims, const int *in_ranks,
                     const int64_t *out_dims, int out_rank);
/* Element offsets of each input at the start of output row `row`. */
void cort_bcast_row_offsets(const cort_bcast *b, int64_t row, int64_t *offsets);

/* ------------------------------------------------------------------ binary maps */
/* y[i] = f(a[i*sa], b[i*sb]) for i < n, with sa, sb in {0, 1}. */
typedef void (*cort_ew_binary_fn)(const void *a, int64_t sa, const void *b, int64_t sb, void *y, int64_t n);

/* Defines a binary row function; EXPR sees the operands as `x` and `z`. */
#define CORT_EW_BINARY(name, TA, TY, EXPR)                                                    \
    static void name(const void *pa_, int64_t sa_, const void *pb_, int64_t sb_, void *py_,   \
                     int64_t n_) {                                                            \
        const TA *a_ = pa_, *b_ = pb_;                                                        \
        TY *y_ = py_;                                                                         \
        if (sa_ && sb_) {                                                                     \
            for (int64_t i_ = 0; i_ < n_; i_++) {                                             \
                TA x = a_[i_], z = b_[i_];                                                    \
                (void)x, (void)z;                                                             \
                y_[i_] = (TY)(EXPR);                                                          \
            }                                                                                 \
        } else if (sb_) {                                                                     \
            const TA x = a_[0];                                                               \
            for (int64_t i_ = 0; i_ < n_; i_++) {                                             \
                TA z = b_[i_];                                                                \
                (void)x, (void)z;                                                             \
                y_[i_] = (TY)(EXPR);                                                          \
            }                                                                                 \
        } else if (sa_) {                                                                     \
            const TA z = b_[0];                                                               \
            for (int64_t i_ = 0; i_ < n_; i_++) {                                             \
                TA x = a_[i_];                                                                \
                (void)x, (void)z;                                                             \
                y_[i_] = (TY)(EXPR);                                                          \
            }                                                                                 \
        } else {                                                                              \
            const TA x = a_[0], z = b_[0];                                                    \
            (void)x, (void)z;                                                                 \
            const TY r_ = (TY)(EXPR);                                                         \
            for (int64_t i_ = 0; i_ < n_; i_++) y_[i_] = r_;                                  \
        }                                                                                     \
    }

/* A binary map over a broadcast plan. Work units are elements when the plan is one flat run
 * (same shapes, scalar operands), else output rows. `a` may alias `y` when a has y's shape. */
typedef struct cort_ew_binary_job {
    cort_ew_binary_fn fn;
    int32_t a_type, b_type, y_type;
    const void *a, *b;
    void *y;
    cort_bcast plan;
} cort_ew_binary_job;
int64_t cort_ew_binary_units(const cort_ew_binary_job *job);
/* Suggested minimum work units per parallel chunk. */
int64_t cort_ew_binary_min_chunk(const cort_ew_binary_job *job);
void cort_ew_binary_range(void *job, int64_t begin, int64_t end);

/* ------------------------------------------------------------------ selection */
/* Where: y = c ? x : z over a 3-input plan (inputs c, x, z); elements of `elem_size` bytes.
 * Strings are duplicated with malloc; returns false when memory runs short. */
typedef struct cort_ew_select_job {
    const uint8_t *c;
    const void *x, *z;
    void *y;
    size_t elem_size;
    bool strings;
    bool failed; /* set when a string copy could not be allocated */
    cort_bcast plan;
} cort_ew_select_job;
void cort_ew_select_range(void *job, int64_t begin, int64_t end);

/* ------------------------------------------------------------------ per-row scaling */
/* y[r * len + i] = x[r * len + i] * scale[r] for r < rows, i < len (y may equal x): a product broadcast
 * over planes, as squeeze-and-excitation applies its channel gates. */
void cort_ew_scale_rows(const float *x, const float *scale, int64_t rows, int64_t len, float *y);

/* ------------------------------------------------------------------ conversions */
void cort_ew_half_to_f32(int32_t type, const uint16_t *x, float *y, int64_t n);
void cort_ew_f32_to_half(int32_t type, const float *x, uint16_t *y, int64_t n);

#endif
