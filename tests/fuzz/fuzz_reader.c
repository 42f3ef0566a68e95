/* libFuzzer entry point for the ONNX reader (built when CORT_FUZZ=ON with clang):
 *   build/tests/fuzz/fuzz_reader tests/fuzz/corpus */
#include <stdint.h>
#include <stdlib.h>

#include "onnx/onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cort_model *m = NULL;
    cort_status *st = cort_onnx_load_bytes(data, size, &m);
    if (!st) {
        void *bytes = NULL;
        size_t n = 0;
        cort_model *again = NULL;
        st = cort_onnx_write_model(m, &bytes, &n);
        /* an accepted model must round-trip, unless the writer says why it cannot be written */
        if (st && cort_status_code(st) != CORT_INVALID_GRAPH) abort();
        if (!st && (st = cort_onnx_load_bytes(bytes, n, &again))) abort();
        cort_model_free(again);
        free(bytes);
        cort_model_free(m);
    }
    cort_status_free(st);
    cort_value v = {0};
    cort_status_free(cort_onnx_read_tensor(data, size, &v, NULL));
    cort_value_clear(&v);
    cort_type tensor = {.kind = CORT_TYPE_TENSOR, .elem = CORT_FLOAT, .rank = -1};
    cort_type seq = {.kind = CORT_TYPE_SEQUENCE, .inner = &tensor};
    cort_type opt = {.kind = CORT_TYPE_OPTIONAL, .inner = &seq};
    cort_status_free(cort_onnx_read_value(data, size, &opt, &v));
    cort_value_clear(&v);
    return 0;
}
