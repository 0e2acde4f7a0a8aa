/* SPDX-License-Identifier: MIT */
/*
 * libc.c - the freestanding C library subset nfb/sys.h declares:
 * mem*, str*, snprintf/vsnprintf.  Semantics follow C11 7.21.6 and 7.24.
 *
 * This file is compiled with -fno-tree-loop-distribute-patterns (image/image.mk)
 * so GCC does not turn the loops below back into calls to themselves.
 */
#include "nfb/sys.h"

void *memcpy(void *dst, const void *src, size_t n)
{
	/* rep movsb is fast on every CPU with ERMSB (Intel SDM vol. 1 7.3.9.3)
	 * and compact elsewhere; the hot path copies nothing. */
	void *ret = dst;
	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
	return ret;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	if (d == s || n == 0)
		return dst;
	if (d < s || d >= s + n)
		return memcpy(dst, src, n);
	/* Overlap with dst above src: copy backwards (DF=1), then restore the
	 * ABI's DF=0 (System V AMD64 ABI 3.2.1). */
	d += n - 1;
	s += n - 1;
	__asm__ volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *ret = dst;
	__asm__ volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(c) : "memory");
	return ret;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;
	for (size_t i = 0; i < n; i++)
		if (p[i] == (unsigned char)c)
			return (void *)(p + i);
	return NULL;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i] != b[i])
			return (unsigned char)a[i] - (unsigned char)b[i];
		if (!a[i])
			return 0;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

/* ---- vsnprintf ---------------------------------------------------------------
 * Conversions: d i u x X p s c %; flags '-' '0' ' ' '+' '#'; width and
 * precision (numbers or '*'); length modifiers hh h l ll z t j.
 * Returns the length the full output would have had (C11 7.21.6.12). */

struct out {
	char *buf;
	size_t size, len;
};

static void out_c(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		out_c(o, c);
}

enum { F_LEFT = 1, F_ZERO = 2, F_SPACE = 4, F_PLUS = 8, F_ALT = 16 };

static void out_num(struct out *o, uint64_t v, bool neg, unsigned base, bool upper, int flags,
		    int width, int prec)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;
	bool nonzero = v != 0;
	while (v) {
		tmp[n++] = digits[v % base];
		v /= base;
	}
	if (prec < 0 && n == 0)
		tmp[n++] = '0';
	int zeros = prec > n ? prec - n : 0;
	char sign = neg ? '-' : (flags & F_PLUS) ? '+' : (flags & F_SPACE) ? ' ' : 0;
	/* '#' with x/X: a "0x" prefix on non-zero values (7.21.6.1p6). */
	bool alt = (flags & F_ALT) && base == 16 && nonzero;
	int body = n + zeros + (sign ? 1 : 0) + (alt ? 2 : 0);
	int pad = width > body ? width - body : 0;
	/* '0' is ignored with '-' and when a precision is given (7.21.6.1p6). */
	bool zero_pad = (flags & F_ZERO) && !(flags & F_LEFT) && prec < 0;
	if (!(flags & F_LEFT) && !zero_pad)
		out_pad(o, ' ', pad);
	if (sign)
		out_c(o, sign);
	if (alt) {
		out_c(o, '0');
		out_c(o, upper ? 'X' : 'x');
	}
	if (zero_pad)
		out_pad(o, '0', pad);
	out_pad(o, '0', zeros);
	while (n)
		out_c(o, tmp[--n]);
	if (flags & F_LEFT)
		out_pad(o, ' ', pad);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = {buf, size, 0};
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			out_c(&o, *f);
			continue;
		}
		f++;
		int flags = 0;
		for (;; f++) {
			if (*f == '-')
				flags |= F_LEFT;
			else if (*f == '0')
				flags |= F_ZERO;
			else if (*f == ' ')
				flags |= F_SPACE;
			else if (*f == '+')
				flags |= F_PLUS;
			else if (*f == '#')
				flags |= F_ALT;
			else
				break;
		}
		int width = 0;
		if (*f == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				flags |= F_LEFT;
				width = -width;
			}
			f++;
		} else {
			while (*f >= '0' && *f <= '9')
				width = width * 10 + (*f++ - '0');
		}
		int prec = -1;
		if (*f == '.') {
			f++;
			prec = 0;
			if (*f == '*') {
				prec = va_arg(ap, int);
				if (prec < 0)
					prec = -1;
				f++;
			} else {
				while (*f >= '0' && *f <= '9')
					prec = prec * 10 + (*f++ - '0');
			}
		}
		int lng = 0; /* 0 int, 1 long, 2 long long; -1 short, -2 char */
		for (;; f++) {
			if (*f == 'l')
				lng = lng < 0 ? 1 : lng + 1;
			else if (*f == 'h')
				lng = lng > 0 ? 0 : lng - 1;
			else if (*f == 'z' || *f == 't' || *f == 'j')
				lng = 2;
			else
				break;
		}
		switch (*f) {
		case 'd':
		case 'i': {
			int64_t v;
			if (lng >= 1)
				v = lng == 1 ? va_arg(ap, long) : va_arg(ap, long long);
			else
				v = va_arg(ap, int);
			if (lng == -1)
				v = (short)v;
			else if (lng == -2)
				v = (signed char)v;
			uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
			out_num(&o, u, v < 0, 10, false, flags, width, prec);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			uint64_t v;
			if (lng >= 1)
				v = lng == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned long long);
			else
				v = va_arg(ap, unsigned int);
			if (lng == -1)
				v = (unsigned short)v;
			else if (lng == -2)
				v = (unsigned char)v;
			out_num(&o, v, false, *f == 'u' ? 10 : 16, *f == 'X', flags & ~(F_PLUS | F_SPACE),
				width, prec);
			break;
		}
		case 'p': {
			uintptr_t v = (uintptr_t)va_arg(ap, void *);
			out_c(&o, '0');
			out_c(&o, 'x');
			out_num(&o, v, false, 16, false, 0, width > 2 ? width - 2 : 0, prec);
			break;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			int n = (int)(prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s));
			if (!(flags & F_LEFT))
				out_pad(&o, ' ', width - n);
			for (int i = 0; i < n; i++)
				out_c(&o, s[i]);
			if (flags & F_LEFT)
				out_pad(&o, ' ', width - n);
			break;
		}
		case 'c':
			if (!(flags & F_LEFT))
				out_pad(&o, ' ', width - 1);
			out_c(&o, (char)va_arg(ap, int));
			if (flags & F_LEFT)
				out_pad(&o, ' ', width - 1);
			break;
		case '%':
			out_c(&o, '%');
			break;
		case '\0':
			f--; /* a lone '%' at the end: print nothing more */
			break;
		default:
			/* Unknown conversion: show it rather than guess at va_args. */
			out_c(&o, '%');
			out_c(&o, *f);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
