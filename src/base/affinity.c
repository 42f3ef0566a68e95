#include "base/affinity.h"

#include "base/cpu.h"

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#elif defined(__APPLE__)
#include <pthread.h>
#include <pthread/qos.h>
#endif

bool cort_affinity_should_pin(int threads, int big, int all) {
    return big > 0 && big < all && threads >= 1 && threads <= big;
}

#if !defined(__linux__)
bool cort_affinity_pin(const int *cpus, int count, int threads) {
    (void)cpus, (void)count, (void)threads;
    return false;
}

int cort_affinity_current_cpu(void) { return -1; }

int cort_affinity_thread_id(void) { return -1; }

bool cort_affinity_keep_off_cpu(int tid, int cpu) {
    (void)tid, (void)cpu;
    return false;
}

void cort_affinity_allow_cpu(int cpu) { (void)cpu; }

void cort_affinity_leave_cpu(int cpu) { (void)cpu; }
#else
int cort_affinity_current_cpu(void) { return sched_getcpu(); }

int cort_affinity_thread_id(void) { return (int)syscall(SYS_gettid); }

bool cort_affinity_keep_off_cpu(int tid, int cpu) {
    cpu_set_t mask;
    if (tid <= 0 || cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(tid, sizeof mask, &mask) != 0) return false;
    if (!CPU_ISSET(cpu, &mask)) return false;
    CPU_CLR(cpu, &mask);
    return CPU_COUNT(&mask) > 0 && sched_setaffinity(tid, sizeof mask, &mask) == 0;
}

void cort_affinity_allow_cpu(int cpu) {
    cpu_set_t mask;
    if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof mask, &mask) != 0) return;
    CPU_SET(cpu, &mask);
    (void)sched_setaffinity(0, sizeof mask, &mask);
}

void cort_affinity_leave_cpu(int cpu) {
    if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getcpu() != cpu) return;
    cpu_set_t mask, others;
    if (sched_getaffinity(0, sizeof mask, &mask) != 0) return;
    others = mask;
    CPU_CLR(cpu, &others);
    if (CPU_COUNT(&others) == 0) return;
    /* setting the narrower mask migrates this thread at once; restoring the old one does not move it back */
    if (sched_setaffinity(0, sizeof others, &others) == 0) (void)sched_setaffinity(0, sizeof mask, &mask);
}

/* The big cores, read from sysfs once per process (every worker of every pool asks): CPU topology,
 * like the feature bits, does not change while the process runs. */
typedef struct big_cores {
    int count, all;
    int cpus[CORT_CPU_MAX_CORES];
} big_cores;
static big_cores found;
static pthread_once_t found_once = PTHREAD_ONCE_INIT;

static void find_big_cores(void) {
    found.count = cort_cpu_big_cores(found.cpus, CORT_CPU_MAX_CORES);
    long all = sysconf(_SC_NPROCESSORS_CONF);
    found.all = all > 0 && all <= CORT_CPU_MAX_CORES ? (int)all : 0;
}

bool cort_affinity_pin(const int *cpus, int count, int threads) {
    cpu_set_t allowed, want;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return false;
    CPU_ZERO(&want);
    int usable = 0;
    for (int i = 0; i < count; i++)
        if (cpus[i] >= 0 && cpus[i] < CPU_SETSIZE && CPU_ISSET(cpus[i], &allowed) && !CPU_ISSET(cpus[i], &want)) {
            CPU_SET(cpus[i], &want);
            usable++;
        }
    /* a pool that does not fit on the cores this process may use stays where it is */
    if (usable == 0 || usable < threads) return false;
    return sched_setaffinity(0, sizeof want, &want) == 0;
}

static bool pin_to_big_cores(int threads) {
    if (pthread_once(&found_once, find_big_cores) != 0) return false;
    if (!cort_affinity_should_pin(threads, found.count, found.all)) return false;
    return cort_affinity_pin(found.cpus, found.count, threads);
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
