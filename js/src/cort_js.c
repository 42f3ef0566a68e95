/*
 * C glue of the JavaScript package (js/index.js): the few calls JavaScript cannot make directly on the
 * public API. They take no 64-bit integers (which emscripten would split into two arguments) and read
 * cort_io_info's fields so that the JavaScript side need not know the struct's layout. Everything else
 * (runs, tensors, statuses) is called straight from JavaScript through the exported cort_* functions.
 */
#include <cort/cort.h>

#include <stddef.h>
#include <stdint.h>

/* Maps index.js's level numbers (0 disabled, 1 basic, 2 extended, 3 all) onto cort's levels. */
static cort_opt_level cortjs_opt_level(int level)
{
    switch (level) {
    case 0: return CORT_OPT_DISABLE_ALL;
    case 1: return CORT_OPT_BASIC;
    case 2: return CORT_OPT_EXTENDED;
    default: return CORT_OPT_ALL;
    }
}

/* Creates a session from a serialized model; threads <= 0 keeps cort's default. */
cort_status *cortjs_session_create(const void *data, size_t size, int opt_level, int threads,
                                   int log_level, cort_session **out)
{
    cort_session_options *opts = NULL;
    cort_status *st = cort_session_options_create(&opts);
    if (!st)
        st = cort_session_options_set_opt_level(opts, cortjs_opt_level(opt_level));
    if (!st && threads > 0)
        st = cort_session_options_set_threads(opts, threads);
    if (!st && log_level >= 0)
        st = cort_session_options_set_log_level(opts, (cort_log_level)log_level);
    if (!st)
        st = cort_session_create_from_bytes(NULL, data, size, opts, out);
    cort_session_options_free(opts);
    return st;
}

/* The info of input (is_output 0) or output (1) `index`; 0 when it does not exist. */
static int cortjs_io_info(const cort_session *session, int is_output, int index, cort_io_info *info)
{
    if (!session || index < 0)
        return 0;
    cort_status *st = is_output ? cort_session_output_info(session, (size_t)index, info)
                                : cort_session_input_info(session, (size_t)index, info);
    if (st) {
        cort_status_free(st);
        return 0;
    }
    return 1;
}

/* Name of an input or output, owned by the session; NULL past the end. */
const char *cortjs_io_name(const cort_session *session, int is_output, int index)
{
    cort_io_info info;
    return cortjs_io_info(session, is_output, index, &info) ? info.name : NULL;
}

/* Element type (cort_elem_type) of an input or output; 0 when unknown. */
int cortjs_io_elem_type(const cort_session *session, int is_output, int index)
{
    cort_io_info info;
    return cortjs_io_info(session, is_output, index, &info) ? (int)info.elem_type : 0;
}

/* Kind of an input or output: 1 tensor, 2 sequence, 3 optional, 4 map, 0 unknown. */
int cortjs_io_kind(const cort_session *session, int is_output, int index)
{
    cort_io_info info;
    return cortjs_io_info(session, is_output, index, &info) ? info.kind : 0;
}

/* Rank of an input or output; -1 when unknown. */
int cortjs_io_rank(const cort_session *session, int is_output, int index)
{
    cort_io_info info;
    return cortjs_io_info(session, is_output, index, &info) ? info.rank : -1;
}

/* Dimension `axis` of an input or output as a double (exact up to 2^53); -1 for symbolic or unknown. */
double cortjs_io_dim(const cort_session *session, int is_output, int index, int axis)
{
    cort_io_info info;
    if (!cortjs_io_info(session, is_output, index, &info) || axis < 0 || axis >= info.rank)
        return -1;
    return (double)info.dims[axis];
}

/* Symbol of dimension `axis` of an input or output (owned by the session); NULL when it has none. */
const char *cortjs_io_dim_name(const cort_session *session, int is_output, int index, int axis)
{
    cort_io_info info;
    if (!cortjs_io_info(session, is_output, index, &info) || axis < 0 || axis >= info.rank || !info.dim_names)
        return NULL;
    return info.dim_names[axis];
}

/* Sets element `index` of an owned string tensor (the public call takes an int64 index). */
cort_status *cortjs_tensor_set_string(cort_value *value, double index, const char *s, size_t len)
{
    return cort_tensor_set_string(value, (int64_t)index, s, len);
}
