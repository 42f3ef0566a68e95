/* The arena planner never overlaps buffers whose lifetimes overlap, and reuses memory otherwise. */
#include <stdbool.h>
#include <stdlib.h>

#include "check.h"
#include "plan/memplan.h"

static unsigned next_rand(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return (*s >> 16) & 0x7fff;
}

static void check_random_plan(unsigned seed, int n) {
    cort_buffer_req *reqs = malloc((size_t)n * sizeof *reqs);
    size_t *off = malloc((size_t)n * sizeof *off);
    for (int i = 0; i < n; i++) {
        int first = (int)(next_rand(&seed) % 50);
        reqs[i] = (cort_buffer_req){1 + next_rand(&seed) % 5000, first, first + (int)(next_rand(&seed) % 10)};
    }
    size_t total = 0, sum = 0;
    CHECK_OK(cort_memplan(reqs, n, off, &total));
    for (int i = 0; i < n; i++) {
        sum += reqs[i].size;
        CHECK(off[i] % CORT_ARENA_ALIGN == 0);
        CHECK(off[i] + reqs[i].size <= total);
        for (int j = 0; j < i; j++) {
            bool live_together = reqs[i].first <= reqs[j].last && reqs[j].first <= reqs[i].last;
            bool overlap = off[i] < off[j] + reqs[j].size && off[j] < off[i] + reqs[i].size;
            CHECK(!(live_together && overlap));
        }
    }
    CHECK(total < sum + (size_t)n * CORT_ARENA_ALIGN);
    free(reqs);
    free(off);
}

static void check_reuse(void) {
    /* a chain a -> b -> c: a and c never live together, so they share memory */
    cort_buffer_req reqs[3] = {{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}};
    size_t off[3], total;
    CHECK_OK(cort_memplan(reqs, 3, off, &total));
    CHECK(total == 2 * 1024);
    CHECK(off[0] == off[2]);
}

int main(void) {
    check_reuse();
    for (unsigned seed = 1; seed < 20; seed++) check_random_plan(seed, 200);
    size_t total = 1;
    CHECK_OK(cort_memplan(NULL, 0, NULL, &total));
    CHECK(total == 0);
    return check_report("test_memplan");
}
