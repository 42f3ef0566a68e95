/* Concat's threaded copy (src/ops/slice.c: outputs of 128 KiB and more split into byte ranges across
 * threads; the harness runs the ranges serially in uneven chunks): random shapes, axes, element sizes
 * and inputs of zero extent along the axis, against the element-by-element definition. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test_conv_harness.h"

static uint32_t rng = 4242;
static uint32_t next_u32(void) {
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}
static int64_t rnd(int64_t lo, int64_t hi) { return lo + (int64_t)(next_u32() % (uint32_t)(hi - lo + 1)); }

enum { MAX_IN = 5 };

static void one_case(int trial) {
    static const int32_t types[3] = {CORT_FLOAT, CORT_UINT8, CORT_INT64};
    int32_t type = types[trial % 3];
    size_t es = cort_elem_size(type);
    int rank = (int)rnd(2, 4), axis = (int)rnd(0, rank - 1), n = (int)rnd(1, MAX_IN);
    int64_t dims[4], in_dims[MAX_IN][4], out_dims[4];
    for (int d = 0; d < rank; d++) dims[d] = rnd(1, 12);
    dims[rank - 1] = rnd(20, 90); /* outputs mostly past the threaded copy's threshold */
    nn_case c;
    nn_init(&c, "Concat", 13, n, 1);
    nn_attr_int(&c, "axis", axis);
    memcpy(out_dims, dims, sizeof dims);
    out_dims[axis] = 0;
    unsigned char *data[MAX_IN];
    for (int i = 0; i < n; i++) {
        memcpy(in_dims[i], dims, sizeof dims);
        in_dims[i][axis] = i == 1 ? 0 : rnd(1, 40);
        out_dims[axis] += in_dims[i][axis];
        int64_t count = cort_shape_count(in_dims[i], rank);
        data[i] = malloc((size_t)count * es + 1);
        for (int64_t b = 0; b < count * (int64_t)es; b++) data[i][b] = (unsigned char)next_u32();
        nn_input(&c, i, type, rank, in_dims[i], data[i]);
    }
    CHECK_OK(nn_run(&c));
    const cort_tensor *y = &c.outs[0].t;
    CHECK(nn_out_shape(&c, 0, rank, out_dims));
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++) outer *= dims[d];
    for (int d = axis + 1; d < rank; d++) inner *= dims[d];
    bool same = c.outs[0].kind == CORT_VALUE_TENSOR && y->data != NULL;
    const unsigned char *out = y->data;
    for (int64_t k = 0, o = 0; same && k < outer; k++)
        for (int i = 0; i < n && same; i++) {
            size_t bytes = (size_t)(in_dims[i][axis] * inner) * es;
            same = !memcmp(out + o, data[i] + (size_t)k * bytes, bytes);
            o += (int64_t)bytes;
        }
    if (!same) fprintf(stderr, "trial %d: rank %d axis %d inputs %d type %d differs\n", trial, rank, axis, n, type);
    CHECK(same);
    for (int i = 0; i < n; i++) free(data[i]);
    nn_free(&c);
}

int main(void) {
    for (int trial = 0; trial < 120; trial++) one_case(trial);
    return check_report("test_fuse_concat_copy");
}
