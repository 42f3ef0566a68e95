/* Option parsing shared by the subcommands: strict numbers, usage errors, session options. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_take_option(const cli_command *cmd, int argc, char **argv, int *i, const char *name, const char **value) {
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0) return 0;
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    if (arg[n] != 0) return 0;
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, "option %s needs a value", name);
        return -1;
    }
    *i += 1;
    *value = argv[*i];
    return 1;
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "cort %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n\n%s", cmd->usage);
    return CLI_EXIT_USAGE;
}

int cli_fail(const cli_command *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "cort %s: error: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_EXIT_FAIL;
}

int cli_fail_status(const cli_command *cmd, cort_status *st, const char *what) {
    int rc = cli_fail(cmd, "%s%s%s", what ? what : "", what && *what ? ": " : "", cort_status_message(st));
    cort_status_free(st);
    return rc;
}

int cli_parse_long(const cli_command *cmd, const char *opt, const char *text, long min, long max, long *out) {
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != 0 || errno == ERANGE || v < min || v > max)
        return cli_usage_error(cmd, "%s expects an integer in [%ld, %ld], got '%s'", opt, min, max, text);
    *out = v;
    return 0;
}

int cli_parse_double(const cli_command *cmd, const char *opt, const char *text, double min, double *out) {
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != 0 || errno == ERANGE || !isfinite(v) || v < min)
        return cli_usage_error(cmd, "%s expects a number >= %g, got '%s'", opt, min, text);
    *out = v;
    return 0;
}

cort_status *cli_format_path(char *buf, size_t size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size) return cort_error(CORT_INVALID_ARGUMENT, "path too long: %.64s...", buf);
    return NULL;
}

int cli_take_session_option(const cli_command *cmd, int argc, char **argv, int *i, cli_session_args *args) {
    const char *value = NULL;
    long v = 0;
    int r = cli_take_option(cmd, argc, argv, i, "--threads", &value);
    if (r == 1) {
        if (cli_parse_long(cmd, "--threads", value, 0, 1024, &v)) return -1;
        args->threads = (int)v;
        return 1;
    }
    if (r < 0) return -1;
    r = cli_take_option(cmd, argc, argv, i, "--opt", &value);
    if (r == 1) {
        if (cli_parse_long(cmd, "--opt", value, 0, 99, &v)) return -1;
        if (v != CORT_OPT_DISABLE_ALL && v != CORT_OPT_BASIC && v != CORT_OPT_EXTENDED && v != 3 && v != CORT_OPT_ALL) {
            cli_usage_error(cmd, "--opt expects 0, 1, 2, 3 or 99, got '%s'", value);
            return -1;
        }
        args->opt_level = v == 3 ? CORT_OPT_ALL : (int)v; /* 3 is ORT's Python name for "all" */
        return 1;
    }
    return r;
}

cort_status *cli_open_session(const char *model, const cli_session_args *args, cort_session **out) {
    cort_session_options *opts = NULL;
    *out = NULL;
    CORT_TRY(cort_session_options_create(&opts));
    cort_status *st = NULL;
    if (args->threads > 0) st = cort_session_options_set_threads(opts, args->threads);
    if (!st && args->opt_level >= 0) st = cort_session_options_set_opt_level(opts, (cort_opt_level)args->opt_level);
    if (!st && args->profile_prefix) st = cort_session_options_enable_profiling(opts, args->profile_prefix);
    if (!st && args->optimized_path) st = cort_session_options_set_optimized_model_path(opts, args->optimized_path);
    if (!st) st = cort_session_create(NULL, model, opts, out);
    cort_session_options_free(opts);
    return st;
}
