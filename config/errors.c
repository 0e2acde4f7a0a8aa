/* SPDX-License-Identifier: MIT */
/* errors.c - collecting "FILE:LINE:COL: message" strings for the caller. */
#include "config/cfg_int.h"

void cfg_errors_init(struct cfg_errors *e)
{
	e->count = 0;
	e->msg[0][0] = '\0';
}

const char *cfg_errors_get(const struct cfg_errors *e, unsigned i)
{
	if (i >= e->count || i >= CFG_ERRORS_MAX)
		return NULL;
	return e->msg[i];
}

int cfg_errorf(struct cfg_errors *e, const struct cfg_loc *loc, const char *fmt, ...)
{
	if (!e)
		return -SYS_EINVAL;
	if (e->count < CFG_ERRORS_MAX) {
		char *m = e->msg[e->count];
		int n = 0;
		if (loc && loc->file)
			n = snprintf(m, CFG_ERROR_LEN, "%s:%u:%u: ", loc->file, loc->line, loc->col);
		if (n < 0)
			n = 0;
		if ((size_t)n < CFG_ERROR_LEN) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(m + n, CFG_ERROR_LEN - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	if (e->count < UINT32_MAX)
		e->count++;
	return -SYS_EINVAL;
}
