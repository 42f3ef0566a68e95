#include "base/affinity.h"

#include "base/cpu.h"

#if defined(__linux__)
#include <sched.h>
#include <unistd.h>
#elif defined(__APPLE__)
#include <pthread.h>
#include <pthread/qos.h>
#endif

bool cort_affinity_should_pin(int threads, int big, int all) {
    return big > 0 && big < all && threads >= 1 && threads <= big;
}

#if defined(__linux__)
/* Moves the calling thread onto the big cores that its current mask allows; false when there are
 * none to move to. */
static bool pin_to_big_cores(int threads) {
    int big[CORT_CPU_MAX_CORES];
    int nbig = cort_cpu_big_cores(big, CORT_CPU_MAX_CORES);
    long all = sysconf(_SC_NPROCESSORS_CONF);
    if (!cort_affinity_should_pin(threads, nbig, all > 0 ? (int)all : 0)) return false;
    cpu_set_t allowed, want;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return false;
    CPU_ZERO(&want);
    int usable = 0;
    for (int i = 0; i < nbig; i++)
        if (big[i] < CPU_SETSIZE && CPU_ISSET(big[i], &allowed)) {
            CPU_SET(big[i], &want);
            usable++;
        }
    /* a pool that no longer fits on the big cores this process may use stays where it is */
    if (usable < threads) return false;
    return sched_setaffinity(0, sizeof want, &want) == 0;
}
#endif

void cort_affinity_worker_start(int threads) {
#if defined(__linux__)
    (void)pin_to_big_cores(threads);
#elif defined(__APPLE__)
    (void)threads;
    (void)pthread_set_qos_class_self_np(QOS_CLASS_USER_INITIATED, 0);
#else
    (void)threads;
#endif
}
