/* Stand-in for the Apple SDK's <sys/sysctl.h>, for tests/cross/check_mobile.sh only: the one function
 * base/cpu.c uses, declared as in Apple's header, so the Apple code paths compile (-fsyntax-only)
 * on a machine without the SDK. Never used by a real build. */
#ifndef CORT_APPLE_STUB_SYS_SYSCTL_H
#define CORT_APPLE_STUB_SYS_SYSCTL_H
#include <stddef.h>
int sysctlbyname(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);
#endif
