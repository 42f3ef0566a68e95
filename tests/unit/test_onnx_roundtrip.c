/* Every node-test model of the ONNX backend suite: load, write, load again, and compare the two IRs
 * structurally. Also reads each test-data file as the value its graph input/output declares, writes
 * the tensors back and checks the bytes survive. Skips (passing) when the suite is not installed. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/file_map.h"
#include "check.h"
#include "onnx/onnx.h"

#define SUITE "/usr/share/libonnx-testdata/data/node"

static char where[512]; /* the model being compared, for messages */

#define SAME(cond)                                                              \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s: differs: %s (line %d)\n", where, #cond, __LINE__); \
            return false;                                                       \
        }                                                                       \
    } while (0)

static bool same_type(const cort_type *a, const cort_type *b) {
    SAME(a->kind == b->kind);
    SAME(a->elem == b->elem);
    if (a->kind == CORT_TYPE_TENSOR || a->kind == CORT_TYPE_SPARSE_TENSOR) {
        SAME(a->rank == b->rank);
        for (int i = 0; i < a->rank; i++) {
            SAME(a->dims[i].value == b->dims[i].value);
            SAME(!a->dims[i].symbol == !b->dims[i].symbol);
            SAME(!a->dims[i].symbol || !strcmp(a->dims[i].symbol, b->dims[i].symbol));
        }
    }
    SAME(!a->inner == !b->inner);
    return !a->inner || same_type(a->inner, b->inner);
}

static bool same_tensor(const cort_tensor *a, const cort_tensor *b) {
    SAME(a->type == b->type);
    SAME(a->rank == b->rank);
    SAME(!memcmp(a->dims, b->dims, (size_t)a->rank * sizeof a->dims[0]));
    int64_t n = cort_tensor_count(a);
    if (a->type != CORT_STRING) {
        SAME(!n || !memcmp(a->data, b->data, cort_tensor_nbytes(a)));
        return true;
    }
    for (int64_t i = 0; i < n; i++) {
        const char *x = ((char **)a->data)[i], *y = ((char **)b->data)[i];
        SAME(!strcmp(x ? x : "", y ? y : ""));
    }
    return true;
}

static bool same_graph(const cort_graph *a, const cort_graph *b);

static bool same_attr(const cort_attr *a, const cort_attr *b) {
    SAME(!strcmp(a->name, b->name));
    SAME(a->type == b->type);
    switch (a->type) {
    case CORT_ATTR_FLOAT: SAME(!memcmp(&a->f, &b->f, sizeof a->f)); break;
    case CORT_ATTR_INT: SAME(a->i == b->i); break;
    case CORT_ATTR_STRING: SAME(a->s_len == b->s_len && !memcmp(a->s, b->s, a->s_len)); break;
    case CORT_ATTR_TENSOR:
    case CORT_ATTR_SPARSE_TENSOR: SAME(same_tensor(a->t, b->t)); break;
    case CORT_ATTR_GRAPH: SAME(same_graph(a->g, b->g)); break;
    case CORT_ATTR_TYPE_PROTO: SAME(same_type(a->tp, b->tp)); break;
    default:
        SAME(a->n == b->n);
        for (int64_t k = 0; k < a->n; k++) {
            if (a->type == CORT_ATTR_FLOATS) SAME(!memcmp(&a->floats[k], &b->floats[k], sizeof(float)));
            if (a->type == CORT_ATTR_INTS) SAME(a->ints[k] == b->ints[k]);
            if (a->type == CORT_ATTR_STRINGS)
                SAME(a->string_lens[k] == b->string_lens[k] && !memcmp(a->strings[k], b->strings[k], a->string_lens[k]));
            if (a->type == CORT_ATTR_TENSORS || a->type == CORT_ATTR_SPARSE_TENSORS)
                SAME(same_tensor(&a->tensors[k], &b->tensors[k]));
            if (a->type == CORT_ATTR_GRAPHS) SAME(same_graph(a->graphs[k], b->graphs[k]));
            if (a->type == CORT_ATTR_TYPE_PROTOS) SAME(same_type(&a->type_protos[k], &b->type_protos[k]));
        }
    }
    return true;
}

static const char *value_name(const cort_graph *g, int id) { return id < 0 ? "" : g->values[id].name; }

static bool same_node(const cort_graph *ga, const cort_node *a, const cort_graph *gb, const cort_node *b) {
    SAME(!strcmp(a->op_type, b->op_type));
    SAME(!strcmp(a->domain, b->domain));
    SAME(!strcmp(a->name, b->name));
    SAME(a->opset == b->opset);
    SAME(a->n_inputs == b->n_inputs && a->n_outputs == b->n_outputs && a->n_attrs == b->n_attrs);
    for (int i = 0; i < a->n_inputs; i++) SAME(!strcmp(value_name(ga, a->inputs[i]), value_name(gb, b->inputs[i])));
    for (int i = 0; i < a->n_outputs; i++)
        SAME(!strcmp(value_name(ga, a->outputs[i]), value_name(gb, b->outputs[i])));
    for (int i = 0; i < a->n_attrs; i++) SAME(same_attr(&a->attrs[i], &b->attrs[i]));
    return true;
}

static bool same_graph(const cort_graph *a, const cort_graph *b) {
    SAME(!strcmp(a->name, b->name));
    SAME(a->n_nodes == b->n_nodes);
    SAME(a->n_inputs == b->n_inputs && a->n_outputs == b->n_outputs);
    for (int i = 0; i < a->n_inputs; i++) SAME(!strcmp(value_name(a, a->inputs[i]), value_name(b, b->inputs[i])));
    for (int i = 0; i < a->n_outputs; i++) SAME(!strcmp(value_name(a, a->outputs[i]), value_name(b, b->outputs[i])));
    for (int i = 0; i < a->n_nodes; i++) SAME(same_node(a, a->nodes[i], b, b->nodes[i]));
    for (int v = 0; v < a->n_values; v++) {
        const cort_ir_value *x = &a->values[v];
        if (!*x->name || (!x->flags && x->producer < 0 && x->type.kind == CORT_TYPE_UNKNOWN)) continue;
        int id = cort_graph_find(b, x->name);
        SAME(id >= 0);
        const cort_ir_value *y = &b->values[id];
        SAME(x->flags == y->flags);
        SAME(x->producer == y->producer);
        SAME(same_type(&x->type, &y->type));
        SAME(!x->init == !y->init);
        if (x->init) SAME(same_tensor(x->init, y->init));
    }
    return true;
}

static bool same_model(const cort_model *a, const cort_model *b) {
    SAME(a->ir_version == b->ir_version);
    SAME(a->n_opsets == b->n_opsets);
    for (int i = 0; i < a->n_opsets; i++)
        SAME(!strcmp(a->opsets[i].domain, b->opsets[i].domain) && a->opsets[i].version == b->opsets[i].version);
    SAME(!strcmp(a->producer_name, b->producer_name) && !strcmp(a->producer_version, b->producer_version));
    SAME(a->n_meta == b->n_meta);
    return same_graph(a->graph, b->graph);
}

static const cort_type *declared_type(const cort_graph *g, const char *file) {
    bool output = !strncmp(file, "output_", 7);
    int k = atoi(file + (output ? 7 : 6));
    int n = output ? g->n_outputs : g->n_inputs;
    if (k < 0 || k >= n) return NULL;
    return &g->values[output ? g->outputs[k] : g->inputs[k]].type;
}

/* Each tensor of test_data_set_0 survives read -> write -> read. */
static int check_test_data(const char *dir, const cort_model *m) {
    char set[1100];
    snprintf(set, sizeof set, "%s/test_data_set_0", dir);
    DIR *d = opendir(set);
    if (!d) return 0;
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strstr(e->d_name, ".pb")) continue;
        char path[1700];
        snprintf(path, sizeof path, "%s/%s", set, e->d_name);
        void *addr;
        size_t size;
        CHECK_OK(cort_map_file(path, &addr, &size));
        cort_value v = {0}, again = {0};
        const cort_type *type = declared_type(m->graph, e->d_name);
        cort_status *st = cort_onnx_read_value(addr, size, type, &v);
        if (st) {
            fprintf(stderr, "%s: %s\n", path, cort_status_message(st));
            cort_status_free(st);
            check_failures++;
        } else if (v.kind == CORT_VALUE_TENSOR) {
            void *bytes;
            size_t n;
            CHECK_OK(cort_onnx_write_tensor(&v.t, "x", &bytes, &n));
            char *name = NULL;
            CHECK_OK(cort_onnx_read_tensor(bytes, n, &again, &name));
            snprintf(where, sizeof where, "%.500s", path);
            CHECK(name && !strcmp(name, "x"));
            CHECK(same_tensor(&v.t, &again.t));
            free(name);
            free(bytes);
        }
        files++;
        cort_value_clear(&v);
        cort_value_clear(&again);
        cort_unmap_file(addr, size);
    }
    closedir(d);
    return files;
}

int main(void) {
    DIR *d = opendir(SUITE);
    if (!d) {
        printf("test_onnx_roundtrip: %s not installed, skipped\n", SUITE);
        return 0;
    }
    int loaded = 0, refused = 0, data_files = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char dir[1024], path[1100];
        snprintf(dir, sizeof dir, "%s/%.900s", SUITE, e->d_name);
        snprintf(path, sizeof path, "%s/model.onnx", dir);
        snprintf(where, sizeof where, "%.500s", e->d_name);
        cort_model *a = NULL, *b = NULL;
        cort_status *st = cort_onnx_load_file(path, &a);
        if (st) {
            printf("refused %s: %s\n", e->d_name, cort_status_message(st));
            cort_status_free(st);
            refused++;
            continue;
        }
        loaded++;
        void *bytes = NULL;
        size_t size = 0;
        CHECK_OK(cort_onnx_write_model(a, &bytes, &size));
        if (bytes) CHECK_OK(cort_onnx_load_bytes(bytes, size, &b));
        if (b) CHECK(same_model(a, b));
        data_files += check_test_data(dir, a);
        free(bytes);
        cort_model_free(a);
        cort_model_free(b);
    }
    closedir(d);
    printf("test_onnx_roundtrip: %d models round-tripped, %d refused, %d test-data files\n", loaded, refused, data_files);
    CHECK(loaded > 0);
    return check_report("test_onnx_roundtrip");
}
