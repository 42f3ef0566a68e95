/* Sessions end to end on a model built in memory: run, bound outputs, argument errors that leave the
 * caller's data alone, arena planning per input shape, and 8 threads running one session at once. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "graph_builder.h"

enum { COLS = 3 };

/* Z = Transpose(Relu(Add(X, W))) with X [N, 3] (N symbolic) and W a [1, 3] initializer. */
static cort_model *make_model(void) {
    cort_model *m = gb_model(13, "test");
    if (!m) return NULL;
    cort_graph *g = m->graph;
    static const int64_t xd[2] = {-1, COLS};
    int x = gb_float_input(m, "X", 2, xd, "N"), w = cort_graph_value(g, "W"), s = cort_graph_value(g, "S");
    int r = cort_graph_value(g, "R"), z = cort_graph_value(g, "Z");
    cort_tensor *wt = cort_pool_alloc(&m->pool, sizeof *wt);
    float *wdata = cort_pool_calloc(&m->pool, COLS, sizeof(float));
    for (int i = 0; i < COLS; i++) wdata[i] = (float)i - 1.0f;
    *wt = (cort_tensor){.type = CORT_FLOAT, .rank = 2, .dims = {1, COLS}, .data = wdata};
    g->values[w].init = wt;
    g->values[w].flags |= CORT_VF_INITIALIZER;
    cort_type_set_tensor(&g->values[w].type, CORT_FLOAT, -1, NULL);
    cort_node *add = cort_graph_add_node(g, "Add", "", "add", 2, 1, 0);
    add->inputs[0] = x, add->inputs[1] = w, add->outputs[0] = s;
    cort_node *relu = cort_graph_add_node(g, "Relu", "", "relu", 1, 1, 0);
    relu->inputs[0] = s, relu->outputs[0] = r;
    cort_node *tr = cort_graph_add_node(g, "Transpose", "", "transpose", 1, 1, 0);
    tr->inputs[0] = r, tr->outputs[0] = z;
    for (int i = 0; i < g->n_nodes; i++) g->nodes[i]->opset = 13;
    cort_graph_add_output(g, z);
    if (cort_graph_check_and_sort(g)) return NULL;
    return m;
}

static float expected(const float *x, int n, int row_out, int col_out) {
    /* Z[j][i] = relu(X[i][j] + W[j]) */
    (void)n;
    float v = x[col_out * COLS + row_out] + ((float)row_out - 1.0f);
    return v > 0 ? v : 0;
}

static int run_once(cort_session *s, const float *x, int n, float *z) {
    int64_t dims[2] = {n, COLS};
    cort_value *in = NULL, *out = NULL;
    const char *in_name = "X", *out_name = "Z";
    cort_status *st = cort_tensor_create_view(CORT_FLOAT, dims, 2, (void *)x, sizeof(float) * (size_t)n * COLS, &in);
    if (!st) st = cort_session_run(s, NULL, &in_name, (const cort_value *const *)&in, 1, &out_name, 1, &out);
    int ok = !st && cort_tensor_rank(out) == 2 && cort_tensor_dims(out)[0] == COLS && cort_tensor_dims(out)[1] == n;
    if (ok) memcpy(z, cort_tensor_data(out), sizeof(float) * (size_t)n * COLS);
    if (st) fprintf(stderr, "run failed: %s\n", cort_status_message(st));
    cort_status_free(st);
    cort_value_free(in);
    cort_value_free(out);
    return ok;
}

static int matches(const float *x, int n, const float *z) {
    for (int j = 0; j < COLS; j++)
        for (int i = 0; i < n; i++)
            if (z[j * n + i] != expected(x, n, j, i)) return 0;
    return 1;
}

static void check_runs_and_plans(cort_session *s) {
    float x[5 * COLS], z[5 * COLS];
    for (int i = 0; i < 5 * COLS; i++) x[i] = (float)(i % 7) - 3.0f;
    for (int n = 1; n <= 5; n += 2) {
        CHECK(run_once(s, x, n, z) && matches(x, n, z));
        size_t arena = cort_session_arena_bytes(s);
        CHECK(arena > 0);
        CHECK(run_once(s, x, n, z) && matches(x, n, z)); /* second run: planned arena */
        CHECK(cort_session_arena_bytes(s) == arena || n > 1);
    }
}

static void check_bound_output(cort_session *s) {
    float x[2 * COLS] = {1, -2, 3, -4, 5, -6}, z[2 * COLS] = {0};
    int64_t xd[2] = {2, COLS}, zd[2] = {COLS, 2};
    cort_value *in = NULL, *out = NULL;
    const char *in_name = "X", *out_name = "Z";
    CHECK_OK(cort_tensor_create_view(CORT_FLOAT, xd, 2, x, sizeof x, &in));
    CHECK_OK(cort_tensor_create_view(CORT_FLOAT, zd, 2, z, sizeof z, &out));
    cort_value *outs[1] = {out};
    CHECK_OK(cort_session_run(s, NULL, &in_name, (const cort_value *const *)&in, 1, &out_name, 1, outs));
    CHECK(outs[0] == out);
    CHECK(matches(x, 2, z));
    cort_value_free(in);
    cort_value_free(out);
}

static void expect_invalid(cort_session *s, const char *name, cort_elem_type type, int rank) {
    float x[COLS] = {1, 2, 3}, copy[COLS];
    memcpy(copy, x, sizeof x);
    int64_t dims[3] = {1, COLS, 1};
    cort_value *in = NULL, *out = NULL;
    const char *out_name = "Z";
    CHECK_OK(cort_tensor_create_view(type, dims, (size_t)rank, x,
                                     cort_elem_type_size(type) * COLS, &in));
    cort_status *st = cort_session_run(s, NULL, &name, (const cort_value *const *)&in, 1, &out_name, 1, &out);
    CHECK(cort_status_code(st) == CORT_INVALID_ARGUMENT);
    CHECK(strlen(cort_status_message(st)) > 10);
    CHECK(out == NULL);
    CHECK(!memcmp(x, copy, sizeof x));
    cort_status_free(st);
    cort_value_free(in);
}

static void check_errors(cort_session *s) {
    expect_invalid(s, "nope", CORT_FLOAT, 2);
    expect_invalid(s, "X", CORT_INT32, 2);
    expect_invalid(s, "X", CORT_FLOAT, 3);
    const char *out_name = "Z";
    cort_value *out = NULL;
    cort_status *st = cort_session_run(s, NULL, NULL, NULL, 0, &out_name, 1, &out);
    CHECK(cort_status_code(st) == CORT_INVALID_ARGUMENT); /* X is required */
    cort_status_free(st);
}

typedef struct worker {
    cort_session *s;
    int id, ok;
} worker;

static void *worker_main(void *arg) {
    worker *w = arg;
    w->ok = 1;
    for (int r = 0; r < 100; r++) {
        int n = 1 + (w->id + r) % 4;
        float x[4 * COLS], z[4 * COLS];
        for (int i = 0; i < n * COLS; i++) x[i] = (float)((i * 7 + w->id * 13 + r) % 11) - 5.0f;
        w->ok &= run_once(w->s, x, n, z) && matches(x, n, z);
    }
    return NULL;
}

static void check_concurrent_runs(cort_session *s) {
    pthread_t t[8];
    worker w[8];
    for (int i = 0; i < 8; i++) {
        w[i] = (worker){s, i, 0};
        pthread_create(&t[i], NULL, worker_main, &w[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        CHECK(w[i].ok);
    }
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = calloc(1, 1 << 16);
    if (buf) fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    return buf;
}

static void check_profiling(void) {
    cort_session_options *opts = NULL;
    CHECK_OK(cort_session_options_create(&opts));
    CHECK_OK(cort_session_options_enable_profiling(opts, "/tmp/cort_test_session_profile"));
    cort_session *s = NULL;
    CHECK_OK(cort_session_prepare(make_model(), opts, &s));
    cort_session_options_free(opts);
    if (!s) return;
    float x[2 * COLS] = {1, 2, 3, 4, 5, 6}, z[2 * COLS];
    CHECK(run_once(s, x, 2, z) && run_once(s, x, 2, z));
    cort_node_profile *nodes = NULL;
    size_t n = 0;
    CHECK_OK(cort_session_profile_nodes(s, &nodes, &n));
    CHECK(n == 3);
    for (size_t i = 0; i < n && nodes; i++) CHECK(nodes[i].calls == 2 && nodes[i].total_ms >= 0);
    CHECK(nodes && !strcmp(nodes[1].op_type, "Relu") && !strcmp(nodes[1].name, "relu"));
    free(nodes);
    const char *path = NULL;
    CHECK_OK(cort_session_end_profiling(s, &path));
    char *trace = path ? read_file(path) : NULL;
    CHECK(trace && trace[0] == '[' && strstr(trace, "\"name\":\"relu\"") && strstr(trace, "\"op_name\":\"Transpose\""));
    int events = 0;
    for (const char *p = trace; p && (p = strstr(p, "\"ph\":\"X\"")); p++) events++;
    CHECK(events == 6);
    free(trace);
    if (path) remove(path);
    cort_session_free(s);
}

int main(void) {
    check_profiling();
    for (int threads = 1; threads <= 2; threads++) {
        cort_model *m = make_model();
        CHECK(m != NULL);
        if (!m) break;
        cort_session_options *opts = NULL;
        CHECK_OK(cort_session_options_create(&opts));
        CHECK_OK(cort_session_options_set_threads(opts, threads));
        cort_session *s = NULL;
        CHECK_OK(cort_session_prepare(m, opts, &s));
        cort_session_options_free(opts);
        if (!s) break;
        CHECK(cort_session_input_count(s) == 1 && cort_session_output_count(s) == 1);
        cort_io_info info;
        CHECK_OK(cort_session_input_info(s, 0, &info));
        CHECK(!strcmp(info.name, "X") && info.elem_type == CORT_FLOAT && info.rank == 2);
        CHECK(info.dims[0] == -1 && info.dim_names[0] && !strcmp(info.dim_names[0], "N") && info.dims[1] == COLS);
        check_runs_and_plans(s);
        check_bound_output(s);
        check_errors(s);
        check_concurrent_runs(s);
        cort_session_free(s);
    }
    return check_report("test_session");
}
