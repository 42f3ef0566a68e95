/* The ONNX reader on hand-built protobuf bytes: wire-format edge cases, every TensorProto data field,
 * sparse initializers, IR < 4 initializers listed as inputs, external data, model-local functions,
 * subgraphs, ordering, and the errors malformed models must give. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "onnx/onnx.h"
#include "onnx/pb.h"

/* ------------------------------------------------------------ building protobuf */

static void names(cort_pb_writer *w, uint32_t field, const char *list) {
    /* comma-separated names; "-" writes an empty name (an omitted input) */
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *s = strtok(buf, ","); s; s = strtok(NULL, ","))
        cort_pb_w_bytes(w, field, strcmp(s, "-") ? s : "", strcmp(s, "-") ? strlen(s) : 0);
}

static void attr_int(cort_pb_writer *w, const char *name, int64_t v) {
    size_t m = cort_pb_w_begin(w, 5);
    cort_pb_w_string(w, 1, name);
    cort_pb_w_varint(w, 20, 2);
    cort_pb_w_varint(w, 3, (uint64_t)v);
    cort_pb_w_end(w, m);
}

static void attr_float(cort_pb_writer *w, uint32_t field, const char *name, float v) {
    size_t m = cort_pb_w_begin(w, field);
    cort_pb_w_string(w, 1, name);
    cort_pb_w_varint(w, 20, 1);
    union { float f; uint32_t u; } b = {v};
    cort_pb_w_fixed32(w, 2, b.u);
    cort_pb_w_end(w, m);
}

static void attr_ref(cort_pb_writer *w, const char *name, int type, const char *ref) {
    size_t m = cort_pb_w_begin(w, 5);
    cort_pb_w_string(w, 1, name);
    cort_pb_w_varint(w, 20, (uint64_t)type);
    cort_pb_w_string(w, 21, ref);
    cort_pb_w_end(w, m);
}

/* Opens a NodeProto (field `field`); attributes may follow before cort_pb_w_end. */
static size_t node_begin(cort_pb_writer *w, uint32_t field, const char *op, const char *name, const char *ins,
                         const char *outs, const char *domain) {
    size_t m = cort_pb_w_begin(w, field);
    if (ins && *ins) names(w, 1, ins);
    if (outs && *outs) names(w, 2, outs);
    cort_pb_w_string(w, 3, name);
    cort_pb_w_string(w, 4, op);
    cort_pb_w_string(w, 7, domain);
    return m;
}

static void node(cort_pb_writer *w, const char *op, const char *name, const char *ins, const char *outs) {
    cort_pb_w_end(w, node_begin(w, 1, op, name, ins, outs, NULL));
}

static void value_info(cort_pb_writer *w, uint32_t field, const char *name, int elem, int rank, const int64_t *dims) {
    size_t m = cort_pb_w_begin(w, field);
    cort_pb_w_string(w, 1, name);
    if (elem) {
        size_t t = cort_pb_w_begin(w, 2), tt = cort_pb_w_begin(w, 1);
        cort_pb_w_varint(w, 1, (uint64_t)elem);
        if (rank >= 0) {
            size_t s = cort_pb_w_begin(w, 2);
            for (int i = 0; i < rank; i++) {
                size_t d = cort_pb_w_begin(w, 1);
                if (dims[i] >= 0) cort_pb_w_varint(w, 1, (uint64_t)dims[i]);
                else cort_pb_w_string(w, 2, "N");
                cort_pb_w_end(w, d);
            }
            cort_pb_w_end(w, s);
        }
        cort_pb_w_end(w, tt);
        cort_pb_w_end(w, t);
    }
    cort_pb_w_end(w, m);
}

static void tensor_f32(cort_pb_writer *w, uint32_t field, const char *name, int rank, const int64_t *dims,
                       const float *v, int n) {
    size_t m = field ? cort_pb_w_begin(w, field) : 0;
    for (int i = 0; i < rank; i++) cort_pb_w_varint(w, 1, (uint64_t)dims[i]);
    cort_pb_w_varint(w, 2, CORT_FLOAT);
    cort_pb_w_string(w, 8, name);
    cort_pb_w_bytes(w, 9, v, (size_t)n * sizeof(float));
    if (field) cort_pb_w_end(w, m);
}

static void opset(cort_pb_writer *w, uint32_t field, const char *domain, int64_t version) {
    size_t m = cort_pb_w_begin(w, field);
    cort_pb_w_string(w, 1, domain);
    cort_pb_w_varint(w, 2, (uint64_t)version);
    cort_pb_w_end(w, m);
}

/* ModelProto header: ir_version, default opset; the caller then writes the graph (field 7). */
static void model_header(cort_pb_writer *w, int64_t ir, int64_t default_opset) {
    cort_pb_w_varint(w, 1, (uint64_t)ir);
    cort_pb_w_string(w, 2, "test");
    opset(w, 8, "", default_opset);
}

static cort_status *load(cort_pb_writer *w, cort_model **m) {
    CHECK(!w->failed);
    cort_status *st = cort_onnx_load_bytes(w->buf, w->len, m);
    cort_pb_writer_free(w);
    return st;
}

/* Expects the load to fail with a message containing `needle`. */
static void expect_error(cort_pb_writer *w, const char *needle) {
    cort_model *m = NULL;
    cort_status *st = load(w, &m);
    if (!st) {
        fprintf(stderr, "expected an error containing '%s', got a model\n", needle);
        check_failures++;
        cort_model_free(m);
        return;
    }
    if (!strstr(cort_status_message(st), needle)) {
        fprintf(stderr, "expected '%s' in: %s\n", needle, cort_status_message(st));
        check_failures++;
    }
    cort_status_free(st);
}

static const cort_node *find_node(const cort_graph *g, const char *op, int nth) {
    for (int i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i]->op_type, op) && nth-- == 0) return g->nodes[i];
    return NULL;
}

static const char *vname(const cort_graph *g, int id) { return id < 0 ? "" : g->values[id].name; }

/* ------------------------------------------------------------ wire format */

static void test_wire(void) {
    uint64_t v;
    const uint8_t max[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    const uint8_t *p = max;
    CHECK(cort_pb_read_varint(&p, max + 10, &v) && v == UINT64_MAX && p == max + 10);
    const uint8_t overlong[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    p = overlong;
    CHECK(!cort_pb_read_varint(&p, overlong + 10, &v));
    const uint8_t eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    p = eleven;
    CHECK(!cort_pb_read_varint(&p, eleven + 11, &v));
    p = max;
    CHECK(!cort_pb_read_varint(&p, max + 5, &v)); /* truncated */
    CHECK(cort_pb_zigzag64(1) == -1 && cort_pb_zigzag64(4) == 2 && cort_pb_zigzag32(3) == -2);

    /* fields of every wire type, with a nested group to skip in the middle */
    const uint8_t msg[] = {0x08, 0x96, 0x01,                   /* 1: varint 150 */
                           0x13, 0x08, 0x01, 0x1b, 0x1c, 0x14, /* 2: group {1: 1, 3: group {}} */
                           0x1d, 0x01, 0x02, 0x03, 0x04,       /* 3: fixed32 */
                           0x21, 1, 2, 3, 4, 5, 6, 7, 8,       /* 4: fixed64 */
                           0x2a, 0x02, 'h', 'i'};              /* 5: "hi" */
    cort_pb_reader r;
    cort_pb_field f;
    cort_pb_init(&r, msg, sizeof msg);
    CHECK(cort_pb_next(&r, &f) == 1 && f.number == 1 && f.u == 150);
    CHECK(cort_pb_next(&r, &f) == 1 && f.number == 3 && f.u == 0x04030201u);
    CHECK(cort_pb_next(&r, &f) == 1 && f.number == 4 && f.u == 0x0807060504030201ull);
    CHECK(cort_pb_next(&r, &f) == 1 && f.number == 5 && f.len == 2 && !memcmp(f.data, "hi", 2));
    CHECK(cort_pb_next(&r, &f) == 0);

    const uint8_t beyond[] = {0x0a, 0x05, 'a', 'b'};
    cort_pb_init(&r, beyond, sizeof beyond);
    CHECK(cort_pb_next(&r, &f) == -1 && r.error);
    const uint8_t stray_end[] = {0x0c};
    cort_pb_init(&r, stray_end, 1);
    CHECK(cort_pb_next(&r, &f) == -1);
    const uint8_t mismatched[] = {0x0b, 0x14};
    cort_pb_init(&r, mismatched, 2);
    CHECK(cort_pb_next(&r, &f) == -1);
    const uint8_t unterminated[] = {0x0b, 0x08, 0x01};
    cort_pb_init(&r, unterminated, 3);
    CHECK(cort_pb_next(&r, &f) == -1);
    const uint8_t field_zero[] = {0x00, 0x01};
    cort_pb_init(&r, field_zero, 2);
    CHECK(cort_pb_next(&r, &f) == -1);
    const uint8_t bad_wire[] = {0x0e, 0x01};
    cort_pb_init(&r, bad_wire, 2);
    CHECK(cort_pb_next(&r, &f) == -1);
    uint8_t deep[2 * (CORT_PB_MAX_DEPTH + 1)];
    for (int i = 0; i <= CORT_PB_MAX_DEPTH; i++) deep[i] = 0x0b;
    for (int i = 0; i <= CORT_PB_MAX_DEPTH; i++) deep[CORT_PB_MAX_DEPTH + 1 + i] = 0x0c;
    cort_pb_init(&r, deep, sizeof deep);
    CHECK(cort_pb_next(&r, &f) == -1); /* groups nested beyond the limit */

    /* repeated: packed and unpacked occurrences of one field, in order */
    const uint8_t rep[] = {0x08, 0x01, 0x0a, 0x02, 0x02, 0x03, 0x10, 0x09, 0x08, 0x04};
    cort_pb_repeated it;
    cort_pb_repeated_init(&it, rep, sizeof rep, 1, CORT_PB_VARINT);
    uint64_t got[8];
    int n = 0;
    while (n < 8 && cort_pb_repeated_next(&it, &got[n]) > 0) n++;
    CHECK(n == 4 && got[0] == 1 && got[1] == 2 && got[2] == 3 && got[3] == 4);
    const uint8_t ragged[] = {0x0a, 0x03, 1, 2, 3}; /* packed fixed32 of 3 bytes */
    const char *why = NULL;
    CHECK(cort_pb_repeated_count(ragged, sizeof ragged, 1, CORT_PB_FIXED32, &why) == -1 && why);

    /* writer: nested lengths are inserted correctly, including lengths over 127 */
    cort_pb_writer w = {0};
    size_t m = cort_pb_w_begin(&w, 1);
    char big[300];
    memset(big, 'x', sizeof big);
    cort_pb_w_bytes(&w, 2, big, sizeof big);
    cort_pb_w_end(&w, m);
    cort_pb_init(&r, w.buf, w.len);
    CHECK(cort_pb_next(&r, &f) == 1 && f.number == 1 && f.len == 303 && cort_pb_next(&r, &f) == 0);
    cort_pb_writer_free(&w);
}

/* ------------------------------------------------------------ tensors */

static cort_status *read_typed(int type, uint32_t field, int wire, const uint64_t *vals, int n, int64_t dim,
                               cort_value *out) {
    cort_pb_writer w = {0};
    cort_pb_w_varint(&w, 1, (uint64_t)dim);
    cort_pb_w_varint(&w, 2, (uint64_t)type);
    cort_pb_w_string(&w, 8, "t");
    for (int i = 0; i < n; i++) {
        if (wire == CORT_PB_VARINT) cort_pb_w_varint(&w, field, vals[i]);
        else if (wire == CORT_PB_FIXED32) cort_pb_w_fixed32(&w, field, (uint32_t)vals[i]);
        else cort_pb_w_fixed64(&w, field, vals[i]);
    }
    cort_status *st = cort_onnx_read_tensor(w.buf, w.len, out, NULL);
    cort_pb_writer_free(&w);
    return st;
}

static void test_tensor_fields(void) {
    cort_value v = {0};
    union { float f; uint32_t u; } f1 = {1.5f}, f2 = {-2.0f};
    uint64_t fl[] = {f1.u, f2.u};
    CHECK_OK(read_typed(CORT_FLOAT, 4, CORT_PB_FIXED32, fl, 2, 2, &v));
    CHECK(v.t.type == CORT_FLOAT && ((float *)v.t.data)[0] == 1.5f && ((float *)v.t.data)[1] == -2.0f);
    CHECK_OK(read_typed(CORT_COMPLEX64, 4, CORT_PB_FIXED32, fl, 2, 1, &v));
    CHECK(((float *)v.t.data)[1] == -2.0f);

    uint64_t neg[] = {(uint64_t)(int64_t)-5, 7};
    CHECK_OK(read_typed(CORT_INT32, 5, CORT_PB_VARINT, neg, 2, 2, &v));
    CHECK(((int32_t *)v.t.data)[0] == -5 && ((int32_t *)v.t.data)[1] == 7);
    CHECK_OK(read_typed(CORT_INT8, 5, CORT_PB_VARINT, neg, 2, 2, &v));
    CHECK(((int8_t *)v.t.data)[0] == -5);
    CHECK_OK(read_typed(CORT_INT16, 5, CORT_PB_VARINT, neg, 2, 2, &v));
    CHECK(((int16_t *)v.t.data)[0] == -5);
    uint64_t small[] = {200, 1};
    CHECK_OK(read_typed(CORT_UINT8, 5, CORT_PB_VARINT, small, 2, 2, &v));
    CHECK(((uint8_t *)v.t.data)[0] == 200);
    CHECK_OK(read_typed(CORT_UINT16, 5, CORT_PB_VARINT, small, 2, 2, &v));
    CHECK(((uint16_t *)v.t.data)[0] == 200);
    CHECK_OK(read_typed(CORT_BOOL, 5, CORT_PB_VARINT, small + 1, 1, 1, &v));
    CHECK(((uint8_t *)v.t.data)[0] == 1);
    uint64_t half[] = {0x3c00, 0x3fc0}; /* fp16 1.0, bf16 1.5 */
    CHECK_OK(read_typed(CORT_FLOAT16, 5, CORT_PB_VARINT, half, 1, 1, &v));
    CHECK(cort_f16_to_f32(((uint16_t *)v.t.data)[0]) == 1.0f);
    CHECK_OK(read_typed(CORT_BFLOAT16, 5, CORT_PB_VARINT, half + 1, 1, 1, &v));
    CHECK(cort_bf16_to_f32(((uint16_t *)v.t.data)[0]) == 1.5f);
    uint64_t big[] = {(uint64_t)(int64_t)-9000000000ll};
    CHECK_OK(read_typed(CORT_INT64, 7, CORT_PB_VARINT, big, 1, 1, &v));
    CHECK(((int64_t *)v.t.data)[0] == -9000000000ll);
    union { double d; uint64_t u; } d1 = {2.25};
    CHECK_OK(read_typed(CORT_DOUBLE, 10, CORT_PB_FIXED64, &d1.u, 1, 1, &v));
    CHECK(((double *)v.t.data)[0] == 2.25);
    uint64_t u64[] = {UINT64_MAX, 4000000000u};
    CHECK_OK(read_typed(CORT_UINT64, 11, CORT_PB_VARINT, u64, 2, 2, &v));
    CHECK(((uint64_t *)v.t.data)[0] == UINT64_MAX);
    CHECK_OK(read_typed(CORT_UINT32, 11, CORT_PB_VARINT, u64 + 1, 1, 1, &v));
    CHECK(((uint32_t *)v.t.data)[0] == 4000000000u);

    /* string_data, and the name */
    cort_pb_writer w = {0};
    cort_pb_w_varint(&w, 1, 2);
    cort_pb_w_varint(&w, 2, CORT_STRING);
    cort_pb_w_bytes(&w, 6, "ab", 2);
    cort_pb_w_bytes(&w, 6, "", 0);
    cort_pb_w_string(&w, 8, "names");
    char *name = NULL;
    CHECK_OK(cort_onnx_read_tensor(w.buf, w.len, &v, &name));
    CHECK(name && !strcmp(name, "names"));
    CHECK(v.owns_strings && !strcmp(((char **)v.t.data)[0], "ab") && !strcmp(((char **)v.t.data)[1], ""));
    free(name);
    cort_pb_writer_free(&w);

    /* write -> read keeps type, shape and bytes */
    cort_value src = {0};
    int64_t dims[2] = {2, 3};
    CHECK_OK(cort_value_alloc_tensor(&src, CORT_INT64, 2, dims));
    for (int i = 0; i < 6; i++) ((int64_t *)src.t.data)[i] = i * 1000 - 2;
    void *bytes;
    size_t size;
    CHECK_OK(cort_onnx_write_tensor(&src.t, "w", &bytes, &size));
    CHECK_OK(cort_onnx_read_tensor(bytes, size, &v, NULL));
    CHECK(v.t.rank == 2 && v.t.dims[1] == 3 && !memcmp(v.t.data, src.t.data, 48));
    free(bytes);
    cort_value_clear(&src);

    /* errors */
    cort_status *st;
    CHECK((st = read_typed(CORT_FLOAT, 4, CORT_PB_FIXED32, fl, 1, 2, &v)) && strstr(cort_status_message(st), "'t'"));
    cort_status_free(st);
    CHECK((st = read_typed(CORT_FLOAT, 4, CORT_PB_FIXED32, fl, 0, 2, &v)) && strstr(cort_status_message(st), "no data"));
    cort_status_free(st);
    CHECK((st = read_typed(99, 4, CORT_PB_FIXED32, fl, 1, 1, &v)) && strstr(cort_status_message(st), "element type"));
    cort_status_free(st);
    CHECK((st = read_typed(CORT_FLOAT, 4, CORT_PB_FIXED32, fl, 1, -1, &v)) && strstr(cort_status_message(st), "negative"));
    cort_status_free(st);
    w = (cort_pb_writer){0};
    for (int i = 0; i < 4; i++) cort_pb_w_varint(&w, 1, 1u << 20);
    cort_pb_w_varint(&w, 2, CORT_FLOAT);
    CHECK((st = cort_onnx_read_tensor(w.buf, w.len, &v, NULL)) && strstr(cort_status_message(st), "too many"));
    cort_status_free(st);
    cort_pb_writer_free(&w);
    w = (cort_pb_writer){0};
    cort_pb_w_varint(&w, 1, 3);
    cort_pb_w_varint(&w, 2, CORT_FLOAT);
    cort_pb_w_bytes(&w, 9, "abcdefgh", 8);
    CHECK((st = cort_onnx_read_tensor(w.buf, w.len, &v, NULL)) && strstr(cort_status_message(st), "raw_data"));
    cort_status_free(st);
    cort_pb_writer_free(&w);
    cort_value_clear(&v);
}

static void test_values(void) {
    /* SequenceProto of two tensors, OptionalProto empty and holding a tensor */
    cort_pb_writer w = {0};
    float a[2] = {1, 2}, b[1] = {3};
    int64_t d2 = 2, d1 = 1;
    cort_pb_w_varint(&w, 2, 1);
    tensor_f32(&w, 3, "", 1, &d2, a, 2);
    tensor_f32(&w, 3, "", 1, &d1, b, 1);
    cort_type tensor = {.kind = CORT_TYPE_TENSOR, .elem = CORT_FLOAT, .rank = -1};
    cort_type seq = {.kind = CORT_TYPE_SEQUENCE, .inner = &tensor};
    cort_type opt_seq = {.kind = CORT_TYPE_OPTIONAL, .inner = &seq};
    cort_type opt_tensor = {.kind = CORT_TYPE_OPTIONAL, .inner = &tensor};
    cort_value v = {0};
    CHECK_OK(cort_onnx_read_value(w.buf, w.len, &seq, &v));
    CHECK(v.kind == CORT_VALUE_SEQUENCE && v.seq_len == 2 && v.seq_elem_type == CORT_FLOAT);
    CHECK(v.seq_len == 2 && ((float *)v.seq[1].t.data)[0] == 3);
    cort_pb_writer_free(&w);
    CHECK_OK(cort_onnx_read_value("", 0, &opt_seq, &v));
    CHECK(v.kind == CORT_VALUE_NONE && v.seq_elem_type == CORT_FLOAT);
    w = (cort_pb_writer){0};
    cort_pb_w_varint(&w, 2, 1);
    tensor_f32(&w, 3, "", 1, &d1, b, 1);
    CHECK_OK(cort_onnx_read_value(w.buf, w.len, &opt_tensor, &v));
    CHECK(v.kind == CORT_VALUE_TENSOR && ((float *)v.t.data)[0] == 3);
    cort_pb_writer_free(&w);
    cort_value_clear(&v);
}

/* ------------------------------------------------------------ models */

static void test_ir3_initializer_input(void) {
    cort_pb_writer w = {0};
    model_header(&w, 3, 7);
    size_t g = cort_pb_w_begin(&w, 7);
    node(&w, "Add", "add", "X,W", "Y");
    int64_t d = 2;
    float wv[2] = {10, 20};
    tensor_f32(&w, 5, "W", 1, &d, wv, 2);
    value_info(&w, 11, "X", CORT_FLOAT, 1, &d);
    value_info(&w, 11, "W", CORT_FLOAT, 1, &d);
    value_info(&w, 12, "Y", CORT_FLOAT, 1, &d);
    cort_pb_w_end(&w, g);
    cort_model *m = NULL;
    CHECK_OK(load(&w, &m));
    if (!m) return;
    int id = cort_graph_find(m->graph, "W");
    CHECK(id >= 0 && m->graph->values[id].flags == (CORT_VF_GRAPH_INPUT | CORT_VF_INITIALIZER));
    CHECK(id >= 0 && ((float *)m->graph->values[id].init->data)[1] == 20);
    CHECK(m->graph->n_inputs == 2 && m->graph->nodes[0]->opset == 7);
    cort_model_free(m);
}

static void test_sparse_initializer(void) {
    for (int coords = 0; coords < 2; coords++) {
        cort_pb_writer w = {0};
        model_header(&w, 8, 13);
        size_t g = cort_pb_w_begin(&w, 7);
        node(&w, "Identity", "id", "S", "Y");
        size_t sp = cort_pb_w_begin(&w, 15);
        float vals[2] = {5, 6};
        int64_t nnz = 2;
        tensor_f32(&w, 1, "S", 1, &nnz, vals, 2);
        size_t ix = cort_pb_w_begin(&w, 2);
        int64_t idims[2] = {2, 2};
        for (int i = 0; i < 1 + coords; i++) cort_pb_w_varint(&w, 1, (uint64_t)idims[i]);
        cort_pb_w_varint(&w, 2, CORT_INT64);
        int64_t lin[2] = {1, 7}, xy[4] = {0, 1, 1, 3};
        cort_pb_w_bytes(&w, 9, coords ? (void *)xy : (void *)lin, coords ? 32 : 16);
        cort_pb_w_end(&w, ix);
        cort_pb_w_varint(&w, 3, 3);
        cort_pb_w_varint(&w, 3, 4);
        cort_pb_w_end(&w, sp);
        value_info(&w, 12, "Y", CORT_FLOAT, -1, NULL);
        cort_pb_w_end(&w, g);
        cort_model *m = NULL;
        CHECK_OK(load(&w, &m));
        if (!m) continue;
        int id = cort_graph_find(m->graph, "S");
        const cort_tensor *t = id >= 0 ? m->graph->values[id].init : NULL;
        CHECK(t && t->rank == 2 && t->dims[0] == 3 && t->dims[1] == 4);
        if (t) {
            const float *f = t->data;
            float sum = 0;
            for (int i = 0; i < 12; i++) sum += f[i];
            CHECK(f[1] == 5 && f[7] == 6 && sum == 11);
        }
        cort_model_free(m);
    }
}

/* A model calling local function custom::Leaky(x) -> y { t = Add(x, x); y = LeakyRelu<alpha=@alpha>(t) }
 * twice, once with alpha and once relying on the function's default. */
static void write_leaky_function(cort_pb_writer *w) {
    size_t f = cort_pb_w_begin(w, 25);
    cort_pb_w_string(w, 1, "Leaky");
    cort_pb_w_string(w, 10, "custom");
    names(w, 4, "x");
    names(w, 5, "y");
    names(w, 6, "alpha");
    size_t n = node_begin(w, 7, "Add", "add", "x,x", "t", NULL);
    cort_pb_w_end(w, n);
    n = node_begin(w, 7, "LeakyRelu", "leaky", "t", "y", NULL);
    attr_ref(w, "alpha", 1, "alpha");
    cort_pb_w_end(w, n);
    opset(w, 9, "", 6);
    attr_float(w, 11, "alpha", 0.5f);
    cort_pb_w_end(w, f);
}

static void test_functions(void) {
    cort_pb_writer w = {0};
    model_header(&w, 8, 13);
    opset(&w, 8, "custom", 1);
    write_leaky_function(&w);
    size_t g = cort_pb_w_begin(&w, 7);
    size_t n = node_begin(&w, 1, "Leaky", "call1", "X", "H", "custom");
    attr_float(&w, 5, "alpha", 0.25f);
    cort_pb_w_end(&w, n);
    cort_pb_w_end(&w, node_begin(&w, 1, "Leaky", "call2", "H", "Y", "custom"));
    value_info(&w, 11, "X", CORT_FLOAT, -1, NULL);
    value_info(&w, 12, "Y", CORT_FLOAT, -1, NULL);
    cort_pb_w_end(&w, g);
    cort_model *m = NULL;
    CHECK_OK(load(&w, &m));
    if (!m) return;
    const cort_graph *gr = m->graph;
    CHECK(gr->n_nodes == 4);
    const cort_node *l1 = find_node(gr, "LeakyRelu", 0), *l2 = find_node(gr, "LeakyRelu", 1);
    const cort_node *a1 = find_node(gr, "Add", 0);
    CHECK(l1 && l2 && a1);
    if (l1 && l2 && a1) {
        CHECK(cort_attr_float(l1, "alpha", 0) == 0.25f && cort_attr_float(l2, "alpha", 0) == 0.5f);
        CHECK(l1->opset == 6 && a1->opset == 6); /* the function's own opset import */
        CHECK(!strcmp(vname(gr, a1->inputs[0]), "X") && !strcmp(vname(gr, l1->outputs[0]), "H"));
        CHECK(!strcmp(vname(gr, l2->outputs[0]), "Y"));
        CHECK(strcmp(vname(gr, a1->outputs[0]), "t") != 0); /* internal names are renamed */
        CHECK(l1->inputs[0] == a1->outputs[0]);
    }
    /* written out, the inlined nodes keep the opset their function imported */
    void *bytes = NULL;
    size_t size = 0;
    cort_model *again = NULL;
    CHECK_OK(cort_onnx_write_model(m, &bytes, &size));
    if (bytes) CHECK_OK(cort_onnx_load_bytes(bytes, size, &again));
    if (again) CHECK(again->graph->n_nodes == 4 && again->graph->nodes[0]->opset == 6);
    cort_model_free(again);
    free(bytes);
    cort_model_free(m);

    /* a model node (opset 13) beside inlined ones (opset 6) cannot be written as one flat model */
    w = (cort_pb_writer){0};
    model_header(&w, 8, 13);
    opset(&w, 8, "custom", 1);
    write_leaky_function(&w);
    g = cort_pb_w_begin(&w, 7);
    cort_pb_w_end(&w, node_begin(&w, 1, "Leaky", "call", "X", "H", "custom"));
    node(&w, "Relu", "relu", "H", "Y");
    value_info(&w, 11, "X", CORT_FLOAT, -1, NULL);
    value_info(&w, 12, "Y", CORT_FLOAT, -1, NULL);
    cort_pb_w_end(&w, g);
    m = NULL;
    CHECK_OK(load(&w, &m));
    if (m) {
        cort_status *st = cort_onnx_write_model(m, &bytes, &size);
        CHECK(st && cort_status_code(st) == CORT_INVALID_GRAPH && strstr(cort_status_message(st), "two opset versions"));
        cort_status_free(st);
        cort_model_free(m);
    }

    /* a function calling itself is refused, not expanded forever */
    w = (cort_pb_writer){0};
    model_header(&w, 8, 13);
    opset(&w, 8, "custom", 1);
    size_t f = cort_pb_w_begin(&w, 25);
    cort_pb_w_string(&w, 1, "Loop");
    cort_pb_w_string(&w, 10, "custom");
    names(&w, 4, "x");
    names(&w, 5, "y");
    cort_pb_w_end(&w, node_begin(&w, 7, "Loop", "again", "x", "y", "custom"));
    cort_pb_w_end(&w, f);
    g = cort_pb_w_begin(&w, 7);
    cort_pb_w_end(&w, node_begin(&w, 1, "Loop", "call", "X", "Y", "custom"));
    value_info(&w, 11, "X", CORT_FLOAT, -1, NULL);
    value_info(&w, 12, "Y", CORT_FLOAT, -1, NULL);
    cort_pb_w_end(&w, g);
    expect_error(&w, "calls itself");
}

/* Writes bytes to dir/name. */
static void write_file(const char *dir, const char *name, const void *data, size_t n) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK(fwrite(data, 1, n, f) == n);
    fclose(f);
}

static void external_model(cort_pb_writer *w, const char *location, const char *offset, const char *length) {
    model_header(w, 8, 13);
    size_t g = cort_pb_w_begin(w, 7);
    node(w, "Identity", "id", "W", "Y");
    size_t t = cort_pb_w_begin(w, 5);
    cort_pb_w_varint(w, 1, 4);
    cort_pb_w_varint(w, 2, CORT_FLOAT);
    cort_pb_w_string(w, 8, "W");
    const char *kv[3][2] = {{"location", location}, {"offset", offset}, {"length", length}};
    for (int i = 0; i < 3; i++) {
        if (!kv[i][1]) continue;
        size_t e = cort_pb_w_begin(w, 13);
        cort_pb_w_string(w, 1, kv[i][0]);
        cort_pb_w_string(w, 2, kv[i][1]);
        cort_pb_w_end(w, e);
    }
    cort_pb_w_varint(w, 14, 1);
    cort_pb_w_end(w, t);
    value_info(w, 12, "Y", CORT_FLOAT, -1, NULL);
    cort_pb_w_end(w, g);
}

static cort_status *load_external(const char *dir, const char *location, const char *offset, const char *length,
                                  cort_model **m) {
    cort_pb_writer w = {0};
    external_model(&w, location, offset, length);
    write_file(dir, "model.onnx", w.buf, w.len);
    cort_pb_writer_free(&w);
    char path[512];
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    return cort_onnx_load_file(path, m);
}

static void expect_external_error(const char *dir, const char *location, const char *offset, const char *needle) {
    cort_model *m = NULL;
    cort_status *st = load_external(dir, location, offset, NULL, &m);
    CHECK(st && strstr(cort_status_message(st), needle));
    if (st && !strstr(cort_status_message(st), needle)) fprintf(stderr, "got: %s\n", cort_status_message(st));
    cort_status_free(st);
    cort_model_free(m);
}

static void test_external_data(void) {
    char top[] = "/tmp/cort_ext_XXXXXX";
    if (!mkdtemp(top)) {
        check_failures++;
        return;
    }
    char dir[256], sub[300], link[300];
    snprintf(dir, sizeof dir, "%s/model", top);
    CHECK(mkdir(dir, 0700) == 0);
    snprintf(sub, sizeof sub, "%s/data", dir);
    CHECK(mkdir(sub, 0700) == 0);
    float data[6] = {-1, -2, 1, 2, 3, 4}; /* the tensor is the 16 bytes at offset 8 */
    write_file(dir, "data/weights.bin", data, sizeof data);
    write_file(top, "secret.bin", data, sizeof data);

    cort_model *m = NULL;
    CHECK_OK(load_external(dir, "data/weights.bin", "8", "16", &m));
    if (m) {
        const cort_tensor *t = m->graph->values[cort_graph_find(m->graph, "W")].init;
        CHECK(t->dims[0] == 4 && ((float *)t->data)[0] == 1 && ((float *)t->data)[3] == 4);
        /* used in place: the tensor points into the mapping of the data file */
        CHECK(m->n_mappings == 2);
        const uint8_t *base = m->mappings[1].addr;
        CHECK((const uint8_t *)t->data == base + 8);
        cort_model_free(m);
    }
    m = NULL;
    CHECK_OK(load_external(dir, "data/weights.bin", "4", NULL, &m)); /* misaligned for nothing: copied or not, right */
    if (m) {
        const cort_tensor *t = m->graph->values[cort_graph_find(m->graph, "W")].init;
        CHECK(((float *)t->data)[0] == -2 && ((float *)t->data)[3] == 3);
        cort_model_free(m);
    }
    expect_external_error(dir, "../secret.bin", "0", "leaves the model's folder");
    expect_external_error(dir, "data/../../secret.bin", "0", "leaves the model's folder");
    char abs[300];
    snprintf(abs, sizeof abs, "%s/secret.bin", top);
    expect_external_error(dir, abs, "0", "leaves the model's folder");
    snprintf(link, sizeof link, "%s/escape.bin", dir);
    CHECK(symlink(abs, link) == 0);
    expect_external_error(dir, "escape.bin", "0", "outside the model's folder");
    expect_external_error(dir, "data/missing.bin", "0", "missing");
    expect_external_error(dir, "data/weights.bin", "16", "past the end");
    expect_external_error(dir, "data/weights.bin", "18446744073709551615", "past the end");
    expect_external_error(dir, "data/weights.bin", "-1", "not a number");
    m = NULL;
    cort_status *st = load_external(dir, "data/weights.bin", "0", "12", &m);
    CHECK(st && strstr(cort_status_message(st), "length"));
    cort_status_free(st);
    /* from bytes there is no folder: external data is refused */
    cort_pb_writer w = {0};
    external_model(&w, "data/weights.bin", "0", NULL);
    expect_error(&w, "external data");

    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
    CHECK(system(cmd) == 0);
}

static void test_subgraph_and_order(void) {
    /* nodes listed consumers-first; an If whose branches read the outer value C */
    cort_pb_writer w = {0};
    model_header(&w, 8, 13);
    size_t g = cort_pb_w_begin(&w, 7);
    size_t n = node_begin(&w, 1, "If", "if", "Cond", "Y", NULL);
    for (int b = 0; b < 2; b++) {
        size_t a = cort_pb_w_begin(&w, 5);
        cort_pb_w_string(&w, 1, b ? "else_branch" : "then_branch");
        cort_pb_w_varint(&w, 20, 5);
        size_t sg = cort_pb_w_begin(&w, 6);
        node(&w, b ? "Neg" : "Identity", "inner", "C", "out");
        value_info(&w, 12, "out", CORT_FLOAT, -1, NULL);
        cort_pb_w_end(&w, sg);
        cort_pb_w_end(&w, a);
    }
    cort_pb_w_end(&w, n);
    node(&w, "Relu", "second", "B", "C");
    node(&w, "Abs", "first", "X", "B");
    value_info(&w, 11, "X", CORT_FLOAT, -1, NULL);
    value_info(&w, 11, "Cond", CORT_BOOL, 0, NULL);
    value_info(&w, 12, "Y", CORT_FLOAT, -1, NULL);
    cort_pb_w_end(&w, g);
    cort_model *m = NULL;
    CHECK_OK(load(&w, &m));
    if (!m) return;
    const cort_graph *gr = m->graph;
    CHECK(gr->n_nodes == 3 && !strcmp(gr->nodes[0]->name, "first") && !strcmp(gr->nodes[1]->name, "second") &&
          !strcmp(gr->nodes[2]->name, "if"));
    CHECK(gr->values[cort_graph_find(gr, "C")].producer == 1);
    const cort_attr *then = cort_node_attr(gr->nodes[2], "then_branch");
    CHECK(then && then->g && then->g->parent == gr);
    if (then && then->g) {
        int c = cort_graph_find(then->g, "C");
        CHECK(c >= 0 && (then->g->values[c].flags & CORT_VF_OUTER));
    }
    int cond = cort_graph_find(gr, "Cond");
    CHECK(gr->values[cond].type.kind == CORT_TYPE_TENSOR && gr->values[cond].type.rank == 0);
    cort_model_free(m);
}

/* A single-node model whose node and graph parts the caller varies. */
static void simple_model(cort_pb_writer *w, int64_t op_version, const char *op, const char *domain, const char *ins,
                         const char *outs, const char *graph_out) {
    model_header(w, 8, op_version);
    size_t g = cort_pb_w_begin(w, 7);
    cort_pb_w_end(w, node_begin(w, 1, op, "n1", ins, outs, domain));
    value_info(w, 11, "X", CORT_FLOAT, -1, NULL);
    value_info(w, 12, graph_out, CORT_FLOAT, -1, NULL);
    cort_pb_w_end(w, g);
}

static void test_errors(void) {
    cort_pb_writer w = {0};
    simple_model(&w, 13, "Relu", NULL, "Z", "Y", "Y");
    expect_error(&w, "input 'Z' is not defined");
    w = (cort_pb_writer){0};
    simple_model(&w, 13, "Relu", NULL, "X", "Y", "Q");
    expect_error(&w, "output 'Q' is not defined");
    w = (cort_pb_writer){0};
    simple_model(&w, 99, "Relu", NULL, "X", "Y", "Y");
    expect_error(&w, "node 'n1' (Relu, opset 99)");
    w = (cort_pb_writer){0};
    simple_model(&w, 0, "Relu", NULL, "X", "Y", "Y");
    expect_error(&w, "invalid opset version");
    w = (cort_pb_writer){0};
    simple_model(&w, 13, "Foo", "com.example", "X", "Y", "Y");
    expect_error(&w, "imports no opset for domain 'com.example'");
    w = (cort_pb_writer){0};
    simple_model(&w, 13, "", NULL, "X", "Y", "Y");
    expect_error(&w, "has no op_type");
    w = (cort_pb_writer){0};
    simple_model(&w, 13, "Relu", NULL, "X", "X", "X");
    expect_error(&w, "also a graph input");

    /* a cycle: a -> b -> a */
    w = (cort_pb_writer){0};
    model_header(&w, 8, 13);
    size_t g = cort_pb_w_begin(&w, 7);
    node(&w, "Add", "a", "X,Q", "P");
    node(&w, "Relu", "b", "P", "Q");
    value_info(&w, 11, "X", CORT_FLOAT, -1, NULL);
    value_info(&w, 12, "Q", CORT_FLOAT, -1, NULL);
    cort_pb_w_end(&w, g);
    expect_error(&w, "part of a cycle");

    /* one value produced twice */
    w = (cort_pb_writer){0};
    model_header(&w, 8, 13);
    g = cort_pb_w_begin(&w, 7);
    node(&w, "Relu", "a", "X", "P");
    node(&w, "Abs", "b", "X", "P");
    value_info(&w, 11, "X", CORT_FLOAT, -1, NULL);
    value_info(&w, 12, "P", CORT_FLOAT, -1, NULL);
    cort_pb_w_end(&w, g);
    expect_error(&w, "already produced by node 'a'");

    /* duplicate initializer, duplicate input, nameless initializer */
    w = (cort_pb_writer){0};
    model_header(&w, 8, 13);
    g = cort_pb_w_begin(&w, 7);
    float one = 1;
    tensor_f32(&w, 5, "W", 0, NULL, &one, 1);
    tensor_f32(&w, 5, "W", 0, NULL, &one, 1);
    cort_pb_w_end(&w, g);
    expect_error(&w, "duplicate initializer 'W'");
    w = (cort_pb_writer){0};
    model_header(&w, 8, 13);
    g = cort_pb_w_begin(&w, 7);
    value_info(&w, 11, "X", CORT_FLOAT, -1, NULL);
    value_info(&w, 11, "X", CORT_FLOAT, -1, NULL);
    cort_pb_w_end(&w, g);
    expect_error(&w, "duplicate graph input 'X'");
    w = (cort_pb_writer){0};
    model_header(&w, 8, 13);
    g = cort_pb_w_begin(&w, 7);
    tensor_f32(&w, 5, "", 0, NULL, &one, 1);
    cort_pb_w_end(&w, g);
    expect_error(&w, "has no name");

    /* a bad initializer is named in the error */
    w = (cort_pb_writer){0};
    model_header(&w, 8, 13);
    g = cort_pb_w_begin(&w, 7);
    int64_t three = 3;
    tensor_f32(&w, 5, "weights", 1, &three, &one, 1);
    cort_pb_w_end(&w, g);
    expect_error(&w, "tensor 'weights'");

    /* attribute given twice */
    w = (cort_pb_writer){0};
    model_header(&w, 8, 13);
    g = cort_pb_w_begin(&w, 7);
    size_t n = node_begin(&w, 1, "Flatten", "f", "X", "Y", NULL);
    attr_int(&w, "axis", 1);
    attr_int(&w, "axis", 2);
    cort_pb_w_end(&w, n);
    value_info(&w, 11, "X", CORT_FLOAT, -1, NULL);
    value_info(&w, 12, "Y", CORT_FLOAT, -1, NULL);
    cort_pb_w_end(&w, g);
    expect_error(&w, "attribute 'axis' given twice");

    /* no graph; truncations of a valid model never crash */
    w = (cort_pb_writer){0};
    model_header(&w, 8, 13);
    expect_error(&w, "no graph");
    w = (cort_pb_writer){0};
    simple_model(&w, 13, "Relu", NULL, "X", "Y", "Y");
    for (size_t len = 0; len < w.len; len++) {
        cort_model *m = NULL;
        cort_status *st = cort_onnx_load_bytes(w.buf, len, &m);
        CHECK(st != NULL);
        cort_status_free(st);
        cort_model_free(m);
    }
    cort_model *m = NULL;
    CHECK_OK(cort_onnx_load_bytes(w.buf, w.len, &m));
    cort_model_free(m);
    cort_pb_writer_free(&w);

    /* subgraphs nested beyond the limit are refused */
    w = (cort_pb_writer){0};
    model_header(&w, 8, 13);
    size_t marks[3 * 80 + 1];
    int k = 0;
    marks[k++] = cort_pb_w_begin(&w, 7);
    for (int d = 0; d < 80; d++) {
        marks[k++] = node_begin(&w, 1, "If", "deep", "C", "", NULL);
        marks[k++] = cort_pb_w_begin(&w, 5);
        cort_pb_w_string(&w, 1, "then_branch");
        cort_pb_w_varint(&w, 20, 5);
        marks[k++] = cort_pb_w_begin(&w, 6);
    }
    while (k > 0) cort_pb_w_end(&w, marks[--k]);
    expect_error(&w, "nested too deeply");
}

static void test_save_and_reload(void) {
    cort_pb_writer w = {0};
    model_header(&w, 8, 13);
    size_t g = cort_pb_w_begin(&w, 7);
    size_t n = node_begin(&w, 1, "Flatten", "f", "X", "Y", NULL);
    attr_int(&w, "axis", -1);
    cort_pb_w_end(&w, n);
    int64_t dims[2] = {2, -1};
    value_info(&w, 11, "X", CORT_FLOAT, 2, dims);
    value_info(&w, 12, "Y", CORT_FLOAT, -1, NULL);
    cort_pb_w_end(&w, g);
    cort_model *m = NULL;
    CHECK_OK(load(&w, &m));
    if (!m) return;
    char path[] = "/tmp/cort_save_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd >= 0) close(fd);
    CHECK_OK(cort_onnx_save_model(m, path));
    cort_model *again = NULL;
    CHECK_OK(cort_onnx_load_file(path, &again));
    if (again) {
        const cort_graph *gr = again->graph;
        CHECK(cort_attr_int(gr->nodes[0], "axis", 0) == -1);
        const cort_type *t = &gr->values[gr->inputs[0]].type;
        CHECK(t->rank == 2 && t->dims[0].value == 2 && t->dims[1].value < 0 && t->dims[1].symbol &&
              !strcmp(t->dims[1].symbol, "N"));
        CHECK(!strcmp(again->producer_name, "test"));
    }
    unlink(path);
    cort_model_free(again);
    cort_model_free(m);
}

/* A node carrying one attribute of every type survives load -> write -> load. */
static void write_every_attr(cort_pb_writer *w) {
    size_t a;
    attr_int(w, "i", -7);
    attr_float(w, 5, "f", 2.5f);
    a = cort_pb_w_begin(w, 5);
    cort_pb_w_string(w, 1, "s");
    cort_pb_w_varint(w, 20, 3);
    cort_pb_w_bytes(w, 4, "a\0b", 3);
    cort_pb_w_end(w, a);
    a = cort_pb_w_begin(w, 5);
    cort_pb_w_string(w, 1, "ints");
    cort_pb_w_varint(w, 20, 7);
    cort_pb_w_varint(w, 8, 3);
    cort_pb_w_varint(w, 8, (uint64_t)(int64_t)-4);
    cort_pb_w_end(w, a);
    a = cort_pb_w_begin(w, 5);
    cort_pb_w_string(w, 1, "floats");
    cort_pb_w_varint(w, 20, 6);
    cort_pb_w_fixed32(w, 7, 0x3f800000u);
    cort_pb_w_end(w, a);
    a = cort_pb_w_begin(w, 5);
    cort_pb_w_string(w, 1, "strings");
    cort_pb_w_varint(w, 20, 8);
    cort_pb_w_bytes(w, 9, "x", 1);
    cort_pb_w_bytes(w, 9, "", 0);
    cort_pb_w_end(w, a);
    float v[3] = {1, 0, 3};
    int64_t d3 = 3;
    a = cort_pb_w_begin(w, 5);
    cort_pb_w_string(w, 1, "t");
    cort_pb_w_varint(w, 20, 4);
    tensor_f32(w, 5, "", 1, &d3, v, 3);
    cort_pb_w_end(w, a);
    a = cort_pb_w_begin(w, 5);
    cort_pb_w_string(w, 1, "ts");
    cort_pb_w_varint(w, 20, 9);
    tensor_f32(w, 10, "", 1, &d3, v, 3);
    tensor_f32(w, 10, "", 0, NULL, v, 1);
    cort_pb_w_end(w, a);
    a = cort_pb_w_begin(w, 5); /* sparse [4]: value 9 at index 2 */
    cort_pb_w_string(w, 1, "sp");
    cort_pb_w_varint(w, 20, 11);
    size_t sp = cort_pb_w_begin(w, 22);
    float nine = 9;
    int64_t one = 1, two = 2;
    tensor_f32(w, 1, "", 1, &one, &nine, 1);
    size_t ix = cort_pb_w_begin(w, 2);
    cort_pb_w_varint(w, 1, 1);
    cort_pb_w_varint(w, 2, CORT_INT64);
    cort_pb_w_bytes(w, 9, &two, 8);
    cort_pb_w_end(w, ix);
    cort_pb_w_varint(w, 3, 4);
    cort_pb_w_end(w, sp);
    cort_pb_w_end(w, a);
    a = cort_pb_w_begin(w, 5); /* seq(tensor(int64)[N]) */
    cort_pb_w_string(w, 1, "tp");
    cort_pb_w_varint(w, 20, 13);
    size_t tp = cort_pb_w_begin(w, 14), sq = cort_pb_w_begin(w, 4), el = cort_pb_w_begin(w, 1);
    size_t tt = cort_pb_w_begin(w, 1);
    cort_pb_w_varint(w, 1, CORT_INT64);
    size_t sh = cort_pb_w_begin(w, 2), dm = cort_pb_w_begin(w, 1);
    cort_pb_w_string(w, 2, "N");
    cort_pb_w_end(w, dm);
    cort_pb_w_end(w, sh);
    cort_pb_w_end(w, tt);
    cort_pb_w_end(w, el);
    cort_pb_w_end(w, sq);
    cort_pb_w_end(w, tp);
    cort_pb_w_end(w, a);
    a = cort_pb_w_begin(w, 5);
    cort_pb_w_string(w, 1, "gs");
    cort_pb_w_varint(w, 20, 10);
    for (int k = 0; k < 2; k++) {
        size_t sg = cort_pb_w_begin(w, 11);
        node(w, "Neg", "inner", "X", "out");
        value_info(w, 12, "out", CORT_FLOAT, -1, NULL);
        cort_pb_w_end(w, sg);
    }
    cort_pb_w_end(w, a);
}

static void check_every_attr(const cort_node *n) {
    CHECK(n->n_attrs == 11);
    CHECK(cort_attr_int(n, "i", 0) == -7 && cort_attr_float(n, "f", 0) == 2.5f);
    const cort_attr *a = cort_node_attr(n, "s");
    CHECK(a && a->s_len == 3 && !memcmp(a->s, "a\0b", 3));
    const int64_t *ints;
    CHECK(cort_attr_ints(n, "ints", &ints) == 2 && ints[1] == -4);
    const float *fl;
    CHECK(cort_attr_floats(n, "floats", &fl) == 1 && fl[0] == 1.0f);
    a = cort_node_attr(n, "strings");
    CHECK(a && a->type == CORT_ATTR_STRINGS && a->n == 2 && !strcmp(a->strings[0], "x") && a->string_lens[1] == 0);
    a = cort_node_attr(n, "t");
    CHECK(a && a->t && a->t->dims[0] == 3 && ((float *)a->t->data)[2] == 3);
    a = cort_node_attr(n, "ts");
    CHECK(a && a->n == 2 && a->tensors[1].rank == 0 && ((float *)a->tensors[1].data)[0] == 1);
    a = cort_node_attr(n, "sp");
    CHECK(a && a->type == CORT_ATTR_SPARSE_TENSOR && a->t->dims[0] == 4);
    if (a && a->t) CHECK(((float *)a->t->data)[2] == 9 && ((float *)a->t->data)[0] == 0);
    a = cort_node_attr(n, "tp");
    CHECK(a && a->tp && a->tp->kind == CORT_TYPE_SEQUENCE && a->tp->inner && a->tp->inner->elem == CORT_INT64);
    if (a && a->tp && a->tp->inner)
        CHECK(a->tp->inner->rank == 1 && a->tp->inner->dims[0].symbol && !strcmp(a->tp->inner->dims[0].symbol, "N"));
    a = cort_node_attr(n, "gs");
    CHECK(a && a->n == 2 && a->graphs[1] && a->graphs[1]->n_nodes == 1 && a->graphs[1]->parent);
}

static void test_every_attribute(void) {
    cort_pb_writer w = {0};
    model_header(&w, 8, 13);
    opset(&w, 8, "x", 1);
    size_t g = cort_pb_w_begin(&w, 7);
    size_t n = node_begin(&w, 1, "Custom", "all", "X", "Y", "x");
    write_every_attr(&w);
    cort_pb_w_end(&w, n);
    value_info(&w, 11, "X", CORT_FLOAT, -1, NULL);
    value_info(&w, 12, "Y", CORT_FLOAT, -1, NULL);
    cort_pb_w_end(&w, g);
    cort_model *m = NULL, *again = NULL;
    CHECK_OK(load(&w, &m));
    if (!m) return;
    check_every_attr(m->graph->nodes[0]);
    void *bytes = NULL;
    size_t size = 0;
    CHECK_OK(cort_onnx_write_model(m, &bytes, &size));
    if (bytes) CHECK_OK(cort_onnx_load_bytes(bytes, size, &again));
    if (again) check_every_attr(again->graph->nodes[0]);
    free(bytes);
    cort_model_free(again);
    cort_model_free(m);
}

int main(void) {
    test_every_attribute();
    test_wire();
    test_tensor_fields();
    test_values();
    test_ir3_initializer_input();
    test_sparse_initializer();
    test_functions();
    test_external_data();
    test_subgraph_and_order();
    test_errors();
    test_save_and_reload();
    return check_report("test_onnx_reader");
}
