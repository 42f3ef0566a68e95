#include "npy.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file_map.h"
#include "base/status.h"
#include "base/tensor.h"

static const char npy_magic[6] = {(char)0x93, 'N', 'U', 'M', 'P', 'Y'};

int cort_npy_is_npy(const void *data, size_t size) {
    return data && size >= sizeof npy_magic && memcmp(data, npy_magic, sizeof npy_magic) == 0;
}

/* ------------------------------------------------------------------ dtypes */

typedef struct npy_dtype {
    const char *descr;
    cort_elem_type type;
} npy_dtype;

static const npy_dtype npy_dtypes[] = {
    {"<f4", CORT_FLOAT},  {"<f8", CORT_DOUBLE}, {"<f2", CORT_FLOAT16}, {"|i1", CORT_INT8},
    {"<i2", CORT_INT16},  {"<i4", CORT_INT32},  {"<i8", CORT_INT64},   {"|u1", CORT_UINT8},
    {"<u2", CORT_UINT16}, {"<u4", CORT_UINT32}, {"<u8", CORT_UINT64},  {"|b1", CORT_BOOL},
    {"<c8", CORT_COMPLEX64}, {"<c16", CORT_COMPLEX128},
};

const char *cort_npy_descr(cort_elem_type type) {
    for (size_t i = 0; i < sizeof npy_dtypes / sizeof npy_dtypes[0]; i++)
        if (npy_dtypes[i].type == type) return npy_dtypes[i].descr;
    return NULL;
}

static int host_is_little_endian(void) {
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1;
}

/* Maps a descr to an element type. Single-byte types may carry any byte-order mark; wider ones
 * must be little-endian ('<', or '=' on a little-endian host). */
static cort_status *dtype_from_descr(const char *descr, cort_elem_type *type) {
    char order = descr[0];
    if (order != '<' && order != '>' && order != '|' && order != '=')
        return cort_error(CORT_INVALID_ARGUMENT, ".npy: malformed dtype '%s'", descr);
    char kind = descr[1];
    if (kind == 'O')
        return cort_error(CORT_INVALID_ARGUMENT, ".npy: object arrays (dtype '%s') are not supported", descr);
    char *end = NULL;
    long size = strtol(descr + 2, &end, 10);
    if (end == descr + 2 || *end != 0)
        return cort_error(CORT_INVALID_ARGUMENT, ".npy: dtype '%s' is not supported (only numeric and bool)", descr);
    int big = order == '>' || (order == '=' && !host_is_little_endian());
    if (size > 1 && (big || order == '|'))
        return cort_error(CORT_INVALID_ARGUMENT,
                          ".npy: dtype '%s' is not supported: only little-endian data can be read", descr);
    char canonical[8];
    snprintf(canonical, sizeof canonical, "%c%c%ld", size == 1 ? '|' : '<', kind, size);
    for (size_t i = 0; i < sizeof npy_dtypes / sizeof npy_dtypes[0]; i++) {
        if (strcmp(npy_dtypes[i].descr, canonical) == 0) {
            *type = npy_dtypes[i].type;
            return NULL;
        }
    }
    return cort_error(CORT_INVALID_ARGUMENT, ".npy: dtype '%s' is not supported (only numeric and bool)", descr);
}

/* ------------------------------------------------------------ header parse */

/* A cursor over the header's dict literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } */
typedef struct header_cursor {
    const char *p, *end;
} header_cursor;

static void skip_space(header_cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

static int take_char(header_cursor *c, char ch) {
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

static int peek_char(header_cursor *c, char ch) {
    skip_space(c);
    return c->p < c->end && *c->p == ch;
}

/* A quoted Python string without escapes into buf (size bytes); 0 when malformed or too long. */
static int take_string(header_cursor *c, char *buf, size_t size) {
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return 0;
    char quote = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != quote) {
        if (*c->p == '\\' || n + 1 >= size) return 0;
        buf[n++] = *c->p++;
    }
    if (c->p >= c->end) return 0;
    c->p++;
    buf[n] = 0;
    return 1;
}

static int take_word(header_cursor *c, const char *word) {
    skip_space(c);
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) return 0;
    c->p += n;
    return 1;
}

static int take_dim(header_cursor *c, int64_t *dim) {
    skip_space(c);
    if (c->p >= c->end || *c->p < '0' || *c->p > '9') return 0;
    int64_t v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        int digit = *c->p++ - '0';
        if (v > (INT64_MAX - digit) / 10) return 0;
        v = v * 10 + digit;
    }
    if (c->p < c->end && *c->p == 'L') c->p++; /* Python 2 long suffix in old files */
    *dim = v;
    return 1;
}

/* A tuple of non-negative ints: (), (3,), (2, 3) or (2, 3,). */
static cort_status *take_shape(header_cursor *c, int64_t *dims, int *rank) {
    if (!take_char(c, '(')) return cort_error(CORT_INVALID_ARGUMENT, ".npy: malformed header: shape is not a tuple");
    *rank = 0;
    while (!peek_char(c, ')')) {
        if (*rank >= CORT_MAX_RANK)
            return cort_error(CORT_INVALID_ARGUMENT, ".npy: shape has more than %d dimensions", CORT_MAX_RANK);
        if (!take_dim(c, &dims[*rank]))
            return cort_error(CORT_INVALID_ARGUMENT, ".npy: malformed header: bad dimension in shape");
        (*rank)++;
        if (!take_char(c, ',')) break;
    }
    if (!take_char(c, ')')) return cort_error(CORT_INVALID_ARGUMENT, ".npy: malformed header: unterminated shape");
    return NULL;
}

typedef struct npy_header {
    char descr[32];
    int fortran_order;
    int64_t dims[CORT_MAX_RANK];
    int rank;
} npy_header;

enum { HAS_DESCR = 1, HAS_ORDER = 2, HAS_SHAPE = 4 };

static cort_status *parse_entry(header_cursor *c, npy_header *h, int *seen) {
    char key[32];
    if (!take_string(c, key, sizeof key))
        return cort_error(CORT_INVALID_ARGUMENT, ".npy: malformed header: expected a key");
    if (!take_char(c, ':'))
        return cort_error(CORT_INVALID_ARGUMENT, ".npy: malformed header: expected ':' after '%s'", key);
    if (strcmp(key, "descr") == 0) {
        if (peek_char(c, '['))
            return cort_error(CORT_INVALID_ARGUMENT, ".npy: structured dtypes are not supported");
        if (!take_string(c, h->descr, sizeof h->descr))
            return cort_error(CORT_INVALID_ARGUMENT, ".npy: malformed header: bad descr");
        *seen |= HAS_DESCR;
    } else if (strcmp(key, "fortran_order") == 0) {
        if (take_word(c, "True")) h->fortran_order = 1;
        else if (take_word(c, "False")) h->fortran_order = 0;
        else return cort_error(CORT_INVALID_ARGUMENT, ".npy: malformed header: fortran_order is not True or False");
        *seen |= HAS_ORDER;
    } else if (strcmp(key, "shape") == 0) {
        CORT_TRY(take_shape(c, h->dims, &h->rank));
        *seen |= HAS_SHAPE;
    } else {
        return cort_error(CORT_INVALID_ARGUMENT, ".npy: malformed header: unexpected key '%s'", key);
    }
    return NULL;
}

static cort_status *parse_header(const char *text, size_t len, npy_header *h) {
    header_cursor c = {text, text + len};
    int seen = 0;
    memset(h, 0, sizeof *h);
    if (!take_char(&c, '{')) return cort_error(CORT_INVALID_ARGUMENT, ".npy: malformed header: not a dict");
    while (!peek_char(&c, '}')) {
        CORT_TRY(parse_entry(&c, h, &seen));
        if (!take_char(&c, ',')) break;
    }
    if (!take_char(&c, '}')) return cort_error(CORT_INVALID_ARGUMENT, ".npy: malformed header: unterminated dict");
    if (seen != (HAS_DESCR | HAS_ORDER | HAS_SHAPE))
        return cort_error(CORT_INVALID_ARGUMENT, ".npy: malformed header: needs descr, fortran_order and shape");
    if (h->fortran_order)
        return cort_error(CORT_INVALID_ARGUMENT,
                          ".npy: fortran_order arrays are not supported "
                          "(save a C-ordered array, e.g. with np.ascontiguousarray)");
    return NULL;
}

/* Locates the header text and the element bytes of a .npy image. */
static cort_status *split_file(const unsigned char *bytes, size_t size, const char **header, size_t *header_len,
                               size_t *data_offset) {
    if (!cort_npy_is_npy(bytes, size)) return cort_error(CORT_INVALID_ARGUMENT, ".npy: not a .npy file (bad magic)");
    if (size < 10) return cort_error(CORT_INVALID_ARGUMENT, ".npy: truncated header");
    int major = bytes[6], minor = bytes[7];
    size_t prefix, len;
    if (major == 1) {
        prefix = 10;
        len = (size_t)bytes[8] | (size_t)bytes[9] << 8;
    } else if (major == 2 || major == 3) {
        if (size < 12) return cort_error(CORT_INVALID_ARGUMENT, ".npy: truncated header");
        prefix = 12;
        len = (size_t)bytes[8] | (size_t)bytes[9] << 8 | (size_t)bytes[10] << 16 | (size_t)bytes[11] << 24;
    } else {
        return cort_error(CORT_INVALID_ARGUMENT, ".npy: unsupported format version %d.%d", major, minor);
    }
    if (len > size - prefix)
        return cort_error(CORT_INVALID_ARGUMENT, ".npy: header length %zu exceeds the file (%zu bytes)", len, size);
    *header = (const char *)bytes + prefix;
    *header_len = len;
    *data_offset = prefix + len;
    return NULL;
}

cort_status *cort_npy_read(const void *data, size_t size, cort_value **out) {
    *out = NULL;
    const char *header_text = NULL;
    size_t header_len = 0, offset = 0;
    npy_header h;
    cort_elem_type type = CORT_UNDEFINED;
    CORT_TRY(split_file(data, size, &header_text, &header_len, &offset));
    CORT_TRY(parse_header(header_text, header_len, &h));
    CORT_TRY(dtype_from_descr(h.descr, &type));
    int64_t count = cort_shape_count(h.dims, h.rank);
    if (count < 0) return cort_error(CORT_INVALID_ARGUMENT, ".npy: shape is too large");
    size_t need = (size_t)count * cort_elem_type_size(type);
    size_t have = size - offset;
    if (have != need)
        return cort_error(CORT_INVALID_ARGUMENT, ".npy: shape needs %zu data bytes but the file holds %zu", need, have);
    cort_value *v = NULL;
    CORT_TRY(cort_tensor_create(type, h.dims, (size_t)h.rank, &v));
    unsigned char *dst = cort_tensor_data(v);
    if (need) memcpy(dst, (const unsigned char *)data + offset, need);
    if (type == CORT_BOOL)
        for (size_t i = 0; i < need; i++) dst[i] = dst[i] != 0;
    *out = v;
    return NULL;
}

cort_status *cort_npy_read_file(const char *path, cort_value **out) {
    void *addr = NULL;
    size_t size = 0;
    *out = NULL;
    cort_status *st = cort_map_file(path, &addr, &size);
    if (st) return st;
    st = cort_npy_read(addr, size, out);
    cort_unmap_file(addr, size);
    if (st) return cort_error_wrap(st, "%s: ", path);
    return NULL;
}

/* ------------------------------------------------------------------- write */

/* The header dict for `v`, padded with spaces and ended by '\n' so that the data starts at a
 * multiple of 64 bytes. Returns the header length, 0 if it does not fit in `size`. */
static size_t format_header(const char *descr, const int64_t *dims, size_t rank, size_t prefix, char *buf,
                            size_t size) {
    size_t n = (size_t)snprintf(buf, size, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    for (size_t i = 0; i < rank && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, i ? " %lld," : "%lld,", (long long)dims[i]);
    if (rank > 1 && n < size) n--; /* (2, 3) but (3,) */
    if (n < size) n += (size_t)snprintf(buf + n, size - n, "), }");
    size_t total = (prefix + n + 1 + 63) / 64 * 64 - prefix;
    if (total >= size) return 0;
    memset(buf + n, ' ', total - 1 - n);
    buf[total - 1] = '\n';
    buf[total] = 0;
    return total;
}

cort_status *cort_npy_write(const cort_value *value, void **out, size_t *out_size) {
    *out = NULL;
    *out_size = 0;
    if (cort_value_kind(value) != 1) return cort_error(CORT_INVALID_ARGUMENT, ".npy: only tensors can be written");
    cort_elem_type type = cort_tensor_elem_type(value);
    const char *descr = cort_npy_descr(type);
    if (!descr)
        return cort_error(CORT_INVALID_ARGUMENT, ".npy: element type %s has no .npy equivalent (use --format pb)",
                          cort_elem_type_name(type));
    size_t rank = cort_tensor_rank(value);
    const int64_t *dims = cort_tensor_dims(value);
    char header[CORT_MAX_RANK * 24 + 128];
    size_t prefix = 10;
    size_t len = format_header(descr, dims, rank, prefix, header, sizeof header);
    if (len == 0) return cort_error(CORT_INVALID_ARGUMENT, ".npy: header too long");
    int64_t count = cort_tensor_element_count(value);
    size_t nbytes = (size_t)count * cort_elem_type_size(type);
    unsigned char *buf = malloc(prefix + len + nbytes);
    if (!buf) return cort_oom();
    memcpy(buf, npy_magic, sizeof npy_magic);
    buf[6] = 1;
    buf[7] = 0;
    buf[8] = (unsigned char)(len & 0xff);
    buf[9] = (unsigned char)(len >> 8);
    memcpy(buf + prefix, header, len);
    if (nbytes) memcpy(buf + prefix + len, cort_tensor_data((cort_value *)value), nbytes);
    if (type == CORT_BOOL)
        for (size_t i = 0; i < nbytes; i++) buf[prefix + len + i] = buf[prefix + len + i] != 0;
    *out = buf;
    *out_size = prefix + len + nbytes;
    return NULL;
}

cort_status *cort_npy_write_file(const cort_value *value, const char *path) {
    void *buf = NULL;
    size_t size = 0;
    CORT_TRY(cort_npy_write(value, &buf, &size));
    FILE *f = fopen(path, "wb");
    if (!f) {
        cort_status *st = cort_error(CORT_NO_SUCH_FILE, "%s: cannot create: %s", path, strerror(errno));
        free(buf);
        return st;
    }
    size_t written = fwrite(buf, 1, size, f);
    int closed = fclose(f);
    free(buf);
    if (written != size || closed != 0) return cort_error(CORT_FAIL, "%s: write failed: %s", path, strerror(errno));
    return NULL;
}
