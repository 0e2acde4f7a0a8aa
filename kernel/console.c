/* SPDX-License-Identifier: MIT */
/*
 * console.c - the serial console: a 16550 UART at I/O port 0x3f8 (COM1).
 *
 * Transmit is polled.  Under a hypervisor every port access is a VM exit
 * (10-15 us each when nested, one per byte even for `rep outsb`), so:
 *  - output goes out in FIFO-sized chunks through one gate call: wait for
 *    THRE (FIFO empty, 16550 datasheet, LSR bit 5), then `rep outsb` up to
 *    16 bytes;
 *  - during boot, output is kept in a buffer and written when the image is
 *    ready (k_console_boot_done), so printing the banner does not delay the
 *    dataplane by milliseconds.  Anything fatal (k_exit, exceptions,
 *    panics) flushes the buffer first, so no message is ever lost.
 *
 * Receive is used only for control lines: k_console_getc()
 * polls LSR.DR, and k_console_rx_irq() lets an idle image halt until a byte
 * arrives (IER bit 0 + MCR.OUT2, which gates the UART's IRQ line on PCs).
 */
#include "kernel/kernel_priv.h"

#define COM1 0x3f8
#define UART_THR 0
#define UART_RBR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define FIFO_SIZE 16

static bool con_up;
static bool con_buffering = true;
static char boot_buf[8192];
static size_t boot_len;

void k_console_init(void)
{
	/* Firmware-independent minimum: 8N1 (and DLAB off, so THR is THR),
	 * FIFOs on and cleared.  Every port write is an exit: the baud
	 * divisor does not matter to an emulated UART, and IER is left alone
	 * (interrupts are off, and k_console_rx_irq() sets it). */
	k_outb(COM1 + UART_LCR, 0x03);
	k_outb(COM1 + UART_FCR, 0x07);
	con_up = true;
}

static void tx_chunk(const char *s, size_t n)
{
	/* Bounded wait: a missing UART reads 0xff (THRE set) and a wedged one
	 * must not hang a crash report forever. */
	for (unsigned spin = 0; spin < 100000; spin++) {
		if (k_inb(COM1 + UART_LSR) & LSR_THRE)
			break;
		sys_pause();
	}
	__asm__ volatile("rep outsb" : "+S"(s), "+c"(n) : "d"((uint16_t)(COM1 + UART_THR)) : "memory");
}

static void tx(const char *s, size_t n)
{
	while (n) {
		size_t c = n < FIFO_SIZE ? n : FIFO_SIZE;
		tx_chunk(s, c);
		s += c;
		n -= c;
	}
}

void k_console_flush(void)
{
	if (!con_up)
		k_console_init();
	if (boot_len)
		tx(boot_buf, boot_len);
	boot_len = 0;
}

void k_console_boot_done(void)
{
	k_console_flush();
	con_buffering = false;
}

void k_console_write_now(const char *s, size_t n)
{
	if (!con_up)
		k_console_init();
	tx(s, n);
}

void k_console_write(const char *s, size_t n)
{
	if (con_buffering) {
		if (boot_len + n > sizeof(boot_buf))
			k_console_flush();
		if (n <= sizeof(boot_buf)) {
			memcpy(boot_buf + boot_len, s, n);
			boot_len += n;
			return;
		}
	}
	if (!con_up)
		k_console_init();
	tx(s, n);
}

int k_console_getc(void)
{
	if (!(k_inb(COM1 + UART_LSR) & LSR_DR))
		return -1;
	return k_inb(COM1 + UART_RBR);
}

/* The receive FIFO's trigger level (FCR bits 6-7), without clearing it.
 * It also paces input under QEMU: its 16550 takes from the chardev only up
 * to the trigger level at a time (serial_can_receive), so at level 1 the
 * FIFO never holds more than one byte and every byte waits for a round of
 * QEMU's main loop (~50-100 us nested).  Level 14 lets it hand over 14 at
 * once; the receive IRQ then comes at 14 bytes or after the character
 * timeout (4 character times at the line's baud rate, ~4 ms at QEMU's
 * default 9600), so it is used only for bulk input (a reload). */
void k_console_rx_bulk(bool on)
{
	k_outb(COM1 + UART_FCR, on ? 0xc1 : 0x01);
}

void k_console_rx_irq(bool on)
{
	k_outb(COM1 + UART_IER, on ? 0x01 : 0);
	k_outb(COM1 + UART_MCR, on ? 0x0b : 0x03); /* DTR | RTS | OUT2 */
}

void k_vprintf(const char *fmt, va_list ap)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	k_console_write(buf, (size_t)n);
}

void k_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	k_vprintf(fmt, ap);
	va_end(ap);
}

void sys_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	k_vprintf(fmt, ap);
	va_end(ap);
}
