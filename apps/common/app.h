/*
 * Helpers the cort apps share besides images: finding model files, wall-clock timing, and
 * writing JSON strings. No global state; nothing here calls exit().
 */
#ifndef CORT_APPS_APP_H
#define CORT_APPS_APP_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The environment variable naming the default model folder. */
#define APP_MODELS_ENV "CORT_MODELS"
/** The folder under $HOME used when neither --models nor $CORT_MODELS is given. */
#define APP_MODELS_CACHE ".cache/cort/models"

/**
 * Finds the model file `name` in `dir` (the --models option) or, when dir is NULL, in the folder
 * named by $CORT_MODELS, else in ~/.cache/cort/models. Writes the path into path[pathlen]. Returns
 * 0 if the file exists and can be read, else -1 with a message in err[errlen] saying where it was
 * looked for and how to say where the models are.
 */
int app_find_model(const char *dir, const char *name, char *path, size_t pathlen, char *err, size_t errlen);

/** Monotonic wall-clock time in milliseconds. */
double app_now_ms(void);

/** Writes s as a JSON string literal (quoted, with escapes; bytes >= 0x80 pass through as UTF-8). */
void app_json_string(FILE *f, const char *s);

#ifdef __cplusplus
}
#endif
#endif /* CORT_APPS_APP_H */
