/* smp.h - PSCI helpers for the several-CPU kernels (-smp N), for .S files after virt.h. */
#ifndef WBDIFF_SMP_H
#define WBDIFF_SMP_H

#define PSCI_CPU_OFF		0x84000002
#define PSCI_CPU_ON		0xc4000003
#define PSCI_AFFINITY_INFO	0xc4000004

/* x0 = PSCI call \fn with the caller's x1-x3. */
.macro psci fn
	ldr	x0, =\fn
	hvc	#0
.endm

/* x0 = CPU_ON of the CPU with MPIDR affinity \cpu at \entry, x0 there = \context. Clobbers x1-x3. */
.macro cpu_on cpu, entry, context
	mov	x1, #\cpu
	adr	x2, \entry
	ldr	x3, =\context
	psci	PSCI_CPU_ON
.endm

/* x0 = AFFINITY_INFO of affinity \cpu at level 0: 0 ON, 1 OFF, 2 ON_PENDING. Clobbers x1, x2. */
.macro affinity_info cpu
	mov	x1, #\cpu
	mov	x2, #0
	psci	PSCI_AFFINITY_INFO
.endm

/* shared_counting rounds: \rounds increments of two shared counters, `locked_count` under the
 * LDAXR/STXR spinlock `lock` (plain load/add/store inside, SEVL/WFE while it is held) and
 * `atomic_count` with an LDXR/STXR loop; SEV at the end. Clobbers x0-x5. */
.macro shared_counting rounds
	mov	x5, #\rounds
	ldr	x1, =lock
	ldr	x2, =locked_count
	ldr	x3, =atomic_count
.Lcount_round\@:
	sevl
.Lcount_wait\@:
	wfe
.Lcount_lock\@:
	ldaxr	w0, [x1]
	cbnz	w0, .Lcount_wait\@
	mov	w0, #1
	stxr	w4, w0, [x1]
	cbnz	w4, .Lcount_lock\@
	ldr	w0, [x2]
	add	w0, w0, #1
	str	w0, [x2]
	stlr	wzr, [x1]
.Lcount_atomic\@:
	ldxr	w0, [x3]
	add	w0, w0, #1
	stxr	w4, w0, [x3]
	cbnz	w4, .Lcount_atomic\@
	subs	x5, x5, #1
	b.ne	.Lcount_round\@
	sev
.endm

#endif
