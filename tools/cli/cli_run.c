/* `cort run`: runs a model once on given or random inputs, prints a summary of each output and
 * optionally writes the outputs as TensorProto .pb or .npy files. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "npy.h"

typedef struct run_args {
    const char *model;
    const char *outdir;
    int npy;
    cli_session_args session;
    cli_feed_args feed;
} run_args;

static int parse_run_option(const cli_command *self, int argc, char **argv, int *i, run_args *a) {
    const char *value = NULL;
    int r = cli_take_session_option(self, argc, argv, i, &a->session);
    if (r) return r < 0 ? CLI_EXIT_USAGE : 0;
    if ((r = cli_take_feed_option(self, argc, argv, i, &a->feed)) != 0) return r < 0 ? CLI_EXIT_USAGE : 0;
    if ((r = cli_take_option(self, argc, argv, i, "--outdir", &value)) != 0) {
        a->outdir = value;
        return r < 0 ? CLI_EXIT_USAGE : 0;
    }
    if ((r = cli_take_option(self, argc, argv, i, "--format", &value)) != 0) {
        if (r < 0) return CLI_EXIT_USAGE;
        if (strcmp(value, "npy") == 0) a->npy = 1;
        else if (strcmp(value, "pb") == 0) a->npy = 0;
        else return cli_usage_error(self, "--format expects pb or npy, got '%s'", value);
        return 0;
    }
    return cli_usage_error(self, "unknown option '%s'", argv[*i]);
}

static int parse_run_args(const cli_command *self, int argc, char **argv, run_args *a) {
    a->session.opt_level = -1;
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1] != 0) {
            int rc = parse_run_option(self, argc, argv, &i, a);
            if (rc) return rc;
        } else if (a->model) {
            return cli_usage_error(self, "unexpected argument '%s'", argv[i]);
        } else {
            a->model = argv[i];
        }
    }
    if (!a->model) return cli_usage_error(self, "missing MODEL");
    return 0;
}

static cort_status *make_dir(const char *dir) {
    struct stat sb;
    if (stat(dir, &sb) == 0) {
        if (S_ISDIR(sb.st_mode)) return NULL;
        return cort_error(CORT_INVALID_ARGUMENT, "%s exists and is not a folder", dir);
    }
    if (mkdir(dir, 0777) != 0) return cort_error(CORT_FAIL, "cannot create %s: %s", dir, strerror(errno));
    return NULL;
}

static cort_status *write_bytes(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) return cort_error(CORT_FAIL, "cannot create %s: %s", path, strerror(errno));
    size_t written = size ? fwrite(data, 1, size, f) : 0;
    int closed = fclose(f);
    if (written != size || closed != 0) return cort_error(CORT_FAIL, "%s: write failed: %s", path, strerror(errno));
    return NULL;
}

static cort_status *write_output(cort_session *session, const cort_value *v, const char *dir, size_t k, int npy) {
    char path[4096];
    cort_io_info info;
    CORT_TRY(cort_session_output_info(session, k, &info));
    CORT_TRY(cli_format_path(path, sizeof path, "%s/output_%zu.%s", dir, k, npy ? "npy" : "pb"));
    if (npy && cort_value_kind(v) != 1)
        return cort_error(CORT_NOT_IMPLEMENTED, "output %zu '%s' is not a tensor; write it with --format pb", k,
                          info.name);
    if (npy) return cort_npy_write_file(v, path);
    void *buf = NULL;
    size_t size = 0;
    cort_status *encoded = cli_value_to_pb(v, info.kind, info.name, &buf, &size);
    if (encoded) return cort_error_wrap(encoded, "output %zu '%s': ", k, info.name);
    cort_status *st = write_bytes(path, buf, size);
    free(buf);
    return st;
}

/* Prints and writes every output; returns the exit code. */
static int report_outputs(const cli_command *self, const run_args *a, cort_session *session,
                          const char *const *names, cort_value **outs, size_t n) {
    int rc = CLI_EXIT_OK;
    for (size_t k = 0; k < n; k++) {
        cli_print_summary(stdout, k, names[k], outs[k]);
        if (!a->outdir) continue;
        cort_status *st = write_output(session, outs[k], a->outdir, k, a->npy);
        if (st) rc = cli_fail_status(self, st, NULL);
    }
    return rc;
}

static int run_model(const cli_command *self, const run_args *a) {
    cort_session *session = NULL;
    cort_status *st = cli_open_session(a->model, &a->session, &session);
    if (st) return cli_fail_status(self, st, NULL); /* load errors name the file */
    cli_feed feed = {0};
    st = cli_build_feed(session, &a->feed, &feed);
    if (st) {
        cort_session_free(session);
        return cli_fail_status(self, st, NULL);
    }
    size_t n = cort_session_output_count(session);
    const char **names = calloc(n ? n : 1, sizeof *names);
    cort_value **outs = calloc(n ? n : 1, sizeof *outs);
    int rc = CLI_EXIT_OK;
    if (!names || !outs) rc = cli_fail(self, "out of memory");
    for (size_t k = 0; rc == CLI_EXIT_OK && k < n; k++) {
        cort_io_info info;
        st = cort_session_output_info(session, k, &info);
        if (st) rc = cli_fail_status(self, st, NULL);
        else names[k] = info.name;
    }
    if (rc == CLI_EXIT_OK && a->outdir && (st = make_dir(a->outdir)) != NULL) rc = cli_fail_status(self, st, NULL);
    if (rc == CLI_EXIT_OK) {
        st = cort_session_run(session, NULL, feed.names, (const cort_value *const *)feed.values, feed.n, names, n,
                              outs);
        rc = st ? cli_fail_status(self, st, "run") : report_outputs(self, a, session, names, outs, n);
    }
    for (size_t k = 0; outs && k < n; k++) cort_value_free(outs[k]);
    free(outs);
    free(names);
    cli_feed_free(&feed);
    cort_session_free(session);
    return rc;
}

int cli_run_main(const cli_command *self, int argc, char **argv) {
    run_args *a = calloc(1, sizeof *a);
    if (!a) return cli_fail(self, "out of memory");
    int rc = parse_run_args(self, argc, argv, a);
    if (rc == 0) rc = run_model(self, a);
    cli_feed_args_free(&a->feed);
    free(a);
    return rc;
}
