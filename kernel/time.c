/* SPDX-License-Identifier: MIT */
/*
 * time.c - the TSC clock.
 *
 * The TSC frequency comes from the first source that knows it, cheapest
 * first (none of them costs more than one VM exit, except the PIT):
 *   1. CPUID 0x40000010 EAX (hypervisor timing leaf, VMware convention that
 *      QEMU/KVM fill in when the TSC is invariant): TSC kHz;
 *   2. kvmclock (Linux Documentation/virt/kvm/x86/msr.rst,
 *      MSR_KVM_SYSTEM_TIME_NEW): the pvclock scale factor converts TSC ticks
 *      to ns, so its inverse is the frequency;
 *   3. CPUID 0x15 (SDM vol. 3B 18.7.3): crystal Hz * EBX / EAX;
 *   4. the PIT (8254 channel 0) over 2 ms (TCG, or no kvmclock).
 * sys_now_ns() is then one RDTSC and a 64x64->128 multiply.
 */
#include "kernel/kernel_priv.h"

static uint64_t tsc_hz;
static uint64_t ns_mult; /* ns = (tsc delta * ns_mult) >> 32 */
static const char *tsc_src = "none";

static uint64_t from_hypervisor_leaf(void)
{
	uint32_t r[4];
	k_cpuid(1, 0, r);
	if (!(r[2] & (1u << 31))) /* CPUID.1:ECX.hypervisor */
		return 0;
	k_cpuid(0x40000000u, 0, r);
	if (r[0] < 0x40000010u)
		return 0;
	k_cpuid(0x40000010u, 0, r);
	return (uint64_t)r[0] * 1000;
}

struct pvclock {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
};
_Static_assert(sizeof(struct pvclock) == 32, "pvclock_vcpu_time_info layout");

/* entry.S enabled kvmclock on this struct for a moment at CPL 0 (the only
 * place WRMSR works under kvm_pvm) and turned it off again. */
extern struct pvclock k_boot_pvclock;

static uint64_t from_kvmclock(void)
{
	uint32_t mul = k_boot_pvclock.tsc_to_system_mul;
	int8_t shift = k_boot_pvclock.tsc_shift;
	if (!mul || (k_boot_pvclock.version & 1))
		return 0;
	/* ns = ((ticks << shift) * mul) >> 32 (shift may be negative)
	 *  => ticks per second = (1e9 << 32) / mul, then undo the shift. */
	uint64_t hz = (1000000000ull << 32) / mul;
	return shift >= 0 ? hz >> shift : hz << -shift;
}

static uint64_t from_cpuid15(void)
{
	uint32_t r[4];
	k_cpuid(0, 0, r);
	if (r[0] < 0x15)
		return 0;
	k_cpuid(0x15, 0, r);
	if (!r[0] || !r[1] || !r[2])
		return 0;
	return (uint64_t)r[2] * r[1] / r[0];
}

/* 8254 PIT channel 0 (its gate is always on; channel 2's needs port 0x61,
 * which microvm lacks) in mode 2, read back with the latch command
 * (8254 datasheet, "Counter Latch Command"), over ~2 ms. */
static uint16_t pit_read0(void)
{
	k_outb(0x43, 0x00);
	uint8_t lo = k_inb(0x40);
	uint8_t hi = k_inb(0x40);
	return (uint16_t)(lo | (hi << 8));
}

static uint64_t from_pit(void)
{
	const uint32_t pit_hz = 1193182, want = pit_hz / 500; /* 2 ms */
	k_outb(0x43, 0x34); /* channel 0, lobyte/hibyte, mode 2, binary */
	k_outb(0x40, 0xff);
	k_outb(0x40, 0xff);
	uint16_t c0 = pit_read0();
	uint64_t t0 = sys_rdtsc();
	uint32_t elapsed = 0;
	for (uint32_t spin = 0; spin < 1000000u && elapsed < want; spin++) {
		uint16_t c = pit_read0();
		elapsed = (uint16_t)(c0 - c); /* counts down, wraps at 16 bits */
	}
	uint64_t t1 = sys_rdtsc();
	/* Stop it: left in mode 2 the PIT reloads every 55 ms, and QEMU runs
	 * a host timer for each period even with IRQ 0 masked (~18 wake-ups
	 * a second of an idle image's QEMU).  Mode 0 with a count of 1 ends
	 * at once and stays there (8254 datasheet, mode 0). */
	k_outb(0x43, 0x30);
	k_outb(0x40, 0x01);
	k_outb(0x40, 0x00);
	if (elapsed < want || t1 <= t0)
		return 0; /* no PIT */
	return (t1 - t0) * pit_hz / elapsed;
}

void k_time_init(void)
{
	if ((tsc_hz = from_hypervisor_leaf()))
		tsc_src = "cpuid-0x40000010";
	else if ((tsc_hz = from_kvmclock()))
		tsc_src = "kvmclock";
	else if ((tsc_hz = from_cpuid15()))
		tsc_src = "cpuid-0x15";
	else if ((tsc_hz = from_pit()))
		tsc_src = "pit";
	else {
		tsc_hz = 1000000000ull; /* pretend 1 GHz, and say so */
		tsc_src = "guessed";
	}
	ns_mult = (1000000000ull << 32) / tsc_hz;
}

uint64_t k_tsc_hz(void) { return tsc_hz; }
const char *k_tsc_source(void) { return tsc_src; }

uint64_t k_tsc_to_ns(uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * ns_mult) >> 32);
}

uint64_t k_ns_to_tsc(uint64_t ns)
{
	/* Whole seconds, then the rest rounded up; (rest < 1e9) * tsc_hz
	 * fits in 64 bits below 18 GHz.  (No 128-bit division: no libgcc.) */
	const uint64_t G = 1000000000u;
	return k_boot.tsc + ns / G * tsc_hz + ((ns % G) * tsc_hz + G - 1) / G;
}

uint64_t sys_now_ns(void) { return k_tsc_to_ns(sys_rdtsc() - k_boot.tsc); }
