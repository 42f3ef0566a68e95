/* CPU feature detection (base/cpu.h) against the kernel's own account in /proc/cpuinfo where there is
 * one (and against the CPU model qemu emulates, given in CORT_TEST_CPU_FEATURES), the rule that picks the big cores of a big.LITTLE CPU, and worker placement (base/affinity.h),
 * which may only ever narrow a thread's CPU mask to cores the process was allowed. */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/affinity.h"
#include "base/cpu.h"
#include "check.h"

/* Whether /proc/cpuinfo's feature line ("Features" on AArch64, "flags" on x86) names `word`; -1 when
 * there is no such line (qemu-user shows the host's file, other systems have none). */
static int cpuinfo_has(const char *line_name, const char *word) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return -1;
    char line[8192];
    int found = -1;
    size_t name_len = strlen(line_name);
    while (found < 0 && fgets(line, sizeof line, f)) {
        if (strncmp(line, line_name, name_len) != 0 || !strchr(line, ':')) continue;
        found = 0;
        for (char *tok = strtok(strchr(line, ':') + 1, " \t\n"); tok; tok = strtok(NULL, " \t\n"))
            if (strcmp(tok, word) == 0) found = 1;
    }
    fclose(f);
    return found;
}

static void check_feature(const char *line_name, const char *word, bool detected) {
    int listed = cpuinfo_has(line_name, word);
    if (listed < 0) return;
    if (listed != (int)detected) fprintf(stderr, "%s: /proc/cpuinfo %d, detected %d\n", word, listed, (int)detected);
    CHECK(listed == (int)detected);
}

static void test_detect(void) {
    cort_cpu_features f;
    cort_cpu_detect(&f);
    char line[128];
    printf("cpu: %s\n", cort_cpu_describe(&f, line, sizeof line));
    /* set by tests/cross/run_arm64.sh, which runs this under qemu's models of several CPUs */
    const char *want = getenv("CORT_TEST_CPU_FEATURES");
    if (want && strcmp(line, want) != 0) fprintf(stderr, "detected '%s', the CPU has '%s'\n", line, want);
    CHECK(!want || strcmp(line, want) == 0);
#if defined(__aarch64__)
    CHECK(f.neon); /* part of the architecture */
    CHECK(!f.avx2 && !f.fma && !f.avx512f);
    check_feature("Features", "asimd", f.neon);
    check_feature("Features", "asimdhp", f.fp16);
    check_feature("Features", "asimddp", f.dotprod);
    check_feature("Features", "sve", f.sve);
#elif defined(__x86_64__)
    CHECK(!f.neon && !f.fp16 && !f.dotprod && !f.sve);
    check_feature("flags", "avx2", f.avx2);
    check_feature("flags", "fma", f.fma);
    check_feature("flags", "avx512f", f.avx512f);
#endif
}

static void test_describe(void) {
    cort_cpu_features f;
    memset(&f, 0, sizeof f);
    char buf[64];
    CHECK(strcmp(cort_cpu_describe(&f, buf, sizeof buf), "none") == 0);
    f.neon = f.dotprod = true;
    CHECK(strcmp(cort_cpu_describe(&f, buf, sizeof buf), "neon dotprod") == 0);
    f.avx2 = true;
    CHECK(strcmp(cort_cpu_describe(&f, buf, sizeof buf), "avx2 neon dotprod") == 0);
    char tiny[7];
    cort_cpu_describe(&f, tiny, sizeof tiny); /* stops at whole names that fit */
    CHECK(strcmp(tiny, "avx2") == 0);
}

static void test_pick_fastest(void) {
    int cpus[8];
    /* a phone: four little cores, three mid, one prime (capacities as the kernel reports them) */
    long phone[8] = {325, 325, 325, 325, 870, 870, 870, 1024};
    CHECK(cort_cpu_pick_fastest(phone, 8, cpus, 8) == 1 && cpus[0] == 7);
    /* two clusters by maximum frequency, big cores first */
    long clusters[6] = {2400000, 2400000, 1800000, 1800000, 1800000, 1800000};
    CHECK(cort_cpu_pick_fastest(clusters, 6, cpus, 8) == 2 && cpus[0] == 0 && cpus[1] == 1);
    CHECK(cort_cpu_pick_fastest(clusters, 6, cpus, 1) == 1 && cpus[0] == 0); /* at most `max` */
    long alike[4] = {1024, 1024, 1024, 1024};
    CHECK(cort_cpu_pick_fastest(alike, 4, cpus, 8) == 0);
    long favoured[4] = {4700000, 4800000, 4700000, 4800000}; /* turbo-favoured cores are not a cluster */
    CHECK(cort_cpu_pick_fastest(favoured, 4, cpus, 8) == 0);
    long unknown[3] = {1024, -1, 512};
    CHECK(cort_cpu_pick_fastest(unknown, 3, cpus, 8) == 0);
    CHECK(cort_cpu_pick_fastest(phone, 1, cpus, 8) == 0);
}

static void test_pin_rule(void) {
    CHECK(cort_affinity_should_pin(2, 4, 8));
    CHECK(cort_affinity_should_pin(4, 4, 8));
    CHECK(!cort_affinity_should_pin(5, 4, 8)); /* does not fit: the little cores help */
    CHECK(!cort_affinity_should_pin(2, 0, 8)); /* unknown or all alike */
    CHECK(!cort_affinity_should_pin(2, 8, 8));
}

typedef struct placed {
    int threads;
    bool subset, nonempty, read;
} placed;

static void *start_worker(void *arg) {
    placed *p = arg;
#if defined(__linux__)
    cpu_set_t before, after;
    bool ok = sched_getaffinity(0, sizeof before, &before) == 0;
    cort_affinity_worker_start(p->threads);
    ok = ok && sched_getaffinity(0, sizeof after, &after) == 0;
    p->read = ok;
    p->subset = true;
    for (int c = 0; c < CPU_SETSIZE && ok; c++)
        if (CPU_ISSET(c, &after) && !CPU_ISSET(c, &before)) p->subset = false;
    p->nonempty = CPU_COUNT(&after) > 0;
#else
    cort_affinity_worker_start(p->threads);
    p->read = p->subset = p->nonempty = true;
#endif
    return NULL;
}

static void test_worker_placement(void) {
    int big[CORT_CPU_MAX_CORES];
    int nbig = cort_cpu_big_cores(big, CORT_CPU_MAX_CORES);
    printf("big cores: %d, performance cores: %d\n", nbig, cort_cpu_performance_cores());
    CHECK(nbig >= 0);
    for (int threads = 1; threads <= 4; threads *= 2) {
        placed p = {threads, false, false, false};
        pthread_t t;
        CHECK(pthread_create(&t, NULL, start_worker, &p) == 0);
        pthread_join(t, NULL);
        CHECK(p.read && p.subset && p.nonempty);
    }
}

/* cort_affinity_pin itself, which no CPU here reaches through worker_start (their cores are all
 * alike): onto one allowed CPU, then refused for a pool that does not fit or CPUs not allowed. */
static void *pin_one(void *arg) {
    int *ok = arg;
#if defined(__linux__)
    cpu_set_t before, after;
    *ok = sched_getaffinity(0, sizeof before, &before) == 0;
    int first = -1, outside = -1;
    for (int c = 0; c < CPU_SETSIZE && *ok; c++) {
        if (CPU_ISSET(c, &before) && first < 0) first = c;
        if (!CPU_ISSET(c, &before) && outside < 0) outside = c;
    }
    CHECK(first >= 0);
    CHECK(!cort_affinity_pin(&first, 1, 2)); /* two threads do not fit on one CPU */
    CHECK(!cort_affinity_pin(&outside, 1, 1)); /* not in this thread's mask */
    CHECK(sched_getaffinity(0, sizeof after, &after) == 0 && CPU_EQUAL(&before, &after));
    int twice[2] = {first, first};
    CHECK(cort_affinity_pin(twice, 2, 1));
    CHECK(sched_getaffinity(0, sizeof after, &after) == 0 && CPU_COUNT(&after) == 1 && CPU_ISSET(first, &after));
#else
    int any = 0;
    *ok = !cort_affinity_pin(&any, 1, 1); /* no affinity call: nothing moves */
#endif
    return NULL;
}

static void test_pin(void) {
    int ok = 0;
    pthread_t t;
    CHECK(pthread_create(&t, NULL, pin_one, &ok) == 0);
    pthread_join(t, NULL);
    CHECK(ok);
}

int main(void) {
    test_detect();
    test_describe();
    test_pick_fastest();
    test_pin_rule();
    test_worker_placement();
    test_pin();
    return check_report("test_cpu");
}
