/* Sessions: a loaded model prepared into flat step lists (one per graph and subgraph), and runs over
 * them. Everything decided at load lives in cort_exec_graph; everything a run mutates lives in its
 * run context and frames, so concurrent runs share only read-only data. */
#ifndef CORT_EXEC_EXEC_H
#define CORT_EXEC_EXEC_H
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/threadpool.h"
#include "ir/ir.h"
#include "ops/op.h"
#include "opt/opt.h"

typedef struct cort_step {
    const cort_node *node;
    const cort_op_def *def;
    void *params;
    const void *state;
    int *release;        /* values whose last reader is this step: freed after it */
    int n_release;
} cort_step;

typedef struct cort_exec_graph cort_exec_graph;

typedef struct cort_subgraph_link {
    const cort_graph *graph;
    cort_exec_graph *exec;
} cort_subgraph_link;

struct cort_exec_graph {
    const cort_graph *graph;
    const cort_exec_graph *parent;
    cort_step *steps; /* one per node, in topological order */
    int n_steps;
    int *outer_ids;   /* per value flagged OUTER: its id in the defining enclosing graph, else -1 */
    int *outer_depth; /* per value flagged OUTER: how many graphs up that enclosing graph is */
    int *def_step;    /* per value: the step defining it, -1 for inputs/initializers/outer */
    int *last_step;   /* per value: the last step reading it (n_steps for graph outputs), -1 if unread */
    cort_subgraph_link *children;
    int n_children;
};

/* A cached arena plan for one signature of input shapes. */
typedef struct cort_plan {
    char *signature;
    size_t arena_bytes;
    size_t *offsets; /* per value of the top graph: arena offset, or SIZE_MAX when not planned */
    size_t *sizes;   /* per value: planned bytes */
    unsigned long last_used;
} cort_plan;

#define CORT_PLAN_CACHE 8

typedef struct cort_run_ctx cort_run_ctx;

typedef struct cort_io_entry {
    int value_id;
    cort_io_info info;
    int64_t *dims;
    const char **dim_names;
} cort_io_entry;

/* One node execution, as the profiler records it. */
typedef struct cort_trace_event {
    int step;
    int tid;
    double start_us, dur_us;
} cort_trace_event;

typedef struct cort_profiler {
    bool on;
    char *file_prefix;
    char *path;              /* the file end_profiling wrote */
    double origin_us;        /* session creation: trace timestamps are relative to it */
    cort_trace_event *events;
    size_t n_events, cap_events;
    double *step_total_ms;   /* per main-graph step */
    int64_t *step_calls;
} cort_profiler;

struct cort_session {
    cort_model *model;
    cort_exec_graph *main;
    cort_pool pool; /* parsed params, packed state, metadata */
    int threads;
    int opt_level;
    int log_level;
    cort_threadpool *threadpool;
    cort_io_entry *inputs, *outputs;
    int n_inputs, n_outputs;
    /* shared mutable state, under `lock` */
    pthread_mutex_t lock;
    cort_plan plans[CORT_PLAN_CACHE];
    unsigned long plan_clock;
    size_t max_arena;
    cort_run_ctx *idle; /* run contexts kept for reuse (a stack) */
    cort_opt_stats opt_stats;
    cort_profiler prof; /* under `lock` */
    int n_run_ctx;
};

struct cort_session_options {
    char *profile_prefix;
    char *optimized_path;
    int threads;
    int opt_level;
    int log_level;
};

struct cort_run_options {
    volatile int terminate;
};

/* src/exec/session.c */
/* Takes ownership of `model` (freed on failure too). */
cort_status *cort_session_prepare(cort_model *model, const cort_session_options *opts, cort_session **out);
void cort_session_release(cort_session *s);
/* Chooses the kernel of st->node, parses its attributes, infers its output types and (with `prepare`)
 * prepares its state. */
cort_status *cort_step_bind(cort_session *s, cort_graph *g, cort_step *st, bool prepare);
/* Runs one bound step outside any graph run (constant folding): `outputs` are n_outputs zeroed values. */
cort_status *cort_eval_step(cort_session *s, const cort_step *st, const cort_value *const *inputs, cort_value *outputs);
/* Microseconds from a monotonic clock. */
double cort_now_us(void);

/* src/exec/profile.c */
cort_status *cort_profiler_init(cort_profiler *p, const char *prefix, int n_steps);
void cort_profiler_free(cort_profiler *p);
void cort_profiler_record(cort_session *s, const cort_trace_event *events, size_t n);
cort_status *cort_profiler_nodes(cort_session *s, cort_node_profile **out, size_t *n);
cort_status *cort_profiler_write(cort_session *s, const char **path);

/* src/exec/run.c */
cort_status *cort_session_execute(cort_session *s, const cort_run_options *ro, const char *const *input_names,
                                  const cort_value *const *inputs, size_t n_inputs,
                                  const char *const *output_names, size_t n_outputs, cort_value **outputs);
void cort_run_ctx_free(cort_run_ctx *rc);
#endif
