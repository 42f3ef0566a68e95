/* Read-only memory mapping of whole files (the model and its external data). */
#ifndef CORT_BASE_FILE_MAP_H
#define CORT_BASE_FILE_MAP_H
#include <stddef.h>

#include "base/status.h"

/* Maps `path` read-only. An empty file maps to a NULL address with size 0. */
cort_status *cort_map_file(const char *path, void **addr, size_t *size);
void cort_unmap_file(void *addr, size_t size);
/* Tells the system the whole pages inside [addr, addr+size) of a read-only file mapping are not needed
 * now: they leave the resident set and are read from the file again if touched. */
void cort_release_mapped_pages(const void *addr, size_t size);
/* Gives the whole pages inside [addr, addr+size) of private memory back to the system: memory whose
 * contents nothing will read again (a heap copy of a weight that now lives packed elsewhere). Touched
 * again, they read as zeros (Linux, Android) or as zeros or their old contents (Apple). */
void cort_discard_pages(void *addr, size_t size);
#endif
