/* Stand-in for the Apple SDK's <pthread/qos.h>, for tests/cross/check_mobile.sh only: the QoS classes
 * (values as in Apple's <sys/qos.h>) and the call base/affinity.c makes, so the Apple code paths
 * compile (-fsyntax-only) on a machine without the SDK. Never used by a real build. */
#ifndef CORT_APPLE_STUB_PTHREAD_QOS_H
#define CORT_APPLE_STUB_PTHREAD_QOS_H
typedef enum {
    QOS_CLASS_USER_INTERACTIVE = 0x21,
    QOS_CLASS_USER_INITIATED = 0x19,
    QOS_CLASS_DEFAULT = 0x15,
    QOS_CLASS_UTILITY = 0x11,
    QOS_CLASS_BACKGROUND = 0x09,
    QOS_CLASS_UNSPECIFIED = 0x00,
} qos_class_t;
int pthread_set_qos_class_self_np(qos_class_t qos_class, int relative_priority);
#endif
