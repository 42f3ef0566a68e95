#include "base/pool.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct cort_pool_chunk {
    cort_pool_chunk *next;
    size_t size;
    _Alignas(16) unsigned char data[];
};

enum { POOL_CHUNK = 64 * 1024 };

void cort_pool_init(cort_pool *pool) { memset(pool, 0, sizeof *pool); }

void cort_pool_release(cort_pool *pool) {
    cort_pool_chunk *c = pool->head;
    while (c) {
        cort_pool_chunk *next = c->next;
        free(c);
        c = next;
    }
    memset(pool, 0, sizeof *pool);
}

void *cort_pool_alloc(cort_pool *pool, size_t size) {
    if (size > SIZE_MAX / 2) return NULL;
    size_t need = (size + 15) & ~(size_t)15;
    if (need == 0) need = 16;
    if (!pool->head || pool->used + need > pool->cap) {
        size_t cap = need > POOL_CHUNK ? need : POOL_CHUNK;
        cort_pool_chunk *c = malloc(sizeof *c + cap);
        if (!c) return NULL;
        c->size = cap;
        if (pool->head && need > POOL_CHUNK) {
            /* keep the current chunk's free space for later small allocations */
            c->next = pool->head->next;
            pool->head->next = c;
            memset(c->data, 0, need);
            return c->data;
        }
        c->next = pool->head;
        pool->head = c;
        pool->used = 0;
        pool->cap = cap;
    }
    void *p = pool->head->data + pool->used;
    pool->used += need;
    memset(p, 0, need);
    return p;
}

void *cort_pool_calloc(cort_pool *pool, size_t n, size_t size) {
    if (size && n > SIZE_MAX / 2 / size) return NULL;
    return cort_pool_alloc(pool, n * size);
}

char *cort_pool_strndup(cort_pool *pool, const char *s, size_t len) {
    char *d = cort_pool_alloc(pool, len + 1);
    if (!d) return NULL;
    if (len) memcpy(d, s, len);
    d[len] = 0;
    return d;
}

char *cort_pool_strdup(cort_pool *pool, const char *s) { return cort_pool_strndup(pool, s, strlen(s)); }
