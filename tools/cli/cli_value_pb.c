/* Output values as the protobuf messages the ONNX backend tests store: TensorProto for tensors,
 * SequenceProto for sequences, OptionalProto for outputs declared optional, so that `cort check`
 * (and ONNX's own tools) read them back. */
#include <stdlib.h>

#include "cli.h"
#include "onnx/pb.h"
#include "onnx/tensor_proto.h"

/* Field numbers and enum values of onnx.proto's SequenceProto and OptionalProto. */
enum {
    PB_NAME = 1,
    PB_ELEM_TYPE = 2,
    SEQ_TENSOR_VALUES = 3,
    OPT_TENSOR_VALUE = 3,
    OPT_SEQUENCE_VALUE = 5,
    PB_TYPE_UNDEFINED = 0,
    PB_TYPE_TENSOR = 1,
    PB_TYPE_SEQUENCE = 3
};

static void encode_sequence(cort_pb_writer *w, uint32_t number, const cort_value *seq, const char *name) {
    size_t mark = number ? cort_pb_w_begin(w, number) : 0;
    if (name) cort_pb_w_string(w, PB_NAME, name);
    cort_pb_w_varint(w, PB_ELEM_TYPE, PB_TYPE_TENSOR);
    for (int64_t i = 0; i < seq->seq_len; i++) cort_onnx_encode_tensor(w, SEQ_TENSOR_VALUES, &seq->seq[i].t, NULL);
    if (number) cort_pb_w_end(w, mark);
}

static void encode_optional(cort_pb_writer *w, const cort_value *v, const char *name) {
    cort_pb_w_string(w, PB_NAME, name);
    switch (v->kind) {
    case CORT_VALUE_TENSOR:
        cort_pb_w_varint(w, PB_ELEM_TYPE, PB_TYPE_TENSOR);
        cort_onnx_encode_tensor(w, OPT_TENSOR_VALUE, &v->t, NULL);
        break;
    case CORT_VALUE_SEQUENCE:
        cort_pb_w_varint(w, PB_ELEM_TYPE, PB_TYPE_SEQUENCE);
        encode_sequence(w, OPT_SEQUENCE_VALUE, v, NULL);
        break;
    default: /* an empty optional: no value field */
        cort_pb_w_varint(w, PB_ELEM_TYPE, PB_TYPE_UNDEFINED);
        break;
    }
}

static cort_status *check_sequence_items(const cort_value *seq) {
    for (int64_t i = 0; i < seq->seq_len; i++)
        if (seq->seq[i].kind != CORT_VALUE_TENSOR)
            return cort_error(CORT_NOT_IMPLEMENTED, "sequence item %lld is not a tensor", (long long)i);
    return NULL;
}

cort_status *cli_value_to_pb(const cort_value *value, int declared_kind, const char *name, void **out,
                             size_t *out_size) {
    *out = NULL;
    *out_size = 0;
    if (value->kind == CORT_VALUE_TENSOR && declared_kind != 3) return cort_tensor_to_pb(value, name, out, out_size);
    if (value->kind == CORT_VALUE_SEQUENCE) CORT_TRY(check_sequence_items(value));
    if (value->kind != CORT_VALUE_SEQUENCE && declared_kind != 3)
        return cort_error(CORT_NOT_IMPLEMENTED, "cannot write a value of kind %d", (int)value->kind);
    cort_pb_writer w = {0};
    if (declared_kind == 3) encode_optional(&w, value, name);
    else encode_sequence(&w, 0, value, name);
    if (w.failed) {
        cort_pb_writer_free(&w);
        return cort_oom();
    }
    *out = w.buf ? (void *)w.buf : malloc(1);
    if (!*out) return cort_oom();
    *out_size = w.len;
    return NULL;
}
