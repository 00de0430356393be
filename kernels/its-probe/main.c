/* its-probe: the GICv3 ITS of QEMU virt (gic-version=3: 0x08080000) as kvm-unit-tests' its_init()
 * sees it: prints the ID and control registers and the eight GITS_BASERn at reset, then what
 * reads back after the writes its_init() makes (a device and a collection table, the command
 * queue) and after writes to the read-only IIDR and TYPER.
 *   T1 Y: GITS_PIDR2 says GICv3 (ArchRev 3)
 *   T2 Y: there is a device table and a collection table BASER (types 1 and 4)
 *   REG <name> <value> (one line per read) */
#include "virt.h"

#define ITS 0x08080000UL

static unsigned long rd64(unsigned long off) { return *(volatile unsigned long *)(ITS + off); }
static unsigned int rd32(unsigned long off) { return *(volatile unsigned int *)(ITS + off); }
static void wr64(unsigned long off, unsigned long v) { *(volatile unsigned long *)(ITS + off) = v; }
static void wr32(unsigned long off, unsigned int v) { *(volatile unsigned int *)(ITS + off) = v; }

static void put_hex(unsigned long v)
{
	uart_puts("0x");
	for (int shift = 60; shift >= 0; shift -= 4)
		uart_putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

static void reg(const char *name, unsigned long v)
{
	uart_puts("REG ");
	uart_puts(name);
	uart_puts(" ");
	put_hex(v);
	uart_puts("\n");
}

static const char *const baser_names[8] = {"BASER0", "BASER1", "BASER2", "BASER3", "BASER4", "BASER5", "BASER6", "BASER7"};

void main(void)
{
	reg("CTLR", rd32(0x0));
	reg("IIDR", rd32(0x4));
	reg("TYPER", rd64(0x8));
	reg("CBASER", rd64(0x80));
	reg("CWRITER", rd64(0x88));
	reg("CREADR", rd64(0x90));
	int device = 0, collection = 0;
	for (int i = 0; i < 8; i++) {
		unsigned long v = rd64(0x100 + 8 * i);
		reg(baser_names[i], v);
		unsigned int type = (v >> 56) & 7;
		device |= type == 1;
		collection |= type == 4;
	}
	unsigned int pidr2 = rd32(0xffe8);
	reg("PIDR2", pidr2);
	reg("RESERVED_0x40", rd32(0x40));
	uart_puts(((pidr2 >> 4) & 0xf) == 3 ? "T1 Y\n" : "T1 N\n");
	uart_puts(device && collection ? "T2 Y\n" : "T2 N\n");

	/* What its_init() writes: table addresses with Valid, then the command queue. */
	wr64(0x100, rd64(0x100) | 0x40100000UL | (1UL << 63));
	wr64(0x108, rd64(0x108) | 0x40110000UL | (1UL << 63));
	wr64(0x80, 0x40200000UL | 15 | (1UL << 63));
	wr64(0x88, 0);
	reg("BASER0", rd64(0x100));
	reg("BASER1", rd64(0x108));
	reg("CBASER", rd64(0x80));
	reg("CWRITER", rd64(0x88));
	reg("CREADR", rd64(0x90));
	/* Every field written: what sticks. */
	wr64(0x100, ~0UL);
	reg("BASER0", rd64(0x100));
	wr64(0x110, ~0UL);
	reg("BASER2", rd64(0x110));
	/* Read-only registers. */
	wr32(0x4, 0x12345678);
	wr64(0x8, 0);
	reg("IIDR", rd32(0x4));
	reg("TYPER", rd64(0x8));
	uart_puts("DONE\n");
	psci_system_off();
}
