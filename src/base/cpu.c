#include "base/cpu.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if defined(__linux__) && defined(__aarch64__)
#include <sys/auxv.h>
/* The kernel's AArch64 hwcap bits (uapi asm/hwcap.h), for C libraries whose headers lack them. */
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1UL << 1)
#endif
#ifndef HWCAP_ASIMDHP
#define HWCAP_ASIMDHP (1UL << 10)
#endif
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20)
#endif
#ifndef HWCAP_SVE
#define HWCAP_SVE (1UL << 22)
#endif
#endif

#if defined(__APPLE__)
#include <sys/sysctl.h>
/* a sysctl integer, or `fallback` when the name does not exist on this OS version */
static int sysctl_int(const char *name, int fallback) {
    int value = 0;
    size_t size = sizeof value;
    if (sysctlbyname(name, &value, &size, NULL, 0) != 0 || size != sizeof value) return fallback;
    return value;
}
#endif

void cort_cpu_detect(cort_cpu_features *out) {
    memset(out, 0, sizeof *out);
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    /* libgcc's and compiler-rt's bits also require the OS to save the vector registers (XCR0) */
    out->avx2 = __builtin_cpu_supports("avx2");
    out->fma = __builtin_cpu_supports("fma");
    out->avx512f = __builtin_cpu_supports("avx512f");
#elif defined(__aarch64__) && defined(__APPLE__)
    /* every Apple arm64 core has FP16 arithmetic and dot product; the FEAT_ names exist from macOS 12
     * / iOS 15, the older ones before */
    out->neon = true;
    out->fp16 = sysctl_int("hw.optional.arm.FEAT_FP16", sysctl_int("hw.optional.neon_fp16", 0)) != 0;
    out->dotprod = sysctl_int("hw.optional.arm.FEAT_DotProd", 0) != 0;
    out->sve = false; /* no Apple core has SVE */
#elif defined(__aarch64__) && defined(__linux__)
    /* Linux and Android (bionic has getauxval from API 18) */
    unsigned long hw = getauxval(AT_HWCAP);
    out->neon = (hw & HWCAP_ASIMD) != 0;
    out->fp16 = (hw & HWCAP_ASIMDHP) != 0;
    out->dotprod = (hw & HWCAP_ASIMDDP) != 0;
    out->sve = (hw & HWCAP_SVE) != 0;
#elif defined(__aarch64__)
    out->neon = true; /* part of the architecture; other features unknown on this OS */
#endif
}

const char *cort_cpu_describe(const cort_cpu_features *f, char *buf, size_t size) {
    const struct {
        bool on;
        const char *name;
    } all[] = {{f->avx2, "avx2"}, {f->fma, "fma"}, {f->avx512f, "avx512f"}, {f->neon, "neon"},
               {f->fp16, "fp16"}, {f->dotprod, "dotprod"}, {f->sve, "sve"}};
    if (size == 0) return buf;
    buf[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (!all[i].on) continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? " " : "", all[i].name);
        if (n < 0 || (size_t)n >= size - used) { /* only whole names: drop the cut one */
            buf[used] = '\0';
            break;
        }
        used += (size_t)n;
    }
    if (used == 0) snprintf(buf, size, "none");
    return buf;
}

int cort_cpu_pick_fastest(const long *speed, int n, int *cpus, int max) {
    if (n <= 1) return 0;
    long lo = speed[0], hi = speed[0];
    for (int i = 0; i < n; i++) {
        if (speed[i] <= 0) return 0;
        lo = speed[i] < lo ? speed[i] : lo;
        hi = speed[i] > hi ? speed[i] : hi;
    }
    /* a step of at least 10%: a few "favoured" cores that boost slightly higher are not a big cluster */
    if (hi - lo < hi / 10) return 0;
    int count = 0;
    for (int i = 0; i < n && count < max; i++)
        if (speed[i] == hi) cpus[count++] = i;
    return count;
}

#if defined(__linux__)
/* A number from a one-line sysfs file, or -1. */
static long read_sysfs_long(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long v = -1;
    if (fscanf(f, "%ld", &v) != 1) v = -1;
    fclose(f);
    return v;
}
#endif

int cort_cpu_big_cores(int *cpus, int max) {
#if defined(__linux__)
    long n = sysconf(_SC_NPROCESSORS_CONF);
    if (n <= 1 || n > CORT_CPU_MAX_CORES) return 0;
    long speed[CORT_CPU_MAX_CORES];
    /* cpu_capacity: the scheduler's own figure on heterogeneous ARM kernels (1024 for the biggest) */
    const char *sources[] = {"cpu_capacity",
#if defined(__aarch64__) || defined(__arm__)
                             /* on ARM, the maximum frequency separates clusters when capacity is missing;
                              * on x86 it differs between alike cores (turbo "favoured cores") */
                             "cpufreq/cpuinfo_max_freq"
#endif
    };
    for (size_t s = 0; s < sizeof sources / sizeof sources[0]; s++) {
        bool known = true;
        for (long c = 0; c < n && known; c++) {
            char path[96];
            snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%ld/%s", c, sources[s]);
            speed[c] = read_sysfs_long(path);
            known = speed[c] > 0;
        }
        if (known) return cort_cpu_pick_fastest(speed, (int)n, cpus, max);
    }
    return 0;
#else
    (void)cpus, (void)max;
    return 0;
#endif
}

int cort_cpu_performance_cores(void) {
#if defined(__APPLE__)
    if (sysctl_int("hw.nperflevels", 1) < 2) return 0;
    return sysctl_int("hw.perflevel0.physicalcpu", 0);
#else
    int cpus[CORT_CPU_MAX_CORES];
    return cort_cpu_big_cores(cpus, CORT_CPU_MAX_CORES);
#endif
}
