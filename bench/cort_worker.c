/*
 * Long-lived cort side of bench/compare: loads one model through the public API, then runs it on
 * command from stdin, so that the driver can alternate runs with an ONNX Runtime worker.
 *
 *   cort_worker MODEL THREADS WARMUP [INPUT_K.pb ...]
 *
 * Protocol (one line each way; the driver reads stdout):
 *   startup       -> "ready {json: create_ms, first_run_ms, base_rss_kb}"  or "error MESSAGE"
 *   "run N\n"     -> "times T1 T2 ... TN" (ms of each cort_session_run)  or "error MESSAGE"
 *   "quit\n"      -> "done {json: peak_rss_kb, base_rss_kb}" and exit
 * The K-th .pb file feeds the K-th input that has no default (as in ONNX backend test folders).
 * Memory is measured in-process: the RSS before the model is loaded is this bare process's baseline
 * (libcort linked, nothing loaded), and VmHWM at the end is its peak.
 */
#define _GNU_SOURCE
#include <cort/cort.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_INPUTS 64

typedef struct worker {
    cort_env *env;
    cort_session *session;
    size_t n_inputs, n_outputs;
    const char *input_names[MAX_INPUTS];
    cort_value *inputs[MAX_INPUTS];
    char *pb_names[MAX_INPUTS];
    const char **output_names;
    cort_value **outputs;
} worker;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A field of /proc/self/status in kB, or -1 when it cannot be read. */
static long proc_status_kb(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    size_t len = strlen(field);
    long kb = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, field, len) == 0 && line[len] == ':') {
            kb = strtol(line + len + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

/* Prints "error ..." for the driver (newlines flattened so the reply stays one line). */
static int report_error(const char *what, cort_status *st) {
    char msg[1024];
    snprintf(msg, sizeof msg, "%s: %s", what, st ? cort_status_message(st) : "failed");
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    printf("error %s\n", msg);
    fflush(stdout);
    cort_status_free(st);
    return 1;
}

static cort_status *read_pb(const char *path, cort_value **out, char **name) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    cort_status *st = NULL;
    char *buf = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)size + 1)) != NULL &&
        fread(buf, 1, (size_t)size, f) == (size_t)size)
        st = cort_tensor_from_pb(buf, (size_t)size, out, name);
    free(buf);
    fclose(f);
    return st;
}

static int load_inputs(worker *w, int n_files, char **files) {
    size_t k = 0;
    for (size_t i = 0; i < cort_session_input_count(w->session) && k < (size_t)n_files; i++) {
        cort_io_info info;
        cort_status *st = cort_session_input_info(w->session, i, &info);
        if (st) return report_error("input info", st);
        if (info.has_default) continue;
        if (k >= MAX_INPUTS) return report_error("too many inputs", NULL);
        w->inputs[k] = NULL;
        st = read_pb(files[k], &w->inputs[k], &w->pb_names[k]);
        if (st || !w->inputs[k]) return report_error(files[k], st);
        w->input_names[k] = info.name;
        k++;
    }
    w->n_inputs = k;
    return 0;
}

static int prepare_outputs(worker *w) {
    w->n_outputs = cort_session_output_count(w->session);
    w->output_names = calloc(w->n_outputs ? w->n_outputs : 1, sizeof *w->output_names);
    w->outputs = calloc(w->n_outputs ? w->n_outputs : 1, sizeof *w->outputs);
    if (!w->output_names || !w->outputs) return report_error("out of memory", NULL);
    for (size_t i = 0; i < w->n_outputs; i++) {
        cort_io_info info;
        cort_status *st = cort_session_output_info(w->session, i, &info);
        if (st) return report_error("output info", st);
        w->output_names[i] = info.name;
    }
    return 0;
}

/* One timed run; the outputs the run creates are freed outside the timed part. */
static int run_once(worker *w, double *ms) {
    for (size_t i = 0; i < w->n_outputs; i++) w->outputs[i] = NULL;
    double t0 = now_ms();
    cort_status *st = cort_session_run(w->session, NULL, w->input_names,
                                       (const cort_value *const *)w->inputs, w->n_inputs,
                                       w->output_names, w->n_outputs, w->outputs);
    *ms = now_ms() - t0;
    for (size_t i = 0; i < w->n_outputs; i++) cort_value_free(w->outputs[i]);
    return st ? report_error("run", st) : 0;
}

static int create_session(worker *w, const char *model, int threads, double *create_ms) {
    cort_session_options *opts = NULL;
    cort_status *st = cort_env_create(CORT_LOG_ERROR, "bench", &w->env);
    if (!st) st = cort_session_options_create(&opts);
    if (!st) st = cort_session_options_set_threads(opts, threads);
    if (!st) st = cort_session_options_set_opt_level(opts, CORT_OPT_ALL);
    if (!st) st = cort_session_options_set_log_level(opts, CORT_LOG_ERROR);
    double t0 = now_ms();
    if (!st) st = cort_session_create(w->env, model, opts, &w->session);
    *create_ms = now_ms() - t0;
    cort_session_options_free(opts);
    return st ? report_error("session create", st) : 0;
}

/* The input names as a JSON array (so that the driver can pass them to `cort bench --input`). */
static void print_input_names(const worker *w) {
    printf("[");
    for (size_t i = 0; i < w->n_inputs; i++) {
        printf("%s\"", i ? ", " : "");
        for (const char *p = w->input_names[i]; *p; p++) {
            if (*p == '"' || *p == '\\') putchar('\\');
            if ((unsigned char)*p >= 0x20) putchar(*p);
        }
        printf("\"");
    }
    printf("]");
}

static int serve(worker *w) {
    char line[128];
    while (fgets(line, sizeof line, stdin)) {
        int n = 0;
        if (strncmp(line, "quit", 4) == 0) break;
        if (sscanf(line, "run %d", &n) != 1 || n < 1 || n > 100000) {
            printf("error bad command\n");
            fflush(stdout);
            continue;
        }
        printf("times");
        for (int i = 0; i < n; i++) {
            double ms;
            if (run_once(w, &ms)) return 1;
            printf(" %.4f", ms);
        }
        printf("\n");
        fflush(stdout);
    }
    return 0;
}

static void worker_free(worker *w) {
    for (size_t i = 0; i < w->n_inputs; i++) {
        cort_value_free(w->inputs[i]);
        free(w->pb_names[i]);
    }
    free(w->output_names);
    free(w->outputs);
    cort_session_free(w->session);
    cort_env_free(w->env);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: cort_worker MODEL THREADS WARMUP [INPUT_K.pb ...]\n");
        return 2;
    }
    long base_kb = proc_status_kb("VmRSS");
    int threads = atoi(argv[2]), warmup = atoi(argv[3]);
    worker w;
    memset(&w, 0, sizeof w);
    double create_ms = 0, first_ms = 0, ms = 0;
    int rc = create_session(&w, argv[1], threads, &create_ms);
    if (!rc) rc = load_inputs(&w, argc - 4, argv + 4);
    if (!rc) rc = prepare_outputs(&w);
    if (!rc) rc = run_once(&w, &first_ms);
    for (int i = 0; !rc && i < warmup; i++) rc = run_once(&w, &ms);
    if (!rc) {
        printf("ready {\"create_ms\": %.3f, \"first_run_ms\": %.3f, \"base_rss_kb\": %ld, \"inputs\": ",
               create_ms, first_ms, base_kb);
        print_input_names(&w);
        printf("}\n");
        fflush(stdout);
        rc = serve(&w);
    }
    if (!rc) {
        printf("done {\"peak_rss_kb\": %ld, \"base_rss_kb\": %ld}\n", proc_status_kb("VmHWM"), base_kb);
        fflush(stdout);
    }
    worker_free(&w);
    return rc;
}
