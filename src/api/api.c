/* The public C API: argument checks and translation onto the session and value layers. */
#include <stdlib.h>
#include <string.h>

#include "cort/cort.h"
#include "exec/exec.h"
#include "onnx/onnx.h"

#define REQUIRE(cond, what)                                                        \
    do {                                                                           \
        if (!(cond)) return cort_error(CORT_INVALID_ARGUMENT, "%s: %s", __func__, what); \
    } while (0)

struct cort_env {
    cort_log_level level;
};

/* ---------------------------------------------------------------- environment */

CORT_API cort_status *cort_env_create(cort_log_level level, const char *log_id, cort_env **out) {
    REQUIRE(out, "out is NULL");
    *out = NULL;
    REQUIRE(level >= CORT_LOG_VERBOSE && level <= CORT_LOG_FATAL, "log level out of range");
    cort_env *env = calloc(1, sizeof *env);
    if (!env) return cort_oom();
    env->level = level;
    (void)log_id;
    *out = env;
    return NULL;
}

CORT_API void cort_env_free(cort_env *env) { free(env); }

/* ---------------------------------------------------------------- options */

CORT_API cort_status *cort_session_options_create(cort_session_options **out) {
    REQUIRE(out, "out is NULL");
    *out = calloc(1, sizeof **out);
    if (!*out) return cort_oom();
    (*out)->opt_level = CORT_OPT_ALL;
    (*out)->log_level = CORT_LOG_WARNING;
    return NULL;
}

CORT_API void cort_session_options_free(cort_session_options *opts) {
    if (opts) {
        free(opts->profile_prefix);
        free(opts->optimized_path);
    }
    free(opts);
}

CORT_API cort_status *cort_session_options_set_optimized_model_path(cort_session_options *opts, const char *path) {
    REQUIRE(opts, "options are NULL");
    free(opts->optimized_path);
    opts->optimized_path = NULL;
    if (!path || !*path) return NULL;
    opts->optimized_path = strdup(path);
    return opts->optimized_path ? NULL : cort_oom();
}

CORT_API cort_status *cort_session_options_enable_profiling(cort_session_options *opts, const char *file_prefix) {
    REQUIRE(opts, "options are NULL");
    free(opts->profile_prefix);
    opts->profile_prefix = NULL;
    if (!file_prefix || !*file_prefix) return NULL;
    opts->profile_prefix = strdup(file_prefix);
    return opts->profile_prefix ? NULL : cort_oom();
}

CORT_API cort_status *cort_session_options_set_threads(cort_session_options *opts, int threads) {
    REQUIRE(opts, "options are NULL");
    REQUIRE(threads >= 0 && threads <= 1024, "threads must be in [0, 1024]");
    opts->threads = threads;
    return NULL;
}

CORT_API cort_status *cort_session_options_set_opt_level(cort_session_options *opts, cort_opt_level level) {
    REQUIRE(opts, "options are NULL");
    REQUIRE(level == CORT_OPT_DISABLE_ALL || level == CORT_OPT_BASIC || level == CORT_OPT_EXTENDED ||
                level == CORT_OPT_ALL,
            "unknown optimization level");
    opts->opt_level = level;
    return NULL;
}

CORT_API cort_status *cort_session_options_set_log_level(cort_session_options *opts, cort_log_level level) {
    REQUIRE(opts, "options are NULL");
    REQUIRE(level >= CORT_LOG_VERBOSE && level <= CORT_LOG_FATAL, "log level out of range");
    opts->log_level = level;
    return NULL;
}

/* ---------------------------------------------------------------- sessions */

/* The session logs at the more verbose of its options' level and its environment's. */
static cort_session_options effective_options(const cort_env *env, const cort_session_options *opts) {
    cort_session_options o = {.opt_level = CORT_OPT_ALL, .log_level = CORT_LOG_WARNING};
    if (opts) o = *opts;
    if (env && (int)env->level < o.log_level) o.log_level = (int)env->level;
    return o;
}

CORT_API cort_status *cort_session_create(cort_env *env, const char *path, const cort_session_options *opts,
                                          cort_session **out) {
    REQUIRE(out, "out is NULL");
    *out = NULL;
    REQUIRE(path, "path is NULL");
    cort_model *model = NULL;
    CORT_TRY(cort_onnx_load_file(path, &model));
    cort_session_options o = effective_options(env, opts);
    return cort_session_prepare(model, &o, out);
}

CORT_API cort_status *cort_session_create_from_bytes(cort_env *env, const void *data, size_t size,
                                                     const cort_session_options *opts, cort_session **out) {
    REQUIRE(out, "out is NULL");
    *out = NULL;
    REQUIRE(data || size == 0, "data is NULL");
    cort_model *model = NULL;
    CORT_TRY(cort_onnx_load_bytes(data, size, &model));
    cort_session_options o = effective_options(env, opts);
    return cort_session_prepare(model, &o, out);
}

CORT_API void cort_session_free(cort_session *session) { cort_session_release(session); }

CORT_API size_t cort_session_input_count(const cort_session *session) {
    return session ? (size_t)session->n_inputs : 0;
}

CORT_API size_t cort_session_output_count(const cort_session *session) {
    return session ? (size_t)session->n_outputs : 0;
}

CORT_API cort_status *cort_session_input_info(const cort_session *session, size_t index, cort_io_info *info) {
    REQUIRE(session && info, "session or info is NULL");
    REQUIRE(index < (size_t)session->n_inputs, "input index out of range");
    *info = session->inputs[index].info;
    return NULL;
}

CORT_API cort_status *cort_session_output_info(const cort_session *session, size_t index, cort_io_info *info) {
    REQUIRE(session && info, "session or info is NULL");
    REQUIRE(index < (size_t)session->n_outputs, "output index out of range");
    *info = session->outputs[index].info;
    return NULL;
}

CORT_API cort_status *cort_session_model_meta(const cort_session *session, cort_model_meta *meta) {
    REQUIRE(session && meta, "session or meta is NULL");
    const cort_model *m = session->model;
    *meta = (cort_model_meta){
        .producer_name = m->producer_name ? m->producer_name : "",
        .producer_version = m->producer_version ? m->producer_version : "",
        .domain = m->domain ? m->domain : "",
        .graph_name = m->graph && m->graph->name ? m->graph->name : "",
        .description = m->doc_string ? m->doc_string : "",
        .version = m->model_version,
        .ir_version = m->ir_version,
        .n_custom = (size_t)m->n_meta,
        .custom_keys = m->meta_keys,
        .custom_values = m->meta_values,
    };
    return NULL;
}

CORT_API size_t cort_session_arena_bytes(const cort_session *session) {
    if (!session) return 0;
    cort_session *s = (cort_session *)session;
    pthread_mutex_lock(&s->lock);
    size_t bytes = s->max_arena;
    pthread_mutex_unlock(&s->lock);
    return bytes;
}

CORT_API cort_status *cort_session_profile_nodes(cort_session *session, cort_node_profile **nodes, size_t *n) {
    REQUIRE(session && nodes && n, "session, nodes or n is NULL");
    return cort_profiler_nodes(session, nodes, n);
}

CORT_API cort_status *cort_session_end_profiling(cort_session *session, const char **path) {
    REQUIRE(session && path, "session or path is NULL");
    return cort_profiler_write(session, path);
}

/* ---------------------------------------------------------------- values */

static cort_status *check_shape(cort_elem_type type, const int64_t *dims, size_t rank) {
    REQUIRE(cort_elem_size((int32_t)type) != 0, "unsupported element type");
    REQUIRE(rank <= CORT_MAX_RANK, "rank exceeds the supported maximum");
    REQUIRE(dims || rank == 0, "dims is NULL");
    REQUIRE(cort_shape_count(dims, (int)rank) >= 0, "negative dimension or too many elements");
    return NULL;
}

CORT_API cort_status *cort_tensor_create_view(cort_elem_type type, const int64_t *dims, size_t rank, void *data,
                                              size_t nbytes, cort_value **out) {
    REQUIRE(out, "out is NULL");
    *out = NULL;
    CORT_TRY(check_shape(type, dims, rank));
    REQUIRE(type != CORT_STRING, "string tensors cannot be views; use cort_tensor_create");
    size_t need = (size_t)cort_shape_count(dims, (int)rank) * cort_elem_size((int32_t)type);
    if (nbytes != need)
        return cort_error(CORT_INVALID_ARGUMENT, "cort_tensor_create_view: buffer has %zu bytes, the shape needs %zu",
                          nbytes, need);
    REQUIRE(data || need == 0, "data is NULL");
    cort_value *v = calloc(1, sizeof *v);
    if (!v) return cort_oom();
    v->kind = CORT_VALUE_TENSOR;
    v->t.type = (int32_t)type;
    v->t.rank = (int32_t)rank;
    if (rank) memcpy(v->t.dims, dims, rank * sizeof *dims);
    v->t.data = data;
    *out = v;
    return NULL;
}

CORT_API cort_status *cort_tensor_create(cort_elem_type type, const int64_t *dims, size_t rank, cort_value **out) {
    REQUIRE(out, "out is NULL");
    *out = NULL;
    CORT_TRY(check_shape(type, dims, rank));
    cort_value *v = calloc(1, sizeof *v);
    if (!v) return cort_oom();
    cort_status *st = cort_value_alloc_tensor(v, (int32_t)type, (int)rank, dims);
    if (st) {
        free(v);
        return st;
    }
    *out = v;
    return NULL;
}

CORT_API void cort_value_free(cort_value *value) {
    if (!value) return;
    cort_value_clear(value);
    free(value);
}

CORT_API int cort_value_kind(const cort_value *value) { return value ? (int)value->kind : 0; }

CORT_API cort_elem_type cort_tensor_elem_type(const cort_value *value) {
    return value && value->kind == CORT_VALUE_TENSOR ? (cort_elem_type)value->t.type : CORT_UNDEFINED;
}

CORT_API size_t cort_tensor_rank(const cort_value *value) {
    return value && value->kind == CORT_VALUE_TENSOR ? (size_t)value->t.rank : 0;
}

CORT_API const int64_t *cort_tensor_dims(const cort_value *value) {
    return value && value->kind == CORT_VALUE_TENSOR ? value->t.dims : NULL;
}

CORT_API int64_t cort_tensor_element_count(const cort_value *value) {
    return value && value->kind == CORT_VALUE_TENSOR ? cort_tensor_count(&value->t) : 0;
}

CORT_API void *cort_tensor_data(cort_value *value) {
    return value && value->kind == CORT_VALUE_TENSOR ? value->t.data : NULL;
}

CORT_API cort_status *cort_tensor_set_string(cort_value *value, int64_t index, const char *s, size_t len) {
    REQUIRE(value && (s || len == 0), "value or string is NULL");
    return cort_value_set_string(value, index, s ? s : "", len);
}

CORT_API size_t cort_sequence_length(const cort_value *value) {
    return value && value->kind == CORT_VALUE_SEQUENCE ? (size_t)value->seq_len : 0;
}

CORT_API cort_status *cort_sequence_at(const cort_value *value, size_t index, const cort_value **out) {
    REQUIRE(value && out, "value or out is NULL");
    REQUIRE(value->kind == CORT_VALUE_SEQUENCE, "value is not a sequence");
    REQUIRE(index < (size_t)value->seq_len, "index out of range");
    *out = &value->seq[index];
    return NULL;
}

CORT_API cort_status *cort_tensor_from_pb(const void *data, size_t size, cort_value **out, char **name_out) {
    REQUIRE(out, "out is NULL");
    *out = NULL;
    if (name_out) *name_out = NULL;
    REQUIRE(data || size == 0, "data is NULL");
    cort_value *v = calloc(1, sizeof *v);
    if (!v) return cort_oom();
    cort_status *st = cort_onnx_read_tensor(data, size, v, name_out);
    if (st) {
        free(v);
        return st;
    }
    *out = v;
    return NULL;
}

CORT_API cort_status *cort_tensor_to_pb(const cort_value *value, const char *name, void **out, size_t *out_size) {
    REQUIRE(value && out && out_size, "value, out or out_size is NULL");
    REQUIRE(value->kind == CORT_VALUE_TENSOR, "value is not a tensor");
    return cort_onnx_write_tensor(&value->t, name ? name : "", out, out_size);
}

/* ---------------------------------------------------------------- runs */

CORT_API cort_status *cort_run_options_create(cort_run_options **out) {
    REQUIRE(out, "out is NULL");
    *out = calloc(1, sizeof **out);
    return *out ? NULL : cort_oom();
}

CORT_API void cort_run_options_free(cort_run_options *opts) { free(opts); }

CORT_API void cort_run_options_set_terminate(cort_run_options *opts, int terminate) {
    if (opts) opts->terminate = terminate;
}

CORT_API cort_status *cort_session_run(cort_session *session, const cort_run_options *run_opts,
                                       const char *const *input_names, const cort_value *const *inputs,
                                       size_t n_inputs, const char *const *output_names, size_t n_outputs,
                                       cort_value **outputs) {
    REQUIRE(session, "session is NULL");
    REQUIRE(inputs || n_inputs == 0, "inputs is NULL");
    return cort_session_execute(session, run_opts, input_names, inputs, n_inputs, output_names, n_outputs, outputs);
}
