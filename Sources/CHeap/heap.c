// The two glibc calls Swift's Glibc module leaves out (it does not include <malloc.h>).
#include <stdlib.h>
#include "CHeap.h"

#if defined(__GLIBC__)
#include <malloc.h>

size_t aigw_heap_free_bytes(void) {
#if __GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33)
    return mallinfo2().fordblks;
#else
    return 0;
#endif
}

int aigw_heap_return_free_pages(void) { return malloc_trim(0); }

#else

size_t aigw_heap_free_bytes(void) { return 0; }

int aigw_heap_return_free_pages(void) { return 0; }

#endif
