#ifndef AIGW_CHEAP_H
#define AIGW_CHEAP_H

#include <stddef.h>

/// Bytes the C heap holds free for reuse (glibc's `mallinfo2().fordblks`), or 0 where the
/// C library does not say.
size_t aigw_heap_free_bytes(void);

/// Hands the heap's free pages back to the system (glibc's `malloc_trim(0)`). Returns 1 when
/// some memory was released, 0 otherwise or where the C library cannot.
int aigw_heap_return_free_pages(void);

#endif
