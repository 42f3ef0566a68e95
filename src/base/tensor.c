#include "base/tensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t cort_elem_size(int32_t type) {
    switch (type) {
    case CORT_FLOAT: case CORT_INT32: case CORT_UINT32: return 4;
    case CORT_UINT8: case CORT_INT8: case CORT_BOOL: return 1;
    case CORT_UINT16: case CORT_INT16: case CORT_FLOAT16: case CORT_BFLOAT16: return 2;
    case CORT_INT64: case CORT_UINT64: case CORT_DOUBLE: case CORT_COMPLEX64: return 8;
    case CORT_COMPLEX128: return 16;
    case CORT_STRING: return sizeof(char *);
    default: return 0;
    }
}

bool cort_elem_type_valid(int32_t type) { return cort_elem_size(type) != 0; }

const char *cort_type_name(int32_t type) {
    static const char *const names[] = {"undefined", "float",  "uint8",   "int8",      "uint16",
                                        "int16",     "int32",  "int64",   "string",    "bool",
                                        "float16",   "double", "uint32",  "uint64",    "complex64",
                                        "complex128", "bfloat16"};
    if (type < 0 || type > CORT_BFLOAT16) return "unknown";
    return names[type];
}

const char *cort_elem_type_name(cort_elem_type type) { return cort_type_name((int32_t)type); }
size_t cort_elem_type_size(cort_elem_type type) { return cort_elem_size((int32_t)type); }

int64_t cort_shape_count(const int64_t *dims, int rank) {
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0) return -1;
        if (dims[i] == 0) n = 0;
        else if (n > CORT_MAX_ELEMENTS / dims[i]) return -1;
        else n *= dims[i];
    }
    return n;
}

size_t cort_tensor_nbytes(const cort_tensor *t) {
    int64_t n = cort_tensor_count(t);
    return n < 0 ? 0 : (size_t)n * cort_elem_size(t->type);
}

const char *cort_shape_str(const int64_t *dims, int rank, char *buf, size_t size) {
    size_t used = 0;
    if (size == 0) return buf;
    buf[0] = 0;
    used += (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < rank && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, i ? ",%lld" : "%lld", (long long)dims[i]);
    if (used < size) snprintf(buf + used, size - used, "]");
    return buf;
}

void *cort_aligned_alloc(size_t size) {
    if (size > SIZE_MAX - 64) return NULL;
    size_t rounded = (size + 63) & ~(size_t)63;
    if (rounded == 0) rounded = 64;
    return aligned_alloc(64, rounded);
}

void cort_aligned_free(void *p) { free(p); }

void cort_value_clear(struct cort_value *v) {
    if (v->kind == CORT_VALUE_TENSOR) {
        if (v->owns_strings && v->t.type == CORT_STRING && v->t.data) {
            int64_t n = cort_tensor_count(&v->t);
            char **s = v->t.data;
            for (int64_t i = 0; i < n; i++) free(s[i]);
        }
        if (v->owns_data) cort_aligned_free(v->t.data);
    }
    if (v->seq) {
        for (int64_t i = 0; i < v->seq_len; i++) cort_value_clear(&v->seq[i]);
        free(v->seq);
    }
    memset(v, 0, sizeof *v);
}

cort_status *cort_value_alloc_tensor(struct cort_value *v, int32_t type, int rank, const int64_t *dims) {
    cort_value_clear(v);
    if (!cort_elem_type_valid(type)) return cort_error(CORT_INVALID_ARGUMENT, "unsupported element type %d", type);
    if (rank < 0 || rank > CORT_MAX_RANK)
        return cort_error(CORT_INVALID_ARGUMENT, "rank %d exceeds the supported %d", rank, CORT_MAX_RANK);
    int64_t n = cort_shape_count(dims, rank);
    if (n < 0) {
        char buf[256];
        return cort_error(CORT_INVALID_ARGUMENT, "invalid or too large shape %s",
                          cort_shape_str(dims, rank, buf, sizeof buf));
    }
    size_t bytes = (size_t)n * cort_elem_size(type);
    void *data = cort_aligned_alloc(bytes);
    if (!data) return cort_oom();
    memset(data, 0, bytes);
    v->kind = CORT_VALUE_TENSOR;
    v->t.type = type;
    v->t.rank = rank;
    if (rank) memcpy(v->t.dims, dims, (size_t)rank * sizeof *dims);
    v->t.data = data;
    v->owns_data = true;
    v->owns_strings = type == CORT_STRING;
    return NULL;
}

static cort_status *copy_tensor_value(struct cort_value *dst, const struct cort_value *src) {
    CORT_TRY(cort_value_alloc_tensor(dst, src->t.type, src->t.rank, src->t.dims));
    int64_t n = cort_tensor_count(&src->t);
    if (src->t.type != CORT_STRING) {
        if (n) memcpy(dst->t.data, src->t.data, cort_tensor_nbytes(&src->t));
        return NULL;
    }
    char *const *s = src->t.data;
    for (int64_t i = 0; i < n; i++) {
        const char *e = s[i] ? s[i] : "";
        CORT_TRY(cort_value_set_string(dst, i, e, strlen(e)));
    }
    return NULL;
}

cort_status *cort_value_copy(struct cort_value *dst, const struct cort_value *src) {
    cort_value_clear(dst);
    if (src->kind == CORT_VALUE_TENSOR) return copy_tensor_value(dst, src);
    dst->kind = src->kind;
    dst->seq_elem_type = src->seq_elem_type;
    if (src->kind != CORT_VALUE_SEQUENCE) return NULL;
    if (src->seq_len) {
        dst->seq = calloc((size_t)src->seq_len, sizeof *dst->seq);
        if (!dst->seq) { dst->kind = CORT_VALUE_EMPTY; return cort_oom(); }
    }
    dst->seq_len = src->seq_len;
    for (int64_t i = 0; i < src->seq_len; i++) {
        cort_status *st = cort_value_copy(&dst->seq[i], &src->seq[i]);
        if (st) { cort_value_clear(dst); return st; }
    }
    return NULL;
}

cort_status *cort_value_set_string(struct cort_value *v, int64_t index, const char *s, size_t len) {
    if (v->kind != CORT_VALUE_TENSOR || v->t.type != CORT_STRING || !v->owns_strings)
        return cort_error(CORT_INVALID_ARGUMENT, "not an owned string tensor");
    if (index < 0 || index >= cort_tensor_count(&v->t))
        return cort_error(CORT_INVALID_ARGUMENT, "string index %lld out of range", (long long)index);
    char *d = malloc(len + 1);
    if (!d) return cort_oom();
    if (len) memcpy(d, s, len);
    d[len] = 0;
    char **e = v->t.data;
    free(e[index]);
    e[index] = d;
    return NULL;
}
