/* virt.h - shared definitions for wbdiff's bundled kernels on QEMU `virt`.
 *
 * Included from .S files (preprocessed asm, __ASSEMBLER__ defined) and from C.
 * Only three things of the machine are used, because the same ELF also runs in
 * wbdiff's Unicorn emulator, which models nothing else:
 *   - RAM at 0x40000000 (128 MiB); kernels are linked at 0x40080000 (virt.ld)
 *   - the PL011 UART data register at 0x09000000
 *   - PSCI SYSTEM_OFF through `hvc #0` (x0 = 0x84000008)
 * Never touch the GIC, the timer or any other MMIO.
 *
 * The MMU stays off, so every data access is Device memory: keep loads and
 * stores naturally aligned (an unaligned access is an alignment fault).
 */
#ifndef WBDIFF_VIRT_H
#define WBDIFF_VIRT_H

#define RAM_BASE        0x40000000
#define RAM_SIZE        0x08000000
#define UART0_BASE      0x09000000
#define UART_DR         0x00
#define UART_FR         0x18
#define UART_FR_TXFF    (1 << 5)
#define PSCI_SYSTEM_OFF 0x84000008
#define CPACR_FPEN      (3 << 20)

#ifdef __ASSEMBLER__

/* boot_setup: enables FP/SIMD (CPACR_EL1.FPEN=0b11), sets sp to __stack_top and
 * zeroes .bss byte by byte (__bss_start may be unaligned). Clobbers x0, x1. */
.macro boot_setup
	mov	x0, #CPACR_FPEN
	msr	cpacr_el1, x0
	isb
	ldr	x0, =__stack_top
	mov	sp, x0
	ldr	x0, =__bss_start
	ldr	x1, =__bss_end
.Lbss_loop\@:
	cmp	x0, x1
	b.hs	.Lbss_done\@
	strb	wzr, [x0], #1
	b	.Lbss_loop\@
.Lbss_done\@:
.endm

/* kernel_entry main: the `_start` stub: boot_setup, then calls `main` and powers
 * off if it returns. */
.macro kernel_entry main
	.section .text.boot, "ax"
	.global _start
	.type _start, %function
_start:
	boot_setup
	bl	\main
	b	poweroff
	.ltorg
	.text
.endm

/* dtb_entry main: for kernels entered as Linux images are (x0 = the DTB's address):
 * boot_setup keeping x0, then main(dtb, address of _start), powering off if it returns. */
.macro dtb_entry main
	mov	x19, x0
	adr	x20, _start
	boot_setup
	mov	x0, x19
	mov	x1, x20
	bl	\main
	b	poweroff
	.ltorg
.endm

/* vector_table name, handler[, offset]: a VBAR_EL1 table `name` (2 KiB aligned) whose entry at
 * `offset` (default 0x200: synchronous, current EL with SP_ELx; 0x280 is its IRQ) branches to
 * `handler`; the 15 others spin (`b .`), so any other exception is one wbdiff reports as unhandled. */
.macro vector_table name, handler, offset=0x200
	.balign 2048
\name:
	.rept (\offset / 128)
	b	.
	.balign 128
	.endr
	b	\handler
	.balign 128
	.rept (15 - \offset / 128)
	b	.
	.balign 128
	.endr
.endm

/* use_vectors table: VBAR_EL1 = table. Clobbers x0. */
.macro use_vectors table
	adr	x0, \table
	msr	vbar_el1, x0
	isb
.endm

/* say "text": print a literal string (no newline added). Clobbers x0-x2, x30. */
.macro say str
	.pushsection .rodata.say, "a"
.Lsay_str\@:
	.asciz "\str"
	.popsection
	adr	x0, .Lsay_str\@
	bl	puts
.endm

/* say_hex "label", reg: print "label=%08x\n" of the register's low 32 bits (reg may not be
 * x0-x4, x25 or x30). Clobbers x0-x4, x25, x30. */
.macro say_hex label, reg
	mov	x25, \reg
	say	"\label="
	mov	w0, w25
	bl	puthex32
	say	"\n"
.endm

/* virt_lib: emits the helper routines. Invoke once per kernel (in .text).
 *   putc(w0)        print one byte                       clobbers x1
 *   puts(x0)        print a NUL-terminated string        clobbers x0-x2
 *   puthex32(w0)    print "%08x" (lowercase)             clobbers x0-x4
 *   putdec(x0)      print an unsigned decimal            clobbers x0-x5, uses 32 bytes of stack
 *   poweroff()      PSCI SYSTEM_OFF; spins if that returns
 */
.macro virt_lib
	.text
	.balign 4
	.global putc
	.type putc, %function
putc:
	mov	x1, #UART0_BASE		/* FR.TXFF is never set by QEMU: no polling */
	strb	w0, [x1, #UART_DR]
	ret

	.global puts
	.type puts, %function
puts:
	mov	x1, #UART0_BASE
.Lputs_loop\@:
	ldrb	w2, [x0], #1
	cbz	w2, .Lputs_end\@
	strb	w2, [x1, #UART_DR]
	b	.Lputs_loop\@
.Lputs_end\@:
	ret

	.global puthex32
	.type puthex32, %function
puthex32:
	mov	x1, #UART0_BASE
	mov	w3, #28
.Lhex_loop\@:
	lsr	w2, w0, w3
	and	w2, w2, #0xf
	cmp	w2, #10
	add	w4, w2, #'0'
	add	w2, w2, #('a' - 10)
	csel	w2, w4, w2, lo
	strb	w2, [x1, #UART_DR]
	subs	w3, w3, #4
	b.ge	.Lhex_loop\@
	ret

	.global putdec
	.type putdec, %function
putdec:
	sub	sp, sp, #32
	add	x3, sp, #32		/* digits are written backwards from sp+32 */
	mov	x4, #10
.Ldec_loop\@:
	udiv	x5, x0, x4
	msub	x2, x5, x4, x0		/* x2 = x0 % 10 */
	add	w2, w2, #'0'
	strb	w2, [x3, #-1]!
	mov	x0, x5
	cbnz	x0, .Ldec_loop\@
	mov	x1, #UART0_BASE
	add	x4, sp, #32
.Ldec_out\@:
	ldrb	w2, [x3], #1
	strb	w2, [x1, #UART_DR]
	cmp	x3, x4
	b.lo	.Ldec_out\@
	add	sp, sp, #32
	ret

	.global poweroff
	.type poweroff, %function
poweroff:
	movz	x0, #(PSCI_SYSTEM_OFF & 0xffff)
	movk	x0, #(PSCI_SYSTEM_OFF >> 16), lsl #16
	hvc	#0
.Lpoweroff_spin\@:
	wfi
	b	.Lpoweroff_spin\@
.endm

#else /* C */

static inline void uart_putc(char c)
{
	*(volatile unsigned char *)(UART0_BASE + UART_DR) = (unsigned char)c;
}

static inline void uart_puts(const char *s)
{
	while (*s)
		uart_putc(*s++);
}

/* Raw bytes, including NUL and bytes >= 0x80. */
static inline void uart_write(const char *s, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		uart_putc(s[i]);
}

static inline __attribute__((noreturn)) void psci_system_off(void)
{
	register unsigned long x0 __asm__("x0") = PSCI_SYSTEM_OFF;
	__asm__ volatile("hvc #0" : "+r"(x0) : : "memory");
	for (;;)
		__asm__ volatile("wfi");
}

#endif /* __ASSEMBLER__ */
#endif /* WBDIFF_VIRT_H */
