/* SPDX-License-Identifier: MIT */
/*
 * selftest.c - nfbox.selftest=NAME: prove the image's own defences by
 * tripping them, in any image, before the application starts.
 *
 *   wx-map       check every page of the image, the stacks' guard pages,
 *                the page tables and the heap against mm.c's layout, count
 *                writable+executable entries, read CR0.WP and EFER.NXE:
 *                exit 0 if all is as designed, else K_EXIT_SELFTEST
 *   wx-text      write to text                 -> #PF protection, write
 *   wx-rodata    write to a constant           -> #PF protection, write
 *   nx-data      call into .data               -> #PF protection, fetch
 *   nx-heap      call into sys_alloc'd memory  -> #PF protection, fetch
 *   nx-stack     call into a stack buffer      -> #PF protection, fetch
 *   stack-guard  recurse until the stack ends  -> #PF not present, write,
 *                in the kernel stack's guard page, reported from IST1
 *   canary       overrun a local array up to its frame's saved RBP (the
 *                canary sits between)          -> PANIC: stack smashing
 *
 * Each line before the act names the address it uses ("... at 0xADDR"),
 * so a test can check that the fault is that one.  A test that comes back
 * -- the defence is missing -- says so and exits K_EXIT_SELFTEST; a fault
 * exits K_EXIT_CRASH (trap.c).  tests/image/run.sh runs them all.
 */
#include "kernel/kernel_priv.h"

/* Something to call, in a page that must not execute: `ret`. */
static uint8_t data_ret[16] = {0xc3};
static const uint8_t rodata_byte = 0x5a;
static volatile uint64_t recurse_limit = ~0ull; /* no compile-time end */
/* The test running, reread after it came back: a test that fails to
 * fault may have left the caller's registers clobbered (canary: the
 * overrun reaches the saved registers a missing check restores). */
static const char *volatile current;

static void say(const char *name, const char *act, const void *at)
{
	uint64_t a = (uint64_t)(uintptr_t)at;
	k_printf("nfbox: selftest %s: %s at 0x%lx (%s): must fault\n", name, act, (unsigned long)a,
		 k_mm_region(a));
	k_console_flush();
}

static void call_at(const char *name, void *code)
{
	say(name, "call", code);
	void (*volatile fn)(void) = (void (*)(void))(uintptr_t)code;
	fn();
}

static void write_at(const char *name, const volatile uint8_t *p)
{
	say(name, "write", (const void *)(uintptr_t)p);
	*(volatile uint8_t *)(uintptr_t)p = 0xcc;
}

/* Not a tail call, nor a loop: the asm after the call keeps every frame. */
__attribute__((noinline)) static uint64_t st_recurse(uint64_t depth)
{
	volatile uint8_t pad[200];
	pad[0] = (uint8_t)depth;
	if (depth >= recurse_limit)
		return pad[0];
	uint64_t r = st_recurse(depth + 1);
	__asm__ volatile("" : "+r"(r) : "r"(pad) : "memory");
	return r + pad[0];
}

/* The canary lies between the array and the saved frame pointer
 * (-fstack-protector-strong puts arrays next to it): fill up to the saved
 * RBP, not past it, so the backtrace after the report is whole. */
__attribute__((noinline)) static void st_canary(void)
{
	char buf[16];
	char *volatile p = buf;
	size_t n = (size_t)((char *)__builtin_frame_address(0) - buf);
	k_printf("nfbox: selftest canary: %lu bytes into a %lu-byte array at 0x%lx: must fault\n",
		 (unsigned long)n, (unsigned long)sizeof(buf), (unsigned long)(uintptr_t)buf);
	k_console_flush();
	for (size_t i = 0; i < n; i++)
		p[i] = 'A';
	__asm__ volatile("" ::"r"(buf) : "memory");
}

static void st_stack_guard(void)
{
	if (!k_ist_on) {
		k_printf("nfbox: selftest stack-guard: exceptions have no stack of their own under "
			 "kvm_pvm (no TSS, kernel/cpu.c): an overflow would end the VM unreported\n");
		k_exit(K_EXIT_SELFTEST);
	}
	k_printf("nfbox: selftest stack-guard: recursing into the guard page at 0x%lx (%s): "
		 "must fault\n",
		 (unsigned long)(uintptr_t)kstack_guard, k_mm_region((uint64_t)(uintptr_t)kstack_guard));
	k_console_flush();
	st_recurse(0);
}

void k_selftest(void)
{
	size_t n;
	const char *v = k_cmdline_value("nfbox.selftest", &n);
	if (!v)
		return;
	static const char *const names[] = {"wx-map",  "wx-text",  "wx-rodata",	  "nx-data",
					    "nx-heap", "nx-stack", "stack-guard", "canary"};
	unsigned t = 0;
	while (t < SYS_ARRAY_SIZE(names) && (strlen(names[t]) != n || strncmp(v, names[t], n) != 0))
		t++;
	if (t == SYS_ARRAY_SIZE(names)) {
		k_printf("nfbox: selftest '%.*s' unknown; one of wx-map wx-text wx-rodata nx-data "
			 "nx-heap nx-stack stack-guard canary\n",
			 (int)n, v);
		k_exit(K_EXIT_SELFTEST);
	}
	const char *name = names[t];
	current = name;
	k_printf("nfbox: selftest %s: canary from %s, exceptions on %s\n", name,
		 k_stack_guard_source, k_ist_on ? "IST stacks" : "the current stack (kvm_pvm)");
	uint8_t stack_ret[16] = {0xc3};
	switch (t) {
	case 0: {
		int bad = k_mm_check();
		k_printf("nfbox: selftest wx-map: %s (%d problems)\n", bad ? "FAILED" : "passed", bad);
		k_exit(bad ? K_EXIT_SELFTEST : K_EXIT_OK);
	}
	case 1:
		write_at(name, (const volatile uint8_t *)(uintptr_t)st_recurse);
		break;
	case 2:
		write_at(name, &rodata_byte);
		break;
	case 3:
		call_at(name, data_ret);
		break;
	case 4: {
		uint8_t *h = sys_alloc(64, 64);
		if (h) {
			h[0] = 0xc3;
			call_at(name, h);
		}
		break;
	}
	case 5:
		call_at(name, stack_ret);
		break;
	case 6:
		st_stack_guard();
		break;
	case 7:
		if (__stack_chk_guard == K_STACK_GUARD_BUILTIN || k_stack_tls[5] != __stack_chk_guard) {
			k_printf("nfbox: selftest canary: the canary was never seeded\n");
			break;
		}
		st_canary();
		break;
	}
	k_printf("nfbox: selftest %s: DID NOT FAULT: this defence is missing\n", current);
	k_exit(K_EXIT_SELFTEST);
}
