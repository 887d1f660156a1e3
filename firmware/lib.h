/* Freestanding replacements for the few C library functions the firmware needs (the compiler
   may also emit calls to memcpy/memset on its own). */
#ifndef DEMO_LIB_H
#define DEMO_LIB_H

#include <stddef.h>

void* memcpy(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);
size_t strlen(const char* s);

#endif
