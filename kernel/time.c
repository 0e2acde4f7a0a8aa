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
 *   4. the PIT (8254 channel 2, gated through port 0x61) over 5 ms.
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

static struct pvclock pvclock __attribute__((aligned(64)));

static uint64_t from_kvmclock(void)
{
	uint32_t r[4];
	k_cpuid(1, 0, r);
	if (!(r[2] & (1u << 31)))
		return 0;
	k_cpuid(0x40000000u, 0, r);
	if (r[1] != 0x4b4d564bu || r[2] != 0x564b4d56u || r[3] != 0x4d) /* "KVMKVMKVM\0\0\0" */
		return 0;
	k_cpuid(0x40000001u, 0, r);
	if (!(r[0] & (1u << 3))) /* KVM_FEATURE_CLOCKSOURCE2 */
		return 0;
	k_wrmsr(0x4b564d01u, (uint64_t)(uintptr_t)&pvclock | 1);
	uint32_t mul = 0;
	int8_t shift = 0;
	for (int i = 0; i < 100; i++) {
		uint32_t v = *(volatile uint32_t *)&pvclock.version;
		sys_barrier();
		mul = pvclock.tsc_to_system_mul;
		shift = pvclock.tsc_shift;
		sys_barrier();
		if (!(v & 1) && v == *(volatile uint32_t *)&pvclock.version && mul)
			break;
		mul = 0;
	}
	k_wrmsr(0x4b564d01u, 0); /* stop the host writing into our memory */
	if (!mul)
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

/* 8254 PIT, channel 2 in mode 0 (interrupt on terminal count), its gate
 * and output on port 0x61 bits 0 and 5 (8254 datasheet; PC/AT wiring). */
static uint64_t from_pit(void)
{
	const uint32_t pit_hz = 1193182, ms = 5, count = pit_hz * ms / 1000;
	uint8_t p61 = k_inb(0x61);
	k_outb(0x61, (uint8_t)((p61 & ~0x02) | 0x01)); /* gate on, speaker off */
	k_outb(0x43, 0xb0);                            /* ch 2, lo/hi, mode 0 */
	k_outb(0x42, count & 0xff);
	uint64_t t0 = sys_rdtsc();
	k_outb(0x42, (uint8_t)(count >> 8)); /* counting starts on this write */
	uint64_t t1 = 0;
	for (uint32_t spin = 0; spin < 50000000u; spin++) {
		if (k_inb(0x61) & 0x20) {
			t1 = sys_rdtsc();
			break;
		}
	}
	k_outb(0x61, p61);
	if (!t1 || t1 <= t0)
		return 0;
	return (t1 - t0) * 1000 / ms;
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

uint64_t sys_now_ns(void) { return k_tsc_to_ns(sys_rdtsc() - k_boot.tsc); }
