/* Reading and printing single elements of any tensor element type. */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

int cli_type_is_float(cort_elem_type type) {
    return type == CORT_FLOAT || type == CORT_DOUBLE || type == CORT_FLOAT16 || type == CORT_BFLOAT16;
}

int cli_type_is_complex(cort_elem_type type) { return type == CORT_COMPLEX64 || type == CORT_COMPLEX128; }

const void *cli_tensor_bytes(const cort_value *tensor) {
    /* The public accessor is not const-qualified; reading through it does not modify the value. */
    return cort_tensor_data((cort_value *)tensor);
}

int64_t cli_scalar_count(const cort_value *tensor) {
    int64_t n = cort_tensor_element_count(tensor);
    return cli_type_is_complex(cort_tensor_elem_type(tensor)) ? 2 * n : n;
}

double cli_scalar_double(cort_elem_type type, const void *data, int64_t i) {
    switch (type) {
    case CORT_FLOAT: case CORT_COMPLEX64: return ((const float *)data)[i];
    case CORT_DOUBLE: case CORT_COMPLEX128: return ((const double *)data)[i];
    case CORT_FLOAT16: return cort_f16_to_f32(((const uint16_t *)data)[i]);
    case CORT_BFLOAT16: return cort_bf16_to_f32(((const uint16_t *)data)[i]);
    case CORT_UINT8: return ((const uint8_t *)data)[i];
    case CORT_INT8: return ((const int8_t *)data)[i];
    case CORT_UINT16: return ((const uint16_t *)data)[i];
    case CORT_INT16: return ((const int16_t *)data)[i];
    case CORT_INT32: return ((const int32_t *)data)[i];
    case CORT_INT64: return (double)((const int64_t *)data)[i];
    case CORT_UINT32: return ((const uint32_t *)data)[i];
    case CORT_UINT64: return (double)((const uint64_t *)data)[i];
    case CORT_BOOL: return ((const uint8_t *)data)[i] ? 1.0 : 0.0;
    default: return 0.0;
    }
}

const char *cli_format_scalar(cort_elem_type type, const void *data, int64_t i, char *buf, size_t size) {
    switch (type) {
    case CORT_INT64: snprintf(buf, size, "%" PRId64, ((const int64_t *)data)[i]); break;
    case CORT_UINT64: snprintf(buf, size, "%" PRIu64, ((const uint64_t *)data)[i]); break;
    case CORT_BOOL: snprintf(buf, size, "%s", ((const uint8_t *)data)[i] ? "true" : "false"); break;
    case CORT_STRING: {
        const char *s = ((char *const *)data)[i];
        snprintf(buf, size, "\"%.*s%s\"", 40, s ? s : "", s && strlen(s) > 40 ? "..." : "");
        break;
    }
    default:
        if (cli_type_is_float(type) || cli_type_is_complex(type))
            snprintf(buf, size, "%.9g", cli_scalar_double(type, data, i));
        else
            snprintf(buf, size, "%.0f", cli_scalar_double(type, data, i));
        break;
    }
    return buf;
}

const char *cli_format_index(const int64_t *dims, size_t rank, int64_t index, char *buf, size_t size) {
    int64_t coords[CORT_MAX_RANK];
    if (rank > CORT_MAX_RANK) rank = CORT_MAX_RANK;
    for (size_t k = rank; k-- > 0;) {
        coords[k] = dims[k] > 0 ? index % dims[k] : 0;
        index = dims[k] > 0 ? index / dims[k] : 0;
    }
    return cort_shape_str(coords, (int)rank, buf, size);
}

const char *cli_format_value_type(const cort_value *value, char *buf, size_t size) {
    switch (cort_value_kind(value)) {
    case 1: {
        char shape[256];
        cort_shape_str(cort_tensor_dims(value), (int)cort_tensor_rank(value), shape, sizeof shape);
        snprintf(buf, size, "%s%s", cort_elem_type_name(cort_tensor_elem_type(value)), shape);
        break;
    }
    case 2: /* the element type of a sequence has no public accessor */
        snprintf(buf, size, "seq(%s)[%zu]", cort_type_name(value->seq_elem_type), cort_sequence_length(value));
        break;
    case 3: snprintf(buf, size, "none"); break;
    default: snprintf(buf, size, "unknown"); break;
    }
    return buf;
}

static const char *format_io_shape(const cort_io_info *info, char *buf, size_t size) {
    size_t used = (size_t)snprintf(buf, size, "[");
    for (int k = 0; k < info->rank && used < size; k++) {
        const char *sep = k ? "," : "";
        if (info->dims[k] >= 0)
            used += (size_t)snprintf(buf + used, size - used, "%s%lld", sep, (long long)info->dims[k]);
        else if (info->dim_names && info->dim_names[k])
            used += (size_t)snprintf(buf + used, size - used, "%s%s", sep, info->dim_names[k]);
        else
            used += (size_t)snprintf(buf + used, size - used, "%s?", sep);
    }
    if (used < size) snprintf(buf + used, size - used, "]");
    return buf;
}

const char *cli_format_io_type(const cort_io_info *info, char *buf, size_t size) {
    char shape[512] = "";
    if (info->rank >= 0) format_io_shape(info, shape, sizeof shape);
    else snprintf(shape, sizeof shape, "[unknown rank]");
    const char *elem = cort_elem_type_name(info->elem_type);
    switch (info->kind) {
    case 1: snprintf(buf, size, "%s%s", elem, shape); break;
    case 2: snprintf(buf, size, "seq(%s%s)", elem, shape); break;
    case 3: snprintf(buf, size, "optional(%s%s)", elem, shape); break;
    case 4: snprintf(buf, size, "map"); break;
    default: snprintf(buf, size, "unknown"); break;
    }
    return buf;
}
