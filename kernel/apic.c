/* SPDX-License-Identifier: MIT */
/*
 * apic.c - interrupts for adaptive polling: local APIC, IOAPIC, MSI
 * messages, vector dispatch, and the halt that waits for them.
 *
 * Interrupts are off everywhere except inside k_wait_for_interrupt()
 * (kernel.h), so none of this is on the fast path.  It is set up lazily, on
 * the first k_irq_register()/k_ioapic_route()/k_wakeup_at(), so an image
 * that never idles pays nothing at boot.
 *
 * Local APIC (SDM vol. 3A chapter 11): x2APIC through MSRs when the CPU has
 * it (one WRMSR per EOI, no MMIO), else xAPIC registers at 0xfee00000 --
 * always the latter under kvm_pvm, which refuses WRMSR in supervisor mode.
 * I/O APICs: kernel/ioapic.c.
 */
#include "kernel/kernel_priv.h"
#include "kernel/pvm.h"

#define LAPIC_BASE 0xfee00000u

/* Local APIC register offsets (xAPIC MMIO); x2APIC MSR = 0x800 + off/16. */
#define LAPIC_ID 0x20
#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0

#define MSR_APIC_BASE 0x1b
#define MSR_TSC_DEADLINE 0x6e0

#define VEC_TIMER 0xf0
#define VEC_CONSOLE 0xf1
#define VEC_SPURIOUS 0xff

static bool apic_up, x2apic, tsc_deadline;
static uint32_t apic_id;
static uint64_t lapic_ticks_per_ms; /* one-shot timer rate when no TSC deadline */

static struct {
	k_irq_fn fn;
	void *ctx;
} irq_table[256];

static uint32_t lapic_read(uint32_t off)
{
	if (x2apic)
		return (uint32_t)k_rdmsr(0x800 + off / 16);
	return k_mmio_r32(LAPIC_BASE + off);
}

static void lapic_write(uint32_t off, uint32_t v)
{
	if (x2apic)
		k_wrmsr(0x800 + off / 16, v);
	else
		k_mmio_w32(LAPIC_BASE + off, v);
}

static void apic_init(void)
{
	if (apic_up)
		return;
	uint32_t r[4];
	k_cpuid(1, 0, r);
	if (!k_pvm && (r[2] & (1u << 21))) { /* CPUID.1:ECX.x2APIC */
		/* Enable, then switch to x2APIC mode (SDM vol. 3A 11.12.1). */
		k_wrmsr(MSR_APIC_BASE, k_rdmsr(MSR_APIC_BASE) | (1u << 11) | (1u << 10));
		x2apic = true;
		tsc_deadline = (r[2] >> 24) & 1; /* CPUID.1:ECX.TSC_Deadline */
	} else {
		k_map_mmio(LAPIC_BASE, 4096);
	}
	/* Software-enable with the spurious vector, accept every priority,
	 * and keep the legacy PIC (ExtINT on LINT0) away from us. */
	lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_LINT0, 1u << 16);
	apic_id = x2apic ? lapic_read(LAPIC_ID) : lapic_read(LAPIC_ID) >> 24;
	apic_up = true;
}

int k_irq_register(uint8_t vector, k_irq_fn fn, void *ctx)
{
	if (vector < 48 || vector > 239)
		return -SYS_EINVAL;
	if (irq_table[vector].fn && irq_table[vector].fn != fn)
		return -SYS_EBUSY;
	apic_init();
	irq_table[vector].fn = fn;
	irq_table[vector].ctx = ctx;
	return 0;
}

void k_irq_dispatch(uint64_t vector)
{
	if (vector == VEC_SPURIOUS)
		return; /* no EOI for the spurious vector (SDM vol. 3A 11.9) */
	if (vector < 256 && irq_table[vector].fn)
		irq_table[vector].fn(irq_table[vector].ctx);
	lapic_write(LAPIC_EOI, 0);
}

uint32_t k_apic_id(void)
{
	apic_init();
	return apic_id;
}

/* MSI (SDM vol. 3A 11.11.1): address 0xFEE, destination ID in bits 19:12;
 * data = vector, fixed delivery, edge. */
void k_msi_message(uint8_t vector, uint64_t *addr, uint32_t *data)
{
	apic_init();
	*addr = LAPIC_BASE | ((apic_id & 0xff) << 12);
	*data = vector;
}

/* ---- halting ----------------------------------------------------------------- */
void k_wait_for_interrupt(void)
{
	apic_init();
	if (k_pvm) {
		/* No STI/HLT in PVM supervisor mode: the same sequence, run in
		 * emulated ring 0 (kernel/pvm_halt.S). */
		k_pvm_wait_for_interrupt();
		return;
	}
	/* STI's interrupt shadow covers HLT (SDM vol. 2B, STI): an interrupt
	 * that became pending after the caller's last check is taken after
	 * HLT starts, and wakes it -- no lost wakeup.  The handler runs
	 * before CLI. */
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

/* The deadline the timer holds (0: none).  Every LVT, MSR or timer
 * register write is a VM exit, so k_wakeup_at writes only on a change; a
 * fired one-shot timer disarms itself (TSC-deadline mode clears the MSR,
 * SDM vol. 3A 11.5.4.1; the one-shot count stops at 0). */
static uint64_t armed_tsc;
static bool lvt_deadline_mode;
static volatile bool console_woke;

static void timer_fired(void *ctx)
{
	(void)ctx;
	armed_tsc = 0;
}
static void console_input(void *ctx)
{
	(void)ctx;
	console_woke = true;
}

bool k_console_take_wake(void)
{
	bool w = console_woke;
	console_woke = false;
	return w;
}

void k_wakeup_at(uint64_t tsc)
{
	if (tsc == armed_tsc)
		return;
	apic_init();
	irq_table[VEC_TIMER].fn = timer_fired;
	armed_tsc = tsc;
	if (tsc_deadline) {
		/* TSC-deadline mode (SDM vol. 3A 11.5.4.1): LVT mode 10b once,
		 * then the deadline; writing 0 disarms. */
		if (!lvt_deadline_mode) {
			lapic_write(LAPIC_LVT_TIMER, VEC_TIMER | (2u << 17));
			lvt_deadline_mode = true;
		}
		k_wrmsr(MSR_TSC_DEADLINE, tsc);
		return;
	}
	/* One-shot mode, divide by 1, rate measured once against the TSC. */
	if (!lapic_ticks_per_ms) {
		lapic_write(LAPIC_TIMER_DIV, 0xb);
		lapic_write(LAPIC_LVT_TIMER, (1u << 16) | VEC_TIMER); /* masked */
		lapic_write(LAPIC_TIMER_INIT, 0xffffffffu);
		uint64_t t0 = sys_rdtsc(), wait = k_tsc_hz() / 1000;
		while (sys_rdtsc() - t0 < wait)
			sys_pause();
		lapic_ticks_per_ms = 0xffffffffu - lapic_read(LAPIC_TIMER_CUR);
		if (!lapic_ticks_per_ms)
			lapic_ticks_per_ms = 1;
	}
	if (!tsc) {
		lapic_write(LAPIC_TIMER_INIT, 0);
		return;
	}
	uint64_t now = sys_rdtsc(), ms_ticks = k_tsc_hz() / 1000;
	uint64_t dt = tsc > now ? tsc - now : 1;
	uint64_t count = dt * lapic_ticks_per_ms / (ms_ticks ? ms_ticks : 1);
	if (count == 0)
		count = 1;
	if (count > 0xffffffffu)
		count = 0xffffffffu;
	lapic_write(LAPIC_LVT_TIMER, VEC_TIMER);
	lapic_write(LAPIC_TIMER_INIT, (uint32_t)count);
}

void k_console_wake_on_input(bool on)
{
	apic_init();
	irq_table[VEC_CONSOLE].fn = console_input;
	/* COM1 is ISA IRQ 4, identity-mapped to GSI 4 on q35 and microvm
	 * (no interrupt source override for it in either MADT). */
	k_ioapic_route(4, VEC_CONSOLE, false);
	k_console_rx_irq(on);
}
