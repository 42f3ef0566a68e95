/* `cort check`: runs an ONNX backend test folder (model.onnx, test_data_set_N/input_K.pb and
 * output_K.pb) and compares every output; with --suite, every such folder under a root. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static int path_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* ---------------------------------------------------------------- data sets */

static int compare_data_set_names(const void *a, const void *b) {
    long x = strtol(*(char *const *)a + strlen("test_data_set_"), NULL, 10);
    long y = strtol(*(char *const *)b + strlen("test_data_set_"), NULL, 10);
    return x < y ? -1 : x > y;
}

typedef struct name_list {
    char **names;
    size_t n;
} name_list;

static void name_list_free(name_list *l) {
    for (size_t i = 0; i < l->n; i++) free(l->names[i]);
    free(l->names);
    l->names = NULL;
    l->n = 0;
}

static cort_status *name_list_add(name_list *l, const char *name) {
    char **names = realloc(l->names, (l->n + 1) * sizeof *names);
    if (!names) return cort_oom();
    l->names = names;
    l->names[l->n] = strdup(name);
    if (!l->names[l->n]) return cort_oom();
    l->n++;
    return NULL;
}

/* The test_data_set_* folders of a test, in numeric order. */
static cort_status *list_data_sets(const char *dir, name_list *out) {
    DIR *d = opendir(dir);
    if (!d) return cort_error(CORT_NO_SUCH_FILE, "cannot open %s", dir);
    cort_status *st = NULL;
    struct dirent *e;
    while (!st && (e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "test_data_set_", strlen("test_data_set_")) == 0) st = name_list_add(out, e->d_name);
    closedir(d);
    if (st) return st;
    if (out->n == 0) return cort_error(CORT_NO_SUCH_FILE, "no test_data_set_* folders in %s", dir);
    qsort(out->names, out->n, sizeof out->names[0], compare_data_set_names);
    return NULL;
}

/* -------------------------------------------------------------- one data set */

typedef struct check_model {
    cort_session *session;
    size_t n_fed;       /* inputs the data files map to: graph inputs that are not initializers */
    size_t *fed;        /* their session input indices */
    size_t n_outputs;
    const char **output_names;
} check_model;

static void check_model_free(check_model *m) {
    cort_session_free(m->session);
    free(m->fed);
    free(m->output_names);
}

static cort_status *open_check_model(const char *dir, const cli_session_args *args, check_model *m) {
    char path[4096];
    memset(m, 0, sizeof *m);
    CORT_TRY(cli_format_path(path, sizeof path, "%s/model.onnx", dir));
    cort_status *st = cli_open_session(path, args, &m->session);
    if (st) return cort_error_wrap(st, "load: ");
    size_t n_in = cort_session_input_count(m->session);
    m->n_outputs = cort_session_output_count(m->session);
    m->fed = calloc(n_in ? n_in : 1, sizeof *m->fed);
    m->output_names = calloc(m->n_outputs ? m->n_outputs : 1, sizeof *m->output_names);
    if (!m->fed || !m->output_names) return cort_oom();
    for (size_t i = 0; i < n_in; i++) {
        cort_io_info info;
        CORT_TRY(cort_session_input_info(m->session, i, &info));
        if (!info.has_default) m->fed[m->n_fed++] = i;
    }
    for (size_t i = 0; i < m->n_outputs; i++) {
        cort_io_info info;
        CORT_TRY(cort_session_output_info(m->session, i, &info));
        m->output_names[i] = info.name;
    }
    return NULL;
}

static cort_status *read_inputs(const check_model *m, const char *set_dir, cli_feed *feed) {
    char path[4096];
    for (size_t k = 0;; k++) {
        CORT_TRY(cli_format_path(path, sizeof path, "%s/input_%zu.pb", set_dir, k));
        if (!path_exists(path)) return NULL;
        if (k >= m->n_fed)
            return cort_error(CORT_INVALID_ARGUMENT, "%s: the model has only %zu non-initializer inputs", path,
                              m->n_fed);
        cort_io_info info;
        cort_value *v = NULL;
        CORT_TRY(cort_session_input_info(m->session, m->fed[k], &info));
        CORT_TRY(cli_read_value_file(path, &info, &v));
        CORT_TRY(cli_feed_add(feed, info.name, v));
    }
}

static cort_status *compare_outputs(const check_model *m, const char *set_dir, cort_value *const *got,
                                    cli_tolerance tol) {
    char path[4096];
    size_t k = 0;
    for (;; k++) {
        CORT_TRY(cli_format_path(path, sizeof path, "%s/output_%zu.pb", set_dir, k));
        if (!path_exists(path)) break;
        if (k >= m->n_outputs)
            return cort_error(CORT_INVALID_ARGUMENT, "%s: the model has only %zu outputs", path, m->n_outputs);
        cort_io_info info;
        cort_value *expected = NULL;
        CORT_TRY(cort_session_output_info(m->session, k, &info));
        CORT_TRY(cli_read_value_file(path, &info, &expected));
        cort_status *st = cli_compare_values(got[k], expected, tol);
        cort_value_free(expected);
        if (st) return cort_error_wrap(st, "output %zu '%s': ", k, m->output_names[k]);
    }
    if (k == 0) return cort_error(CORT_NO_SUCH_FILE, "no output_0.pb in %s", set_dir);
    return NULL;
}

static cort_status *check_data_set(const check_model *m, const char *set_dir, cli_tolerance tol) {
    cli_feed feed = {0};
    cort_value **got = calloc(m->n_outputs ? m->n_outputs : 1, sizeof *got);
    if (!got) return cort_oom();
    cort_status *st = read_inputs(m, set_dir, &feed);
    if (!st) {
        st = cort_session_run(m->session, NULL, feed.names, (const cort_value *const *)feed.values, feed.n,
                              m->output_names, m->n_outputs, got);
        if (st) st = cort_error_wrap(st, "run: ");
    }
    if (!st) st = compare_outputs(m, set_dir, got, tol);
    for (size_t i = 0; i < m->n_outputs; i++) cort_value_free(got[i]);
    free(got);
    cli_feed_free(&feed);
    return st;
}

cort_status *cli_check_dir(const char *dir, const cli_check_opts *opts) {
    check_model m;
    name_list sets = {0};
    cort_status *st = open_check_model(dir, &opts->session, &m);
    if (!st) st = list_data_sets(dir, &sets);
    for (size_t i = 0; !st && i < sets.n; i++) {
        char set_dir[4096];
        st = cli_format_path(set_dir, sizeof set_dir, "%s/%s", dir, sets.names[i]);
        if (!st) st = check_data_set(&m, set_dir, opts->tol);
        if (st) st = cort_error_wrap(st, "%s: ", sets.names[i]);
    }
    name_list_free(&sets);
    check_model_free(&m);
    return st;
}

/* ------------------------------------------------------------------ command */

/* Prints "PASS" or "FAIL: reason" on one line (newlines in the reason become spaces). */
static int report_result(cort_status *st) {
    if (!st) {
        printf("PASS\n");
        return CLI_EXIT_OK;
    }
    printf("FAIL: ");
    for (const char *p = cort_status_message(st); *p; p++) putchar(*p == '\n' || *p == '\r' ? ' ' : *p);
    putchar('\n');
    cort_status_free(st);
    return CLI_EXIT_FAIL;
}

typedef struct check_args {
    cli_suite_opts suite;
    int run_suite;
    int in_process; /* --no-fork: no child process (for debuggers) */
    const char *dir;
} check_args;

static int parse_check_option(const cli_command *self, int argc, char **argv, int *i, check_args *a) {
    const char *value = NULL;
    long n = 0;
    int r = cli_take_session_option(self, argc, argv, i, &a->suite.check.session);
    if (r) return r < 0 ? CLI_EXIT_USAGE : 0;
    if ((r = cli_take_option(self, argc, argv, i, "--rtol", &value)) != 0)
        return r < 0 ? CLI_EXIT_USAGE : cli_parse_double(self, "--rtol", value, 0.0, &a->suite.check.tol.rtol);
    if ((r = cli_take_option(self, argc, argv, i, "--atol", &value)) != 0)
        return r < 0 ? CLI_EXIT_USAGE : cli_parse_double(self, "--atol", value, 0.0, &a->suite.check.tol.atol);
    if ((r = cli_take_option(self, argc, argv, i, "--timeout", &value)) != 0)
        return r < 0 ? CLI_EXIT_USAGE : cli_parse_double(self, "--timeout", value, 0.001, &a->suite.timeout_s);
    if ((r = cli_take_option(self, argc, argv, i, "--filter", &value)) != 0) {
        a->suite.filter = value;
        return r < 0 ? CLI_EXIT_USAGE : 0;
    }
    if ((r = cli_take_option(self, argc, argv, i, "--jobs", &value)) != 0) {
        if (r < 0 || cli_parse_long(self, "--jobs", value, 1, 256, &n)) return CLI_EXIT_USAGE;
        a->suite.jobs = (int)n;
        return 0;
    }
    if (strcmp(argv[*i], "--suite") == 0) a->run_suite = 1;
    else if (strcmp(argv[*i], "--verbose") == 0 || strcmp(argv[*i], "-v") == 0) a->suite.verbose = 1;
    else if (strcmp(argv[*i], "--no-fork") == 0) a->in_process = 1;
    else return cli_usage_error(self, "unknown option '%s'", argv[*i]);
    return 0;
}

static int parse_check_args(const cli_command *self, int argc, char **argv, check_args *a) {
    memset(a, 0, sizeof *a);
    a->suite.check.tol.rtol = 1e-3;
    a->suite.check.tol.atol = 1e-7;
    a->suite.check.session.opt_level = -1;
    a->suite.timeout_s = 60.0;
    a->suite.jobs = 1;
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1] != 0) {
            int rc = parse_check_option(self, argc, argv, &i, a);
            if (rc) return rc;
        } else if (a->dir) {
            return cli_usage_error(self, "unexpected argument '%s'", argv[i]);
        } else {
            a->dir = argv[i];
        }
    }
    if (!a->dir) return cli_usage_error(self, "missing %s", a->run_suite ? "ROOT" : "TESTDIR");
    return 0;
}

int cli_check_main(const cli_command *self, int argc, char **argv) {
    check_args a;
    int rc = parse_check_args(self, argc, argv, &a);
    if (rc) return rc;
    if (a.run_suite) {
        int failures = cli_run_suite(a.dir, &a.suite);
        return failures == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
    }
    if (a.in_process) return report_result(cli_check_dir(a.dir, &a.suite.check));
    a.suite.verbose = 1; /* one test: its log messages are worth seeing */
    return cli_check_isolated(a.dir, &a.suite);
}
