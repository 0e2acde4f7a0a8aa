/* SPDX-License-Identifier: MIT */
/* sys.c - the hosted (Linux) implementation of nfb/sys.h services. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nfb/sys.h"

void *sys_alloc_uninit(size_t size, size_t align)
{
	void *p = NULL;
	if (align < sizeof(void *))
		align = sizeof(void *);
	if (size == 0)
		size = 1;
	if (posix_memalign(&p, align, size) != 0)
		return NULL;
	return p;
}

void *sys_alloc(size_t size, size_t align)
{
	void *p = sys_alloc_uninit(size, align);
	if (p)
		memset(p, 0, size == 0 ? 1 : size);
	return p;
}

void sys_free(void *p)
{
	free(p);
}

uint64_t sys_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void sys_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}
