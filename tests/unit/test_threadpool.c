/* parallel_for covers every index exactly once, at any thread count, also from concurrent callers and
 * from inside a chunk; small ranges stay on the calling thread; every thread takes part in a large
 * range, the caller at its front and the workers at its back; an idle pool's workers sleep instead of
 * spinning, also after a run's cort_threadpool_wake/_rest. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

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

/* ---- a chunk that starts a nested parallel_for on the same pool: it must run inline and finish */
typedef struct nested {
    cort_threadpool *pool;
    atomic_int *hits;
} nested;

static void nested_inner(void *arg, int64_t begin, int64_t end) {
    atomic_int *hits = arg;
    for (int64_t i = begin; i < end; i++) atomic_fetch_add(&hits[i], 1);
}

static void nested_outer(void *arg, int64_t begin, int64_t end) {
    nested *n = arg;
    for (int64_t i = begin; i < end; i++) cort_threadpool_for(n->pool, 64, 1, nested_inner, n->hits + i * 64);
}

static int nested_covers_once(cort_threadpool *pool) {
    enum { OUTER = 40 };
    atomic_int *hits = calloc(OUTER * 64, sizeof *hits);
    nested n = {pool, hits};
    cort_threadpool_for(pool, OUTER, 1, nested_outer, &n);
    int ok = 1;
    for (int i = 0; i < OUTER * 64; i++) ok &= atomic_load(&hits[i]) == 1;
    free(hits);
    return ok;
}

/* ---- which threads ran chunks */
typedef struct who {
    pthread_t caller;
    atomic_int others; /* chunks run on a thread other than the caller */
} who;

static void note_thread(void *arg, int64_t begin, int64_t end) {
    who *w = arg;
    if (!pthread_equal(pthread_self(), w->caller)) atomic_fetch_add(&w->others, 1);
    /* enough work per chunk for a sleeping worker to wake up and claim one */
    struct timespec ts = {0, 200000};
    for (int64_t i = begin; i < end; i++) nanosleep(&ts, NULL);
}

/* ---- the caller runs the front of a range and the workers its back (so that consecutive ranges split
 * alike leave each thread reading what it wrote) */
typedef struct sides {
    pthread_t caller;
    atomic_int by_caller[64]; /* 1: the caller ran item i, 2: another thread did */
} sides;

static void note_side(void *arg, int64_t begin, int64_t end) {
    sides *s = arg;
    int who = pthread_equal(pthread_self(), s->caller) ? 1 : 2;
    struct timespec ts = {0, 100000};
    for (int64_t i = begin; i < end; i++) {
        atomic_store(&s->by_caller[i], who);
        nanosleep(&ts, NULL);
    }
}

static void check_front_and_back(void) {
    cort_threadpool *pool = NULL;
    CHECK_OK(cort_threadpool_create(2, &pool));
    for (int round = 0; round < 3; round++) {
        sides s;
        s.caller = pthread_self();
        for (int i = 0; i < 64; i++) atomic_init(&s.by_caller[i], 0);
        cort_threadpool_wake(pool);
        cort_threadpool_for(pool, 64, 1, note_side, &s);
        cort_threadpool_rest(pool);
        int last_caller = -1, first_other = 64;
        for (int i = 0; i < 64; i++) {
            int who = atomic_load(&s.by_caller[i]);
            CHECK(who == 1 || who == 2);
            if (who == 1) last_caller = i;
            if (who == 2 && i < first_other) first_other = i;
        }
        CHECK(last_caller < first_other);
        CHECK(last_caller >= 0); /* the caller always takes the first chunk */
    }
    cort_threadpool_free(pool);
}

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
           ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

static void check_threads_used(void) {
    cort_threadpool *pool = NULL;
    CHECK_OK(cort_threadpool_create(2, &pool));
    /* at most min_chunk items: the caller runs them alone */
    who small = {pthread_self(), 0};
    cort_threadpool_for(pool, 8, 8, note_thread, &small);
    CHECK(atomic_load(&small.others) == 0);
    /* a long range: the worker joins in (it may be asleep when the range starts) */
    who big = {pthread_self(), 0};
    cort_threadpool_for(pool, 400, 1, note_thread, &big);
    CHECK(atomic_load(&big.others) > 0);
    /* woken ahead of work, the workers take part in the next range and go back to sleep */
    struct timespec settle = {0, 50000000}, idle = {0, 200000000};
    nanosleep(&settle, NULL);
    cort_threadpool_wake(pool);
    CHECK(covers_once(pool, 100000, 64));
    cort_threadpool_rest(pool);
    cort_threadpool_wake(pool);
    cort_threadpool_rest(pool);
    /* idle: after the runs' ends and their short spin the workers block, so the process uses (almost) no CPU */
    nanosleep(&settle, NULL);
    double before = cpu_seconds();
    nanosleep(&idle, NULL);
    double used = cpu_seconds() - before;
    if (used > 0.02) fprintf(stderr, "idle pool used %.3f s of CPU in 0.2 s\n", used);
    CHECK(used <= 0.02);
    cort_threadpool_free(pool);
}

int main(void) {
    check_threads_used();
    check_front_and_back();
    for (int threads = 1; threads <= 4; threads++) {
        cort_threadpool *pool = NULL;
        CHECK_OK(cort_threadpool_create(threads, &pool));
        CHECK(cort_threadpool_threads(pool) == threads);
        for (int64_t n = 0; n < 300; n += 37) CHECK(covers_once(pool, n, 1));
        CHECK(nested_covers_once(pool));
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
