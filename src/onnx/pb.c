#include "onnx/pb.h"

#include <stdlib.h>
#include <string.h>

void cort_pb_init(cort_pb_reader *r, const void *data, size_t len) {
    r->p = data;
    r->end = r->p ? r->p + len : r->p;
    r->error = NULL;
}

bool cort_pb_read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
    const uint8_t *q = *p;
    uint64_t x = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (q >= end) return false;
        uint8_t b = *q++;
        if (shift == 63 && b > 1) return false; /* the tenth byte carries one bit only */
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *p = q;
            *v = x;
            return true;
        }
    }
    return false;
}

static uint64_t load_le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static int fail(cort_pb_reader *r, const char *why) {
    r->error = why;
    return -1;
}

static bool read_tag(cort_pb_reader *r, uint32_t *number, int *wire) {
    uint64_t tag;
    if (!cort_pb_read_varint(&r->p, r->end, &tag)) {
        r->error = "truncated or overlong field tag";
        return false;
    }
    if (tag >> 32 || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) {
        r->error = "invalid field number";
        return false;
    }
    *number = (uint32_t)(tag >> 3);
    *wire = (int)(tag & 7);
    return true;
}

/* Reads the payload of a field whose tag has been read. Group markers are left to the caller. */
static int read_payload(cort_pb_reader *r, cort_pb_field *f) {
    size_t left = (size_t)(r->end - r->p);
    switch (f->wire) {
    case CORT_PB_VARINT:
        if (!cort_pb_read_varint(&r->p, r->end, &f->u)) return fail(r, "truncated or overlong varint");
        return 1;
    case CORT_PB_FIXED64:
        if (left < 8) return fail(r, "truncated fixed64");
        f->u = load_le(r->p, 8);
        r->p += 8;
        return 1;
    case CORT_PB_FIXED32:
        if (left < 4) return fail(r, "truncated fixed32");
        f->u = load_le(r->p, 4);
        r->p += 4;
        return 1;
    case CORT_PB_LEN: {
        uint64_t n;
        if (!cort_pb_read_varint(&r->p, r->end, &n)) return fail(r, "truncated length");
        left = (size_t)(r->end - r->p);
        if (n > left) return fail(r, "length runs past the end of the message");
        f->data = r->p;
        f->len = (size_t)n;
        r->p += n;
        return 1;
    }
    default:
        return fail(r, "invalid wire type");
    }
}

/* Skips a group whose start tag (field `number`) has been read, following nested groups with an
 * explicit stack of open field numbers rather than recursion. */
static int skip_group(cort_pb_reader *r, uint32_t number) {
    uint32_t open[CORT_PB_MAX_DEPTH];
    int depth = 0;
    open[depth++] = number;
    while (depth > 0) {
        cort_pb_field f;
        if (r->p >= r->end) return fail(r, "unterminated group");
        if (!read_tag(r, &f.number, &f.wire)) return -1;
        if (f.wire == CORT_PB_GROUP_START) {
            if (depth == CORT_PB_MAX_DEPTH) return fail(r, "groups nested too deeply");
            open[depth++] = f.number;
        } else if (f.wire == CORT_PB_GROUP_END) {
            if (open[depth - 1] != f.number) return fail(r, "mismatched end of group");
            depth--;
        } else if (read_payload(r, &f) < 0) {
            return -1;
        }
    }
    return 1;
}

int cort_pb_next(cort_pb_reader *r, cort_pb_field *f) {
    for (;;) {
        if (r->error) return -1;
        if (r->p >= r->end) return 0;
        memset(f, 0, sizeof *f);
        if (!read_tag(r, &f->number, &f->wire)) return -1;
        if (f->wire == CORT_PB_GROUP_END) return fail(r, "end of group without a start");
        if (f->wire == CORT_PB_GROUP_START) {
            if (skip_group(r, f->number) < 0) return -1;
            continue;
        }
        return read_payload(r, f);
    }
}

/* ------------------------------------------------------------ repeated scalars */

void cort_pb_repeated_init(cort_pb_repeated *it, const void *msg, size_t len, uint32_t number, int wire) {
    cort_pb_init(&it->msg, msg, len);
    it->number = number;
    it->wire = wire;
    it->packed = it->packed_end = NULL;
    it->error = NULL;
}

static int packed_next(cort_pb_repeated *it, uint64_t *v) {
    size_t left = (size_t)(it->packed_end - it->packed);
    switch (it->wire) {
    case CORT_PB_VARINT:
        if (!cort_pb_read_varint(&it->packed, it->packed_end, v)) {
            it->error = "truncated varint in packed field";
            return -1;
        }
        return 1;
    case CORT_PB_FIXED32:
        if (left < 4) break;
        *v = load_le(it->packed, 4);
        it->packed += 4;
        return 1;
    default:
        if (left < 8) break;
        *v = load_le(it->packed, 8);
        it->packed += 8;
        return 1;
    }
    it->error = "packed field length is not a multiple of the element size";
    return -1;
}

int cort_pb_repeated_next(cort_pb_repeated *it, uint64_t *v) {
    for (;;) {
        if (it->error) return -1;
        if (it->packed < it->packed_end) return packed_next(it, v);
        cort_pb_field f;
        int rc = cort_pb_next(&it->msg, &f);
        if (rc < 0) it->error = it->msg.error;
        if (rc <= 0) return rc;
        if (f.number != it->number) continue;
        if (f.wire == CORT_PB_LEN) {
            it->packed = f.data;
            it->packed_end = f.data + f.len;
            continue;
        }
        if (f.wire != it->wire) {
            it->error = "repeated field has the wrong wire type";
            return -1;
        }
        *v = f.u;
        return 1;
    }
}

int64_t cort_pb_repeated_count(const void *msg, size_t len, uint32_t number, int wire, const char **error) {
    cort_pb_repeated it;
    cort_pb_repeated_init(&it, msg, len, number, wire);
    int64_t n = 0;
    uint64_t v;
    int rc;
    while ((rc = cort_pb_repeated_next(&it, &v)) > 0) n++;
    if (rc < 0) {
        *error = it.error;
        return -1;
    }
    return n;
}

/* ------------------------------------------------------------------ writer */

static bool reserve(cort_pb_writer *w, size_t extra) {
    if (w->failed) return false;
    if (extra > SIZE_MAX / 2 - w->len) {
        w->failed = true;
        return false;
    }
    if (w->len + extra <= w->cap) return true;
    size_t cap = w->cap ? w->cap : 256;
    while (cap < w->len + extra) cap *= 2;
    uint8_t *b = realloc(w->buf, cap);
    if (!b) {
        w->failed = true;
        return false;
    }
    w->buf = b;
    w->cap = cap;
    return true;
}

static size_t varint_size(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static size_t encode_varint(uint8_t *p, uint64_t v) {
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

void cort_pb_w_raw_varint(cort_pb_writer *w, uint64_t v) {
    if (!reserve(w, 10)) return;
    w->len += encode_varint(w->buf + w->len, v);
}

void cort_pb_w_raw(cort_pb_writer *w, const void *data, size_t len) {
    if (!len || !reserve(w, len)) return;
    memcpy(w->buf + w->len, data, len);
    w->len += len;
}

static void write_tag(cort_pb_writer *w, uint32_t number, int wire) {
    cort_pb_w_raw_varint(w, ((uint64_t)number << 3) | (uint64_t)wire);
}

void cort_pb_w_varint(cort_pb_writer *w, uint32_t number, uint64_t v) {
    write_tag(w, number, CORT_PB_VARINT);
    cort_pb_w_raw_varint(w, v);
}

static void write_le(cort_pb_writer *w, uint64_t v, int n) {
    uint8_t b[8];
    for (int i = 0; i < n; i++) b[i] = (uint8_t)(v >> (8 * i));
    cort_pb_w_raw(w, b, (size_t)n);
}

void cort_pb_w_fixed32(cort_pb_writer *w, uint32_t number, uint32_t v) {
    write_tag(w, number, CORT_PB_FIXED32);
    write_le(w, v, 4);
}

void cort_pb_w_fixed64(cort_pb_writer *w, uint32_t number, uint64_t v) {
    write_tag(w, number, CORT_PB_FIXED64);
    write_le(w, v, 8);
}

void cort_pb_w_bytes(cort_pb_writer *w, uint32_t number, const void *data, size_t len) {
    write_tag(w, number, CORT_PB_LEN);
    cort_pb_w_raw_varint(w, len);
    cort_pb_w_raw(w, data, len);
}

void cort_pb_w_string(cort_pb_writer *w, uint32_t number, const char *s) {
    if (s && *s) cort_pb_w_bytes(w, number, s, strlen(s));
}

size_t cort_pb_w_begin(cort_pb_writer *w, uint32_t number) {
    write_tag(w, number, CORT_PB_LEN);
    return w->len;
}

/* The payload was written after the tag; its length is inserted in front of it now that it is known. */
void cort_pb_w_end(cort_pb_writer *w, size_t mark) {
    if (w->failed) return;
    size_t n = w->len - mark, k = varint_size(n);
    if (!reserve(w, k)) return;
    memmove(w->buf + mark + k, w->buf + mark, n);
    encode_varint(w->buf + mark, n);
    w->len += k;
}

void cort_pb_writer_free(cort_pb_writer *w) {
    free(w->buf);
    memset(w, 0, sizeof *w);
}
