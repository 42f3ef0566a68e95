/* `cort bench`: load time, first-run time, latency distribution, arena size and peak RSS. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cli.h"

typedef struct bench_args {
    const char *model;
    long warmup, runs, top;
    int json;
    const char *profile; /* Chrome trace written here */
    cli_session_args session;
    cli_feed_args feed;
} bench_args;

typedef struct bench_result {
    double load_ms, first_run_ms, min_ms, median_ms, p90_ms;
    size_t arena_bytes;
    long long peak_rss_bytes;
} bench_result;

static int parse_bench_option(const cli_command *self, int argc, char **argv, int *i, bench_args *a) {
    const char *value = NULL;
    int r = cli_take_session_option(self, argc, argv, i, &a->session);
    if (r) return r < 0 ? CLI_EXIT_USAGE : 0;
    if ((r = cli_take_feed_option(self, argc, argv, i, &a->feed)) != 0) return r < 0 ? CLI_EXIT_USAGE : 0;
    if ((r = cli_take_option(self, argc, argv, i, "--warmup", &value)) != 0)
        return r < 0 ? CLI_EXIT_USAGE : cli_parse_long(self, "--warmup", value, 0, 1000000, &a->warmup);
    if ((r = cli_take_option(self, argc, argv, i, "--runs", &value)) != 0)
        return r < 0 ? CLI_EXIT_USAGE : cli_parse_long(self, "--runs", value, 1, 1000000, &a->runs);
    if ((r = cli_take_option(self, argc, argv, i, "--profile", &a->profile)) != 0) return r < 0 ? CLI_EXIT_USAGE : 0;
    if ((r = cli_take_option(self, argc, argv, i, "--top", &value)) != 0)
        return r < 0 ? CLI_EXIT_USAGE : cli_parse_long(self, "--top", value, 1, 1000000, &a->top);
    if (strcmp(argv[*i], "--json") == 0) {
        a->json = 1;
        return 0;
    }
    return cli_usage_error(self, "unknown option '%s'", argv[*i]);
}

static int parse_bench_args(const cli_command *self, int argc, char **argv, bench_args *a) {
    a->warmup = 3;
    a->runs = 20;
    a->session.opt_level = -1;
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1] != 0) {
            int rc = parse_bench_option(self, argc, argv, &i, a);
            if (rc) return rc;
        } else if (a->model) {
            return cli_usage_error(self, "unexpected argument '%s'", argv[i]);
        } else {
            a->model = argv[i];
        }
    }
    if (!a->model) return cli_usage_error(self, "missing MODEL");
    if (a->profile || a->top) a->session.profile_prefix = "cort_bench_profile";
    return 0;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* The model bound to its inputs, ready to be run again and again. */
typedef struct bench_model {
    cort_session *session;
    cli_feed feed;
    size_t n_outputs;
    const char **output_names;
    cort_value **outputs;
} bench_model;

static void bench_model_free(bench_model *m) {
    for (size_t k = 0; m->outputs && k < m->n_outputs; k++) cort_value_free(m->outputs[k]);
    free(m->outputs);
    free(m->output_names);
    cli_feed_free(&m->feed);
    cort_session_free(m->session);
}

static cort_status *prepare_outputs(bench_model *m) {
    m->n_outputs = cort_session_output_count(m->session);
    m->output_names = calloc(m->n_outputs ? m->n_outputs : 1, sizeof *m->output_names);
    m->outputs = calloc(m->n_outputs ? m->n_outputs : 1, sizeof *m->outputs);
    if (!m->output_names || !m->outputs) return cort_oom();
    for (size_t k = 0; k < m->n_outputs; k++) {
        cort_io_info info;
        CORT_TRY(cort_session_output_info(m->session, k, &info));
        m->output_names[k] = info.name;
    }
    return NULL;
}

/* One timed run; the outputs it creates are freed so each run allocates the same way. */
static cort_status *timed_run(bench_model *m, double *ms) {
    double t0 = now_ms();
    cort_status *st = cort_session_run(m->session, NULL, m->feed.names, (const cort_value *const *)m->feed.values,
                                       m->feed.n, m->output_names, m->n_outputs, m->outputs);
    *ms = now_ms() - t0;
    for (size_t k = 0; k < m->n_outputs; k++) {
        cort_value_free(m->outputs[k]);
        m->outputs[k] = NULL;
    }
    return st ? cort_error_wrap(st, "run: ") : NULL;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void summarize_latency(double *ms, size_t n, bench_result *r) {
    qsort(ms, n, sizeof *ms, compare_doubles);
    r->min_ms = ms[0];
    r->median_ms = n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
    size_t rank = (size_t)((double)n * 0.9 + 0.999999); /* nearest-rank p90 */
    r->p90_ms = ms[(rank ? rank : 1) - 1];
}

static cort_status *measure(const bench_args *a, bench_model *m, bench_result *r) {
    double t0 = now_ms();
    CORT_TRY(cli_open_session(a->model, &a->session, &m->session)); /* load errors name the file */
    r->load_ms = now_ms() - t0;
    CORT_TRY(prepare_outputs(m));
    CORT_TRY(cli_build_feed(m->session, &a->feed, &m->feed));
    CORT_TRY(timed_run(m, &r->first_run_ms));
    double ignored;
    for (long i = 0; i < a->warmup; i++) CORT_TRY(timed_run(m, &ignored));
    cort_status *st = NULL;
    double *ms = malloc((size_t)a->runs * sizeof *ms);
    if (!ms) return cort_oom();
    for (long i = 0; !st && i < a->runs; i++) st = timed_run(m, &ms[i]);
    if (!st) summarize_latency(ms, (size_t)a->runs, r);
    free(ms);
    if (st) return st;
    r->arena_bytes = cort_session_arena_bytes(m->session);
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) r->peak_rss_bytes = (long long)ru.ru_maxrss * 1024; /* Linux: KiB */
    return NULL;
}

static int by_time_desc(const void *a, const void *b) {
    double x = ((const cort_node_profile *)a)->total_ms, y = ((const cort_node_profile *)b)->total_ms;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The K nodes that took longest over the profiled runs, with their share of all node time. */
static cort_status *print_top_nodes(cort_session *s, long k, FILE *f) {
    cort_node_profile *nodes = NULL;
    size_t n = 0;
    CORT_TRY(cort_session_profile_nodes(s, &nodes, &n));
    double total = 0;
    for (size_t i = 0; i < n; i++) total += nodes[i].total_ms;
    qsort(nodes, n, sizeof *nodes, by_time_desc);
    fprintf(f, "top %ld nodes (of %zu; times per call, over every profiled run):\n", k, n);
    fprintf(f, "  %-8s %-6s %-22s %s\n", "ms/call", "share", "op", "node");
    for (size_t i = 0; i < n && i < (size_t)k; i++) {
        double per_call = nodes[i].calls ? nodes[i].total_ms / (double)nodes[i].calls : 0;
        fprintf(f, "  %-8.3f %5.1f%% %-22s %s\n", per_call, total > 0 ? 100.0 * nodes[i].total_ms / total : 0,
                nodes[i].op_type, nodes[i].name);
    }
    free(nodes);
    return NULL;
}

/* The session names its trace file; move it where --profile asked. */
static cort_status *write_profile(cort_session *s, const char *dest) {
    const char *path = NULL;
    CORT_TRY(cort_session_end_profiling(s, &path));
    if (rename(path, dest) != 0) return cort_error(CORT_FAIL, "cannot move the profile %s to %s", path, dest);
    return NULL;
}

static cort_status *report_profile(const bench_args *a, cort_session *s) {
    FILE *f = a->json ? stderr : stdout; /* --json keeps stdout to its one line */
    if (a->top) CORT_TRY(print_top_nodes(s, a->top, f));
    if (a->profile) CORT_TRY(write_profile(s, a->profile));
    return NULL;
}

static void print_result(const bench_args *a, const bench_result *r) {
    if (a->json) {
        printf("{\"load_ms\":%.3f,\"first_run_ms\":%.3f,\"min_ms\":%.3f,\"median_ms\":%.3f,\"p90_ms\":%.3f,"
               "\"arena_bytes\":%zu,\"peak_rss_bytes\":%lld}\n",
               r->load_ms, r->first_run_ms, r->min_ms, r->median_ms, r->p90_ms, r->arena_bytes, r->peak_rss_bytes);
        return;
    }
    printf("model:      %s\n", a->model);
    printf("load:       %.3f ms\n", r->load_ms);
    printf("first run:  %.3f ms\n", r->first_run_ms);
    printf("latency:    min %.3f ms, median %.3f ms, p90 %.3f ms (%ld runs after %ld warmup)\n", r->min_ms,
           r->median_ms, r->p90_ms, a->runs, a->warmup);
    printf("arena:      %zu bytes (%.1f MiB)\n", r->arena_bytes, (double)r->arena_bytes / 1048576.0);
    printf("peak RSS:   %lld bytes (%.1f MiB)\n", r->peak_rss_bytes, (double)r->peak_rss_bytes / 1048576.0);
}

int cli_bench_main(const cli_command *self, int argc, char **argv) {
    bench_args *a = calloc(1, sizeof *a);
    if (!a) return cli_fail(self, "out of memory");
    int rc = parse_bench_args(self, argc, argv, a);
    if (rc == 0) {
        bench_model m = {0};
        bench_result r = {0};
        cort_status *st = measure(a, &m, &r);
        if (!st) print_result(a, &r);
        if (!st && (a->profile || a->top)) st = report_profile(a, m.session);
        bench_model_free(&m);
        if (st) rc = cli_fail_status(self, st, NULL);
    }
    cli_feed_args_free(&a->feed);
    free(a);
    return rc;
}
