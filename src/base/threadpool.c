#include "base/threadpool.h"
#include "base/affinity.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* WebAssembly built without -pthread has no threads to start: pools there run everything serially. */
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define CORT_SINGLE_THREADED 1
#else
#define CORT_SINGLE_THREADED 0
#endif

enum { SPIN_ITERATIONS = 20000 };

struct cort_threadpool {
    int threads;
    pthread_t *workers;
    pthread_mutex_t busy;   /* held by the thread running a parallel_for */
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    /* the current job */
    cort_pool_fn fn;
    void *arg;
    int64_t n, chunk;
    atomic_llong next;       /* next item to claim */
    atomic_int active;       /* workers still inside the job */
    atomic_uint generation;  /* bumped per job; workers wait for a new one */
    int stop;
};

static void run_chunks(cort_threadpool *p) {
    for (;;) {
        int64_t begin = atomic_fetch_add(&p->next, p->chunk);
        if (begin >= p->n) break;
        int64_t end = begin + p->chunk < p->n ? begin + p->chunk : p->n;
        p->fn(p->arg, begin, end);
    }
}

static unsigned wait_for_job(cort_threadpool *p, unsigned seen) {
    for (int i = 0; i < SPIN_ITERATIONS; i++) {
        unsigned g = atomic_load(&p->generation);
        if (g != seen) return g;
        if ((i & 63) == 63) sched_yield();
    }
    pthread_mutex_lock(&p->lock);
    unsigned g;
    while ((g = atomic_load(&p->generation)) == seen && !p->stop) pthread_cond_wait(&p->wake, &p->lock);
    pthread_mutex_unlock(&p->lock);
    return g;
}

static void *worker_main(void *arg) {
    cort_threadpool *p = arg;
    cort_affinity_worker_start(p->threads); /* big cores on big.LITTLE CPUs (base/affinity.h) */
    unsigned seen = 0;
    for (;;) {
        seen = wait_for_job(p, seen);
        pthread_mutex_lock(&p->lock);
        int stop = p->stop;
        pthread_mutex_unlock(&p->lock);
        if (stop) return NULL;
        run_chunks(p);
        if (atomic_fetch_sub(&p->active, 1) == 1) {
            pthread_mutex_lock(&p->lock);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->lock);
        }
    }
}

int cort_physical_cores(void) {
    /* count distinct (package, core) pairs; hyperthread siblings share a core id */
    if (CORT_SINGLE_THREADED) return 1;
    int seen_pairs[1024][2], n_pairs = 0;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    for (long c = 0; c < cpus && n_pairs < 1024; c++) {
        char path[128];
        int ids[2] = {-1, -1};
        const char *names[2] = {"physical_package_id", "core_id"};
        for (int k = 0; k < 2; k++) {
            snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%ld/topology/%s", c, names[k]);
            FILE *f = fopen(path, "r");
            if (!f) return cpus > 0 ? (int)cpus : 1;
            if (fscanf(f, "%d", &ids[k]) != 1) ids[k] = -1;
            fclose(f);
        }
        int dup = 0;
        for (int i = 0; i < n_pairs && !dup; i++) dup = seen_pairs[i][0] == ids[0] && seen_pairs[i][1] == ids[1];
        if (!dup) {
            seen_pairs[n_pairs][0] = ids[0];
            seen_pairs[n_pairs][1] = ids[1];
            n_pairs++;
        }
    }
    return n_pairs > 0 ? n_pairs : 1;
}

cort_status *cort_threadpool_create(int threads, cort_threadpool **out) {
    *out = NULL;
    if (threads < 1 || CORT_SINGLE_THREADED) threads = 1;
    cort_threadpool *p = calloc(1, sizeof *p);
    if (!p) return cort_oom();
    p->threads = threads;
    pthread_mutex_init(&p->busy, NULL);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    if (threads > 1) {
        p->workers = calloc((size_t)threads - 1, sizeof *p->workers);
        if (!p->workers) {
            cort_threadpool_free(p);
            return cort_oom();
        }
        for (int i = 0; i < threads - 1; i++) {
            if (pthread_create(&p->workers[i], NULL, worker_main, p) != 0) {
                p->threads = i + 1; /* the ones started are joined by free */
                cort_threadpool_free(p);
                return cort_error(CORT_FAIL, "cannot start worker thread %d", i);
            }
        }
    }
    *out = p;
    return NULL;
}

void cort_threadpool_free(cort_threadpool *p) {
    if (!p) return;
    if (p->workers) {
        pthread_mutex_lock(&p->lock);
        p->stop = 1;
        atomic_fetch_add(&p->generation, 1);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->lock);
        for (int i = 0; i < p->threads - 1; i++) pthread_join(p->workers[i], NULL);
        free(p->workers);
    }
    pthread_mutex_destroy(&p->busy);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    free(p);
}

int cort_threadpool_threads(const cort_threadpool *pool) { return pool ? pool->threads : 1; }

void cort_threadpool_for(cort_threadpool *p, int64_t n, int64_t min_chunk, cort_pool_fn fn, void *arg) {
    if (n <= 0) return;
    if (min_chunk < 1) min_chunk = 1;
    if (!p || p->threads == 1 || n <= min_chunk || pthread_mutex_trylock(&p->busy) != 0) {
        fn(arg, 0, n);
        return;
    }
    /* a few chunks per thread balance uneven work without much claiming overhead */
    int64_t chunk = (n + (int64_t)p->threads * 4 - 1) / ((int64_t)p->threads * 4);
    if (chunk < min_chunk) chunk = min_chunk;
    pthread_mutex_lock(&p->lock);
    p->fn = fn;
    p->arg = arg;
    p->n = n;
    p->chunk = chunk;
    atomic_store(&p->next, 0);
    atomic_store(&p->active, p->threads - 1);
    atomic_fetch_add(&p->generation, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    run_chunks(p);
    for (int i = 0; i < SPIN_ITERATIONS && atomic_load(&p->active) > 0; i++) {
    }
    pthread_mutex_lock(&p->lock);
    while (atomic_load(&p->active) > 0) pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
    pthread_mutex_unlock(&p->busy);
}
