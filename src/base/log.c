#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>

void cort_log(int threshold, int level, const char *fmt, ...) {
    if (level < threshold) return;
    static const char tags[] = "VIWEF";
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* one fprintf per message keeps lines from concurrent sessions whole */
    fprintf(stderr, "[cort %c] %s\n", level >= 0 && level <= 4 ? tags[level] : '?', line);
}
