#include "base/file_map.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

cort_status *cort_map_file(const char *path, void **addr, size_t *size) {
    *addr = NULL;
    *size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cort_error(errno == ENOENT ? CORT_NO_SUCH_FILE : CORT_FAIL, "cannot open '%s': %s", path,
                          strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return cort_error(CORT_FAIL, "'%s' is not a readable regular file", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return NULL;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int err = errno;
    close(fd);
    if (p == MAP_FAILED) return cort_error(CORT_FAIL, "cannot map '%s': %s", path, strerror(err));
    *addr = p;
    *size = (size_t)st.st_size;
    return NULL;
}

void cort_unmap_file(void *addr, size_t size) {
    if (addr && size) munmap(addr, size);
}

/* madvise over the whole pages inside [addr, addr+size) */
static void advise_whole_pages(const void *addr, size_t size, int advice) {
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0 || !addr || size == 0) return;
    uintptr_t begin = ((uintptr_t)addr + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    uintptr_t end = ((uintptr_t)addr + size) & ~((uintptr_t)page - 1);
    if (end > begin) madvise((void *)begin, end - begin, advice);
}

void cort_release_mapped_pages(const void *addr, size_t size) { advise_whole_pages(addr, size, MADV_DONTNEED); }

void cort_discard_pages(void *addr, size_t size) {
#if defined(__APPLE__) && defined(MADV_FREE)
    /* Darwin only deactivates anonymous pages for MADV_DONTNEED (they stay resident until memory runs
     * short); MADV_FREE lets it discard them */
    advise_whole_pages(addr, size, MADV_FREE);
#else
    advise_whole_pages(addr, size, MADV_DONTNEED);
#endif
}
