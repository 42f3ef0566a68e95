/* A bump allocator: many small allocations freed together (IR, parsed attributes). */
#ifndef CORT_BASE_POOL_H
#define CORT_BASE_POOL_H
#include <stddef.h>

typedef struct cort_pool_chunk cort_pool_chunk;
typedef struct cort_pool {
    cort_pool_chunk *head;
    size_t used, cap;
} cort_pool;

void cort_pool_init(cort_pool *pool);
void cort_pool_release(cort_pool *pool);
/* 16-byte aligned zeroed memory, or NULL when memory is short or the size overflows. */
void *cort_pool_alloc(cort_pool *pool, size_t size);
/* Zeroed array of n elements of `size` bytes, NULL on overflow or shortage. */
void *cort_pool_calloc(cort_pool *pool, size_t n, size_t size);
/* NUL-terminated copy of the first len bytes of s. */
char *cort_pool_strndup(cort_pool *pool, const char *s, size_t len);
char *cort_pool_strdup(cort_pool *pool, const char *s);
#endif
