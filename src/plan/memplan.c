#include "plan/memplan.h"

#include <stdlib.h>

typedef struct placed {
    size_t offset, end;
    int first, last;
} placed;

typedef struct sized {
    size_t size;
    int index;
} sized;

static int by_size_desc(const void *a, const void *b) {
    const sized *x = a, *y = b;
    if (x->size != y->size) return x->size < y->size ? 1 : -1;
    return x->index - y->index;
}

static int by_offset(const void *a, const void *b) {
    const placed *x = a, *y = b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static size_t align_up(size_t v) { return (v + CORT_ARENA_ALIGN - 1) & ~(size_t)(CORT_ARENA_ALIGN - 1); }

/* lowest offset where `size` bytes fit between the buffers (sorted by offset) whose lifetimes overlap */
static size_t first_fit(const placed *live, int n_live, size_t size) {
    size_t offset = 0;
    for (int i = 0; i < n_live; i++) {
        if (live[i].offset >= offset + size) break;
        if (live[i].end > offset) offset = align_up(live[i].end);
    }
    return offset;
}

cort_status *cort_memplan(const cort_buffer_req *reqs, int n, size_t *offsets, size_t *total) {
    *total = 0;
    if (n <= 0) return NULL;
    sized *order = malloc((size_t)n * sizeof *order);
    placed *done = malloc((size_t)n * sizeof *done);
    placed *live = malloc((size_t)n * sizeof *live);
    if (!order || !done || !live) {
        free(order);
        free(done);
        free(live);
        return cort_oom();
    }
    for (int i = 0; i < n; i++) order[i] = (sized){reqs[i].size, i};
    qsort(order, (size_t)n, sizeof *order, by_size_desc);
    int n_done = 0;
    for (int k = 0; k < n; k++) {
        const cort_buffer_req *r = &reqs[order[k].index];
        int n_live = 0;
        for (int i = 0; i < n_done; i++)
            if (done[i].first <= r->last && r->first <= done[i].last) live[n_live++] = done[i];
        qsort(live, (size_t)n_live, sizeof *live, by_offset);
        size_t size = align_up(r->size ? r->size : 1);
        size_t off = first_fit(live, n_live, size);
        offsets[order[k].index] = off;
        done[n_done++] = (placed){off, off + size, r->first, r->last};
        if (off + size > *total) *total = off + size;
    }
    free(order);
    free(done);
    free(live);
    return NULL;
}
