/* ONNX I/O: ModelProto bytes <-> the IR of src/ir/ir.h, and TensorProto bytes <-> values.
 * Loading validates everything it reads (a malformed file gives CORT_INVALID_PROTOBUF or
 * CORT_INVALID_GRAPH naming the tensor or node, never a crash), inlines model-local functions, and
 * ends with cort_graph_check_and_sort. Initializer data is used in place where the bytes are aligned
 * for the element type; the model keeps its mappings (or its copy of the bytes) alive. */
#ifndef CORT_ONNX_ONNX_H
#define CORT_ONNX_ONNX_H
#include <stddef.h>

#include "base/status.h"
#include "base/tensor.h"
#include "ir/ir.h"

/* Maps the file and builds the model; external data is resolved relative to the file's folder. */
cort_status *cort_onnx_load_file(const char *path, cort_model **out);
/* Copies the bytes once into model-owned memory, then reads them in place. External data is refused. */
cort_status *cort_onnx_load_bytes(const void *data, size_t size, cort_model **out);
/* TensorProto -> an owned tensor value (string elements owned too). *name_out (when name_out is not
 * NULL) receives a malloc'ed copy of the tensor's name, or NULL when it has none. */
cort_status *cort_onnx_read_tensor(const void *data, size_t size, cort_value *out, char **name_out);
/* A test-data value: TensorProto, SequenceProto or OptionalProto, chosen by expected->kind (NULL or a
 * tensor type reads a TensorProto). */
cort_status *cort_onnx_read_value(const void *data, size_t size, const cort_type *expected, cort_value *out);
/* Malloc'ed TensorProto bytes of `t` (raw_data, or string_data for strings); `name` may be NULL. */
cort_status *cort_onnx_write_tensor(const cort_tensor *t, const char *name, void **out, size_t *size);
/* Malloc'ed ModelProto bytes of the IR. */
cort_status *cort_onnx_write_model(const cort_model *m, void **out, size_t *size);
cort_status *cort_onnx_save_model(const cort_model *m, const char *path);
#endif
