/* SPDX-License-Identifier: MIT */
/*
 * sys.h - the only window the portable layers (dataplane/, config/, nf/) have
 * onto the world.
 *
 * These sources build twice from the same text: freestanding into the
 * unikernel image, and hosted on Linux for tests, fuzzing, replay and
 * benchmarks.  They therefore include no libc or Linux header.  What they need
 * is declared here; the hosted build gets it from glibc, the image from
 * kernel/libc.  The declarations match the C standard's, so both definitions
 * satisfy them and no #ifdef is needed.
 *
 * Only compiler-provided freestanding headers are included (C11 4p6).
 */
#ifndef NFB_SYS_H
#define NFB_SYS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- compiler helpers ---------------------------------------------------- */
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define SYS_CACHE_LINE 64
#define sys_cache_aligned __attribute__((aligned(SYS_CACHE_LINE)))
#define SYS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SYS_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SYS_MAX(a, b) ((a) > (b) ? (a) : (b))
#define sys_prefetch(p) __builtin_prefetch((p), 0, 3)
#define sys_prefetch_w(p) __builtin_prefetch((p), 1, 3)
#define SYS_UNUSED __attribute__((unused))
#define SYS_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Negative errno values returned by every fallible call.  Numbers are
 * Linux's so hosted callers can hand them to strerror(). */
#define SYS_EPERM 1
#define SYS_ENOENT 2
#define SYS_EIO 5
#define SYS_E2BIG 7
#define SYS_EAGAIN 11
#define SYS_ENOMEM 12
#define SYS_EBUSY 16
#define SYS_EEXIST 17
#define SYS_EINVAL 22
#define SYS_ENOSPC 28
#define SYS_ERANGE 34
#define SYS_ENOTSUP 95

/* ---- byte order (x86-64 only: little endian host, big endian wire) ------- */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "little-endian hosts only");
static inline uint16_t sys_be16(uint16_t v) { return __builtin_bswap16(v); }
static inline uint32_t sys_be32(uint32_t v) { return __builtin_bswap32(v); }
static inline uint64_t sys_be64(uint64_t v) { return __builtin_bswap64(v); }
#define sys_htons sys_be16
#define sys_ntohs sys_be16
#define sys_htonl sys_be32
#define sys_ntohl sys_be32
/* Constant-foldable forms, for case labels and static tables. */
#define SYS_BE16(v) ((uint16_t)((((v)&0xffu) << 8) | (((v) >> 8) & 0xffu)))

/* Unaligned loads/stores: packet headers sit at any offset. */
static inline uint16_t sys_ld16(const void *p) { uint16_t v; __builtin_memcpy(&v, p, 2); return v; }
static inline uint32_t sys_ld32(const void *p) { uint32_t v; __builtin_memcpy(&v, p, 4); return v; }
static inline uint64_t sys_ld64(const void *p) { uint64_t v; __builtin_memcpy(&v, p, 8); return v; }
static inline void sys_st16(void *p, uint16_t v) { __builtin_memcpy(p, &v, 2); }
static inline void sys_st32(void *p, uint32_t v) { __builtin_memcpy(p, &v, 4); }

/* ---- the little libc both platforms provide ------------------------------ */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
int snprintf(char *buf, size_t size, const char *fmt, ...) SYS_PRINTF(3, 4);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) SYS_PRINTF(3, 0);

/* ---- platform services (kernel/ in the image, dataplane/sys_hosted.c) ----- */

/*
 * Memory for tables, pools and parsed configs.  Zeroed, aligned to `align`
 * (a power of two, at least 8).  Returns NULL when memory is exhausted; never
 * aborts.  Called at init and on config (re)load, never per packet.
 * sys_free(NULL) is a no-op.  In the image, freed memory is returned to the
 * init-time allocator's free list so repeated reloads do not leak.
 */
void *sys_alloc(size_t size, size_t align);
/* The same without zeroing, for big areas whose users write before they read
 * (the packet pool): in the image, zeroing touches every page at once, and a
 * first touch is a page fault in the host. */
void *sys_alloc_uninit(size_t size, size_t align);
void sys_free(void *p);

/* Monotonic nanoseconds since an arbitrary origin.  Functions never call it:
 * the main loop reads it once per poll and passes `now` down, so a replay can
 * drive a function with pcap timestamps instead. */
uint64_t sys_now_ns(void);

/* Diagnostics to the console (image: serial; hosted: stderr). */
void sys_log(const char *fmt, ...) SYS_PRINTF(1, 2);

/* Read the CPU's time-stamp counter: benchmarks and the image's clock. */
static inline uint64_t sys_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void sys_pause(void) { __asm__ volatile("pause"); }

/* Compiler barrier, and the x86 store->load fence. On x86-64 (TSO) loads are
 * not reordered with older loads, nor stores with older stores, so the
 * acquire/release pairs of rings need only the compiler barrier; the virtio
 * event-index protocol needs the full fence (virtio 1.1 2.6.7.2). */
#define sys_barrier() __asm__ volatile("" ::: "memory")
#define sys_mb() __asm__ volatile("mfence" ::: "memory")

#endif
