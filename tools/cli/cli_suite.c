/* `cort check --suite ROOT`: every test folder under ROOT runs in its own forked child with a
 * timeout, so a crash or a hang is that test's failure and never stops the suite. Results are
 * printed in name order whatever order the children finish in. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

enum { SUITE_MAX_DEPTH = 8, SUITE_RESULT_MAX = 2048 };

/* WebAssembly has no fork(): there every test runs in this process, one after another, with no
 * timeout and no protection from a crash. */
#ifdef __EMSCRIPTEN__
enum { SUITE_CAN_FORK = 0 };
#else
enum { SUITE_CAN_FORK = 1 };
#endif

/* ------------------------------------------------------------- discovery */

typedef struct suite_test {
    char *path;
    const char *name; /* path relative to the root (points into path) */
    char *result;     /* "PASS" or "FAIL: ..." once known */
} suite_test;

typedef struct suite_list {
    suite_test *tests;
    size_t n, cap;
} suite_list;

static void suite_list_free(suite_list *l) {
    for (size_t i = 0; i < l->n; i++) {
        free(l->tests[i].path);
        free(l->tests[i].result);
    }
    free(l->tests);
}

static int is_dir(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int has_model(const char *dir) {
    char path[4096];
    struct stat sb;
    int n = snprintf(path, sizeof path, "%s/model.onnx", dir);
    return n > 0 && (size_t)n < sizeof path && stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static int add_test(suite_list *l, const char *path, size_t root_len) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        suite_test *tests = realloc(l->tests, cap * sizeof *tests);
        if (!tests) return -1;
        l->tests = tests;
        l->cap = cap;
    }
    suite_test *t = &l->tests[l->n];
    t->path = strdup(path);
    if (!t->path) return -1;
    t->name = t->path + root_len;
    while (*t->name == '/') t->name++;
    t->result = NULL;
    l->n++;
    return 0;
}

/* Collects folders holding model.onnx; a test folder's own subfolders are not searched. */
static int find_tests(suite_list *l, const char *dir, size_t root_len, int depth) {
    if (has_model(dir)) return add_test(l, dir, root_len);
    if (depth >= SUITE_MAX_DEPTH) return 0;
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        int n = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (n < 0 || (size_t)n >= sizeof path || !is_dir(path)) continue;
        rc = find_tests(l, path, root_len, depth + 1);
    }
    closedir(d);
    return rc;
}

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

static int compare_tests(const void *a, const void *b) {
    return strcmp(((const suite_test *)a)->name, ((const suite_test *)b)->name);
}

/* ---------------------------------------------------------------- children */

typedef struct suite_child {
    pid_t pid;
    int fd;
    size_t test;
    double start;
    char out[SUITE_RESULT_MAX];
    size_t out_len;
} suite_child;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* In the child: run the check with stdout going to the pipe, then leave without running the
 * parent's exit handlers. */
static void run_child(const suite_test *t, const cli_suite_opts *opts, int write_fd) {
    if (dup2(write_fd, STDOUT_FILENO) < 0) _exit(3);
    close(write_fd);
    if (!opts->verbose) {
        int null_fd = open("/dev/null", O_WRONLY);
        if (null_fd >= 0) {
            dup2(null_fd, STDERR_FILENO);
            close(null_fd);
        }
    }
    cort_status *st = cli_check_dir(t->path, &opts->check);
    if (st) {
        printf("FAIL: ");
        for (const char *p = cort_status_message(st); *p; p++) putchar(*p == '\n' || *p == '\r' ? ' ' : *p);
        putchar('\n');
    } else {
        printf("PASS\n");
    }
    fflush(stdout);
    _exit(st ? 1 : 0);
}

/* The result line of a check run in this process. */
static char *run_in_process(const suite_test *t, const cli_suite_opts *opts) {
    cort_status *st = cli_check_dir(t->path, &opts->check);
    if (!st) return strdup("PASS");
    const char *msg = cort_status_message(st);
    size_t len = strlen(msg);
    char *line = malloc(len + 7);
    if (line) {
        memcpy(line, "FAIL: ", 6);
        for (size_t i = 0; i < len; i++) line[6 + i] = msg[i] == '\n' || msg[i] == '\r' ? ' ' : msg[i];
        line[6 + len] = 0;
    }
    cort_status_free(st);
    return line;
}

static int spawn_child(suite_list *l, size_t test, const cli_suite_opts *opts, suite_child *c) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        run_child(&l->tests[test], opts, fds[1]);
    }
    close(fds[1]);
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    c->pid = pid;
    c->fd = fds[0];
    c->test = test;
    c->start = now_seconds();
    c->out_len = 0;
    return 0;
}

static void drain_child(suite_child *c) {
    for (;;) {
        char buf[512];
        ssize_t n = read(c->fd, buf, sizeof buf);
        if (n <= 0) return;
        size_t room = sizeof c->out - 1 - c->out_len;
        size_t take = (size_t)n < room ? (size_t)n : room;
        memcpy(c->out + c->out_len, buf, take);
        c->out_len += take;
    }
}

/* The result line for a child that ended with `status`. */
static char *child_result(suite_child *c, int status) {
    char line[SUITE_RESULT_MAX + 64];
    c->out[c->out_len] = 0;
    char *nl = strchr(c->out, '\n');
    if (nl) *nl = 0;
    if (WIFSIGNALED(status)) snprintf(line, sizeof line, "FAIL: crashed with signal %d", WTERMSIG(status));
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && strcmp(c->out, "PASS") == 0)
        snprintf(line, sizeof line, "PASS");
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 1 && strncmp(c->out, "FAIL: ", 6) == 0)
        snprintf(line, sizeof line, "%s", c->out);
    else snprintf(line, sizeof line, "FAIL: exited with status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return strdup(line);
}

static char *timeout_result(double timeout_s) {
    char line[96];
    snprintf(line, sizeof line, "FAIL: timed out after %g s", timeout_s);
    return strdup(line);
}

/* Polls the running children once; finished ones get their results and leave the array. */
static void poll_children(suite_list *l, suite_child *running, int *n_running, const cli_suite_opts *opts) {
    struct pollfd pfds[256];
    for (int k = 0; k < *n_running; k++) pfds[k] = (struct pollfd){.fd = running[k].fd, .events = POLLIN};
    if (poll(pfds, (nfds_t)*n_running, 50) < 0 && errno != EINTR) return;
    for (int k = 0; k < *n_running;) {
        suite_child *c = &running[k];
        drain_child(c);
        int status = 0;
        pid_t done = waitpid(c->pid, &status, WNOHANG);
        char *result = NULL;
        if (done == c->pid) {
            drain_child(c);
            result = child_result(c, status);
        } else if (now_seconds() - c->start > opts->timeout_s) {
            kill(c->pid, SIGKILL);
            waitpid(c->pid, &status, 0);
            result = timeout_result(opts->timeout_s);
        } else {
            k++;
            continue;
        }
        /* A NULL result (no memory) leaves the test unfinished; the suite then counts it failed. */
        l->tests[c->test].result = result;
        close(c->fd);
        running[k] = running[--*n_running];
    }
}

static int test_is_finished(const suite_test *t) { return t->result != NULL; }

/* Prints finished results in list order; returns the new count of printed tests. */
static size_t print_ready(const suite_list *l, size_t printed, size_t *passed, size_t *failed) {
    while (printed < l->n && test_is_finished(&l->tests[printed])) {
        const suite_test *t = &l->tests[printed];
        printf("%s: %s\n", t->name, t->result);
        fflush(stdout);
        if (strcmp(t->result, "PASS") == 0) (*passed)++;
        else (*failed)++;
        printed++;
    }
    return printed;
}

static void keep_matching(suite_list *l, const char *filter) {
    size_t kept = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (strstr(l->tests[i].name, filter)) l->tests[kept++] = l->tests[i];
        else free(l->tests[i].path);
    }
    l->n = kept;
}

int cli_run_suite(const char *root, const cli_suite_opts *opts_in) {
    cli_suite_opts opts = *opts_in;
    suite_list l = {0};
    if (!is_dir(root)) {
        fprintf(stderr, "cort check: error: %s is not a folder\n", root);
        return -1;
    }
    if (find_tests(&l, root, strlen(root), 0) != 0) {
        fprintf(stderr, "cort check: error: out of memory listing tests\n");
        suite_list_free(&l);
        return -1;
    }
    if (l.n == 0) {
        fprintf(stderr, "cort check: error: no test folders (holding model.onnx) under %s\n", root);
        suite_list_free(&l);
        return -1;
    }
    if (has_model(root)) l.tests[0].name = base_name(l.tests[0].path);
    if (opts.filter) keep_matching(&l, opts.filter);
    qsort(l.tests, l.n, sizeof l.tests[0], compare_tests);
    if (opts.jobs > 256) opts.jobs = 256;
    if (opts.jobs > 1 && opts.check.session.threads == 0) opts.check.session.threads = 1;

    suite_child running[256];
    int n_running = 0;
    size_t next = 0, printed = 0, passed = 0, failed = 0;
    while (printed < l.n) {
        while (n_running < opts.jobs && next < l.n) {
            if (!SUITE_CAN_FORK) {
                l.tests[next].result = run_in_process(&l.tests[next], &opts);
                next++;
                break; /* print it before starting the next */
            }
            if (spawn_child(&l, next, &opts, &running[n_running]) == 0) n_running++;
            else l.tests[next].result = strdup("FAIL: could not start a child process");
            next++;
        }
        if (n_running > 0) poll_children(&l, running, &n_running, &opts);
        printed = print_ready(&l, printed, &passed, &failed);
        if (n_running == 0 && next >= l.n && printed < l.n) break; /* a result string could not be stored */
    }
    failed += l.n - printed;
    printf("%zu passed, %zu failed\n", passed, failed);
    suite_list_free(&l);
    return (int)(failed > (size_t)INT32_MAX ? INT32_MAX : failed);
}

int cli_check_isolated(const char *dir, const cli_suite_opts *opts) {
    suite_list l = {0};
    if (add_test(&l, dir, 0) != 0) {
        fprintf(stderr, "cort check: error: out of memory\n");
        return CLI_EXIT_FAIL;
    }
    suite_child child;
    int n_running = 0;
    if (!SUITE_CAN_FORK) l.tests[0].result = run_in_process(&l.tests[0], opts);
    else if (spawn_child(&l, 0, opts, &child) == 0) n_running = 1;
    else l.tests[0].result = strdup("FAIL: could not start a child process");
    while (n_running > 0) poll_children(&l, &child, &n_running, opts);
    const char *result = l.tests[0].result ? l.tests[0].result : "FAIL: out of memory";
    int rc = strcmp(result, "PASS") == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
    printf("%s\n", result);
    suite_list_free(&l);
    return rc;
}
