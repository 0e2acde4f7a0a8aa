/* SPDX-License-Identifier: MIT */
/*
 * trap.c - the IDT, fatal exceptions, panics and symbolized backtraces.
 *
 * A crash is never silent: every exception prints its name, error code,
 * RIP/RSP/CR2/CR3/RFLAGS and all GPRs, then a frame-pointer backtrace
 * (the image is built with -fno-omit-frame-pointer) with names from the
 * symbol table the builder links in (kernel/ksyms.h), and ends the VM with
 * K_EXIT_CRASH.  A page fault also says what the error code means (write
 * or read or instruction fetch, page not present or protection violation,
 * ring 0 or 3, reserved bit) and what the faulting address is (text, a
 * guard page, the heap: mm.c k_mm_region).  Exceptions enter on IST1 (#DF
 * on IST2, cpu.c), so a kernel stack overflow into its guard page is
 * reported from a stack that is still there; not under kvm_pvm, which
 * gets no TSS.
 *
 * The stack protector's canary is here too: -fstack-protector-strong
 * (image.mk) checks it on return from every function with an array or an
 * address-taken local, and __stack_chk_fail reports through k_panic.
 */
#include "kernel/kernel_priv.h"
#include "kernel/ksyms.h"

struct k_regs {
	uint64_t cr2; /* read by isr.S */
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vec, err;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU (SDM vol. 3A 6.14.2) */
};
_Static_assert(sizeof(struct k_regs) == 23 * 8, "isr.S copies 23 quadwords");

/* ---- symbols ---------------------------------------------------------------- */
static const struct ksyms_hdr *ksyms(void)
{
	const struct ksyms_hdr *h = (const void *)__ksyms_start;
	if ((size_t)(__ksyms_end - __ksyms_start) < sizeof(*h) || h->magic != KSYMS_MAGIC ||
	    h->total_size > (size_t)(__ksyms_end - __ksyms_start) ||
	    h->names_off < sizeof(*h) + (uint64_t)h->count * sizeof(struct ksym) ||
	    h->names_off > h->total_size)
		return NULL;
	return h;
}

/* Name of the function containing addr and addr's offset in it; NULL if
 * unknown (no table, or addr outside every symbol). */
const char *k_sym_lookup(uint64_t addr, uint64_t *off)
{
	const struct ksyms_hdr *h = ksyms();
	if (!h || h->count == 0)
		return NULL;
	const struct ksym *s = (const void *)(h + 1);
	const char *names = (const char *)h + h->names_off;
	/* Binary search for the last symbol at or below addr. */
	uint32_t lo = 0, hi = h->count;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (s[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (s[lo].addr > addr || (s[lo].size && addr - s[lo].addr >= s[lo].size) ||
	    s[lo].name >= h->total_size - h->names_off)
		return NULL;
	*off = addr - s[lo].addr;
	return names + s[lo].name;
}

int k_symbolize(uint64_t addr, char *buf, size_t size)
{
	uint64_t off;
	const char *name = k_sym_lookup(addr, &off);
	if (!name)
		return snprintf(buf, size, "?");
	return snprintf(buf, size, "%s+%#lx", name, (unsigned long)off);
}

/* ---- reporting ----------------------------------------------------------------- */
static const char *const exc_names[32] = {
	[0] = "divide error (#DE)",
	[1] = "debug (#DB)",
	[2] = "NMI",
	[3] = "breakpoint (#BP)",
	[4] = "overflow (#OF)",
	[5] = "bound range (#BR)",
	[6] = "invalid opcode (#UD)",
	[7] = "device not available (#NM)",
	[8] = "double fault (#DF)",
	[10] = "invalid TSS (#TS)",
	[11] = "segment not present (#NP)",
	[12] = "stack fault (#SS)",
	[13] = "general protection (#GP)",
	[14] = "page fault (#PF)",
	[16] = "x87 FP error (#MF)",
	[17] = "alignment check (#AC)",
	[18] = "machine check (#MC)",
	[19] = "SIMD FP exception (#XM)",
	[20] = "virtualization (#VE)",
	[21] = "control protection (#CP)",
};

static bool in_range(uint64_t p, const char *lo, const char *hi)
{
	return p >= (uint64_t)(uintptr_t)lo && p + 16 <= (uint64_t)(uintptr_t)hi && (p & 7) == 0;
}

/* A frame pointer on one of the stacks (entry.S): the kernel stack or an
 * exception stack (a fault inside a fault report). */
static bool in_stack(uint64_t p)
{
	return in_range(p, kstack_bottom, kstack_top) ||
	       in_range(p, k_ist1_guard + 4096, k_ist1_top) ||
	       in_range(p, k_ist2_guard + 4096, k_ist2_top);
}

static void print_frame(unsigned i, uint64_t pc, bool is_return)
{
	/* A return address may sit just past the end of its caller (a call to
	 * a noreturn function): look up the call instruction's function. */
	uint64_t off;
	const char *name = k_sym_lookup(is_return ? pc - 1 : pc, &off);
	if (name)
		k_printf("  #%-2u 0x%016lx %s+0x%lx\n", i, (unsigned long)pc, name,
			 (unsigned long)(off + (is_return ? 1 : 0)));
	else
		k_printf("  #%-2u 0x%016lx ?\n", i, (unsigned long)pc);
}

/* Frames from (rip, rbp); `ret0`, if not 0, is a return address that
 * belongs between them (a call into a page that could not execute: the
 * caller's frame pointer is in rbp, its return address at RSP).  A run of
 * the same return address (recursion, a stack overflow) is printed once
 * with its count. */
static void backtrace(uint64_t rip, uint64_t rbp, uint64_t ret0)
{
	k_printf("backtrace:\n");
	print_frame(0, rip, false);
	unsigned i = 1, lines = 1;
	if (ret0)
		print_frame(i++, ret0, true), lines++;
	uint64_t last = 0, repeats = 0;
	for (; i < 100000 && lines < 32 && in_stack(rbp); i++) {
		const uint64_t *fp = (const uint64_t *)(uintptr_t)rbp;
		uint64_t ret = fp[1];
		if (ret == 0)
			break;
		if (ret == last) {
			repeats++;
		} else {
			if (repeats)
				k_printf("  ... the same %lu more times\n", (unsigned long)repeats), lines++;
			repeats = 0;
			print_frame(i, ret, true);
			lines++;
		}
		last = ret;
		if (fp[0] <= rbp) /* frames grow towards the stack top */
			break;
		rbp = fp[0];
	}
	if (repeats)
		k_printf("  ... the same %lu more times\n", (unsigned long)repeats);
}

void k_backtrace(uint64_t rip, uint64_t rbp) { backtrace(rip, rbp, 0); }

static char panic_msg[256];
static volatile int trap_depth;

void k_trap(struct k_regs *r)
{
	k_console_flush();
	if (trap_depth++) {
		/* A fault while reporting a fault: say so and stop. */
		k_printf("\nnfbox: nested exception %lu at %#lx while reporting; exiting\n",
			 (unsigned long)r->vec, (unsigned long)r->rip);
		k_exit(K_EXIT_CRASH);
	}
	uint64_t cr2 = r->cr2, cr3 = k_mm_cr3();
	char sym[96];
	k_symbolize(r->rip, sym, sizeof(sym));

	if (panic_msg[0] && r->vec == 6)
		k_printf("\nPANIC: %s\n", panic_msg);
	else
		k_printf("\nnfbox: CPU exception %lu: %s, error code 0x%lx\n", (unsigned long)r->vec,
			 r->vec < 32 && exc_names[r->vec] ? exc_names[r->vec] : "reserved",
			 (unsigned long)r->err);
	if (r->vec == 14) {
		/* Error code (SDM vol. 3A 4.7): P, W/R, U/S, RSVD, I/D. */
		uint64_t e = r->err;
		k_printf("page fault at 0x%lx: %s %s, %s%s: %s\n", (unsigned long)cr2,
			 (e & 1) ? "protection violation," : "page not present,",
			 (e & 16) ? "instruction fetch" : (e & 2) ? "write" : "read",
			 (e & 4) ? "user mode (CPL 3)" : "supervisor mode (CPL 0)",
			 (e & 8) ? ", reserved bit set in a page-table entry" : "",
			 k_mm_region(cr2));
	}
	/* Under kvm_pvm a frame from ring 0 is one of the handlers the host
	 * runs emulated (kernel/pvm.h), e.g. a device interrupt's. */
	k_printf("RIP 0x%016lx %s (%s)\n", (unsigned long)r->rip, sym,
		 !k_pvm ? ((r->cs & 3) ? "ring 3" : "ring 0")
			: (r->cs & 3) ? "PVM supervisor mode" : "ring 0, emulated by kvm_pvm");
	k_printf("RSP 0x%016lx RFLAGS 0x%08lx CR2 0x%016lx CR3 0x%lx\n", (unsigned long)r->rsp,
		 (unsigned long)r->rflags, (unsigned long)cr2, (unsigned long)cr3);
	k_printf("RAX 0x%016lx RBX 0x%016lx RCX 0x%016lx\n", r->rax, r->rbx, r->rcx);
	k_printf("RDX 0x%016lx RSI 0x%016lx RDI 0x%016lx\n", r->rdx, r->rsi, r->rdi);
	k_printf("RBP 0x%016lx R8  0x%016lx R9  0x%016lx\n", r->rbp, r->r8, r->r9);
	k_printf("R10 0x%016lx R11 0x%016lx R12 0x%016lx\n", r->r10, r->r11, r->r12);
	k_printf("R13 0x%016lx R14 0x%016lx R15 0x%016lx\n", r->r13, r->r14, r->r15);
	uint64_t ret0 = 0;
	if (r->vec == 14 && (r->err & 16) && r->rip == cr2 && in_stack(r->rsp))
		ret0 = *(const uint64_t *)(uintptr_t)r->rsp;
	backtrace(r->rip, r->rbp, ret0);
	k_exit(K_EXIT_CRASH);
}

void k_panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(panic_msg, sizeof(panic_msg), fmt, ap);
	if (!panic_msg[0])
		panic_msg[0] = '?';
	va_end(ap);
	/* Report through the trap path: it captures every register. */
	__asm__ volatile("ud2");
	__builtin_unreachable();
}

/* ---- stack protector (GCC -fstack-protector-strong with
 * -mstack-protector-guard=global reads __stack_chk_guard) ---------------- */
uintptr_t __stack_chk_guard = K_STACK_GUARD_BUILTIN;
/* The same canary where the TLS guard model reads it (%fs:0x28; entry.S
 * points FS at this block): functions with a target() attribute use it
 * (GCC 12 drops -mstack-protector-guard=global for them). */
uintptr_t k_stack_tls[8] __attribute__((aligned(64))) = {[5] = K_STACK_GUARD_BUILTIN};
_Static_assert(5 * sizeof(uintptr_t) == 0x28, "the x86-64 TLS canary is at %fs:0x28");

__attribute__((noreturn)) void __stack_chk_fail(void);
__attribute__((noreturn)) void __stack_chk_fail(void)
{
	k_panic("stack smashing detected (stack protector canary overwritten)");
}

const char *k_stack_guard_source = "the built-in value";

/* First thing at boot (k_start).  Not instrumented itself: it returns after
 * changing the value its own prologue would have saved. */
__attribute__((no_stack_protector)) void k_stack_guard_init(void)
{
	/* The low byte stays zero so a string overrun cannot reproduce it. */
	bool hw;
	__stack_chk_guard = (uintptr_t)(k_rdrand_or_tsc(&hw) & ~0xffull);
	k_stack_tls[5] = __stack_chk_guard;
	k_stack_guard_source = hw ? "RDRAND" : "RDTSC";
}
