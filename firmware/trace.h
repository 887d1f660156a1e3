/* The trace buffer the host reads (resource table TRACE entry "cm33_log"): append-only text
   lines, always NUL-terminated; writing stops when the buffer is full (no wrap). */
#ifndef DEMO_TRACE_H
#define DEMO_TRACE_H

#include <stdint.h>

#include "board.h"

#define TRACE_SIZE DEMO_TRACE_SIZE

extern char trace_buffer[TRACE_SIZE];

/* Zeroes the buffer (it is NOLOAD memory). */
void trace_init(void);
/* Appends one line: `fmt` with %s, %u, %x (lower-case hex) and %% conversions, then "\n".
   Not reentrant: call from thread mode only. */
void trace(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
