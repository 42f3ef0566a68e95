/* A fixed set of worker threads running parallel_for ranges. A job is published without a lock: the
 * range is cut into a few chunks that the caller and the workers claim with one compare-and-swap
 * each, and the caller waits only for chunks someone has claimed, never for a worker that has not
 * woken yet. Workers spin for a short while (about a tenth of a millisecond) for the next job, then
 * block on a condition variable, so an idle pool uses no CPU; a publisher takes the lock only when
 * some worker sleeps. One parallel_for at a time: a caller that finds the pool busy (another run on
 * the same session, or a nested call from inside a chunk) runs its range on its own thread. */
#ifndef CORT_BASE_THREADPOOL_H
#define CORT_BASE_THREADPOOL_H
#include <stdint.h>

#include "base/status.h"

typedef struct cort_threadpool cort_threadpool;
typedef void (*cort_pool_fn)(void *arg, int64_t begin, int64_t end);

/* `threads` counts the caller: 1 creates no workers. */
cort_status *cort_threadpool_create(int threads, cort_threadpool **out);
void cort_threadpool_free(cort_threadpool *pool);
int cort_threadpool_threads(const cort_threadpool *pool);
/* Runs fn over [0, n) in chunks of at least min_chunk items; returns when every chunk is done. A range
 * of at most min_chunk items runs on the calling thread. */
void cort_threadpool_for(cort_threadpool *pool, int64_t n, int64_t min_chunk, cort_pool_fn fn, void *arg);
/* A run's start and end. Between them the workers keep spinning for the next job (up to a bound)
 * instead of blocking after the short spin: a worker that sleeps between two parallel steps is woken
 * onto its waker's CPU by Linux and then waits behind it, so a 2-thread run would go at 1 thread's
 * speed. wake also wakes sleeping workers, onto CPUs other than the caller's (base/affinity.h) and
 * without waiting for them, so that they are up by the first parallel step (a run's first node does
 * some serial work before it); after the last rest the workers block after their short spin, and an
 * idle pool uses no CPU. Calls pair up; concurrent runs may overlap. */
void cort_threadpool_wake(cort_threadpool *pool);
void cort_threadpool_rest(cort_threadpool *pool);
/* Number of physical cores (falls back to online CPUs). */
int cort_physical_cores(void);
#endif
