/* Random shapes through Transpose, Slice, Pad, Tile and Expand, checked element by element against
 * naive index arithmetic: covers the tiled transposing copy (dims >= 32), merged dims, zero-sized dims,
 * negative steps and every element size. */
#include <stdint.h>

#include "test_shape_ops_harness.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static int64_t rnd(int64_t n) { /* uniform-ish in [0, n) */
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return n > 0 ? (int64_t)((rng_state >> 33) % (uint64_t)n) : 0;
}

static const int32_t elem_types[] = {CORT_UINT8, CORT_FLOAT16, CORT_FLOAT, CORT_INT64, CORT_COMPLEX128, CORT_STRING};
#define N_TYPES ((int64_t)(sizeof elem_types / sizeof elem_types[0]))

/* A tensor of random shape whose element i encodes i (strings hold the decimal number). */
static cort_value random_tensor(int32_t type, int rank, const int64_t *dims) {
    cort_value v = h_tensor(type, rank, dims, NULL);
    int64_t n = cort_tensor_count(&v.t);
    for (int64_t i = 0; i < n; i++) {
        if (type == CORT_STRING) {
            char buf[32];
            int len = snprintf(buf, sizeof buf, "%lld", (long long)i);
            cort_status_free(cort_value_set_string(&v, i, buf, (size_t)len));
        } else {
            size_t es = cort_elem_size(type);
            uint64_t code[2] = {(uint64_t)i * 2654435761u + 1, ~(uint64_t)i};
            memcpy((char *)v.t.data + (size_t)i * es, code, es);
        }
    }
    return v;
}

/* Element o of y equals element i of x (i < 0: equals `pad`, a numeric element or "" for strings). */
static bool same_elem(const cort_tensor *y, int64_t o, const cort_tensor *x, int64_t i, const void *pad) {
    if (y->type == CORT_STRING) {
        const char *a = ((char **)y->data)[o], *b = i >= 0 ? ((char **)x->data)[i] : "";
        return a && b && !strcmp(a, b) && (i < 0 || a != b);
    }
    size_t es = cort_elem_size(y->type);
    return !memcmp((char *)y->data + (size_t)o * es, i >= 0 ? (char *)x->data + (size_t)i * es : pad, es);
}

static void random_shape(int rank, int64_t *dims, bool big) {
    for (int i = 0; i < rank; i++) {
        int64_t r = rnd(10);
        dims[i] = r == 0 ? 0 : r < 3 ? 1 : big && r == 9 ? 33 + rnd(40) : 1 + rnd(6);
    }
}

/* Splits a flat index into coordinates. */
static void coords_of(int64_t flat, int rank, const int64_t *dims, int64_t *c) {
    for (int k = rank - 1; k >= 0; k--) {
        c[k] = dims[k] ? flat % dims[k] : 0;
        flat = dims[k] ? flat / dims[k] : 0;
    }
}

static int64_t flat_of(int rank, const int64_t *dims, const int64_t *c) {
    int64_t f = 0;
    for (int k = 0; k < rank; k++) f = f * dims[k] + c[k];
    return f;
}

static void check_transpose(int32_t type, int rank, const int64_t *dims, const int64_t *perm) {
    int64_t c[CORT_MAX_RANK], ic[CORT_MAX_RANK];
    cort_value x = random_tensor(type, rank, dims), out[1];
    cort_value *in[1] = {&x};
    h_node h;
    h_init(&h, "Transpose", 13, 1, 1);
    h_attr_ints(&h, "perm", perm, rank);
    if (h_ok(&h, in, out)) {
        int bad = 0;
        int64_t n = cort_tensor_count(&out[0].t);
        for (int64_t o = 0; o < n && !bad; o++) {
            coords_of(o, rank, out[0].t.dims, c);
            for (int k = 0; k < rank; k++) ic[perm[k]] = c[k];
            bad += !same_elem(&out[0].t, o, &x.t, flat_of(rank, dims, ic), NULL);
        }
        if (bad) {
            char buf[128];
            fprintf(stderr, "transpose of %s (%s) wrong\n", cort_shape_str(dims, rank, buf, sizeof buf),
                    cort_type_name(type));
        }
        CHECK(!bad);
    }
    h_clear(out, 1);
    cort_value_clear(&x);
}

static void random_transpose(void) {
    int rank = 1 + (int)rnd(5);
    int64_t dims[CORT_MAX_RANK], perm[CORT_MAX_RANK];
    random_shape(rank, dims, true);
    if (cort_shape_count(dims, rank) > 200000) return;
    for (int i = 0; i < rank; i++) perm[i] = i;
    for (int i = rank - 1; i > 0; i--) {
        int j = (int)rnd(i + 1);
        int64_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    check_transpose(elem_types[rnd(N_TYPES)], rank, dims, perm);
}

/* Tensors big enough that the copies are split across (the harness's) threads. */
static void large_transposes(void) {
    check_transpose(CORT_DOUBLE, 2, (int64_t[]){300, 257}, (int64_t[]){1, 0});
    check_transpose(CORT_INT32, 3, (int64_t[]){64, 70, 50}, (int64_t[]){2, 0, 1});
    check_transpose(CORT_FLOAT, 4, (int64_t[]){2, 64, 40, 33}, (int64_t[]){0, 2, 1, 3});
}

/* The source indices a slice picks, written independently of the kernel's arithmetic. ONNX clamps a
 * start before the first element to it even for negative steps (unlike numpy). */
static int64_t naive_slice(int64_t start, int64_t end, int64_t step, int64_t dim, int64_t *picked) {
    int64_t n = 0;
    if (dim == 0) return 0;
    if (start < 0) start += dim;
    if (end < 0) end += dim;
    if (step > 0) {
        if (start < 0) start = 0;
        if (end > dim) end = dim;
        for (int64_t i = start; i < end; i += step) picked[n++] = i;
    } else {
        if (start > dim - 1) start = dim - 1;
        if (start < 0) start = 0;
        if (end < -1) end = -1;
        for (int64_t i = start; i > end && i >= 0; i += step) picked[n++] = i;
    }
    return n;
}

static void random_slice(void) {
    int rank = 1 + (int)rnd(4);
    int64_t dims[CORT_MAX_RANK], starts[CORT_MAX_RANK], ends[CORT_MAX_RANK], axes[CORT_MAX_RANK],
        steps[CORT_MAX_RANK];
    random_shape(rank, dims, true);
    if (cort_shape_count(dims, rank) > 200000) return;
    int n = 1 + (int)rnd(rank);
    bool used[CORT_MAX_RANK] = {false};
    for (int k = 0; k < n; k++) {
        int a;
        do a = (int)rnd(rank);
        while (used[a]);
        used[a] = true;
        axes[k] = rnd(2) ? a : a - rank;
        int64_t d = dims[a];
        starts[k] = rnd(8) == 0 ? INT64_MAX : rnd(2 * d + 5) - d - 2;
        ends[k] = rnd(8) == 0 ? (rnd(2) ? INT64_MIN : INT64_MAX) : rnd(2 * d + 5) - d - 2;
        steps[k] = rnd(2) ? 1 + rnd(3) : -1 - rnd(3);
    }
    int32_t type = elem_types[rnd(N_TYPES)];
    int64_t nn = n;
    cort_value x = random_tensor(type, rank, dims), s = h_i64(1, &nn, starts), e = h_i64(1, &nn, ends);
    cort_value a = h_i64(1, &nn, axes), st = h_i64(1, &nn, steps), out[1];
    cort_value *in[5] = {&x, &s, &e, &a, &st};
    h_node h;
    h_init(&h, "Slice", 13, 5, 1);
    if (h_ok(&h, in, out)) {
        int64_t picked[CORT_MAX_RANK][256], counts[CORT_MAX_RANK], c[CORT_MAX_RANK], ic[CORT_MAX_RANK];
        for (int i = 0; i < rank; i++) counts[i] = naive_slice(0, dims[i], 1, dims[i], picked[i]);
        for (int k = 0; k < n; k++) {
            int ax = (int)(axes[k] < 0 ? axes[k] + rank : axes[k]);
            counts[ax] = naive_slice(starts[k], ends[k], steps[k], dims[ax], picked[ax]);
        }
        bool ok = h_shape_is(&out[0], rank, counts);
        int64_t total = cort_shape_count(counts, rank);
        for (int64_t o = 0; ok && o < total; o++) {
            coords_of(o, rank, counts, c);
            for (int k = 0; k < rank; k++) ic[k] = picked[k][c[k]];
            ok = same_elem(&out[0].t, o, &x.t, flat_of(rank, dims, ic), NULL);
        }
        if (!ok) {
            char buf[128];
            fprintf(stderr, "slice of %s axis %lld [%lld:%lld:%lld] wrong\n",
                    cort_shape_str(dims, rank, buf, sizeof buf),
                    (long long)axes[0], (long long)starts[0], (long long)ends[0], (long long)steps[0]);
        }
        CHECK(ok);
    }
    h_clear(out, 1);
    cort_value *all[] = {&x, &s, &e, &a, &st};
    for (int i = 0; i < 5; i++) cort_value_clear(all[i]);
}

static int64_t naive_pad_source(const char *mode, int64_t c, int64_t d) {
    if (c >= 0 && c < d) return c;
    if (!strcmp(mode, "constant")) return -1;
    if (!strcmp(mode, "edge")) return c < 0 ? 0 : d - 1;
    if (d == 1) return 0;
    while (c < 0 || c >= d) c = c < 0 ? -c : 2 * (d - 1) - c;
    return c;
}

static void random_pad(void) {
    static const char *const modes[] = {"constant", "edge", "reflect"};
    int rank = 1 + (int)rnd(4);
    int64_t dims[CORT_MAX_RANK], pads[2 * CORT_MAX_RANK], odims[CORT_MAX_RANK], c[CORT_MAX_RANK], ic[CORT_MAX_RANK];
    random_shape(rank, dims, false);
    const char *mode = modes[rnd(3)];
    bool empty_in = cort_shape_count(dims, rank) == 0;
    for (int i = 0; i < rank; i++) {
        pads[i] = rnd(5) - 1;
        pads[i + rank] = rnd(5) - 1;
        if (dims[i] + pads[i] + pads[i + rank] < 0) pads[i] = pads[i + rank] = 0;
        odims[i] = dims[i] + pads[i] + pads[i + rank];
    }
    int32_t type = elem_types[rnd(N_TYPES)];
    int64_t np = 2 * rank;
    cort_value x = random_tensor(type, rank, dims), p = h_i64(1, &np, pads), out[1];
    cort_value *in[2] = {&x, &p};
    h_node h;
    h_init(&h, "Pad", 13, 2, 1);
    h_attr_str(&h, "mode", mode);
    if (empty_in && strcmp(mode, "constant") && cort_shape_count(odims, rank) > 0) {
        h_fails(&h, in, "empty input");
    } else if (h_ok(&h, in, out)) {
        bool ok = h_shape_is(&out[0], rank, odims);
        uint64_t zero[2] = {0, 0};
        int64_t total = cort_shape_count(odims, rank);
        for (int64_t o = 0; ok && o < total; o++) {
            coords_of(o, rank, odims, c);
            bool padded = false;
            for (int k = 0; k < rank; k++) {
                ic[k] = naive_pad_source(mode, c[k] - pads[k], dims[k]);
                padded |= ic[k] < 0;
            }
            ok = same_elem(&out[0].t, o, &x.t, padded ? -1 : flat_of(rank, dims, ic), zero);
        }
        if (!ok) {
            char buf[128], buf2[128];
            fprintf(stderr, "pad %s of %s by %s wrong\n", mode, cort_shape_str(dims, rank, buf, sizeof buf),
                    cort_shape_str(pads, 2 * rank, buf2, sizeof buf2));
        }
        CHECK(ok);
        h_clear(out, 1);
    }
    cort_value_clear(&x);
    cort_value_clear(&p);
}

static void random_tile_and_expand(void) {
    int rank = 1 + (int)rnd(4);
    int64_t dims[CORT_MAX_RANK], reps[CORT_MAX_RANK], odims[CORT_MAX_RANK], c[CORT_MAX_RANK], ic[CORT_MAX_RANK];
    random_shape(rank, dims, false);
    for (int i = 0; i < rank; i++) {
        reps[i] = rnd(4);
        odims[i] = dims[i] * reps[i];
    }
    int32_t type = elem_types[rnd(N_TYPES)];
    int64_t nr = rank;
    cort_value x = random_tensor(type, rank, dims), r = h_i64(1, &nr, reps), out[1];
    cort_value *in[2] = {&x, &r};
    h_node h;
    h_init(&h, "Tile", 13, 2, 1);
    if (h_ok(&h, in, out)) {
        bool ok = h_shape_is(&out[0], rank, odims);
        for (int64_t o = 0; ok && o < cort_shape_count(odims, rank); o++) {
            coords_of(o, rank, odims, c);
            for (int k = 0; k < rank; k++) ic[k] = c[k] % dims[k];
            ok = same_elem(&out[0].t, o, &x.t, flat_of(rank, dims, ic), NULL);
        }
        CHECK(ok);
    }
    h_clear(out, 1);
    cort_value_clear(&r);

    /* Expand to a shape that broadcasts every unit dim (and may add leading dims) */
    int lead = (int)rnd(3);
    int64_t shape[CORT_MAX_RANK] = {0};
    for (int i = 0; i < lead; i++) shape[i] = 1 + rnd(3);
    for (int i = 0; i < rank; i++) shape[lead + i] = dims[i] == 1 ? rnd(4) : rnd(2) ? 1 : dims[i];
    int64_t ns = lead + rank;
    r = h_i64(1, &ns, shape);
    h_init(&h, "Expand", 13, 2, 1);
    if (h_ok(&h, in, out)) {
        int64_t edims[CORT_MAX_RANK];
        for (int i = 0; i < ns; i++) edims[i] = i < lead ? shape[i] : dims[i - lead] == 1 ? shape[i] : dims[i - lead];
        bool ok = h_shape_is(&out[0], (int)ns, edims);
        for (int64_t o = 0; ok && o < cort_shape_count(edims, (int)ns); o++) {
            coords_of(o, (int)ns, edims, c);
            for (int k = 0; k < rank; k++) ic[k] = dims[k] == 1 ? 0 : c[lead + k];
            ok = same_elem(&out[0].t, o, &x.t, flat_of(rank, dims, ic), NULL);
        }
        CHECK(ok);
    }
    h_clear(out, 1);
    cort_value_clear(&r);
    cort_value_clear(&x);
}

int main(void) {
    large_transposes();
    for (int i = 0; i < 400; i++) {
        random_transpose();
        random_slice();
        random_pad();
        random_tile_and_expand();
    }
    return check_report("test_shape_ops_random");
}
