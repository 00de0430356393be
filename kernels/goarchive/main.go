// Package main is the Go half of a bare-metal kernel built the other common way: Go 1.23 with
// -buildmode=c-archive, linked by aarch64-linux-gnu-gcc with a linker script (kernel.ld) and a
// GNU assembly entry (start.S). Go's runtime is linked but never started; start.S calls
// main.kmain directly with a zeroed fake g in x28 (kmain is made global with objcopy
// --globalize-symbol, since every Go symbol in a c-archive object is local).
//
// kmain makes barriered pointer stores that call three different write-barrier entry points of
// Go >= 1.21 (the compiler batches the pointers of consecutive stores into one call):
//
//	T1  gp = p1              runtime.gcWriteBarrier2 (new value, old value)
//	T2  gs.a, gs.b = p2, p3  runtime.gcWriteBarrier4 (two new values, two old values)
//	T3  gq = p4              runtime.gcWriteBarrier2
//	    gr = nil             runtime.gcWriteBarrier1 (the old value only)
//
// With runtime.writeBarrier zero (bss; nothing runs the runtime) every store takes the fast
// path and all markers say Y. Variants force the barrier path and redirect calls to the
// kernel's own routines in barriers.S, which carry the runtime's names (see README.md).
//
// Nothing here may call into the runtime: no allocation, maps, fmt, defer, goroutines, or
// panics on the taken path.
package main

import "unsafe"

type T struct{ id uint64 }

type S struct {
	a, b *T
	n    uint64
}

var (
	t1, t2, t3, t4 T

	gp *T // T1
	gs S  // T2
	gq *T // T3
	gr *T // T3
)

// The PL011 data register of QEMU virt.
const uart = uintptr(0x09000000)

func putc(c byte) { *(*byte)(unsafe.Pointer(uart)) = c }

func puts(s string) {
	for i := 0; i < len(s); i++ {
		putc(s[i])
	}
}

func check(id string, ok bool) {
	puts(id)
	if ok {
		puts(" Y\n")
	} else {
		puts(" N\n")
	}
}

// The stored pointers come from noinline functions: the compiler omits the barrier when it
// can see that the value is the address of a global; the read-backs load from memory.
//
//go:noinline
func ptr(i int) *T {
	switch i {
	case 1:
		return &t1
	case 2:
		return &t2
	case 3:
		return &t3
	}
	return &t4
}

//go:noinline
func loadGp() *T { return gp }

//go:noinline
func loadGs() (*T, *T) { return gs.a, gs.b }

//go:noinline
func loadGq() *T { return gq }

//go:noinline
func loadGr() *T { return gr }

//go:noinline
func sink() {}

//go:noinline
func kmain() {
	puts("goarchive: Go c-archive write-barrier kernel\n")

	p1 := ptr(1)
	gp = p1
	check("T1", loadGp() == p1)

	p2, p3 := ptr(2), ptr(3)
	gs.a, gs.b = p2, p3
	a, b := loadGs()
	check("T2", a == p2 && b == p3)

	p4 := ptr(4)
	gq = p4
	sink() // a call between the two stores: two barrier calls, not one batch
	gr = nil
	check("T3", loadGq() == p4 && loadGr() == nil)

	puts("DONE\n")
}

// kmain must be reachable for the Go linker to keep it: main.main is (runtime.main calls it).
func main() { kmain() }
