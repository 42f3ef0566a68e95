/*
 * cort — an ONNX inference runtime in C.
 *
 * This is the only public header. Every function that can fail returns a
 * `cort_status *`: NULL on success, otherwise an object holding an error code
 * and a message that the caller frees with cort_status_free(). Handles are
 * opaque; each has a matching *_free function that accepts NULL.
 *
 * Thread-safety: a session may be shared by any number of threads calling
 * cort_session_run() at once; each run uses its own context. Environments,
 * options and values are not synchronised: do not mutate one from two threads.
 */
#ifndef CORT_CORT_H
#define CORT_CORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(CORT_SHARED_BUILD)
#define CORT_API __declspec(dllexport)
#elif defined(__GNUC__)
#define CORT_API __attribute__((visibility("default")))
#else
#define CORT_API
#endif

#define CORT_VERSION_MAJOR 0
#define CORT_VERSION_MINOR 1
#define CORT_VERSION_PATCH 0
/** The version this header describes, e.g. "0.1.0". */
#define CORT_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------ status */

/** Error codes; the names follow ONNX Runtime's OrtErrorCode. */
typedef enum cort_code {
    CORT_OK = 0,
    CORT_FAIL = 1,
    CORT_INVALID_ARGUMENT = 2,
    CORT_NO_SUCH_FILE = 3,
    CORT_NO_MODEL = 4,
    CORT_ENGINE_ERROR = 5,
    CORT_RUNTIME_EXCEPTION = 6,
    CORT_INVALID_PROTOBUF = 7,
    CORT_MODEL_LOADED = 8,
    CORT_NOT_IMPLEMENTED = 9,
    CORT_INVALID_GRAPH = 10,
    CORT_OUT_OF_MEMORY = 11
} cort_code;

typedef struct cort_status cort_status;

/** The code of a status; CORT_OK for NULL. */
CORT_API cort_code cort_status_code(const cort_status *status);
/** The message of a status (never NULL; "" for NULL status). Valid until the status is freed. */
CORT_API const char *cort_status_message(const cort_status *status);
/** Frees a status returned by any cort function. Accepts NULL. */
CORT_API void cort_status_free(cort_status *status);

/** Version of the linked library, e.g. "0.1.0". */
CORT_API const char *cort_version(void);

/* ------------------------------------------------------------ element types */

/** Tensor element types; the numbers are ONNX's TensorProto.DataType. */
typedef enum cort_elem_type {
    CORT_UNDEFINED = 0,
    CORT_FLOAT = 1,
    CORT_UINT8 = 2,
    CORT_INT8 = 3,
    CORT_UINT16 = 4,
    CORT_INT16 = 5,
    CORT_INT32 = 6,
    CORT_INT64 = 7,
    CORT_STRING = 8,
    CORT_BOOL = 9,
    CORT_FLOAT16 = 10,
    CORT_DOUBLE = 11,
    CORT_UINT32 = 12,
    CORT_UINT64 = 13,
    CORT_COMPLEX64 = 14,
    CORT_COMPLEX128 = 15,
    CORT_BFLOAT16 = 16
} cort_elem_type;

/** Lower-case ONNX-style name of an element type ("float", "int64", ...). */
CORT_API const char *cort_elem_type_name(cort_elem_type type);
/** Size in bytes of one element (for CORT_STRING, the size of a `char *`); 0 if unknown. */
CORT_API size_t cort_elem_type_size(cort_elem_type type);

/* -------------------------------------------------------------- environment */

typedef enum cort_log_level {
    CORT_LOG_VERBOSE = 0,
    CORT_LOG_INFO = 1,
    CORT_LOG_WARNING = 2,
    CORT_LOG_ERROR = 3,
    CORT_LOG_FATAL = 4
} cort_log_level;

/** An environment holds process-wide settings (logging). Sessions reference it. */
typedef struct cort_env cort_env;

/** Creates an environment logging messages at `level` and above to stderr. */
CORT_API cort_status *cort_env_create(cort_log_level level, const char *log_id, cort_env **out);
/** Frees an environment. All its sessions must be freed first. Accepts NULL. */
CORT_API void cort_env_free(cort_env *env);

/* ---------------------------------------------------------- session options */

/** Graph optimization levels, as ONNX Runtime's GraphOptimizationLevel. */
typedef enum cort_opt_level {
    CORT_OPT_DISABLE_ALL = 0,
    CORT_OPT_BASIC = 1,
    CORT_OPT_EXTENDED = 2,
    CORT_OPT_ALL = 99
} cort_opt_level;

typedef struct cort_session_options cort_session_options;

/** Creates options with defaults: threads 0 (one per physical core), CORT_OPT_ALL, warnings logged. */
CORT_API cort_status *cort_session_options_create(cort_session_options **out);
CORT_API void cort_session_options_free(cort_session_options *opts);
/** Intra-op threads; 0 picks the number of physical cores, 1 runs everything on the caller's thread. */
CORT_API cort_status *cort_session_options_set_threads(cort_session_options *opts, int threads);
/** Graph optimization level (see cort_opt_level). */
CORT_API cort_status *cort_session_options_set_opt_level(cort_session_options *opts, cort_opt_level level);
/** Minimum severity of messages the session logs. */
CORT_API cort_status *cort_session_options_set_log_level(cort_session_options *opts, cort_log_level level);

/**
 * Records the start and duration of every node of every run (like ONNX Runtime's profiler).
 * cort_session_end_profiling() then writes them as a Chrome trace ("chrome://tracing", Perfetto) to
 * "<file_prefix>_<timestamp>.json". NULL or "" turns profiling off.
 */
CORT_API cort_status *cort_session_options_enable_profiling(cort_session_options *opts, const char *file_prefix);

/**
 * After graph optimization, saves the optimized model as ONNX at `path` (like ONNX Runtime's
 * optimized_model_filepath). NULL or "" turns saving off.
 */
CORT_API cort_status *cort_session_options_set_optimized_model_path(cort_session_options *opts, const char *path);

/* ------------------------------------------------------------------ session */

typedef struct cort_session cort_session;

/**
 * Loads the ONNX model at `path` (memory-mapped, external data resolved relative to its folder),
 * checks it, and prepares it for running. `env` and `opts` may be NULL for defaults.
 */
CORT_API cort_status *cort_session_create(cort_env *env, const char *path,
                                          const cort_session_options *opts, cort_session **out);
/**
 * As cort_session_create, from a serialized model in memory. The bytes are copied only where
 * needed; the caller may free them after the call returns. External data is not allowed.
 */
CORT_API cort_status *cort_session_create_from_bytes(cort_env *env, const void *data, size_t size,
                                                     const cort_session_options *opts,
                                                     cort_session **out);
/** Frees a session. No run may be in progress. Accepts NULL. */
CORT_API void cort_session_free(cort_session *session);

/** Number of graph inputs the caller may feed (initializers listed as inputs included). */
CORT_API size_t cort_session_input_count(const cort_session *session);
/** Number of graph outputs. */
CORT_API size_t cort_session_output_count(const cort_session *session);

/** Description of one graph input or output. Strings are owned by the session. */
typedef struct cort_io_info {
    const char *name;
    int kind;                  /**< 1 tensor, 2 sequence, 3 optional, 4 map, 0 unknown */
    cort_elem_type elem_type;  /**< element type of the tensor (or of the sequence's tensors) */
    int rank;                  /**< -1 when the rank is unknown */
    const int64_t *dims;       /**< `rank` entries; -1 for a symbolic or unknown dimension */
    const char *const *dim_names; /**< `rank` entries; the symbol of a symbolic dim, else NULL */
    int has_default;           /**< 1 for an initializer listed among the inputs (may be omitted) */
} cort_io_info;

/** Fills `info` for input `index`. */
CORT_API cort_status *cort_session_input_info(const cort_session *session, size_t index,
                                              cort_io_info *info);
/** Fills `info` for output `index`. */
CORT_API cort_status *cort_session_output_info(const cort_session *session, size_t index,
                                               cort_io_info *info);

/** Model metadata strings (owned by the session; "" when absent). */
typedef struct cort_model_meta {
    const char *producer_name;
    const char *producer_version;
    const char *domain;
    const char *graph_name;
    const char *description;
    int64_t version;
    int64_t ir_version;
    size_t n_custom;               /**< metadata_props entries */
    const char *const *custom_keys;
    const char *const *custom_values;
} cort_model_meta;

CORT_API cort_status *cort_session_model_meta(const cort_session *session, cort_model_meta *meta);

/** Bytes of the largest intermediate arena planned so far (0 before the first run). */
CORT_API size_t cort_session_arena_bytes(const cort_session *session);

/** Time spent in one node over the runs profiled so far. */
typedef struct cort_node_profile {
    const char *name;     /**< node name (owned by the session) */
    const char *op_type;
    double total_ms;      /**< summed over every run */
    int64_t calls;
} cort_node_profile;

/**
 * Per-node totals of the runs profiled so far, one entry per node of the main graph in execution order.
 * `*nodes` is malloc'ed; free it with free(). Fails unless profiling was enabled.
 */
CORT_API cort_status *cort_session_profile_nodes(cort_session *session, cort_node_profile **nodes, size_t *n);
/**
 * Writes the trace of the runs profiled so far and stops profiling. `*path` (owned by the session, valid
 * until it is freed) receives the file written.
 */
CORT_API cort_status *cort_session_end_profiling(cort_session *session, const char **path);

/* ------------------------------------------------------------------- values */

/** A value: a tensor, a sequence of tensors, or an empty optional. */
typedef struct cort_value cort_value;

/**
 * Wraps caller memory as a tensor without copying. `data` must stay valid and unchanged while the
 * value is used; `nbytes` must equal the element count times the element size.
 * String tensors cannot be views; use cort_tensor_create and cort_tensor_set_string.
 */
CORT_API cort_status *cort_tensor_create_view(cort_elem_type type, const int64_t *dims, size_t rank,
                                              void *data, size_t nbytes, cort_value **out);
/** Creates a tensor owning zero-filled memory (64-byte aligned). */
CORT_API cort_status *cort_tensor_create(cort_elem_type type, const int64_t *dims, size_t rank,
                                         cort_value **out);
/** Frees a value and any memory it owns. Accepts NULL. */
CORT_API void cort_value_free(cort_value *value);

/** 1 tensor, 2 sequence, 3 empty optional. */
CORT_API int cort_value_kind(const cort_value *value);
/** Element type of a tensor value. */
CORT_API cort_elem_type cort_tensor_elem_type(const cort_value *value);
/** Rank of a tensor value. */
CORT_API size_t cort_tensor_rank(const cort_value *value);
/** Dimensions of a tensor value (`rank` entries, owned by the value). */
CORT_API const int64_t *cort_tensor_dims(const cort_value *value);
/** Number of elements of a tensor value. */
CORT_API int64_t cort_tensor_element_count(const cort_value *value);
/** The element buffer; for strings an array of NUL-terminated `char *`. */
CORT_API void *cort_tensor_data(cort_value *value);
/** Sets element `index` of an owned string tensor to a copy of `len` bytes of `s`. */
CORT_API cort_status *cort_tensor_set_string(cort_value *value, int64_t index, const char *s,
                                             size_t len);
/** Number of tensors in a sequence value. */
CORT_API size_t cort_sequence_length(const cort_value *value);
/** Borrowed view of tensor `index` of a sequence (valid while the sequence lives). */
CORT_API cort_status *cort_sequence_at(const cort_value *value, size_t index, const cort_value **out);

/**
 * Parses a serialized ONNX TensorProto (a test-data `.pb` file) into an owned tensor.
 * `name_out`, if non-NULL, receives a malloc'ed copy of its name (free with free()).
 */
CORT_API cort_status *cort_tensor_from_pb(const void *data, size_t size, cort_value **out,
                                          char **name_out);
/** Serializes a tensor as an ONNX TensorProto named `name`; *out is malloc'ed (free with free()). */
CORT_API cort_status *cort_tensor_to_pb(const cort_value *value, const char *name, void **out,
                                        size_t *out_size);

/* ---------------------------------------------------------------------- run */

typedef struct cort_run_options cort_run_options;

CORT_API cort_status *cort_run_options_create(cort_run_options **out);
CORT_API void cort_run_options_free(cort_run_options *opts);
/** Asks runs using these options to stop at the next node boundary with a CORT_FAIL status. */
CORT_API void cort_run_options_set_terminate(cort_run_options *opts, int terminate);

/**
 * Runs the model. Inputs are matched by name; omitted inputs that have a default (an initializer)
 * use it. For each requested output, `outputs[i]` may be NULL, in which case the run creates a value
 * the caller frees, or a tensor the caller created (e.g. a view over its own buffer) with the
 * expected type and shape, into which the result is written. On failure no caller-provided
 * output is left partly written unless the error happened while writing it, and created outputs are
 * freed and reset to NULL. Safe to call from several threads at once on one session.
 */
CORT_API cort_status *cort_session_run(cort_session *session, const cort_run_options *run_opts,
                                       const char *const *input_names,
                                       const cort_value *const *inputs, size_t n_inputs,
                                       const char *const *output_names, size_t n_outputs,
                                       cort_value **outputs);

#ifdef __cplusplus
}
#endif
#endif /* CORT_CORT_H */
