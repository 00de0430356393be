// Bare-metal entry and hand-written write-barrier routines for the gowb kernel.
// See README.md for which barrier routine matches which Go toolchain.

#include "textflag.h"

// kentry is the ELF entry point (-E main.kentry). The MMU is off, we are at EL1,
// and nothing of the Go runtime has run. It enables FP/SIMD, sets up a stack and
// a fake g, keeps the barrier routines linked, calls kmain and powers off.
TEXT main·kentry(SB),NOSPLIT|NOFRAME,$0-0
	// CPACR_EL1.FPEN = 0b11: the compiler may use FP/SIMD registers (e.g. to zero memory).
	MOVD	$(3<<20), R0
	WORD	$0xd5181040 // msr cpacr_el1, x0
	WORD	$0xd5033fdf // isb

	// Zero .bss and .noptrbss (contiguous, 8-byte aligned ends) so the kernel does not
	// depend on the loader zero-filling them. No stack is in use yet (kstack and
	// fakeg are in .noptrbss). runtime.writeBarrier is in there too: flag = 0.
	MOVD	$runtime·bss(SB), R0
	MOVD	$runtime·enoptrbss(SB), R1
zero:
	CMP	R1, R0
	BHS	zeroed
	MOVD.P	ZR, 8(R0)
	JMP	zero
zeroed:

	// Stack: top of kstack, 16-byte aligned, with a little headroom above RSP.
	MOVD	$·kstack(SB), R0
	ADD	$(65536-64), R0
	AND	$~15, R0
	MOVD	R0, RSP

	// g (R28): a zeroed fake g. Function prologues compare RSP against
	// g.stackguard0 (offset 16), which is 0, so no stack check ever fails.
	MOVD	$·fakeg(SB), g

	// Keep the barrier routines in the binary (referenced, never called here).
	MOVD	$·wbSeed(SB), R0
	MOVD	$·wbOld(SB), R0
	MOVD	$·wbBuf(SB), R0

	CALL	·kmain(SB)

	// PSCI SYSTEM_OFF through the hypervisor conduit.
	MOVD	$0x84000008, R0
	WORD	$0xd4000002 // hvc #0
spin:
	JMP	spin

// putc writes one byte to the PL011 data register.
TEXT ·putc(SB),NOSPLIT|NOFRAME,$0-1
	MOVBU	c+0(FP), R0
	MOVD	$0x09000000, R1
	MOVB	R0, (R1)
	RET

// wbSeed is the routine from the seed write-up (shared/seeds/go-writebarrier-baremetal.md):
// "str x2, [x27]". It is wrong for every toolchain: R27 is REGTMP (scratch, not the
// slot), and it stores the slot address rather than the value.
TEXT ·wbSeed(SB),NOSPLIT|NOFRAME,$0-0
	WORD	$0xf9000362 // str x2, [x27]
	RET

// wbOld matches runtime·gcWriteBarrier of Go <= 1.20: slot in R2, value in R3,
// and the barrier itself performs the store. No GC bookkeeping.
TEXT ·wbOld(SB),NOSPLIT|NOFRAME,$0-0
	MOVD	R3, (R2) // str x3, [x2]
	RET

// wbBuf matches runtime·gcWriteBarrier1..8 of Go >= 1.21: return buffer space in
// R25; the compiled code writes the value/old value there and then performs the
// store itself. The buffer is never drained, so it is reused every call.
TEXT ·wbBuf(SB),NOSPLIT|NOFRAME,$0-0
	MOVD	$·wbbuf(SB), R25
	RET
