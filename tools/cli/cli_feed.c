/* Input values for run and bench: files named on the command line, or seeded random data. */
#include <stdlib.h>
#include <string.h>

#include "base/file_map.h"
#include "cli.h"
#include "ir/ir.h"
#include "npy.h"
#include "onnx/onnx.h"

int cli_parse_assign(const cli_command *cmd, const char *opt, const char *arg, cli_assign *out) {
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) return cli_usage_error(cmd, "%s expects NAME=VALUE, got '%s'", opt, arg);
    char *name = malloc((size_t)(eq - arg) + 1);
    if (!name) return cli_usage_error(cmd, "out of memory");
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = 0;
    out->name = name;
    out->text = eq + 1;
    return 0;
}

static int take_assign(const cli_command *cmd, const char *opt, const char *value, cli_assign *list, size_t *n) {
    if (*n >= CLI_MAX_ASSIGNS) {
        cli_usage_error(cmd, "too many %s options", opt);
        return -1;
    }
    if (cli_parse_assign(cmd, opt, value, &list[*n])) return -1;
    (*n)++;
    return 1;
}

int cli_take_feed_option(const cli_command *cmd, int argc, char **argv, int *i, cli_feed_args *args) {
    const char *value = NULL;
    int r;
    if ((r = cli_take_option(cmd, argc, argv, i, "--input", &value)) != 0)
        return r < 0 ? -1 : take_assign(cmd, "--input", value, args->inputs, &args->n_inputs);
    if ((r = cli_take_option(cmd, argc, argv, i, "--shape", &value)) != 0)
        return r < 0 ? -1 : take_assign(cmd, "--shape", value, args->shapes, &args->n_shapes);
    if ((r = cli_take_option(cmd, argc, argv, i, "--seed", &value)) != 0)
        return r < 0 || cli_parse_long(cmd, "--seed", value, 0, 0x7fffffffL, &args->seed) ? -1 : 1;
    return 0;
}

void cli_feed_args_free(cli_feed_args *args) {
    for (size_t i = 0; i < args->n_inputs; i++) free((char *)args->inputs[i].name);
    for (size_t i = 0; i < args->n_shapes; i++) free((char *)args->shapes[i].name);
    args->n_inputs = args->n_shapes = 0;
}

void cli_feed_free(cli_feed *feed) {
    for (size_t i = 0; i < feed->n; i++) cort_value_free(feed->values[i]);
    free(feed->values);
    free(feed->names);
    memset(feed, 0, sizeof *feed);
}

cort_status *cli_feed_add(cli_feed *feed, const char *name, cort_value *value) {
    const char **names = realloc(feed->names, (feed->n + 1) * sizeof *names);
    if (names) feed->names = names;
    cort_value **values = realloc(feed->values, (feed->n + 1) * sizeof *values);
    if (values) feed->values = values;
    if (!names || !values) {
        cort_value_free(value);
        return cort_oom();
    }
    feed->names[feed->n] = name;
    feed->values[feed->n] = value;
    feed->n++;
    return NULL;
}

/* The IR type a value file is read as, from what the session says about the input or output.
 * An optional's payload is told apart by the file itself. */
static void expected_type(const cort_io_info *info, cort_type *type, cort_type *inner) {
    memset(type, 0, sizeof *type);
    memset(inner, 0, sizeof *inner);
    cort_type_set_tensor(inner, info->elem_type, -1, NULL);
    if (info->kind == 2 || info->kind == 3) {
        type->kind = info->kind == 2 ? CORT_TYPE_SEQUENCE : CORT_TYPE_OPTIONAL;
        type->inner = inner;
    } else {
        cort_type_set_tensor(type, info->elem_type, -1, NULL);
    }
}

static cort_status *read_pb_value(const void *data, size_t size, const cort_io_info *info, cort_value **out) {
    cort_type type, inner;
    cort_value *v = calloc(1, sizeof *v);
    if (!v) return cort_oom();
    if (info) expected_type(info, &type, &inner);
    cort_status *st = cort_onnx_read_value(data, size, info ? &type : NULL, v);
    if (st) {
        cort_value_free(v);
        return st;
    }
    /* NumPy has no bfloat16, so the ONNX backend tests store bfloat16 data as uint16 tensors of the
     * same bits: read them as the type the model declares. */
    if (info && info->kind == 1 && info->elem_type == CORT_BFLOAT16 && v->kind == CORT_VALUE_TENSOR &&
        v->t.type == CORT_UINT16)
        v->t.type = CORT_BFLOAT16;
    *out = v;
    return NULL;
}

cort_status *cli_read_value_file(const char *path, const cort_io_info *info, cort_value **out) {
    void *addr = NULL;
    size_t size = 0;
    *out = NULL;
    CORT_TRY(cort_map_file(path, &addr, &size));
    cort_status *st = cort_npy_is_npy(addr, size) ? cort_npy_read(addr, size, out)
                                                  : read_pb_value(addr, size, info, out);
    cort_unmap_file(addr, size);
    if (st) return cort_error_wrap(st, "%s: ", path);
    return NULL;
}

cort_status *cli_parse_shape(const char *text, int64_t *dims, int *rank) {
    *rank = 0;
    const char *p = text;
    while (*p) {
        if (*rank >= CORT_MAX_RANK)
            return cort_error(CORT_INVALID_ARGUMENT, "shape '%s' has more than %d dimensions", text, CORT_MAX_RANK);
        char *end = NULL;
        if (*p < '0' || *p > '9')
            return cort_error(CORT_INVALID_ARGUMENT, "bad shape '%s': expected e.g. 1x3x224x224", text);
        long long v = strtoll(p, &end, 10);
        if (v < 0 || v > CORT_MAX_ELEMENTS)
            return cort_error(CORT_INVALID_ARGUMENT, "bad dimension in shape '%s'", text);
        dims[(*rank)++] = v;
        p = end;
        if (*p == 'x' || *p == ',') {
            p++;
            if (!*p) return cort_error(CORT_INVALID_ARGUMENT, "bad shape '%s': ends with a separator", text);
        } else if (*p) {
            return cort_error(CORT_INVALID_ARGUMENT, "bad shape '%s': expected e.g. 1x3x224x224", text);
        }
    }
    if (cort_shape_count(dims, *rank) < 0) return cort_error(CORT_INVALID_ARGUMENT, "shape '%s' is too large", text);
    return NULL;
}

/* splitmix64: a small, seedable generator whose state the caller keeps. */
static uint64_t next_random(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double random_unit(uint64_t *state) { return (double)(next_random(state) >> 11) * (1.0 / 9007199254740992.0); }

static void fill_random(cort_elem_type type, void *data, int64_t count, uint64_t *rng) {
    for (int64_t i = 0; i < count; i++) {
        double u = random_unit(rng);
        int bit = (int)(next_random(rng) & 1);
        switch (type) {
        case CORT_FLOAT: ((float *)data)[i] = (float)u; break;
        case CORT_DOUBLE: ((double *)data)[i] = u; break;
        case CORT_FLOAT16: ((uint16_t *)data)[i] = cort_f32_to_f16((float)u); break;
        case CORT_BFLOAT16: ((uint16_t *)data)[i] = cort_f32_to_bf16((float)u); break;
        case CORT_COMPLEX64: ((float *)data)[2 * i] = (float)u; ((float *)data)[2 * i + 1] = 0; break;
        case CORT_COMPLEX128: ((double *)data)[2 * i] = u; ((double *)data)[2 * i + 1] = 0; break;
        case CORT_UINT8: case CORT_INT8: case CORT_BOOL: ((uint8_t *)data)[i] = (uint8_t)bit; break;
        case CORT_UINT16: case CORT_INT16: ((uint16_t *)data)[i] = (uint16_t)bit; break;
        case CORT_UINT32: case CORT_INT32: ((uint32_t *)data)[i] = (uint32_t)bit; break;
        case CORT_UINT64: case CORT_INT64: ((uint64_t *)data)[i] = (uint64_t)bit; break;
        default: return; /* strings stay empty */
        }
    }
}

/* A one-item sequence holding a copy of `item` (which is freed). The public API cannot build
 * sequences, so this fills the value struct of base/tensor.h directly. */
static cort_status *wrap_in_sequence(cort_value *item, cort_value **out) {
    cort_value *seq = calloc(1, sizeof *seq);
    cort_value *items = calloc(1, sizeof *items);
    cort_status *st = seq && items ? cort_value_copy(items, item) : cort_oom();
    if (!st) {
        seq->kind = CORT_VALUE_SEQUENCE;
        seq->seq_elem_type = item->t.type;
        seq->seq_len = 1;
        seq->seq = items;
        *out = seq;
    } else {
        free(items);
        free(seq);
    }
    cort_value_free(item);
    return st;
}

cort_status *cli_random_tensor(const cort_io_info *info, const int64_t *override_dims, int override_rank,
                               uint64_t *rng, cort_value **out) {
    int64_t dims[CORT_MAX_RANK];
    int rank;
    *out = NULL;
    if (info->kind != 1 && info->kind != 2)
        return cort_error(CORT_INVALID_ARGUMENT, "input '%s' is not a tensor; give it with --input %s=FILE", info->name,
                          info->name);
    if (!cort_elem_type_valid(info->elem_type))
        return cort_error(CORT_INVALID_ARGUMENT, "input '%s' has an unknown element type; give it with --input",
                          info->name);
    if (override_dims) {
        if (info->rank >= 0 && override_rank != info->rank)
            return cort_error(CORT_INVALID_ARGUMENT, "--shape for '%s' has rank %d but the model says %d", info->name,
                              override_rank, info->rank);
        rank = override_rank;
        memcpy(dims, override_dims, (size_t)rank * sizeof dims[0]);
    } else {
        if (info->rank < 0)
            return cort_error(CORT_INVALID_ARGUMENT, "input '%s' has unknown rank; give its shape with --shape %s=DIMS",
                              info->name, info->name);
        if (info->rank > CORT_MAX_RANK)
            return cort_error(CORT_INVALID_ARGUMENT, "input '%s' has too many dimensions", info->name);
        rank = info->rank;
        for (int k = 0; k < rank; k++) dims[k] = info->dims[k] >= 0 ? info->dims[k] : 1;
    }
    if (cort_shape_count(dims, rank) < 0)
        return cort_error(CORT_INVALID_ARGUMENT, "input '%s' is too large", info->name);
    cort_value *v = NULL;
    CORT_TRY(cort_tensor_create(info->elem_type, dims, (size_t)rank, &v));
    fill_random(info->elem_type, cort_tensor_data(v), cort_tensor_element_count(v), rng);
    if (info->kind == 2) return wrap_in_sequence(v, out);
    *out = v;
    return NULL;
}

/* The index of the session input called `name`, or an error listing the inputs there are. */
static cort_status *find_input(cort_session *session, const char *name, size_t *index) {
    size_t n = cort_session_input_count(session);
    char names[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        cort_io_info info;
        CORT_TRY(cort_session_input_info(session, i, &info));
        if (strcmp(info.name, name) == 0) {
            *index = i;
            return NULL;
        }
        if (used < sizeof names)
            used += (size_t)snprintf(names + used, sizeof names - used, "%s'%s'", i ? ", " : "", info.name);
    }
    return cort_error(CORT_INVALID_ARGUMENT, "the model has no input named '%s' (inputs: %s)", name,
                      n ? names : "none");
}

/* Per-input choices made on the command line. */
typedef struct input_plan {
    const char *file;
    int has_shape;
    int rank;
    int64_t dims[CORT_MAX_RANK];
} input_plan;

static cort_status *plan_inputs(cort_session *session, const cli_assign *files, size_t n_files,
                                const cli_assign *shapes, size_t n_shapes, input_plan *plan) {
    for (size_t k = 0; k < n_files; k++) {
        size_t i = 0;
        CORT_TRY(find_input(session, files[k].name, &i));
        plan[i].file = files[k].text;
    }
    for (size_t k = 0; k < n_shapes; k++) {
        size_t i = 0;
        CORT_TRY(find_input(session, shapes[k].name, &i));
        cort_status *st = cli_parse_shape(shapes[k].text, plan[i].dims, &plan[i].rank);
        if (st) return cort_error_wrap(st, "--shape %s: ", shapes[k].name);
        plan[i].has_shape = 1;
    }
    return NULL;
}

static cort_status *feed_one_input(cort_session *session, size_t i, const input_plan *plan, uint64_t *rng,
                                   cli_feed *feed) {
    cort_io_info info;
    cort_value *v = NULL;
    CORT_TRY(cort_session_input_info(session, i, &info));
    if (plan->file) {
        CORT_TRY(cli_read_value_file(plan->file, &info, &v));
        return cli_feed_add(feed, info.name, v);
    }
    /* Initializer defaults and absent optionals are left to the model. */
    if (info.has_default || info.kind == 3) return NULL;
    CORT_TRY(cli_random_tensor(&info, plan->has_shape ? plan->dims : NULL, plan->rank, rng, &v));
    return cli_feed_add(feed, info.name, v);
}

cort_status *cli_build_feed(cort_session *session, const cli_feed_args *args, cli_feed *feed) {
    size_t n = cort_session_input_count(session);
    memset(feed, 0, sizeof *feed);
    input_plan *plan = calloc(n ? n : 1, sizeof *plan);
    if (!plan) return cort_oom();
    uint64_t rng = (uint64_t)args->seed;
    cort_status *st = plan_inputs(session, args->inputs, args->n_inputs, args->shapes, args->n_shapes, plan);
    for (size_t i = 0; !st && i < n; i++) st = feed_one_input(session, i, &plan[i], &rng, feed);
    free(plan);
    if (st) cli_feed_free(feed);
    return st;
}
