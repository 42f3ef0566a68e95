/* `cort optimize`: the session's graph optimizations, saved as an ONNX model. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_optimize_main(const cli_command *self, int argc, char **argv) {
    const char *model = NULL, *out = NULL, *value = NULL;
    long level = CORT_OPT_ALL;
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = cli_take_option(self, argc, argv, &i, "-o", &out)) != 0) {
            if (r < 0) return CLI_EXIT_USAGE;
        } else if ((r = cli_take_option(self, argc, argv, &i, "--level", &value)) != 0) {
            if (r < 0) return CLI_EXIT_USAGE;
            int rc = cli_parse_long(self, "--level", value, 0, 99, &level);
            if (rc) return rc;
            if (level != 0 && level != 1 && level != 2 && level != 3 && level != 99)
                return cli_usage_error(self, "--level must be 0, 1, 2, 3 or 99");
            if (level == 3) level = CORT_OPT_ALL; /* 3 is ORT's Python name for "all" */
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error(self, "unknown option '%s'", argv[i]);
        } else if (model) {
            return cli_usage_error(self, "unexpected argument '%s'", argv[i]);
        } else {
            model = argv[i];
        }
    }
    if (!model) return cli_usage_error(self, "missing MODEL");
    if (!out) return cli_usage_error(self, "missing -o OUT.onnx");
    cli_session_args args = {.threads = 1, .opt_level = (int)level, .optimized_path = out};
    cort_session *s = NULL;
    cort_status *st = cli_open_session(model, &args, &s);
    if (st) return cli_fail_status(self, st, NULL);
    printf("wrote %s (optimization level %ld)\n", out, level);
    cort_session_free(s);
    return CLI_EXIT_OK;
}
