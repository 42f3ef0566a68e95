/* TensorProto <-> cort_tensor, SparseTensorProto densification, and the test-data value readers. */
#include "onnx/tensor_proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file_map.h"
#include "onnx/onnx.h"

enum {
    TP_DIMS = 1,
    TP_DATA_TYPE = 2,
    TP_SEGMENT = 3,
    TP_FLOAT_DATA = 4,
    TP_INT32_DATA = 5,
    TP_STRING_DATA = 6,
    TP_INT64_DATA = 7,
    TP_NAME = 8,
    TP_RAW_DATA = 9,
    TP_DOUBLE_DATA = 10,
    TP_UINT64_DATA = 11,
    TP_DATA_LOCATION = 14
};
enum { TP_LOCATION_EXTERNAL = 1 };
enum { SP_VALUES = 1, SP_INDICES = 2, SP_DIMS = 3 };

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the ONNX reader reads raw_data in place and assumes a little-endian host"
#endif

/* The fields of a TensorProto that say what it is; its data fields are walked when decoding. */
typedef struct tensor_fields {
    const char *name;
    size_t name_len;
    int32_t type;
    int rank;
    int64_t dims[CORT_MAX_RANK];
    const uint8_t *raw;
    size_t raw_len;
    bool has_raw, has_segment, too_many_dims;
    int64_t location;
} tensor_fields;

static cort_status *tensor_error(const tensor_fields *tf, const char *fmt, const char *detail) {
    int n = tf->name_len > 200 ? 200 : (int)tf->name_len;
    char msg[256];
    snprintf(msg, sizeof msg, fmt, detail);
    return cort_error(CORT_INVALID_PROTOBUF, "tensor '%.*s': %s", n, tf->name ? tf->name : "", msg);
}

/* Too many dims is reported after the scan, when the tensor's name (which may come later) is known. */
static cort_status *add_dim(tensor_fields *tf, uint64_t v) {
    if (tf->rank == CORT_MAX_RANK) tf->too_many_dims = true;
    else tf->dims[tf->rank++] = (int64_t)v;
    return NULL;
}

static cort_status *scan_dims(tensor_fields *tf, const cort_pb_field *f) {
    if (f->wire == CORT_PB_VARINT) return add_dim(tf, f->u);
    if (f->wire != CORT_PB_LEN) return tensor_error(tf, "dims field has wire type %s", "other than varint");
    const uint8_t *p = f->data, *end = f->data + f->len;
    while (p < end) {
        uint64_t v;
        if (!cort_pb_read_varint(&p, end, &v)) return tensor_error(tf, "%s", "truncated packed dims");
        CORT_TRY(add_dim(tf, v));
    }
    return NULL;
}

static cort_status *scan_tensor(const uint8_t *msg, size_t len, tensor_fields *tf) {
    memset(tf, 0, sizeof *tf);
    cort_pb_reader r;
    cort_pb_field f;
    int rc;
    cort_pb_init(&r, msg, len);
    while ((rc = cort_pb_next(&r, &f)) > 0) {
        switch (f.number) {
        case TP_DIMS: CORT_TRY(scan_dims(tf, &f)); break;
        case TP_DATA_TYPE:
            if (f.wire != CORT_PB_VARINT) return tensor_error(tf, "%s", "data_type is not a varint");
            tf->type = f.u > INT32_MAX ? -1 : (int32_t)f.u;
            break;
        case TP_SEGMENT: tf->has_segment = true; break;
        case TP_NAME:
            if (f.wire != CORT_PB_LEN) return tensor_error(tf, "%s", "name is not a string");
            tf->name = (const char *)f.data;
            tf->name_len = f.len;
            break;
        case TP_RAW_DATA:
            if (f.wire != CORT_PB_LEN) return tensor_error(tf, "%s", "raw_data is not bytes");
            tf->raw = f.data;
            tf->raw_len = f.len;
            tf->has_raw = true;
            break;
        case TP_DATA_LOCATION:
            if (f.wire != CORT_PB_VARINT) return tensor_error(tf, "%s", "data_location is not a varint");
            tf->location = (int64_t)f.u;
            break;
        default: break;
        }
    }
    if (rc < 0) return tensor_error(tf, "malformed TensorProto: %s", r.error);
    if (tf->too_many_dims) return tensor_error(tf, "more than %s dimensions", "16");
    return NULL;
}

static cort_status *check_shape(const tensor_fields *tf, cort_tensor *t) {
    char buf[64];
    if (tf->type <= 0 || !cort_elem_type_valid(tf->type)) {
        snprintf(buf, sizeof buf, "%d", (int)tf->type);
        return tensor_error(tf, "unknown element type %s", buf);
    }
    for (int i = 0; i < tf->rank; i++)
        if (tf->dims[i] < 0) {
            snprintf(buf, sizeof buf, "%lld", (long long)tf->dims[i]);
            return tensor_error(tf, "negative dimension %s", buf);
        }
    if (cort_shape_count(tf->dims, tf->rank) < 0) return tensor_error(tf, "%s", "shape has too many elements");
    if (tf->has_segment) return tensor_error(tf, "%s", "segmented tensors are not supported");
    t->type = tf->type;
    t->rank = tf->rank;
    memset(t->dims, 0, sizeof t->dims);
    if (tf->rank) memcpy(t->dims, tf->dims, (size_t)tf->rank * sizeof *tf->dims);
    t->data = NULL;
    return NULL;
}

static cort_status *alloc_data(const cort_tensor_env *env, cort_tensor *t, size_t nbytes) {
    t->data = env->alloc(env->self, t, nbytes);
    return t->data ? NULL : cort_oom();
}

static size_t elem_alignment(int32_t type) {
    size_t s = cort_elem_size(type);
    return s > 8 ? 8 : s;
}

/* Uses bytes where they lie when the environment allows it and they are aligned, else copies them. */
/* Smaller copies leave their file pages alone: they share pages with their neighbours anyway. */
#define RELEASE_MIN_BYTES ((size_t)64 << 10)

static cort_status *place_bytes(const cort_tensor_env *env, cort_tensor *t, const uint8_t *src, size_t nbytes) {
    if (env->in_place && nbytes && (uintptr_t)src % elem_alignment(t->type) == 0) {
        t->data = (void *)(uintptr_t)src;
        return NULL;
    }
    CORT_TRY(alloc_data(env, t, nbytes));
    if (nbytes) memcpy(t->data, src, nbytes);
    if (env->file_backed && nbytes >= RELEASE_MIN_BYTES) cort_release_mapped_pages(src, nbytes);
    return NULL;
}

static cort_status *decode_strings(const uint8_t *msg, size_t len, const tensor_fields *tf,
                                   const cort_tensor_env *env, cort_tensor *t, int64_t n) {
    cort_pb_reader r;
    cort_pb_field f;
    int rc;
    int64_t count = 0;
    cort_pb_init(&r, msg, len);
    while ((rc = cort_pb_next(&r, &f)) > 0) count += f.number == TP_STRING_DATA;
    if (rc < 0) return tensor_error(tf, "malformed TensorProto: %s", r.error);
    if (count != n) {
        char buf[64];
        snprintf(buf, sizeof buf, "%lld, expected %lld", (long long)count, (long long)n);
        return tensor_error(tf, "string_data has %s", buf);
    }
    CORT_TRY(alloc_data(env, t, (size_t)n * sizeof(char *)));
    char **out = t->data;
    int64_t i = 0;
    cort_pb_init(&r, msg, len);
    while (cort_pb_next(&r, &f) > 0) {
        if (f.number != TP_STRING_DATA) continue;
        if (f.wire != CORT_PB_LEN) return tensor_error(tf, "%s", "string_data element is not bytes");
        out[i] = env->dup_string(env->self, f.data, f.len);
        if (!out[i]) return cort_oom();
        i++;
    }
    return NULL;
}

/* The typed field that carries elements of `type` when raw_data is absent, with its encoding. */
static bool typed_field(int32_t type, uint32_t *number, int *wire) {
    switch (type) {
    case CORT_FLOAT: case CORT_COMPLEX64: *number = TP_FLOAT_DATA; *wire = CORT_PB_FIXED32; return true;
    case CORT_INT32: case CORT_INT16: case CORT_INT8: case CORT_UINT16: case CORT_UINT8: case CORT_BOOL:
    case CORT_FLOAT16: case CORT_BFLOAT16: *number = TP_INT32_DATA; *wire = CORT_PB_VARINT; return true;
    case CORT_INT64: *number = TP_INT64_DATA; *wire = CORT_PB_VARINT; return true;
    case CORT_DOUBLE: case CORT_COMPLEX128: *number = TP_DOUBLE_DATA; *wire = CORT_PB_FIXED64; return true;
    case CORT_UINT32: case CORT_UINT64: *number = TP_UINT64_DATA; *wire = CORT_PB_VARINT; return true;
    default: return false;
    }
}

static cort_status *decode_typed(const uint8_t *msg, size_t len, const tensor_fields *tf,
                                 const cort_tensor_env *env, cort_tensor *t, int64_t n) {
    uint32_t number;
    int wire;
    if (!typed_field(t->type, &number, &wire)) return tensor_error(tf, "%s", "element type has no data field");
    bool complex = t->type == CORT_COMPLEX64 || t->type == CORT_COMPLEX128;
    size_t width = cort_elem_size(t->type) / (complex ? 2 : 1);
    int64_t want = n * (complex ? 2 : 1);
    const char *why = NULL;
    int64_t count = cort_pb_repeated_count(msg, len, number, wire, &why);
    if (count < 0) return tensor_error(tf, "malformed data field: %s", why);
    if (count != want) {
        char buf[96];
        if (count == 0) return tensor_error(tf, "%s", "has no data");
        snprintf(buf, sizeof buf, "%lld values, expected %lld", (long long)count, (long long)want);
        return tensor_error(tf, "data field has %s", buf);
    }
    CORT_TRY(alloc_data(env, t, (size_t)n * cort_elem_size(t->type)));
    cort_pb_repeated it;
    cort_pb_repeated_init(&it, msg, len, number, wire);
    uint8_t *dst = t->data;
    uint64_t v;
    /* little-endian host: the low `width` bytes of the value are the element */
    for (int64_t i = 0; i < want && cort_pb_repeated_next(&it, &v) > 0; i++) memcpy(dst + (size_t)i * width, &v, width);
    return NULL;
}

static cort_status *decode_data(const uint8_t *msg, size_t len, const tensor_fields *tf,
                                const cort_tensor_env *env, cort_tensor *t) {
    int64_t n = cort_tensor_count(t);
    size_t nbytes = (size_t)n * cort_elem_size(t->type);
    if (tf->location == TP_LOCATION_EXTERNAL) {
        if (t->type == CORT_STRING) return tensor_error(tf, "%s", "string tensors cannot be external data");
        if (!env->external) return tensor_error(tf, "%s", "external data is not available here");
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(tf->name_len > 200 ? 200 : tf->name_len),
                 tf->name ? tf->name : "");
        const uint8_t *src = NULL;
        CORT_TRY(env->external(env->self, name, msg, len, nbytes, &src));
        return place_bytes(env, t, src, nbytes);
    }
    if (tf->location != 0) return tensor_error(tf, "%s", "unknown data_location");
    if (tf->has_raw) {
        if (t->type == CORT_STRING) return tensor_error(tf, "%s", "string tensors cannot use raw_data");
        if (tf->raw_len != nbytes) {
            char buf[96];
            snprintf(buf, sizeof buf, "%zu bytes, expected %zu", tf->raw_len, nbytes);
            return tensor_error(tf, "raw_data has %s", buf);
        }
        return place_bytes(env, t, tf->raw, nbytes);
    }
    if (t->type == CORT_STRING) return decode_strings(msg, len, tf, env, t, n);
    if (n == 0) return alloc_data(env, t, 0);
    return decode_typed(msg, len, tf, env, t, n);
}

cort_status *cort_onnx_decode_tensor(const uint8_t *msg, size_t len, const cort_tensor_env *env, cort_tensor *t,
                                     const char **name, size_t *name_len) {
    tensor_fields tf;
    CORT_TRY(scan_tensor(msg, len, &tf));
    if (name) *name = tf.name;
    if (name_len) *name_len = tf.name_len;
    CORT_TRY(check_shape(&tf, t));
    return decode_data(msg, len, &tf, env, t);
}

/* ------------------------------------------------------------ sparse tensors */

static cort_status *sparse_error(const char *name, size_t name_len, const char *why) {
    int n = name_len > 200 ? 200 : (int)name_len;
    return cort_error(CORT_INVALID_PROTOBUF, "sparse tensor '%.*s': %s", n, name ? name : "", why);
}

typedef struct sparse_fields {
    const uint8_t *values, *indices;
    size_t values_len, indices_len;
    bool has_values, has_indices;
    int rank;
    int64_t dims[CORT_MAX_RANK];
} sparse_fields;

static cort_status *scan_sparse(const uint8_t *msg, size_t len, sparse_fields *sf) {
    memset(sf, 0, sizeof *sf);
    cort_pb_repeated it;
    cort_pb_repeated_init(&it, msg, len, SP_DIMS, CORT_PB_VARINT);
    uint64_t v;
    int rc;
    while ((rc = cort_pb_repeated_next(&it, &v)) > 0) {
        if (sf->rank == CORT_MAX_RANK) return sparse_error("", 0, "more than 16 dimensions");
        sf->dims[sf->rank++] = (int64_t)v;
    }
    if (rc < 0) return sparse_error("", 0, it.error);
    cort_pb_reader r;
    cort_pb_field f;
    cort_pb_init(&r, msg, len);
    while ((rc = cort_pb_next(&r, &f)) > 0) {
        if (f.number != SP_VALUES && f.number != SP_INDICES) continue;
        if (f.wire != CORT_PB_LEN) return sparse_error("", 0, "values/indices is not a message");
        if (f.number == SP_VALUES) {
            sf->values = f.data;
            sf->values_len = f.len;
            sf->has_values = true;
        } else {
            sf->indices = f.data;
            sf->indices_len = f.len;
            sf->has_indices = true;
        }
    }
    if (rc < 0) return sparse_error("", 0, r.error);
    return NULL;
}

/* Linear position of entry k of the indices tensor, or -1 when it is outside the dense shape. */
static int64_t sparse_position(const cort_tensor *idx, const sparse_fields *sf, int64_t k, int64_t total) {
    const int64_t *ix = idx->data;
    if (idx->rank == 1) return ix[k] >= 0 && ix[k] < total ? ix[k] : -1;
    int64_t pos = 0;
    for (int d = 0; d < sf->rank; d++) {
        int64_t c = ix[k * sf->rank + d];
        if (c < 0 || c >= sf->dims[d]) return -1;
        pos = pos * sf->dims[d] + c;
    }
    return pos;
}

cort_status *cort_onnx_decode_sparse(const uint8_t *msg, size_t len, const cort_tensor_env *env, cort_tensor *t,
                                     const char **name, size_t *name_len) {
    sparse_fields sf;
    CORT_TRY(scan_sparse(msg, len, &sf));
    if (!sf.has_values) return sparse_error("", 0, "has no values");
    cort_tensor values, idx;
    const char *nm = NULL;
    size_t nl = 0;
    CORT_TRY(cort_onnx_decode_tensor(sf.values, sf.values_len, env, &values, &nm, &nl));
    if (name) *name = nm;
    if (name_len) *name_len = nl;
    for (int i = 0; i < sf.rank; i++)
        if (sf.dims[i] < 0) return sparse_error(nm, nl, "negative dimension");
    int64_t total = cort_shape_count(sf.dims, sf.rank);
    if (total < 0) return sparse_error(nm, nl, "shape has too many elements");
    /* a few bytes of file must not buy gigabytes of memory: dense tensors are bounded by the file's
     * size, sparse ones by this */
    if ((uint64_t)total * cort_elem_size(values.type) > CORT_ONNX_MAX_SPARSE_BYTES)
        return sparse_error(nm, nl, "densified size exceeds the 256 MiB cort allows for sparse tensors");
    if (values.rank != 1) return sparse_error(nm, nl, "values must be one-dimensional");
    int64_t nnz = values.dims[0];
    if (nnz > total) return sparse_error(nm, nl, "more values than elements");
    memset(&idx, 0, sizeof idx);
    if (nnz > 0) {
        if (!sf.has_indices) return sparse_error(nm, nl, "has values but no indices");
        CORT_TRY(cort_onnx_decode_tensor(sf.indices, sf.indices_len, env, &idx, NULL, NULL));
        if (idx.type != CORT_INT64) return sparse_error(nm, nl, "indices must be int64");
        bool linear = idx.rank == 1 && idx.dims[0] == nnz;
        bool coords = idx.rank == 2 && idx.dims[0] == nnz && idx.dims[1] == sf.rank;
        if (!linear && !coords) return sparse_error(nm, nl, "indices shape does not match values and dims");
    }
    t->type = values.type;
    t->rank = sf.rank;
    memset(t->dims, 0, sizeof t->dims);
    if (sf.rank) memcpy(t->dims, sf.dims, (size_t)sf.rank * sizeof *sf.dims);
    size_t es = cort_elem_size(t->type);
    CORT_TRY(alloc_data(env, t, (size_t)total * es));
    for (int64_t k = 0; k < nnz; k++) {
        int64_t pos = sparse_position(&idx, &sf, k, total);
        if (pos < 0) return sparse_error(nm, nl, "index out of range");
        memcpy((uint8_t *)t->data + (size_t)pos * es, (const uint8_t *)values.data + (size_t)k * es, es);
    }
    return NULL;
}

/* ------------------------------------------------------------ environments */

static void *pool_alloc(void *self, const cort_tensor *t, size_t bytes) {
    (void)t;
    return cort_pool_alloc(self, bytes);
}

static char *pool_string(void *self, const uint8_t *s, size_t len) {
    return cort_pool_strndup(self, (const char *)s, len);
}

cort_tensor_env cort_onnx_pool_env(cort_pool *pool) {
    cort_tensor_env env = {pool_alloc, pool_string, NULL, pool, false, false};
    return env;
}

static void *value_alloc(void *self, const cort_tensor *t, size_t bytes) {
    cort_value *v = self;
    cort_status *st = cort_value_alloc_tensor(v, t->type, t->rank, t->dims);
    if (st) {
        cort_status_free(st);
        return NULL;
    }
    (void)bytes;
    return v->t.data;
}

static char *malloc_string(void *self, const uint8_t *s, size_t len) {
    (void)self;
    char *d = malloc(len + 1);
    if (!d) return NULL;
    if (len) memcpy(d, s, len);
    d[len] = 0;
    return d;
}

cort_status *cort_onnx_read_tensor(const void *data, size_t size, cort_value *out, char **name_out) {
    cort_value_clear(out);
    if (name_out) *name_out = NULL;
    cort_tensor_env env = {value_alloc, malloc_string, NULL, out, false, false};
    cort_tensor t;
    const char *name = NULL;
    size_t name_len = 0;
    cort_status *st = cort_onnx_decode_tensor(data, size, &env, &t, &name, &name_len);
    if (!st && out->kind != CORT_VALUE_TENSOR) st = cort_error(CORT_FAIL, "tensor was not allocated");
    if (st) {
        cort_value_clear(out);
        return st;
    }
    out->t = t;
    if (name_out && name && name_len) {
        *name_out = malloc_string(NULL, (const uint8_t *)name, name_len);
        if (!*name_out) {
            cort_value_clear(out);
            return cort_oom();
        }
    }
    return NULL;
}

/* ------------------------------------------------------------ sequences and optionals */

enum { SEQ_ELEM_TYPE = 2, SEQ_TENSOR_VALUES = 3, OPT_ELEM_TYPE = 2, OPT_TENSOR_VALUE = 3, OPT_SEQUENCE_VALUE = 5 };
enum { DATA_ELEM_TENSOR = 1, DATA_ELEM_SEQUENCE = 3 };

static cort_status *read_sequence(const uint8_t *msg, size_t len, const cort_type *elem, cort_value *out) {
    cort_pb_reader r;
    cort_pb_field f;
    int rc;
    int64_t n = 0;
    cort_pb_init(&r, msg, len);
    while ((rc = cort_pb_next(&r, &f)) > 0) {
        if (f.number == SEQ_TENSOR_VALUES) n++;
        else if (f.number > SEQ_TENSOR_VALUES && f.number <= 7)
            return cort_error(CORT_NOT_IMPLEMENTED, "SequenceProto: only sequences of tensors are supported");
    }
    if (rc < 0) return cort_error(CORT_INVALID_PROTOBUF, "malformed SequenceProto: %s", r.error);
    out->kind = CORT_VALUE_SEQUENCE;
    out->seq_elem_type = elem && elem->kind == CORT_TYPE_TENSOR ? elem->elem : 0;
    if (n) {
        out->seq = calloc((size_t)n, sizeof *out->seq);
        if (!out->seq) return cort_oom();
    }
    cort_pb_init(&r, msg, len);
    while (cort_pb_next(&r, &f) > 0) {
        if (f.number != SEQ_TENSOR_VALUES) continue;
        if (f.wire != CORT_PB_LEN) return cort_error(CORT_INVALID_PROTOBUF, "SequenceProto: tensor is not a message");
        cort_value *item = &out->seq[out->seq_len];
        CORT_TRY(cort_onnx_read_tensor(f.data, f.len, item, NULL));
        out->seq_len++;
        if (!out->seq_elem_type) out->seq_elem_type = item->t.type;
    }
    return NULL;
}

static cort_status *read_optional(const uint8_t *msg, size_t len, const cort_type *inner, cort_value *out) {
    cort_pb_reader r;
    cort_pb_field f;
    int rc;
    cort_pb_init(&r, msg, len);
    while ((rc = cort_pb_next(&r, &f)) > 0) {
        if (f.number != OPT_TENSOR_VALUE && f.number != OPT_SEQUENCE_VALUE) continue;
        if (f.wire != CORT_PB_LEN) return cort_error(CORT_INVALID_PROTOBUF, "OptionalProto: value is not a message");
        if (f.number == OPT_TENSOR_VALUE) return cort_onnx_read_tensor(f.data, f.len, out, NULL);
        return read_sequence(f.data, f.len, inner && inner->kind == CORT_TYPE_SEQUENCE ? inner->inner : NULL, out);
    }
    if (rc < 0) return cort_error(CORT_INVALID_PROTOBUF, "malformed OptionalProto: %s", r.error);
    out->kind = CORT_VALUE_NONE;
    if (inner && inner->kind == CORT_TYPE_SEQUENCE && inner->inner && inner->inner->kind == CORT_TYPE_TENSOR)
        out->seq_elem_type = inner->inner->elem;
    return NULL;
}

cort_status *cort_onnx_read_value(const void *data, size_t size, const cort_type *expected, cort_value *out) {
    cort_value_clear(out);
    cort_status *st;
    if (!expected || expected->kind == CORT_TYPE_TENSOR || expected->kind == CORT_TYPE_UNKNOWN)
        return cort_onnx_read_tensor(data, size, out, NULL);
    if (expected->kind == CORT_TYPE_SEQUENCE) st = read_sequence(data, size, expected->inner, out);
    else if (expected->kind == CORT_TYPE_OPTIONAL) st = read_optional(data, size, expected->inner, out);
    else st = cort_error(CORT_NOT_IMPLEMENTED, "reading values of this type (map or sparse) is not supported");
    if (st) cort_value_clear(out);
    return st;
}

/* ------------------------------------------------------------ writing */

void cort_onnx_encode_tensor(cort_pb_writer *w, uint32_t number, const cort_tensor *t, const char *name) {
    size_t mark = number ? cort_pb_w_begin(w, number) : 0;
    for (int i = 0; i < t->rank; i++) cort_pb_w_varint(w, TP_DIMS, (uint64_t)t->dims[i]);
    cort_pb_w_varint(w, TP_DATA_TYPE, (uint64_t)(uint32_t)t->type);
    cort_pb_w_string(w, TP_NAME, name);
    int64_t n = cort_tensor_count(t);
    if (t->type == CORT_STRING) {
        char *const *s = t->data;
        for (int64_t i = 0; i < n; i++) {
            const char *e = s && s[i] ? s[i] : "";
            cort_pb_w_bytes(w, TP_STRING_DATA, e, strlen(e));
        }
    } else {
        cort_pb_w_bytes(w, TP_RAW_DATA, t->data, n > 0 ? cort_tensor_nbytes(t) : 0);
    }
    if (number) cort_pb_w_end(w, mark);
}

cort_status *cort_onnx_write_tensor(const cort_tensor *t, const char *name, void **out, size_t *size) {
    *out = NULL;
    *size = 0;
    if (!cort_elem_type_valid(t->type) || t->rank < 0 || t->rank > CORT_MAX_RANK || cort_tensor_count(t) < 0)
        return cort_error(CORT_INVALID_ARGUMENT, "cannot write tensor '%s': invalid type or shape", name ? name : "");
    cort_pb_writer w = {0};
    cort_onnx_encode_tensor(&w, 0, t, name);
    if (w.failed) {
        cort_pb_writer_free(&w);
        return cort_oom();
    }
    *out = w.buf ? (void *)w.buf : malloc(1);
    if (!*out) return cort_oom();
    *size = w.len;
    return NULL;
}
