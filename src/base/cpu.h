/* What the CPU offers, asked of the platform in its own way: x86-64 through the compiler's cpuid
 * wrapper (__builtin_cpu_supports), AArch64 Linux and Android through the kernel's hardware
 * capability bits (getauxval(AT_HWCAP)), Apple through sysctlbyname. Also which cores are the fast
 * ones on CPUs that mix big and little cores (Linux/Android: sysfs capacities or maximum
 * frequencies; Apple: performance-level core counts), for thread placement (base/affinity.h).
 * Nothing is cached: callers ask once, at load or thread start. */
#ifndef CORT_BASE_CPU_H
#define CORT_BASE_CPU_H
#include <stdbool.h>
#include <stddef.h>

enum { CORT_CPU_MAX_CORES = 1024 };

typedef struct cort_cpu_features {
    /* x86-64 */
    bool avx2, fma, avx512f;
    /* AArch64: Advanced SIMD (NEON; every AArch64 CPU has it), half-precision arithmetic (FEAT_FP16,
     * asimdhp), dot product (FEAT_DotProd, asimddp), SVE */
    bool neon, fp16, dotprod, sve;
} cort_cpu_features;

/* Fills *out for the CPU this runs on; features of other architectures are false. */
void cort_cpu_detect(cort_cpu_features *out);

/* A short line naming the features that are present, e.g. "neon fp16 dotprod" or "avx2 fma"
 * ("none" when none are); returns buf. */
const char *cort_cpu_describe(const cort_cpu_features *f, char *buf, size_t size);

/* The CPU numbers of the fastest cores when the cores are not all alike, written to cpus (up to max);
 * returns how many, or 0 when all cores are alike or the platform does not say (on Apple, which
 * places threads itself, 0 as well: see cort_cpu_performance_cores). */
int cort_cpu_big_cores(int *cpus, int max);

/* How many cores are performance cores: on Apple hw.perflevel0.physicalcpu, elsewhere the count of
 * cort_cpu_big_cores; 0 when unknown or all alike. */
int cort_cpu_performance_cores(void);

/* The rule cort_cpu_big_cores applies, apart from reading the platform: given a speed figure per CPU
 * (capacity or maximum frequency; <= 0 when unknown), writes the CPUs whose figure is the largest and
 * returns their count, or 0 when any figure is unknown or all are equal. */
int cort_cpu_pick_fastest(const long *speed, int n, int *cpus, int max);

#endif
