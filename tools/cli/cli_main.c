/* `cort`: entry point, subcommand dispatch, help and version. */
#include <string.h>

#include "cli.h"

static const cli_command commands[] = {
    {"info", "show what a model holds: opsets, inputs, outputs, ops, parameters",
     "usage: cort info MODEL\n"
     "\n"
     "Prints the IR version, producer, opsets, the graph inputs and outputs with types and shapes\n"
     "(symbolic dims by name), the initializer and parameter counts, the node count and how many\n"
     "nodes of each op type the model has (subgraphs included).\n",
     cli_info_main},
    {"run", "run a model once and summarize (or save) its outputs",
     "usage: cort run MODEL [--input NAME=FILE]... [--shape NAME=DIMS]... [--outdir DIR]\n"
     "                [--format pb|npy] [--threads N] [--opt LEVEL] [--seed N]\n"
     "\n"
     "  --input NAME=FILE  feed input NAME from FILE: a .npy array or an ONNX TensorProto .pb\n"
     "                     (inputs left out get seeded random data: floats uniform in [0,1),\n"
     "                     integers 0 or 1, random bools; unknown dims are 1)\n"
     "  --shape NAME=DIMS  shape of a random input, e.g. 1x3x224x224\n"
     "  --outdir DIR       write output K as DIR/output_K.pb (a TensorProto, SequenceProto or\n"
     "                     OptionalProto, as the ONNX backend tests store them) or .npy (tensors)\n"
     "  --format pb|npy    file format for --outdir (default pb)\n"
     "  --threads N        intra-op threads (0: one per core)\n"
     "  --opt LEVEL        graph optimization level: 0, 1, 2, 99 (3 = 99)\n"
     "  --seed N           seed of the random inputs (default 0)\n"
     "\n"
     "Prints one line per output: name, type, shape, min/max/mean, the first values and, for a\n"
     "[1,N] output, the argmax.\n",
     cli_run_main},
    {"check", "run ONNX backend test folders and compare with their expected outputs",
     "usage: cort check [--rtol R] [--atol A] [--threads N] [--opt LEVEL] TESTDIR\n"
     "       cort check --suite [--timeout S] [--jobs J] [--filter TEXT] [--verbose] [options] ROOT\n"
     "\n"
     "TESTDIR holds model.onnx and test_data_set_*/input_K.pb, output_K.pb; input K feeds the K-th\n"
     "graph input that is not an initializer. Floating outputs match when\n"
     "|got - expected| <= atol + rtol * |expected| (NaN equals NaN, infinities must be equal);\n"
     "integers, bools and strings must be equal; types and shapes must match. Prints PASS (exit 0)\n"
     "or FAIL: reason (exit 1). The test runs in a child process, so that a crash or a hang\n"
     "(--timeout) is reported as FAIL too; --no-fork runs it in-process (for debuggers).\n"
     "\n"
     "  --rtol R       relative tolerance (default 1e-3)\n"
     "  --atol A       absolute tolerance (default 1e-7)\n"
     "  --suite        run every folder under ROOT holding a model.onnx, each in its own process;\n"
     "                 prints '<name>: PASS' or '<name>: FAIL: reason' per test, then\n"
     "                 'N passed, M failed'; exit 0 only when nothing failed\n"
     "  --timeout S    seconds a test may take before it fails (default 60)\n"
     "  --no-fork      run a single TESTDIR in this process\n"
     "  --jobs J       suite tests to run at once (default 1)\n"
     "  --filter TEXT  run only suite tests whose name contains TEXT\n"
     "  --verbose      keep the suite children's stderr\n"
     "  --threads N    intra-op threads (0: one per core; with --jobs > 1 the default is 1)\n"
     "  --opt LEVEL    graph optimization level: 0, 1, 2, 99 (3 = 99)\n",
     cli_check_main},
    {"bench", "measure load time, latency, arena size and peak memory",
     "usage: cort bench MODEL [--threads N] [--warmup W] [--runs R] [--shape NAME=DIMS]...\n"
     "                  [--input NAME=FILE]... [--opt LEVEL] [--seed N] [--profile FILE] [--top K]\n"
     "                  [--json]\n"
     "\n"
     "Prints the load time, the first run's time, min/median/p90 latency over R runs (default 20)\n"
     "after W warmup runs (default 3), the arena size and the peak RSS. Dynamic dims are 1 unless\n"
     "--shape gives them (e.g. --shape input=1x3x224x224). With --json, prints exactly one line:\n"
     "{\"load_ms\":...,\"first_run_ms\":...,\"min_ms\":...,\"median_ms\":...,\"p90_ms\":...,"
     "\"arena_bytes\":...,\"peak_rss_bytes\":...}\n"
     "\n"
     "  --threads N        intra-op threads (0: one per core)\n"
     "  --warmup W         untimed runs after the first run (default 3)\n"
     "  --runs R           timed runs (default 20)\n"
     "  --shape NAME=DIMS  shape of a random input, e.g. 1x3x224x224\n"
     "  --input NAME=FILE  feed input NAME from a .npy or TensorProto .pb file\n"
     "  --opt LEVEL        graph optimization level: 0, 1, 2, 99 (3 = 99)\n"
     "  --seed N           seed of the random inputs (default 0)\n"
     "  --profile FILE     write a per-node trace of every run (Chrome trace format) to FILE\n"
     "  --top K            print the K nodes that took longest\n"
     "  --json             print the results as one JSON object\n",
     cli_bench_main},
    {"optimize", "apply graph optimizations and save the result as ONNX",
     "usage: cort optimize MODEL -o OUT.onnx [--level N]\n"
     "\n"
     "Loads MODEL, optimizes its graph at level N (0 none, 1 basic: constant folding, identity and\n"
     "dead-node elimination; 2 extended and 99 (or 3) all add fusions: Conv + activation, MatMul + bias\n"
     "(+ GELU), GELU, multi-head attention into com.cort operators; default 99) and writes the result as\n"
     "an ONNX model (loadable by other runtimes when only standard operators remain).\n",
     cli_optimize_main},
};

enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

static void print_main_usage(FILE *f) {
    fprintf(f, "usage: cort <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-7s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "  %-7s %s\n", "help", "show this text, or `cort help <command>` for a command's options");
    fprintf(f, "\n  --version   print the version\n");
}

static const cli_command *find_command(const char *name) {
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

static int wants_help(int argc, char **argv) {
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
    return 0;
}

static int help_main(int argc, char **argv) {
    if (argc == 0) {
        print_main_usage(stdout);
        return CLI_EXIT_OK;
    }
    const cli_command *cmd = find_command(argv[0]);
    if (!cmd || argc > 1) {
        fprintf(stderr, "cort help: unknown command '%s'\n\n", argv[0]);
        print_main_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    fputs(cmd->usage, stdout);
    return CLI_EXIT_OK;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        print_main_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("cort %s\n", cort_version());
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "help") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        return help_main(argc - 2, argv + 2);
    const cli_command *cmd = find_command(name);
    if (!cmd) {
        fprintf(stderr, "cort: unknown command '%s'\n\n", name);
        print_main_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (wants_help(argc - 2, argv + 2)) {
        fputs(cmd->usage, stdout);
        return CLI_EXIT_OK;
    }
    return cmd->main(cmd, argc - 2, argv + 2);
}
