/* TensorProto and SparseTensorProto decoding shared by the model reader and the test-data reader. */
#ifndef CORT_ONNX_TENSOR_PROTO_H
#define CORT_ONNX_TENSOR_PROTO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/pool.h"
#include "base/status.h"
#include "base/tensor.h"
#include "onnx/pb.h"

/* Where decoded tensors get their memory and how external data is reached. */
typedef struct cort_tensor_env {
    /* A zeroed element buffer for tensor t (type, rank and dims set); NULL on shortage. */
    void *(*alloc)(void *self, const cort_tensor *t, size_t bytes);
    /* A NUL-terminated copy of a string element; NULL on shortage. */
    char *(*dup_string)(void *self, const uint8_t *s, size_t len);
    /* Finds the bytes of a tensor stored as external data (msg is the TensorProto); NULL refuses
     * external data. The bytes must stay valid as long as the tensor. */
    cort_status *(*external)(void *self, const char *tensor_name, const uint8_t *msg, size_t len,
                             size_t nbytes, const uint8_t **data);
    void *self;
    bool in_place; /* raw_data (and external data) may be used where it lies when aligned */
    /* The bytes are a read-only file mapping: the pages of data copied out may be handed back (the
     * kernel re-reads them from the file if touched again), so a misaligned weight is not held twice. */
    bool file_backed;
} cort_tensor_env;

/* Decodes a TensorProto into *t. *name and *name_len receive the name (not NUL-terminated; may be NULL/0). */
cort_status *cort_onnx_decode_tensor(const uint8_t *msg, size_t len, const cort_tensor_env *env, cort_tensor *t,
                                     const char **name, size_t *name_len);
/* Largest dense size a sparse tensor may expand to. */
#define CORT_ONNX_MAX_SPARSE_BYTES ((uint64_t)256 << 20)

/* Decodes a SparseTensorProto into a dense tensor (memory from env->alloc). */
cort_status *cort_onnx_decode_sparse(const uint8_t *msg, size_t len, const cort_tensor_env *env, cort_tensor *t,
                                     const char **name, size_t *name_len);
/* An environment whose memory comes from `pool` (no external data unless the caller sets it). */
cort_tensor_env cort_onnx_pool_env(cort_pool *pool);

/* Appends a TensorProto (raw_data or string_data) for t to w as field `number`, or as the whole
 * message when number is 0. */
void cort_onnx_encode_tensor(cort_pb_writer *w, uint32_t number, const cort_tensor *t, const char *name);
#endif
