/* Model lookup, timing and JSON output for the apps. */
#include "app.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The folder models are looked for in: --models, else $CORT_MODELS, else the cache `make demo-ocr`
 * fills (~/.cache/cort/models), so the apps work right after the demo without options. */
static const char *model_folder(const char *dir, char *buf, size_t buflen, const char **from) {
    if (dir) {
        *from = "--models";
        return dir;
    }
    const char *env = getenv(APP_MODELS_ENV), *home = getenv("HOME");
    if (env && *env) {
        *from = "$" APP_MODELS_ENV;
        return env;
    }
    *from = "the default cache; pass --models DIR or set " APP_MODELS_ENV;
    if (!home || !*home) return NULL;
    int n = snprintf(buf, buflen, "%s/%s", home, APP_MODELS_CACHE);
    return n > 0 && (size_t)n < buflen ? buf : NULL;
}

int app_find_model(const char *dir, const char *name, char *path, size_t pathlen, char *err, size_t errlen) {
    char cache[4096];
    const char *from = "";
    dir = model_folder(dir, cache, sizeof cache, &from);
    if (!dir) {
        snprintf(err, errlen, "no model folder: pass --models DIR or set %s (looking for %s)", APP_MODELS_ENV, name);
        return -1;
    }
    int n = snprintf(path, pathlen, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= pathlen) {
        snprintf(err, errlen, "model path too long: %s/%s", dir, name);
        return -1;
    }
    if (access(path, R_OK) != 0) {
        snprintf(err, errlen, "model %s not found in %s (from %s)", name, dir, from);
        return -1;
    }
    return 0;
}

double app_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void app_json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p == '\n') fputs("\\n", f);
        else if (*p == '\t') fputs("\\t", f);
        else if (*p == '\r') fputs("\\r", f);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}
