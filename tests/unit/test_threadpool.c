/* parallel_for covers every index exactly once, at any thread count, also from concurrent callers. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "base/threadpool.h"
#include "check.h"

typedef struct counts {
    atomic_int *hits;
} counts;

static void mark(void *arg, int64_t begin, int64_t end) {
    counts *c = arg;
    for (int64_t i = begin; i < end; i++) atomic_fetch_add(&c->hits[i], 1);
}

static int covers_once(cort_threadpool *pool, int64_t n, int64_t min_chunk) {
    counts c = {calloc((size_t)n + 1, sizeof(atomic_int))};
    cort_threadpool_for(pool, n, min_chunk, mark, &c);
    int ok = 1;
    for (int64_t i = 0; i < n; i++) ok &= atomic_load(&c.hits[i]) == 1;
    free(c.hits);
    return ok;
}

static void *hammer(void *arg) {
    cort_threadpool *pool = arg;
    int ok = 1;
    for (int r = 0; r < 200; r++) ok &= covers_once(pool, 1000 + r, 7);
    return ok ? (void *)1 : NULL;
}

int main(void) {
    for (int threads = 1; threads <= 4; threads++) {
        cort_threadpool *pool = NULL;
        CHECK_OK(cort_threadpool_create(threads, &pool));
        CHECK(cort_threadpool_threads(pool) == threads);
        for (int64_t n = 0; n < 300; n += 37) CHECK(covers_once(pool, n, 1));
        CHECK(covers_once(pool, 100000, 64));
        pthread_t t[4];
        for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, hammer, pool);
        for (int i = 0; i < 4; i++) {
            void *ok = NULL;
            pthread_join(t[i], &ok);
            CHECK(ok != NULL);
        }
        cort_threadpool_free(pool);
    }
    CHECK(cort_physical_cores() >= 1);
    return check_report("test_threadpool");
}
