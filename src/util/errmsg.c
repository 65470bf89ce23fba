/* util/errmsg.c — one-line error messages. */
#include "util/errmsg.h"

#include <stdio.h>

int errmsg_vset(char *err, size_t errlen, int rc, const char *fmt, va_list ap)
{
	if (!err || errlen == 0)
		return rc;
	vsnprintf(err, errlen, fmt, ap);
	for (char *c = err; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return rc;
}

int errmsg_set(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	errmsg_vset(err, errlen, rc, fmt, ap);
	va_end(ap);
	return rc;
}
