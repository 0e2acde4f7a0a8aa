/* SPDX-License-Identifier: MIT */
/*
 * kernel.h - what the unikernel offers its drivers and its one application.
 *
 * Memory is identity mapped: a virtual address is its physical address, so
 * drivers hand pointers straight to devices (virtio descriptors, rings).
 * The image is single-core and runs with interrupts disabled except inside
 * k_wait_for_interrupt().  Everything here is image-only (freestanding).
 *
 * Under kvm_pvm (nested clouds, see kernel/entry.S) the kernel runs in PVM
 * supervisor mode: natively fast, but every port access costs ~30-60 us,
 * k_wait_for_interrupt() halts through emulated ring 0 (~0.1-0.3 ms per
 * wake-up, kernel/pvm_halt.S) and page 0 stays mapped (a NULL access is not
 * caught there).
 */
#ifndef NFB_KERNEL_H
#define NFB_KERNEL_H

#include "nfb/sys.h"

/* ---- port and memory-mapped I/O ------------------------------------------- */
/* Each port access is a VM exit (~10 us when nested): keep them off hot paths. */
static inline void k_outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0,%1" ::"a"(v), "Nd"(port)); }
static inline void k_outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0,%1" ::"a"(v), "Nd"(port)); }
static inline void k_outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0,%1" ::"a"(v), "Nd"(port)); }
static inline uint8_t k_inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1,%0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t k_inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1,%0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t k_inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1,%0" : "=a"(v) : "Nd"(port)); return v; }

static inline uint8_t k_mmio_r8(uintptr_t a) { return *(volatile uint8_t *)a; }
static inline uint16_t k_mmio_r16(uintptr_t a) { return *(volatile uint16_t *)a; }
static inline uint32_t k_mmio_r32(uintptr_t a) { return *(volatile uint32_t *)a; }
static inline void k_mmio_w8(uintptr_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static inline void k_mmio_w16(uintptr_t a, uint16_t v) { *(volatile uint16_t *)a = v; }
static inline void k_mmio_w32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }

/* Make [addr, addr+len) accessible as uncached device memory (MMIO BARs and
 * windows above RAM are not mapped at boot).  Returns 0 or -SYS_ENOMEM. */
int k_map_mmio(uintptr_t addr, size_t len);

/* ---- exit ------------------------------------------------------------------ */
/* Exit codes of an image (`nfbox run` returns them as its own status). */
#define K_EXIT_OK 0
#define K_EXIT_CONFIG 1         /* the config was rejected (FILE:LINE:COL printed) */
#define K_EXIT_CRASH 3          /* CPU exception, panic, stack smashing */
#define K_EXIT_SELFTEST 4       /* nfbox.selftest: a defence is missing (kernel/selftest.c) */
#define K_EXIT_PLATFORM 70      /* unusable machine: no memory map, CPU too old, ... */

/* End the VM.  QEMU's exit status becomes (code << 1) | 1 through
 * isa-debug-exit; `nfbox run` maps it back to `code`. Never returns. */
__attribute__((noreturn)) void k_exit(int code);
/* Print "PANIC: msg", registers and a backtrace, exit non-zero. */
__attribute__((noreturn)) void k_panic(const char *fmt, ...) SYS_PRINTF(1, 2);

/* Symbol for a code address ("name+0xoff", or "?"), as snprintf returns. */
int k_symbolize(uint64_t addr, char *buf, size_t size);
/* Print a frame-pointer backtrace starting at (rip, rbp) on the console. */
void k_backtrace(uint64_t rip, uint64_t rbp);

/* ---- the application ------------------------------------------------------ */
/* Defined by the application (image/main.c); called once when the machine
 * is up (memory, interrupts, time, console).  Returns a K_EXIT_* code. */
int k_app_main(void);

/* ---- console ------------------------------------------------------------------ */
/* Output.  Until k_console_boot_done() the console buffers what is printed
 * (each byte out is a VM exit; the ready line must not wait for them);
 * k_console_write_now() bypasses the buffer. */
void k_console_write(const char *s, size_t n);
void k_console_write_now(const char *s, size_t n);
void k_console_boot_done(void);         /* stop buffering (at "ready") */
void k_printf(const char *fmt, ...) SYS_PRINTF(1, 2);
void k_vprintf(const char *fmt, va_list ap) SYS_PRINTF(1, 0);
/* Bulk input (a reload transfer): FIFO trigger level 14 instead of 1, so
 * QEMU refills the UART's FIFO in larger pieces. */
void k_console_rx_bulk(bool on);
/* One byte of serial input, or -1 if none is waiting (one port read: call it
 * at most every few milliseconds from a polling loop). */
int k_console_getc(void);
/* Let serial input end a k_wait_for_interrupt() (IRQ 4 through the IOAPIC). */
void k_console_wake_on_input(bool on);
/* True, once, if serial input raised its interrupt since the last call:
 * after a halt, whether to read the console now.  Interrupts are only taken
 * inside k_wait_for_interrupt(), so a loop that has not halted for a while
 * must still poll k_console_getc() on a slow tick. */
bool k_console_take_wake(void);

/* ---- boot information ------------------------------------------------------- */
const char *k_cmdline(void);            /* "" if none */
/* The value of option `key` (key=VALUE) on the kernel command line: its
 * first byte, *len bytes up to the next space; NULL if absent. */
const char *k_cmdline_value(const char *key, size_t *len);
uint64_t k_boot_tsc(void);              /* TSC at guest entry */
uint64_t k_tsc_hz(void);                /* calibrated TSC frequency */
uint64_t k_tsc_to_ns(uint64_t ticks);   /* TSC ticks -> nanoseconds */
uint64_t k_ram_bytes(void);             /* usable RAM from the memory map */
/* The widest vector state the kernel turned on (XCR0, kernel/cpu.c):
 * "AVX-512", "AVX" or "SSE".  Code may use an ISA only where CPUID says
 * the CPU has it and this state is on (OSXSAVE + XGETBV tell the same). */
const char *k_vector_state(void);
const char *k_tsc_source(void);         /* how the TSC rate was found */
/* True when running in kvm_pvm's "PVM supervisor mode" (entry.S): code
 * runs natively at underlying CPL 3, port I/O is emulated, but MOV CR3,
 * LTR, WRMSR and HLT are refused.  Detected from %cs (0x33, not 0x08). */
extern bool k_pvm;
/* The largest block the allocator can still hand out (sys_alloc). */
size_t k_alloc_largest(void);

/* ---- QEMU fw_cfg ----------------------------------------------------------------- */
/* Read a named fw_cfg file (e.g. "opt/nfbox/config") into sys_alloc'd memory
 * (NUL-terminated for convenience).  -SYS_ENOENT if absent or no fw_cfg. */
int k_fwcfg_read(const char *name, char **data, size_t *len);
/* 1 if fw_cfg lists the file, 0 if not, -SYS_ENOENT without fw_cfg (the
 * directory is read once and kept). */
int k_fwcfg_has(const char *name);
/* True when the machine has no ACPI tables, known without searching memory:
 * no RSDP from the boot loader and a QEMU fw_cfg without etc/acpi/tables
 * (QEMU microvm acpi=off).  Such a microvm lists every used virtio-mmio
 * slot on the kernel command line and has no PCIe host bridge. */
bool k_acpi_absent(void);

/* ---- PCI (config space through the 0xCF8/0xCFC mechanism or ECAM) ---------- */
struct k_pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint64_t bar[6];        /* base addresses, valid where bar_known says */
	uint64_t bar_size[6];   /* 0: not sized (the firmware placed it) */
	bool bar_is_io[6];
	uint8_t bar_known;      /* bit i: BAR i read (k_pci_bar) */
	bool cmd_known;
	uint16_t cmd;           /* command register, if cmd_known */
};
/* Enumerate the functions on bus 0 and behind bridges; calls fn for each
 * type-0 function with only its ids read, until fn returns true.  Nothing
 * is set up: a driver that takes the function calls k_pci_bar for the BARs
 * it uses and then k_pci_enable. */
void k_pci_scan(bool (*fn)(void *ctx, struct k_pci_dev *d), void *ctx);
/* Memory BAR i's base, and its size where known (0: the firmware placed it
 * and it was not sized).  A BAR the firmware left at 0 is sized and placed
 * where no firmware ran (QEMU microvm).  -SYS_ENOENT if it is not an
 * assigned memory BAR.  Decoding must be enabled (k_pci_enable) after. */
int k_pci_bar(struct k_pci_dev *d, unsigned i, uint64_t *base, uint64_t *size);
/* Memory decoding and bus mastering on. */
void k_pci_enable(struct k_pci_dev *d);
/* Configuration accesses so far (each an exit to QEMU; two with CF8), the
 * TSC ticks in them, and in finding the access method (ACPI MCFG). */
struct k_pci_cost {
	uint32_t accesses;
	bool ecam;
	uint64_t tsc, init_tsc;
};
void k_pci_cost_get(struct k_pci_cost *c);
uint32_t k_pci_read32(const struct k_pci_dev *d, uint16_t off);
uint16_t k_pci_read16(const struct k_pci_dev *d, uint16_t off);
uint8_t k_pci_read8(const struct k_pci_dev *d, uint16_t off);
void k_pci_write32(const struct k_pci_dev *d, uint16_t off, uint32_t v);
void k_pci_write16(const struct k_pci_dev *d, uint16_t off, uint16_t v);
void k_pci_write8(const struct k_pci_dev *d, uint16_t off, uint8_t v);
/* The GSI (level-triggered, active high) the function's INTx pin raises, or
 * -1 if it has none or the routing is unknown (it would take ACPI _PRT:
 * known only for QEMU microvm's PCIe host, bus 0). */
int k_pci_intx_gsi(const struct k_pci_dev *d);

/* ---- interrupts (used only by adaptive polling; never on the fast path) ----- */
/* Vectors 48..239 are free for devices. */
typedef void (*k_irq_fn)(void *ctx);
int k_irq_register(uint8_t vector, k_irq_fn fn, void *ctx);
/* Route an ISA/GSI line (virtio-mmio on microvm) through the IOAPIC. */
int k_ioapic_route(uint32_t gsi, uint8_t vector, bool level_triggered);
/* MSI/MSI-X message that delivers `vector` to this CPU. */
void k_msi_message(uint8_t vector, uint64_t *addr, uint32_t *data);
/* Atomically enable interrupts and halt until one arrives (sti; hlt), then
 * disable them again.  Returns after the handler has run. */
void k_wait_for_interrupt(void);
/* Arm a one-shot wakeup interrupt when the TSC reaches `tsc` (LAPIC
 * TSC-deadline timer, SDM vol. 3A 11.5.4.1); 0 disarms.  Lets an idle loop
 * halt and still run its timers.  Writes the timer only when `tsc` differs
 * from what it holds (a fired timer holds nothing), so calling it before
 * every halt with the same deadline costs no exit. */
void k_wakeup_at(uint64_t tsc);
/* The TSC value at sys_now_ns() == ns (rounded up: never early). */
uint64_t k_ns_to_tsc(uint64_t ns);

#endif
