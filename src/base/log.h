/* Messages to stderr, filtered by the level the environment or the session options set. */
#ifndef CORT_BASE_LOG_H
#define CORT_BASE_LOG_H
#include "base/status.h"

/* Prints "[cort <L>] <message>" when `level` >= `threshold` (cort_log_level values). */
void cort_log(int threshold, int level, const char *fmt, ...) CORT_PRINTF(3, 4);
#endif
