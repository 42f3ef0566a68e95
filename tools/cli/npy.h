/* NumPy .npy files (format versions 1, 2 and 3) as cort tensors: little-endian numeric and bool
 * dtypes, C order only. See numpy/lib/format.py for the layout: magic, version, header length, a
 * Python dict literal padded to a multiple of 64 bytes, then the raw elements. */
#ifndef CORT_CLI_NPY_H
#define CORT_CLI_NPY_H
#include <stddef.h>

#include "cort/cort.h"

/* True when `data` starts with the .npy magic string. */
int cort_npy_is_npy(const void *data, size_t size);

/* Parses a whole .npy file image into a new tensor value the caller frees. */
cort_status *cort_npy_read(const void *data, size_t size, cort_value **out);
cort_status *cort_npy_read_file(const char *path, cort_value **out);

/* The .npy descr ("<f4", "|b1", ...) of an element type, or NULL when .npy has none. */
const char *cort_npy_descr(cort_elem_type type);

/* Serializes a tensor value as a version 1 .npy image (the header of any rank <= 16 fits);
 * *out is malloc'ed and freed by the caller. */
cort_status *cort_npy_write(const cort_value *value, void **out, size_t *out_size);
cort_status *cort_npy_write_file(const cort_value *value, const char *path);

#endif
