#include "trace.h"

#include <stdarg.h>

#include "lib.h"

char trace_buffer[TRACE_SIZE] __attribute__((section(".trace"), aligned(8)));
static uint32_t trace_used; /* bytes before the terminating NUL */

void trace_init(void) {
  memset(trace_buffer, 0, sizeof trace_buffer);
  trace_used = 0;
}

/* Keeps one byte for the NUL; a character that does not fit is dropped. */
static void put(char c) {
  if (trace_used + 1u < TRACE_SIZE) trace_buffer[trace_used++] = c;
}

static void put_str(const char* s) {
  while (*s) put(*s++);
}

static void put_uint(uint32_t v, uint32_t base) {
  char digits[10];
  int n = 0;
  do {
    uint32_t d = v % base;
    digits[n++] = (char)(d < 10u ? '0' + d : 'a' + d - 10u);
    v /= base;
  } while (v);
  while (n) put(digits[--n]);
}

void trace(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  for (const char* p = fmt; *p; ++p) {
    if (*p != '%') {
      put(*p);
      continue;
    }
    switch (*++p) {
      case 's':
        put_str(va_arg(ap, const char*));
        break;
      case 'u':
        put_uint(va_arg(ap, unsigned), 10u);
        break;
      case 'x':
        put_uint(va_arg(ap, unsigned), 16u);
        break;
      case '%':
        put('%');
        break;
      default: /* unknown conversion or a trailing '%' */
        if (!*p) --p;
        break;
    }
  }
  va_end(ap);
  put('\n');
  trace_buffer[trace_used] = '\0';
}
