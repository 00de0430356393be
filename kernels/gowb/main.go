// Package main is a bare-metal Go kernel for wbdiff that exercises the compiler's
// write-barrier instrumentation. Go's runtime is linked but never started: the
// entry point is main.kentry (entry_arm64.s), not runtime.rt0_go.
//
// kmain makes three pointer stores that the compiler must guard with a
// write-barrier check (global variable, field of a global struct, element of a
// global array), then reads each slot back through a noinline function and prints
// T1..T3. With the Go runtime not started, runtime.writeBarrier is zero (bss),
// so the fast path stores directly and all checks print Y. A runner that forces
// the flag on and redirects the barrier call to wbSeed/wbOld/wbBuf shows which
// replacement barrier is right for which toolchain (see README.md).
//
// Nothing here may call into the runtime: no allocation, maps, fmt, defer,
// goroutines, or panics on the taken path.
package main

type T struct {
	id uint64
}

type S struct {
	n uint64
	p *T
}

var (
	kstack [65536]byte // stack for kentry/kmain
	fakeg  [1024]byte  // zeroed stand-in for the g struct (R28)
	wbbuf  [16]uintptr // buffer handed out by wbBuf

	t1, t2, t3 T

	gp *T    // (1) a global pointer
	gs S     // (2) a field of a global struct
	ga [4]*T // (3) an element of a global array
)

func putc(c byte) // entry_arm64.s

// Referenced only from kentry (entry_arm64.s), never called from Go. kentry itself
// has no Go declaration, so no ABIInternal wrapper named main.kentry is generated
// and the ELF entry is main.kentry.abi0 (what -E main.kentry resolves to).
func wbSeed()
func wbOld()
func wbBuf()

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

// The stored pointers come from noinline functions: the compiler omits the
// barrier when it can see that the value is the address of a global.
//
//go:noinline
func ptr1() *T { return &t1 }

//go:noinline
func ptr2() *T { return &t2 }

//go:noinline
func ptr3() *T { return &t3 }

// An index the compiler cannot constant-fold.
//
//go:noinline
func index() int { return 2 }

// Read-backs go through noinline functions so each check loads the slot from
// memory instead of reusing the value just stored.
//
//go:noinline
func loadGp() *T { return gp }

//go:noinline
func loadGs() *T { return gs.p }

//go:noinline
func loadGa(i int) *T { return ga[i&3] }

func kmain() {
	puts("gowb: Go write-barrier kernel\n")

	p1 := ptr1()
	gp = p1 // (1) barriered store to a global
	check("T1", loadGp() == p1)

	p2 := ptr2()
	gs.p = p2 // (2) barriered store to a field of a global struct
	check("T2", loadGs() == p2)

	p3 := ptr3()
	i := index() & 3 // & 3: no bounds check, so no panic path
	ga[i] = p3       // (3) barriered store to a global array element
	check("T3", loadGa(i) == p3)

	puts("DONE\n")
}

func main() {}
