/* The `cort` command-line tool: shared declarations of its subcommands and helpers. */
#ifndef CORT_CLI_CLI_H
#define CORT_CLI_CLI_H
#include <stdint.h>
#include <stdio.h>

#include "base/status.h"
#include "base/tensor.h"
#include "cort/cort.h"

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2 };

typedef struct cli_command cli_command;
struct cli_command {
    const char *name;
    const char *summary;
    const char *usage; /* full usage text, printed by `cort NAME --help` and on usage errors */
    /* argv holds the arguments after the command name. Returns the process exit code. */
    int (*main)(const cli_command *self, int argc, char **argv);
};

int cli_info_main(const cli_command *self, int argc, char **argv);
int cli_run_main(const cli_command *self, int argc, char **argv);
int cli_check_main(const cli_command *self, int argc, char **argv);
int cli_bench_main(const cli_command *self, int argc, char **argv);
int cli_optimize_main(const cli_command *self, int argc, char **argv);

/* ---- arguments (cli_args.c) */

/* Matches argv[*i] against option `name` ("--name VALUE" or "--name=VALUE"). Returns 1 with *value
 * set (and *i moved onto a separate value), 0 if argv[*i] is something else, or -1 after printing
 * a usage error when the value is missing. */
int cli_take_option(const cli_command *cmd, int argc, char **argv, int *i, const char *name, const char **value);
/* Prints "cort CMD: message" and the command's usage to stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...) CORT_PRINTF(2, 3);
/* Strict number parsing for option `opt`: returns 0, or CLI_EXIT_USAGE after printing an error. */
int cli_parse_long(const cli_command *cmd, const char *opt, const char *text, long min, long max, long *out);
int cli_parse_double(const cli_command *cmd, const char *opt, const char *text, double min, double *out);
/* Prints "cort CMD: error: message" to stderr; returns CLI_EXIT_FAIL. */
int cli_fail(const cli_command *cmd, const char *fmt, ...) CORT_PRINTF(2, 3);
/* As cli_fail with the message of `st` (which is freed) after `what`. */
int cli_fail_status(const cli_command *cmd, cort_status *st, const char *what);

/* snprintf into a path buffer; an error when the result would not fit. */
cort_status *cli_format_path(char *buf, size_t size, const char *fmt, ...) CORT_PRINTF(3, 4);

/* Session options shared by run, check and bench: --threads N and --opt LEVEL. */
typedef struct cli_session_args {
    int threads;   /* 0 = library default */
    int opt_level; /* -1 = library default */
    const char *profile_prefix;  /* per-node profiling on when set */
    const char *optimized_path;  /* save the optimized model here when set */
} cli_session_args;
/* Consumes argv[*i] when it is --threads or --opt: 1 taken, 0 not ours, -1 after a usage error. */
int cli_take_session_option(const cli_command *cmd, int argc, char **argv, int *i, cli_session_args *args);
cort_status *cli_open_session(const char *model, const cli_session_args *args, cort_session **out);

/* ---- feeding inputs (cli_feed.c) */

/* "NAME=TEXT" as given to --input or --shape. */
typedef struct cli_assign {
    const char *name; /* malloc'ed copy of the part before '=' */
    const char *text; /* points into the argument, after '=' */
} cli_assign;
/* Splits "NAME=TEXT"; returns 0, or CLI_EXIT_USAGE after printing an error. */
int cli_parse_assign(const cli_command *cmd, const char *opt, const char *arg, cli_assign *out);

typedef struct cli_feed {
    size_t n;
    const char **names; /* owned by the session */
    cort_value **values;
} cli_feed;
void cli_feed_free(cli_feed *feed);
/* Appends a value (the feed takes ownership, also on failure). */
cort_status *cli_feed_add(cli_feed *feed, const char *name, cort_value *value);

/* Reads a value file: .npy (by its magic) or a serialized ONNX TensorProto / SequenceProto /
 * OptionalProto, read as the kind `info` describes (NULL: a tensor). */
cort_status *cli_read_value_file(const char *path, const cort_io_info *info, cort_value **out);
/* Parses "1x3x224x224" (also "1,3,224,224"; "" is a scalar). */
cort_status *cli_parse_shape(const char *text, int64_t *dims, int *rank);

/* What run and bench take from --input NAME=FILE, --shape NAME=DIMS and --seed N. */
enum { CLI_MAX_ASSIGNS = 256 };
typedef struct cli_feed_args {
    cli_assign inputs[CLI_MAX_ASSIGNS], shapes[CLI_MAX_ASSIGNS];
    size_t n_inputs, n_shapes;
    long seed;
} cli_feed_args;
/* Consumes argv[*i] when it is --input, --shape or --seed: 1 taken, 0 not ours, -1 after a usage error. */
int cli_take_feed_option(const cli_command *cmd, int argc, char **argv, int *i, cli_feed_args *args);
void cli_feed_args_free(cli_feed_args *args);

/* Builds a feed for every input of the session: files given with --input, else seeded random data
 * for inputs that have no default (see cli_random_tensor). Unknown names are errors. */
cort_status *cli_build_feed(cort_session *session, const cli_feed_args *args, cli_feed *feed);
/* A tensor of the input's type and shape (override dims if given; symbolic or unknown dims are 1):
 * floats uniform in [0,1), integers 0 or 1, bools random, strings empty. A sequence input gets a
 * sequence of one such tensor. */
cort_status *cli_random_tensor(const cort_io_info *info, const int64_t *override_dims, int override_rank,
                               uint64_t *rng, cort_value **out);

/* ---- element access and printing (cli_elements.c) */

int cli_type_is_float(cort_elem_type type);   /* float, double, float16, bfloat16 */
int cli_type_is_complex(cort_elem_type type);
/* Number of scalars in the buffer: the element count, twice it for complex types. */
int64_t cli_scalar_count(const cort_value *tensor);
/* Scalar `i` as a double (complex types: component i of the interleaved real/imag array). */
double cli_scalar_double(cort_elem_type type, const void *data, int64_t i);
/* Formats scalar `i` exactly as the type holds it (integers without rounding, strings quoted). */
const char *cli_format_scalar(cort_elem_type type, const void *data, int64_t i, char *buf, size_t size);
/* Formats the coordinates of flat element `index` as "[0,3,1]". */
const char *cli_format_index(const int64_t *dims, size_t rank, int64_t index, char *buf, size_t size);
/* "float[1,1000]", "seq(float)", "none" */
const char *cli_format_value_type(const cort_value *value, char *buf, size_t size);
const char *cli_format_io_type(const cort_io_info *info, char *buf, size_t size);
/* A readable pointer to a value's element buffer. */
const void *cli_tensor_bytes(const cort_value *tensor);

/* ---- values as protobuf (cli_value_pb.c) */

/* Serializes an output value as the ONNX backend tests store it: a TensorProto, a SequenceProto, or
 * an OptionalProto when the output is declared optional (`declared_kind` as in cort_io_info).
 * *out is malloc'ed. */
cort_status *cli_value_to_pb(const cort_value *value, int declared_kind, const char *name, void **out,
                             size_t *out_size);

/* ---- output summaries (cli_summary.c) */

/* One line: index, name, type, shape, min/max/mean, first values, argmax for [1,N] outputs. */
void cli_print_summary(FILE *f, size_t index, const char *name, const cort_value *value);

/* ---- comparison (cli_compare.c) */

typedef struct cli_tolerance {
    double rtol, atol;
} cli_tolerance;
/* NULL when `got` matches `expected` (see `cort check --help`); otherwise a status whose message says
 * where and how they differ. */
cort_status *cli_compare_values(const cort_value *got, const cort_value *expected, cli_tolerance tol);

/* ---- check (cli_check.c, cli_suite.c) */

typedef struct cli_check_opts {
    cli_tolerance tol;
    cli_session_args session;
} cli_check_opts;
/* Runs the ONNX backend test in `dir`: NULL on PASS, else the failure reason. */
cort_status *cli_check_dir(const char *dir, const cli_check_opts *opts);

typedef struct cli_suite_opts {
    cli_check_opts check;
    double timeout_s;
    int jobs;
    int verbose; /* keep the children's stderr */
    const char *filter; /* run only tests whose name contains this, if non-NULL */
} cli_suite_opts;
/* Runs one test folder in a forked child (with the timeout), so that a crash or a hang still
 * prints FAIL: reason. Prints the result line; returns the exit code. */
int cli_check_isolated(const char *dir, const cli_suite_opts *opts);
/* Runs every test folder under root in forked children; prints one line per test and the totals.
 * Returns the number of failures, or -1 when the suite could not be run (message printed). */
int cli_run_suite(const char *root, const cli_suite_opts *opts);

#endif
