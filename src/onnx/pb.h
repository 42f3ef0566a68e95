/* Protobuf wire format: a zero-copy reader over a byte range and a growable writer.
 * The reader never reads outside [data, data+len): every length is checked against the bytes that
 * remain, varints are at most ten bytes, and groups (which ONNX never uses) are skipped with a bounded
 * nesting depth. It knows nothing of ONNX; src/onnx/ maps field numbers to meaning. */
#ifndef CORT_ONNX_PB_H
#define CORT_ONNX_PB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    CORT_PB_VARINT = 0,
    CORT_PB_FIXED64 = 1,
    CORT_PB_LEN = 2,
    CORT_PB_GROUP_START = 3,
    CORT_PB_GROUP_END = 4,
    CORT_PB_FIXED32 = 5
};

/* Deepest nesting of messages the ONNX reader follows (graphs in attributes, types in types, function
 * calls in functions) and of groups the reader skips. Deeper input is refused, never recursed into. */
#define CORT_PB_MAX_DEPTH 64

typedef struct cort_pb_reader {
    const uint8_t *p, *end;
    const char *error; /* set when cort_pb_next returns -1 */
} cort_pb_reader;

typedef struct cort_pb_field {
    uint32_t number;
    int wire;
    uint64_t u;          /* VARINT, FIXED32, FIXED64 */
    const uint8_t *data; /* LEN: the payload, inside the reader's range */
    size_t len;
} cort_pb_field;

void cort_pb_init(cort_pb_reader *r, const void *data, size_t len);
/* Reads the next field: 1 when *f is filled, 0 at the end of the message, -1 on malformed input
 * (r->error says why). Groups are skipped, never returned. */
int cort_pb_next(cort_pb_reader *r, cort_pb_field *f);
/* Decodes a varint at *p (advancing it); false when truncated or longer than ten bytes. */
bool cort_pb_read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v);

static inline int64_t cort_pb_zigzag64(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }
static inline int32_t cort_pb_zigzag32(uint32_t v) { return (int32_t)(v >> 1) ^ -(int32_t)(v & 1); }
static inline float cort_pb_as_float(uint64_t v) {
    union { uint32_t u; float f; } x = {(uint32_t)v};
    return x.f;
}
static inline double cort_pb_as_double(uint64_t v) {
    union { uint64_t u; double d; } x = {v};
    return x.d;
}

/* Walks the values of one repeated scalar field of a message, whether the writer packed them (one or
 * several LEN fields) or not (one field per value), in order. `wire` is the unpacked encoding
 * (CORT_PB_VARINT, CORT_PB_FIXED32 or CORT_PB_FIXED64). */
typedef struct cort_pb_repeated {
    cort_pb_reader msg;
    uint32_t number;
    int wire;
    const uint8_t *packed, *packed_end;
    const char *error;
} cort_pb_repeated;

void cort_pb_repeated_init(cort_pb_repeated *it, const void *msg, size_t len, uint32_t number, int wire);
/* 1 with *v set, 0 at the end, -1 on malformed input (it->error). */
int cort_pb_repeated_next(cort_pb_repeated *it, uint64_t *v);
/* Number of values of the field, or -1 on malformed input (it->error). */
int64_t cort_pb_repeated_count(const void *msg, size_t len, uint32_t number, int wire, const char **error);

/* ------------------------------------------------------------------ writer */
typedef struct cort_pb_writer {
    uint8_t *buf;
    size_t len, cap;
    bool failed; /* an allocation failed: the bytes are incomplete */
} cort_pb_writer;

void cort_pb_w_varint(cort_pb_writer *w, uint32_t number, uint64_t v);
void cort_pb_w_fixed32(cort_pb_writer *w, uint32_t number, uint32_t v);
void cort_pb_w_fixed64(cort_pb_writer *w, uint32_t number, uint64_t v);
void cort_pb_w_bytes(cort_pb_writer *w, uint32_t number, const void *data, size_t len);
/* Writes a string field; NULL and "" are skipped (proto2 default). */
void cort_pb_w_string(cort_pb_writer *w, uint32_t number, const char *s);
/* Opens a nested message field; returns the mark to pass to cort_pb_w_end. */
size_t cort_pb_w_begin(cort_pb_writer *w, uint32_t number);
void cort_pb_w_end(cort_pb_writer *w, size_t mark);
/* Raw bytes appended as they are (a packed payload written element by element). */
void cort_pb_w_raw(cort_pb_writer *w, const void *data, size_t len);
void cort_pb_w_raw_varint(cort_pb_writer *w, uint64_t v);
void cort_pb_writer_free(cort_pb_writer *w);
#endif
