/* The kernel's own write barriers, under the runtime's names, as bare-metal Go projects write
 * them: Go >= 1.21's runtime.gcWriteBarrierN returns 8*N bytes of buffer space in x25; the
 * compiled code fills it (new values, old slot contents) and does the slot store itself. This
 * kernel has no GC, so the buffer is just reused. The names are defined local here and made
 * weak globals by the build (objcopy --globalize-symbol, then --weaken-symbol: see
 * kernel.json), so the link keeps the runtime's own (local, in the c-archive's go.o) beside
 * them; a variant then redirects calls from one to the other.
 *
 * wb_seed is the seed write-up's routine (str x2, [x27]): wrong for Go 1.23, it never sets x25. */
	.macro barrier n
	.text
	.balign 16
	.type runtime.gcWriteBarrier\n, %function
runtime.gcWriteBarrier\n:
	adrp	x25, wbbuf
	add	x25, x25, :lo12:wbbuf
	ret
	.size runtime.gcWriteBarrier\n, . - runtime.gcWriteBarrier\n
	.endm

	barrier 1
	barrier 2
	barrier 3
	barrier 4
	barrier 5
	barrier 6
	barrier 7
	barrier 8

	.balign 16
	.type wb_seed, %function
wb_seed:
	str	x2, [x27]
	ret
	.size wb_seed, . - wb_seed

	.bss
	.balign 16
	.type wbbuf, %object
wbbuf:	.space 64			/* 8 pointers: enough for gcWriteBarrier8 */
	.size wbbuf, . - wbbuf
