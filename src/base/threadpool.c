#include "base/threadpool.h"
#include "base/affinity.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* WebAssembly built without -pthread has no threads to start: pools there run everything serially. */
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define CORT_SINGLE_THREADED 1
#else
#define CORT_SINGLE_THREADED 0
#endif

/* A worker spins this long for the next job before it blocks: long enough to bridge the gap between
 * two operators of a run (a wake-up through the kernel costs several microseconds), short enough
 * that an idle session goes to sleep at once. It yields the CPU every few checks, which returns at
 * once on an idle core and, on a busy machine, leaves the core to the threads doing work. A caller
 * waiting for chunks other threads claimed spins without yielding (they are running, and most
 * chunks take less than the spin), then blocks until the last one signals. */
enum { WORKER_SPIN_NS = 100000, RUN_SPIN_NS = 20000000, JOIN_SPIN_NS = 200000, CHECKS_PER_YIELD = 16, CHECKS_PER_CLOCK = 64 };

/* The claim word holds the job's generation in its high half and, in its low half, how many chunks
 * were claimed from the front (by the caller) and from the back (by the workers), so that one
 * compare-and-swap both claims a chunk and proves the job is still the one whose fields the claimer
 * read. The caller thus runs the range's first part and the workers its last, split where they meet:
 * consecutive operators split alike (rows, planes, channels in order), so each thread mostly reads
 * what it wrote itself at the step before rather than data in the other core's cache (two virtual
 * CPUs on different dies of the host move it at under half the speed of a local read); a thread
 * that is late still finds every chunk it did not take done by the others. */
#define CLAIM_GEN(c) ((uint32_t)((c) >> 32))
#define CLAIM_FRONT(c) ((uint32_t)((c) >> 16) & 0xffffu)
#define CLAIM_BACK(c) ((uint32_t)(c) & 0xffffu)
#define CLAIM_ONE_FRONT (1ull << 16)
enum { MAX_CHUNKS = 0xffff };

/* One worker thread; the fields other than `thread` and `pool` are guarded by the pool's lock. */
typedef struct worker_slot {
    pthread_t thread;
    struct cort_threadpool *pool;
    int tid;      /* the kernel's thread id (affinity calls), -1 unknown */
    bool asleep;  /* blocked on the pool's `wake` */
    int kept_off; /* the CPU its waker removed from its mask, -1 none */
} worker_slot;

struct cort_threadpool {
    int threads;
    worker_slot *workers;
    pthread_mutex_t busy; /* held by the thread running a parallel_for */
    /* the current job: written by its caller before the release store of `claim` that publishes it.
     * Each group sits on its own cache line: the job's fields are read by every claimer, the claim
     * word and the completion count are written by every claimer, the rest only when threads sleep. */
    _Alignas(64) _Atomic(cort_pool_fn) fn;
    _Atomic(void *) arg;
    atomic_llong n, chunk;
    atomic_uint n_chunks;
    _Alignas(64) atomic_ullong claim;
    _Alignas(64) atomic_uint finished; /* chunks of the current job completed */
    /* sleeping and waking */
    _Alignas(64) atomic_int sleepers; /* workers blocked on `wake` */
    atomic_uint nudges;               /* cort_threadpool_wake calls: a sleeper returns to its spin */
    atomic_int waker_cpu;             /* the CPU of the thread that last woke sleepers, -1 unknown */
    atomic_int runs;                  /* runs between cort_threadpool_wake and _rest */
    atomic_bool caller_waits;  /* the caller blocks on `done` */
    atomic_bool stop;
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
};

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Claims and runs chunks of job `gen`, from the front or the back, until none is left or another job
 * has replaced it. */
static void run_chunks(cort_threadpool *p, uint32_t gen, bool from_back) {
    unsigned long long c = atomic_load_explicit(&p->claim, memory_order_acquire);
    for (;;) {
        if (CLAIM_GEN(c) != gen) return;
        /* relaxed reads: if another job replaced these fields, the claim below fails and they are unused */
        cort_pool_fn fn = atomic_load_explicit(&p->fn, memory_order_relaxed);
        void *arg = atomic_load_explicit(&p->arg, memory_order_relaxed);
        int64_t n = atomic_load_explicit(&p->n, memory_order_relaxed);
        int64_t chunk = atomic_load_explicit(&p->chunk, memory_order_relaxed);
        uint32_t n_chunks = atomic_load_explicit(&p->n_chunks, memory_order_relaxed);
        uint32_t front = CLAIM_FRONT(c), back = CLAIM_BACK(c);
        if (front + back >= n_chunks) return;
        uint32_t i = from_back ? n_chunks - 1 - back : front;
        if (!atomic_compare_exchange_weak_explicit(&p->claim, &c, c + (from_back ? 1 : CLAIM_ONE_FRONT),
                                                   memory_order_acq_rel, memory_order_acquire))
            continue;
        int64_t begin = (int64_t)i * chunk, end = begin + chunk < n ? begin + chunk : n;
        fn(arg, begin, end);
        if (atomic_fetch_add(&p->finished, 1) + 1 == n_chunks && atomic_load(&p->caller_waits)) {
            pthread_mutex_lock(&p->lock);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->lock);
        }
        c = atomic_load_explicit(&p->claim, memory_order_acquire);
    }
}

static bool has_new_job(cort_threadpool *p, uint32_t seen) {
    return CLAIM_GEN(atomic_load_explicit(&p->claim, memory_order_acquire)) != seen ||
           atomic_load_explicit(&p->stop, memory_order_relaxed);
}

/* Spins for a while, then blocks until the generation moves past `seen` (or the pool stops). After a
 * block it returns to the CPU mask it had (see base/affinity.h) or, where its waker could not keep it
 * off the waker's CPU, leaves that CPU. */
static void wait_for_job(worker_slot *w, uint32_t seen) {
    cort_threadpool *p = w->pool;
    int64_t deadline = now_ns() + WORKER_SPIN_NS;
    for (unsigned i = 1;; i++) {
        if (has_new_job(p, seen)) return;
        if (i % CHECKS_PER_YIELD == 0) sched_yield();
        if (i % CHECKS_PER_CLOCK == 0 && now_ns() > deadline) {
            /* inside a run, keep spinning (bounded, for a run stuck in a long serial step) */
            if (atomic_load_explicit(&p->runs, memory_order_relaxed) == 0 || now_ns() > deadline + RUN_SPIN_NS) break;
        }
    }
    pthread_mutex_lock(&p->lock);
    /* seq_cst pairs with the publisher's store of `claim` then load of `sleepers`: either it sees this
     * sleeper and broadcasts under the lock, or this check sees its job */
    atomic_fetch_add(&p->sleepers, 1);
    w->asleep = true;
    unsigned nudges = atomic_load(&p->nudges);
    while (CLAIM_GEN(atomic_load(&p->claim)) == seen && !atomic_load(&p->stop) && atomic_load(&p->nudges) == nudges)
        pthread_cond_wait(&p->wake, &p->lock);
    w->asleep = false;
    int kept_off = w->kept_off;
    w->kept_off = -1;
    atomic_fetch_sub(&p->sleepers, 1);
    pthread_mutex_unlock(&p->lock);
    if (kept_off >= 0) cort_affinity_allow_cpu(kept_off);
    else cort_affinity_leave_cpu(atomic_load_explicit(&p->waker_cpu, memory_order_relaxed));
}

static void *worker_main(void *arg) {
    worker_slot *w = arg;
    cort_threadpool *p = w->pool;
    cort_affinity_worker_start(p->threads); /* big cores on big.LITTLE CPUs (base/affinity.h) */
    int tid = cort_affinity_thread_id();
    pthread_mutex_lock(&p->lock);
    w->tid = tid;
    pthread_mutex_unlock(&p->lock);
    uint32_t seen = 0;
    for (;;) {
        wait_for_job(w, seen);
        if (atomic_load(&p->stop)) return NULL;
        uint32_t gen = CLAIM_GEN(atomic_load_explicit(&p->claim, memory_order_acquire));
        if (gen == seen) continue; /* woken by cort_threadpool_wake: spin for the job to come */
        seen = gen;
        run_chunks(p, seen, true);
    }
}

void cort_threadpool_rest(cort_threadpool *p) {
    if (p && p->threads > 1) atomic_fetch_sub(&p->runs, 1);
}

/* Wakes the sleeping workers onto CPUs other than the caller's (base/affinity.h); `nudge` also wakes
 * those waiting for a job that has not been published yet. */
static void wake_sleepers(cort_threadpool *p, bool nudge) {
    int cpu = cort_affinity_current_cpu();
    atomic_store_explicit(&p->waker_cpu, cpu, memory_order_relaxed);
    pthread_mutex_lock(&p->lock);
    for (int i = 0; cpu >= 0 && i < p->threads - 1; i++) {
        worker_slot *w = &p->workers[i];
        if (w->asleep && w->kept_off < 0 && cort_affinity_keep_off_cpu(w->tid, cpu)) w->kept_off = cpu;
    }
    if (nudge) atomic_fetch_add(&p->nudges, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
}

void cort_threadpool_wake(cort_threadpool *p) {
    if (!p || p->threads == 1) return;
    atomic_fetch_add(&p->runs, 1);
    if (atomic_load(&p->sleepers) > 0) wake_sleepers(p, true);
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
    /* aligned like its cache-line groups */
    size_t size = (sizeof(cort_threadpool) + 63) / 64 * 64;
    cort_threadpool *p = aligned_alloc(64, size);
    if (!p) return cort_oom();
    memset(p, 0, size);
    p->threads = threads;
    atomic_init(&p->waker_cpu, -1);
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
            p->workers[i] = (worker_slot){.pool = p, .tid = -1, .kept_off = -1};
            if (pthread_create(&p->workers[i].thread, NULL, worker_main, &p->workers[i]) != 0) {
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
        atomic_store(&p->stop, true);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->lock);
        for (int i = 0; i < p->threads - 1; i++) pthread_join(p->workers[i].thread, NULL);
        free(p->workers);
    }
    pthread_mutex_destroy(&p->busy);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    free(p);
}

int cort_threadpool_threads(const cort_threadpool *pool) { return pool ? pool->threads : 1; }

/* Waits for the chunks other threads claimed: a short spin (they are running), then a block. */
static void join(cort_threadpool *p, uint32_t n_chunks) {
    int64_t deadline = now_ns() + JOIN_SPIN_NS;
    for (unsigned i = 1; atomic_load_explicit(&p->finished, memory_order_acquire) != n_chunks; i++) {
        if (i % CHECKS_PER_CLOCK != 0 || now_ns() <= deadline) continue;
        pthread_mutex_lock(&p->lock);
        atomic_store(&p->caller_waits, true);
        while (atomic_load(&p->finished) != n_chunks) pthread_cond_wait(&p->done, &p->lock);
        atomic_store(&p->caller_waits, false);
        pthread_mutex_unlock(&p->lock);
        return;
    }
}

void cort_threadpool_for(cort_threadpool *p, int64_t n, int64_t min_chunk, cort_pool_fn fn, void *arg) {
    if (n <= 0) return;
    if (min_chunk < 1) min_chunk = 1;
    if (!p || p->threads == 1 || n <= min_chunk || pthread_mutex_trylock(&p->busy) != 0) {
        fn(arg, 0, n);
        return;
    }
    /* a few chunks per thread balance uneven work and late-waking workers at little claiming cost */
    int64_t chunk = (n + (int64_t)p->threads * 4 - 1) / ((int64_t)p->threads * 4);
    if (chunk < min_chunk) chunk = min_chunk;
    if (chunk < (n + MAX_CHUNKS - 1) / MAX_CHUNKS) chunk = (n + MAX_CHUNKS - 1) / MAX_CHUNKS; /* the claim word's counts */
    uint32_t n_chunks = (uint32_t)((n + chunk - 1) / chunk);
    atomic_store_explicit(&p->fn, fn, memory_order_relaxed);
    atomic_store_explicit(&p->arg, arg, memory_order_relaxed);
    atomic_store_explicit(&p->n, n, memory_order_relaxed);
    atomic_store_explicit(&p->chunk, chunk, memory_order_relaxed);
    atomic_store_explicit(&p->n_chunks, n_chunks, memory_order_relaxed);
    atomic_store_explicit(&p->finished, 0, memory_order_relaxed);
    uint32_t gen = CLAIM_GEN(atomic_load_explicit(&p->claim, memory_order_relaxed)) + 1;
    atomic_store(&p->claim, (unsigned long long)gen << 32); /* seq_cst: see wait_for_job */
    if (atomic_load(&p->sleepers) > 0) wake_sleepers(p, false);
    run_chunks(p, gen, false);
    join(p, n_chunks);
    pthread_mutex_unlock(&p->busy);
}
