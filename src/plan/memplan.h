/* Static memory planning: buffers with known sizes and lifetimes [first, last] (step indices) get
 * offsets in one arena so that buffers alive at the same time never overlap. */
#ifndef CORT_PLAN_MEMPLAN_H
#define CORT_PLAN_MEMPLAN_H
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

#define CORT_ARENA_ALIGN 64

typedef struct cort_buffer_req {
    size_t size;
    int first, last; /* the step defining the buffer, the last step reading it */
} cort_buffer_req;

/* Greedy by size (largest first, each placed at the lowest offset free for its lifetime), like ONNX
 * Runtime's memory patterns. offsets[i] receives the offset of reqs[i]; *total the arena size. */
cort_status *cort_memplan(const cort_buffer_req *reqs, int n, size_t *offsets, size_t *total);
#endif
