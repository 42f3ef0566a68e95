/* Where a woken worker may run (base/affinity.h): a waker takes its own CPU out of a sleeping thread's
 * mask and the thread, once running, puts it back; both refuse what would leave no CPU or what the
 * mask does not hold. Then through the pool: after an idle gap, its sleeping worker is woken with
 * the caller's CPU out of its mask, takes part in the next range, and works with its mask as before. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "base/affinity.h"
#include "base/threadpool.h"
#include "check.h"

#if defined(__linux__)
#include <sched.h>

typedef struct sleeper {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int tid;
    bool go, done;
    int allow;                 /* the CPU to put back once woken, -1 none */
    cpu_set_t at_wake, at_end; /* the mask seen on waking and after allow_cpu */
} sleeper;

static void *sleep_until_go(void *arg) {
    sleeper *s = arg;
    pthread_mutex_lock(&s->lock);
    s->tid = cort_affinity_thread_id();
    pthread_cond_broadcast(&s->cond);
    while (!s->go) pthread_cond_wait(&s->cond, &s->lock);
    pthread_mutex_unlock(&s->lock);
    sched_getaffinity(0, sizeof s->at_wake, &s->at_wake);
    if (s->allow >= 0) cort_affinity_allow_cpu(s->allow);
    sched_getaffinity(0, sizeof s->at_end, &s->at_end);
    return NULL;
}

static int first_cpu(const cpu_set_t *set) {
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, set)) return c;
    return -1;
}

static int first_cpu_outside(const cpu_set_t *set) {
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (!CPU_ISSET(c, set)) return c;
    return -1;
}

static void check_keep_off_and_allow(void) {
    cpu_set_t mine;
    CHECK(sched_getaffinity(0, sizeof mine, &mine) == 0);
    int cpu = first_cpu(&mine), outside = first_cpu_outside(&mine);
    bool several = CPU_COUNT(&mine) > 1;
    sleeper s = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, -1, false, false, -1, {{0}}, {{0}}};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, sleep_until_go, &s) == 0);
    pthread_mutex_lock(&s.lock);
    while (s.tid < 0) pthread_cond_wait(&s.cond, &s.lock);
    /* kept off a CPU it may use, when another remains; never off one it may not use */
    bool kept = cort_affinity_keep_off_cpu(s.tid, cpu);
    CHECK(kept == several);
    CHECK(!cort_affinity_keep_off_cpu(s.tid, outside));
    CHECK(!cort_affinity_keep_off_cpu(s.tid, -1));
    s.allow = kept ? cpu : -1;
    s.go = true;
    pthread_cond_broadcast(&s.cond);
    pthread_mutex_unlock(&s.lock);
    pthread_join(t, NULL);
    CHECK(CPU_ISSET(cpu, &s.at_wake) == !kept);
    CHECK(CPU_COUNT(&s.at_wake) == CPU_COUNT(&mine) - (kept ? 1 : 0));
    CHECK(CPU_EQUAL(&s.at_end, &mine));
    /* the last CPU of a mask stays */
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    CHECK(sched_setaffinity(0, sizeof one, &one) == 0);
    CHECK(!cort_affinity_keep_off_cpu(cort_affinity_thread_id(), cpu));
    CHECK(sched_setaffinity(0, sizeof mine, &mine) == 0);
}

/* ---- through the pool */
typedef struct seen_by {
    pthread_t caller;
    cpu_set_t mask; /* the process's */
    atomic_int others, narrowed;
} seen_by;

/* Counts the chunks the worker ran and those it ran with a mask other than the process's (it puts the
 * caller's CPU back before it claims work). */
static void note_mask(void *arg, int64_t begin, int64_t end) {
    seen_by *w = arg;
    if (!pthread_equal(pthread_self(), w->caller)) {
        atomic_fetch_add(&w->others, 1);
        cpu_set_t now;
        if (sched_getaffinity(0, sizeof now, &now) != 0 || !CPU_EQUAL(&now, &w->mask)) atomic_fetch_add(&w->narrowed, 1);
    }
    struct timespec ts = {0, 200000};
    for (int64_t i = begin; i < end; i++) nanosleep(&ts, NULL);
}

static void check_pool_after_idle(void) {
    cpu_set_t mine;
    CHECK(sched_getaffinity(0, sizeof mine, &mine) == 0);
    cort_threadpool *pool = NULL;
    CHECK_OK(cort_threadpool_create(2, &pool));
    struct timespec idle = {0, 30000000};
    for (int round = 0; round < 3; round++) {
        nanosleep(&idle, NULL); /* the worker blocks */
        seen_by w = {pthread_self(), mine, 0, 0};
        cort_threadpool_wake(pool);
        cort_threadpool_for(pool, 200, 1, note_mask, &w);
        cort_threadpool_rest(pool);
        CHECK(atomic_load(&w.others) > 0);
        CHECK(atomic_load(&w.narrowed) == 0);
    }
    cort_threadpool_free(pool);
    /* the caller's own mask is untouched */
    cpu_set_t after;
    CHECK(sched_getaffinity(0, sizeof after, &after) == 0 && CPU_EQUAL(&after, &mine));
}
#endif

int main(void) {
#if defined(__linux__)
    check_keep_off_and_allow();
    check_pool_after_idle();
#else
    CHECK(cort_affinity_thread_id() == -1);
    CHECK(!cort_affinity_keep_off_cpu(1, 0));
    cort_affinity_allow_cpu(0); /* nothing to put back: no effect, no crash */
#endif
    return check_report("test_threadpool_affinity");
}
