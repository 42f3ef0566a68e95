/* Tensors whose bytes live in a file beside the model (TensorProto.data_location = EXTERNAL).
 * The file is mapped once per model and the tensor points into the mapping. A location must stay
 * inside the model's folder: absolute paths, ".." components and symbolic links leading out are refused. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file_map.h"
#include "onnx/reader.h"

enum { TP_EXTERNAL_DATA = 13, ENTRY_KEY = 1, ENTRY_VALUE = 2 };

typedef struct ext_ref {
    const uint8_t *location;
    size_t location_len;
    uint64_t offset, length;
    bool has_location, has_length;
} ext_ref;

static cort_status *ext_error(const char *tensor, const char *why) {
    return cort_error(CORT_INVALID_PROTOBUF, "tensor '%s': external data %s", tensor, why);
}

static bool parse_u64(const uint8_t *s, size_t len, uint64_t *out) {
    uint64_t v = 0;
    if (!len || len > 20) return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static bool key_is(const cort_pb_field *key, const char *name) {
    return key->len == strlen(name) && !memcmp(key->data, name, key->len);
}

static cort_status *read_entry(const char *tensor, const uint8_t *msg, size_t len, ext_ref *ref) {
    cort_pb_reader r;
    cort_pb_field f, key = {0}, value = {0};
    int rc;
    cort_pb_init(&r, msg, len);
    while ((rc = cort_pb_next(&r, &f)) > 0) {
        if (f.wire != CORT_PB_LEN) continue;
        if (f.number == ENTRY_KEY) key = f;
        else if (f.number == ENTRY_VALUE) value = f;
    }
    if (rc < 0) return ext_error(tensor, "entry is malformed");
    if (key_is(&key, "location")) {
        ref->location = value.data;
        ref->location_len = value.len;
        ref->has_location = true;
    } else if (key_is(&key, "offset")) {
        if (!parse_u64(value.data, value.len, &ref->offset)) return ext_error(tensor, "offset is not a number");
    } else if (key_is(&key, "length")) {
        if (!parse_u64(value.data, value.len, &ref->length)) return ext_error(tensor, "length is not a number");
        ref->has_length = true;
    }
    return NULL;
}

static cort_status *read_ref(const char *tensor, const uint8_t *msg, size_t len, ext_ref *ref) {
    memset(ref, 0, sizeof *ref);
    cort_pb_reader r;
    cort_pb_field f;
    int rc;
    cort_pb_init(&r, msg, len);
    while ((rc = cort_pb_next(&r, &f)) > 0)
        if (f.number == TP_EXTERNAL_DATA && f.wire == CORT_PB_LEN) CORT_TRY(read_entry(tensor, f.data, f.len, ref));
    if (rc < 0) return ext_error(tensor, "reference is malformed");
    if (!ref->has_location || !ref->location_len) return ext_error(tensor, "has no location");
    return NULL;
}

/* A relative path without "." tricks: no leading '/', no ".." component, no NUL. */
static bool location_is_contained(const char *loc, size_t len) {
    if (strlen(loc) != len || loc[0] == '/' || loc[0] == '\\') return false;
    for (const char *p = loc; *p;) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') return false;
        if (memchr(p, '\\', n)) return false;
        p += n;
        if (*p == '/') p++;
    }
    return true;
}

/* True when `path` resolves (symbolic links followed) to somewhere inside `dir`. */
static bool resolves_inside(const char *dir, const char *path) {
    char real_dir[PATH_MAX], real_path[PATH_MAX];
    if (!realpath(dir, real_dir) || !realpath(path, real_path)) return false;
    size_t n = strlen(real_dir);
    if (n == 1 && real_dir[0] == '/') return real_path[0] == '/';
    return !strncmp(real_path, real_dir, n) && real_path[n] == '/';
}

static cort_status *map_ext_file(cort_loader *L, const char *tensor, const char *location, cort_ext_file **out) {
    for (int i = 0; i < L->n_ext_files; i++)
        if (!strcmp(L->ext_files[i].location, location)) {
            *out = &L->ext_files[i];
            return NULL;
        }
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", L->dir, location) >= sizeof path)
        return ext_error(tensor, "path is too long");
    if (!resolves_inside(L->dir, path))
        return cort_error(CORT_INVALID_GRAPH, "tensor '%s': external data file '%s' is missing or outside the model's folder",
                          tensor, location);
    if (L->n_ext_files == L->cap_ext_files) {
        int cap = L->cap_ext_files ? L->cap_ext_files * 2 : 4;
        cort_ext_file *files = realloc(L->ext_files, (size_t)cap * sizeof *files);
        if (!files) return cort_oom();
        L->ext_files = files;
        L->cap_ext_files = cap;
    }
    void *addr;
    size_t size;
    cort_status *st = cort_map_file(path, &addr, &size);
    if (st) return cort_error_wrap(st, "tensor '%s': external data: ", tensor);
    if (addr && (st = cort_model_add_mapping(L->model, addr, size))) {
        cort_unmap_file(addr, size);
        return st;
    }
    cort_ext_file *file = &L->ext_files[L->n_ext_files];
    file->location = cort_pool_strdup(&L->model->pool, location);
    if (!file->location) return cort_oom();
    file->addr = addr;
    file->size = size;
    L->n_ext_files++;
    *out = file;
    return NULL;
}

cort_status *cort_onnx_external_data(void *loader, const char *tensor_name, const uint8_t *msg, size_t len,
                                     size_t nbytes, const uint8_t **data) {
    cort_loader *L = loader;
    ext_ref ref;
    CORT_TRY(read_ref(tensor_name, msg, len, &ref));
    char location[1024];
    if (ref.location_len >= sizeof location) return ext_error(tensor_name, "location is too long");
    memcpy(location, ref.location, ref.location_len);
    location[ref.location_len] = 0;
    if (!location_is_contained(location, ref.location_len))
        return cort_error(CORT_INVALID_GRAPH, "tensor '%s': external data location '%s' leaves the model's folder",
                          tensor_name, location);
    if (ref.has_length && ref.length != nbytes) return ext_error(tensor_name, "length does not match the tensor's shape");
    cort_ext_file *file = NULL;
    CORT_TRY(map_ext_file(L, tensor_name, location, &file));
    if (ref.offset > file->size || nbytes > file->size - ref.offset)
        return ext_error(tensor_name, "offset and length run past the end of the file");
    *data = file->addr ? file->addr + ref.offset : NULL;
    return NULL;
}
