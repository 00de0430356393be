/* pci-testdev: QEMU's PCI test device (hw/misc/pci-testdev.c) on virt's PCIe, run with
 * `-device pci-testdev`. The ECAM is virt's high one (0x4010000000, bus 0), the 32-bit memory
 * window starts at 0x10000000 (PCI address = CPU address) and the I/O window at 0x3eff0000
 * (PCI I/O address 0 there).
 *   T1  a 1b36:0005 function on bus 0 (its header dwords are printed)
 *   T2  BAR0 sizes as a 32-bit memory BAR of 4 KiB, BAR1 as an I/O BAR of 256 bytes
 *   T3  before decoding is enabled, the assigned BAR0 reads all-ones
 *   T4  each BAR header lists three tests (named), each reading count 0 when started
 * Every value read is printed, so the runners can be compared byte for byte. */
#include "virt.h"

typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned char u8;

#define ECAM 0x4010000000UL
#define MEM_BAR 0x10000000UL         /* PCI memory address = CPU address */
#define IO_WINDOW 0x3eff0000UL
#define IO_BAR 0x1000UL              /* PCI I/O address; CPU address IO_WINDOW + IO_BAR */

static u32 rd32(u64 a) { u32 v; __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory"); return v; }
static u8 rd8(u64 a) { u32 v; __asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(a) : "memory"); return (u8)v; }
static void wr32(u64 a, u32 v) { __asm__ volatile("str %w0, [%1]" :: "r"(v), "r"(a) : "memory"); }
static void wr16(u64 a, unsigned short v) { __asm__ volatile("strh %w0, [%1]" :: "r"(v), "r"(a) : "memory"); }
static void wr8(u64 a, u8 v) { __asm__ volatile("strb %w0, [%1]" :: "r"(v), "r"(a) : "memory"); }

static void hex(u64 v, int digits)
{
	for (int i = digits - 1; i >= 0; i--) {
		int d = (v >> (i * 4)) & 15;
		uart_putc(d < 10 ? '0' + d : 'a' + d - 10);
	}
}

static void check(const char *id, int ok) { uart_puts(id); uart_puts(ok ? " Y\n" : " N\n"); }

/* Runs every test a BAR's header lists; returns how many it found. */
static int run_tests(const char *kind, u64 hdr)
{
	int found = 0;
	for (u32 nr = 0; nr < 8; nr++) {
		wr8(hdr + 0, (u8)nr);                       /* start test nr */
		u32 count = rd32(hdr + 12), width = rd8(hdr + 1);
		u32 data = rd32(hdr + 8), off = rd32(hdr + 4);
		uart_puts(kind); uart_puts(" test "); hex(nr, 1);
		uart_puts(" count="); hex(count, 8); uart_puts(" width="); hex(width, 2);
		uart_puts(" data="); hex(data, 8); uart_puts(" offset="); hex(off, 8);
		if (width != 1 || count != 0) { uart_puts(" (end of list)\n"); break; }
		uart_puts(" name=");
		for (u32 i = 0; i < 64; i++) {
			u8 c = rd8(hdr + 16 + i);
			if (!c) break;
			uart_putc(c);
		}
		for (int i = 0; i < 16; i++) wr8(hdr + off, (u8)data);
		/* A write elsewhere, and one of the wrong width, to the test's offset. */
		wr8(hdr + off + 1, (u8)data);
		wr16(hdr + (off & ~1u), (unsigned short)(data | data << 8));
		uart_puts(" after=");
		hex(rd32(hdr + 12), 8);
		uart_puts("\n");
		found++;
	}
	return found;
}

int main(void)
{
	uart_puts("pci-testdev: looking for 1b36:0005 on bus 0\n");
	u64 cfg = 0;
	for (u32 devfn = 0; devfn < 256; devfn++) {
		u64 at = ECAM + ((u64)devfn << 12);
		if (rd32(at) == 0x00051b36) { cfg = at; uart_puts("found at 00:"); hex(devfn >> 3, 2); uart_puts("."); hex(devfn & 7, 1); uart_puts("\n"); break; }
	}
	check("T1", cfg != 0);
	if (!cfg) { uart_puts("DONE\n"); return 0; }
	for (u32 off = 0; off < 0x40; off += 4) { uart_puts("CFG "); hex(off, 2); uart_puts(" "); hex(rd32(cfg + off), 8); uart_puts("\n"); }

	u32 sizes[2];
	for (int bar = 0; bar < 2; bar++) {
		u64 reg = cfg + 0x10 + bar * 4;
		u32 was = rd32(reg);
		wr32(reg, 0xffffffff);
		sizes[bar] = rd32(reg);
		wr32(reg, was);
		uart_puts("BAR"); hex(bar, 1); uart_puts(" was="); hex(was, 8); uart_puts(" sized="); hex(sizes[bar], 8);
		uart_puts(" restored="); hex(rd32(reg), 8); uart_puts("\n");
	}
	check("T2", sizes[0] == 0xfffff000 && sizes[1] == 0xffffff01);

	wr32(cfg + 0x10, MEM_BAR);
	wr32(cfg + 0x14, IO_BAR);
	uart_puts("BAR0="); hex(rd32(cfg + 0x10), 8); uart_puts(" BAR1="); hex(rd32(cfg + 0x14), 8); uart_puts("\n");
	u32 before = rd32(MEM_BAR);
	uart_puts("before enable: mem="); hex(before, 8); uart_puts(" io="); hex(rd32(IO_WINDOW + IO_BAR), 8); uart_puts("\n");
	check("T3", before == 0xffffffff);

	wr16(cfg + 0x4, 0x3);                                /* memory and I/O decoding */
	uart_puts("command="); hex(rd32(cfg + 0x4), 8); uart_puts("\n");
	int mem = run_tests("mem", MEM_BAR);
	int io = run_tests("io", IO_WINDOW + IO_BAR);
	/* Past the header: the rest of each BAR reads 0 (QEMU's read of a byte past the header). */
	uart_puts("mem+0x800="); hex(rd32(MEM_BAR + 0x800), 8); uart_puts(" io+0x80="); hex(rd32(IO_WINDOW + IO_BAR + 0x80), 8); uart_puts("\n");
	check("T4", mem == 3 && io == 3);

	wr16(cfg + 0x4, 0x0);                                /* decoding off again: all-ones */
	uart_puts("after disable: mem="); hex(rd32(MEM_BAR), 8); uart_puts(" io="); hex(rd32(IO_WINDOW + IO_BAR), 8); uart_puts("\n");
	uart_puts("DONE\n");
	return 0;
}
