/* Hostile input for the ONNX reader, as an ordinary test: every file of the corpus (hand-crafted
 * malformed models, see make_corpus.py), then every truncation and a few thousand deterministic bit
 * flips of some small real models. Each load must return normally, with a status or a model; a model
 * that loads must also write out and load again. Run under the sanitizers (CORT_SANITIZE=ON) to catch
 * what "returns normally" cannot see. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file_map.h"
#include "onnx/onnx.h"

static int failures;
static long loads, accepted;

static void exercise(const void *data, size_t size, const char *what) {
    cort_model *m = NULL;
    cort_status *st = cort_onnx_load_bytes(data, size, &m);
    loads++;
    if (st) {
        if (!*cort_status_message(st)) {
            fprintf(stderr, "%s: error without a message\n", what);
            failures++;
        }
        cort_status_free(st);
    } else {
        accepted++;
        void *bytes = NULL;
        size_t n = 0;
        cort_model *again = NULL;
        st = cort_onnx_write_model(m, &bytes, &n);
        if (st && cort_status_code(st) == CORT_INVALID_GRAPH) { /* the writer says why it cannot */
            cort_status_free(st);
            st = NULL;
        } else if (!st) {
            st = cort_onnx_load_bytes(bytes, n, &again);
        }
        if (st) {
            fprintf(stderr, "%s: accepted model does not round-trip: %s\n", what, cort_status_message(st));
            failures++;
            cort_status_free(st);
        }
        cort_model_free(again);
        free(bytes);
        cort_model_free(m);
    }
    /* the same bytes as a TensorProto exercise the tensor decoder on its own */
    cort_value v = {0};
    char *name = NULL;
    cort_status_free(cort_onnx_read_tensor(data, size, &v, &name));
    free(name);
    cort_value_clear(&v);
    /* and as a SequenceProto and an OptionalProto of one */
    cort_type tensor = {.kind = CORT_TYPE_TENSOR, .elem = CORT_FLOAT, .rank = -1};
    cort_type seq = {.kind = CORT_TYPE_SEQUENCE, .inner = &tensor};
    cort_type opt = {.kind = CORT_TYPE_OPTIONAL, .inner = &seq};
    cort_status_free(cort_onnx_read_value(data, size, &seq, &v));
    cort_value_clear(&v);
    cort_status_free(cort_onnx_read_value(data, size, &opt, &v));
    cort_value_clear(&v);
}

static void run_corpus(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "cannot open corpus %s\n", dir);
        failures++;
        return;
    }
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        void *addr;
        size_t size;
        cort_status *st = cort_map_file(path, &addr, &size);
        if (st) {
            cort_status_free(st);
            continue;
        }
        exercise(addr, size, e->d_name);
        cort_unmap_file(addr, size);
        /* from the file too: external data is resolved (and must stay inside the corpus folder) */
        cort_model *m = NULL;
        cort_status_free(cort_onnx_load_file(path, &m));
        cort_model_free(m);
        files++;
    }
    closedir(d);
    printf("fuzz_corpus: %d corpus files\n", files);
}

static uint64_t next_random(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void mutate_model(const char *path, int flips) {
    void *addr;
    size_t size;
    cort_status *st = cort_map_file(path, &addr, &size);
    if (st) {
        cort_status_free(st);
        return;
    }
    uint8_t *buf = malloc(size + 1);
    if (!buf) {
        cort_unmap_file(addr, size);
        failures++;
        return;
    }
    for (size_t len = 0; len < size; len++) exercise(addr, len, path);
    uint64_t seed = 0x9e3779b97f4a7c15ull ^ size;
    for (int i = 0; i < flips && size; i++) {
        memcpy(buf, addr, size);
        int changes = 1 + (int)(next_random(&seed) % 3);
        for (int k = 0; k < changes; k++) {
            size_t at = next_random(&seed) % size;
            uint64_t r = next_random(&seed);
            if (r & 0x100) buf[at] ^= (uint8_t)(1u << (r & 7));
            else buf[at] = (uint8_t)((r >> 9) & 1 ? 0xff : 0x80); /* long varints and huge lengths */
        }
        exercise(buf, size, path);
    }
    free(buf);
    cort_unmap_file(addr, size);
}

int main(int argc, char **argv) {
    if (argc > 1) run_corpus(argv[1]);
    static const char *const models[] = {"test_abs", "test_if", "test_constant", "test_loop11",
                                         "test_cast_FLOAT_to_STRING", "test_sequence_insert_at_back",
                                         "test_optional_has_element", "test_scan9_sum", "test_conv_with_strides_padding"};
    int mutated = 0;
    for (int i = 2; i < argc; i++)
        for (size_t k = 0; k < sizeof models / sizeof models[0]; k++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s/model.onnx", argv[i], models[k]);
            FILE *f = fopen(path, "rb");
            if (!f) continue;
            fclose(f);
            mutate_model(path, 2000);
            mutated++;
        }
    printf("fuzz_corpus: %d real models mutated, %ld loads, %ld accepted, %d failures\n", mutated, loads, accepted,
           failures);
    return failures ? 1 : 0;
}
