/* Tensors and values as every layer sees them. */
#ifndef CORT_BASE_TENSOR_H
#define CORT_BASE_TENSOR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

#define CORT_MAX_RANK 16
/* Refuse shapes with more elements than this: guards every size computation against overflow. */
#define CORT_MAX_ELEMENTS ((int64_t)1 << 40)

/* A dense tensor. `data` points at count*elem_size bytes; for CORT_STRING it is an array of
 * NUL-terminated `char *` (NULL entries read as ""). Who owns the memory is the holder's business
 * (see cort_value). */
typedef struct cort_tensor {
    int32_t type; /* cort_elem_type */
    int32_t rank;
    int64_t dims[CORT_MAX_RANK];
    void *data;
} cort_tensor;

typedef enum cort_value_kind {
    CORT_VALUE_EMPTY = 0,    /* slot not yet written */
    CORT_VALUE_TENSOR = 1,
    CORT_VALUE_SEQUENCE = 2,
    CORT_VALUE_NONE = 3      /* an optional without a value */
} cort_kind;

/* A runtime value. Public API handles are this struct. */
struct cort_value {
    cort_kind kind;
    cort_tensor t;          /* kind == TENSOR */
    bool owns_data;         /* t.data was allocated with cort_aligned_alloc and is freed with the value */
    bool owns_strings;      /* each non-NULL string element was malloc'ed and is freed with the value */
    int32_t seq_elem_type;  /* kind == SEQUENCE (and NONE of a sequence type): element type */
    int64_t seq_len;
    struct cort_value *seq; /* seq_len owned tensor values */
};

size_t cort_elem_size(int32_t type);
const char *cort_type_name(int32_t type);
bool cort_elem_type_valid(int32_t type);

/* Element count of dims[0..rank); -1 if a dim is negative or the product exceeds CORT_MAX_ELEMENTS. */
int64_t cort_shape_count(const int64_t *dims, int rank);
static inline int64_t cort_tensor_count(const cort_tensor *t) { return cort_shape_count(t->dims, t->rank); }
/* Bytes of the tensor's element buffer. */
size_t cort_tensor_nbytes(const cort_tensor *t);
/* Formats dims as "[1,3,224,224]" into buf (always NUL-terminated). */
const char *cort_shape_str(const int64_t *dims, int rank, char *buf, size_t size);

/* 64-byte aligned allocation (NULL on failure or zero/overflowing size gives a valid minimal block). */
void *cort_aligned_alloc(size_t size);
void cort_aligned_free(void *p);

/* Frees what the value owns and resets it to EMPTY (the struct itself is not freed). */
void cort_value_clear(struct cort_value *v);
/* Makes `v` an owned tensor of the given type and shape with zeroed data. */
cort_status *cort_value_alloc_tensor(struct cort_value *v, int32_t type, int rank, const int64_t *dims);
/* Deep copy of src into dst (dst is cleared first); string elements are duplicated. */
cort_status *cort_value_copy(struct cort_value *dst, const struct cort_value *src);
/* Stores a malloc'ed copy of s[0..len) as string element `index` of an owns_strings tensor. */
cort_status *cort_value_set_string(struct cort_value *v, int64_t index, const char *s, size_t len);

/* ---- float16 / bfloat16 conversions (round to nearest even) */
static inline float cort_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else { /* subnormal: normalise */
            exp = 127 - 15 + 1;
            while (!(mant & 0x400)) { mant <<= 1; exp--; }
            mant &= 0x3ff;
            bits = sign | (exp << 23) | (mant << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    union { uint32_t u; float f; } v = {bits};
    return v.f;
}

static inline uint16_t cort_f32_to_f16(float f) {
    union { float f; uint32_t u; } v = {f};
    uint32_t x = v.u, sign = (x >> 16) & 0x8000;
    uint32_t absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) /* inf or nan */
        return (uint16_t)(sign | 0x7c00 | (absx > 0x7f800000u ? 0x200 | ((absx >> 13) & 0x3ff) : 0));
    if (absx >= 0x477ff000u) return (uint16_t)(sign | 0x7c00); /* rounds to >= 65520: inf */
    if (absx < 0x38800000u) { /* result is subnormal or zero */
        if (absx < 0x33000000u) return (uint16_t)sign;
        uint32_t e = absx >> 23, m = (absx & 0x7fffff) | 0x800000;
        uint32_t shift = 126 - e; /* half subnormal unit is 2^-24 */
        uint32_t q = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1))) q++;
        return (uint16_t)(sign | q);
    }
    uint32_t q = absx - 0x38000000u; /* rebias exponent */
    uint32_t rem = q & 0x1fff;
    q >>= 13;
    if (rem > 0x1000 || (rem == 0x1000 && (q & 1))) q++;
    return (uint16_t)(sign | q);
}

static inline float cort_bf16_to_f32(uint16_t h) {
    union { uint32_t u; float f; } v = {(uint32_t)h << 16};
    return v.f;
}

static inline uint16_t cort_f32_to_bf16(float f) {
    union { float f; uint32_t u; } v = {f};
    if ((v.u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((v.u >> 16) | 0x40);
    uint32_t lsb = (v.u >> 16) & 1;
    return (uint16_t)((v.u + 0x7fff + lsb) >> 16);
}
#endif
