/* Where a thread pool's workers run. On CPUs that mix big and little cores (phones, some ARM
 * servers and laptops), a worker left to the scheduler may land on a little core and hold back every
 * parallel_for it takes part in; so a pool that fits on the big cores has its workers moved there
 * (Linux and Android: sched_setaffinity, within the process's own CPU mask). Apple has no affinity
 * API: a worker asks for the user-initiated QoS class, which the scheduler runs on performance
 * cores. Elsewhere, and when the cores are all alike, nothing changes. Placement is a hint: a
 * failure leaves the thread where it was. */
#ifndef CORT_BASE_AFFINITY_H
#define CORT_BASE_AFFINITY_H
#include <stdbool.h>

/* Called by each worker thread as it starts; `threads` is the pool's size, the caller counted. */
void cort_affinity_worker_start(int threads);

/* The rule worker_start applies: pin a pool of `threads` to `big` big cores out of `all` when the
 * cores differ (0 < big < all) and the pool fits on the big ones. */
bool cort_affinity_should_pin(int threads, int big, int all);

/* Moves the calling thread onto those of `cpus` that its current CPU mask allows, when at least
 * `threads` (and at least one) of them are allowed; false, changing nothing, otherwise and where the
 * platform has no affinity call (only Linux and Android have one). */
bool cort_affinity_pin(const int *cpus, int count, int threads);

/* The CPU the calling thread runs on, or -1 where the platform does not say. */
int cort_affinity_current_cpu(void);

/* Linux places a woken thread on its waker's CPU when it sees no idle one nearby, and in a virtual
 * machine a halted virtual CPU does not count as idle: a worker woken by a run's caller then waits
 * behind that caller and takes no part in the run (a 2-thread run after an idle gap takes as long as a
 * 1-thread one). So the waker first takes its own CPU out of the sleeping worker's mask, which moves
 * nothing (the thread sleeps) but makes the wake-up land elsewhere; the worker, once running, puts the
 * CPU back, again without moving. */

/* The kernel's id of the calling thread, for the calls below; -1 where the platform has none. */
int cort_affinity_thread_id(void);

/* Removes `cpu` from the CPU mask of thread `tid` (of this process); false, changing nothing, when the
 * mask does not hold it, when no other CPU would remain, or where the platform has no affinity call. */
bool cort_affinity_keep_off_cpu(int tid, int cpu);

/* Adds `cpu` back to the calling thread's mask (what keep_off_cpu removed). */
void cort_affinity_allow_cpu(int cpu);

/* A worker woken where keep_off_cpu could not act and that finds itself on `cpu` moves to another CPU
 * of its mask; the mask itself is left as it was. Nothing happens where it already runs elsewhere,
 * where no other CPU is allowed, or where the platform has no affinity call. */
void cort_affinity_leave_cpu(int cpu);

#endif
