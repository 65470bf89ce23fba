/* util/errmsg.h — one-line error messages for the caller to report. */
#ifndef NIMBUS_UTIL_ERRMSG_H
#define NIMBUS_UTIL_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>

/* Format into err[errlen], replace control characters (messages quote user
 * input and must stay on one line) and return rc. */
int errmsg_set(char *err, size_t errlen, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int errmsg_vset(char *err, size_t errlen, int rc, const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

#endif
