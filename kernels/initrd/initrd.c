/* initrd: a raw image entered by QEMU's boot stub with x0 = the DTB; finds the initrd through
 * /chosen/linux,initrd-start and -end (as kvm-unit-tests finds its environ) and prints where the
 * DTB and the initrd are and the initrd's first line.
 *   T1 Y: /chosen has linux,initrd-start and linux,initrd-end, end > start
 *   T2 Y: the initrd starts with "WBDIFF-INITRD" (initrd.txt)
 *   DTB=0x...  INITRD=0x...-0x...  LINE=<first line of the initrd> */
#include "virt.h"
#include "fdt.h"

static void put_hex(unsigned long v)
{
	uart_puts("0x");
	for (int shift = 60; shift >= 0; shift -= 4)
		uart_putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

/* A /chosen cell: QEMU writes 32- or 64-bit values (qemu_fdt_setprop_sized_cells, #address-cells 2). */
static unsigned long cells(const char *p, unsigned int len)
{
	unsigned long v = 0;
	for (unsigned int i = 0; i + 4 <= len; i += 4)
		v = (v << 32) | fdt_be32(p + i);
	return v;
}

void kmain(const void *dtb, unsigned long loaded)
{
	(void)loaded;
	uart_puts("DTB=");
	put_hex((unsigned long)dtb);
	uart_puts("\n");
	unsigned int slen = 0, elen = 0;
	const char *s = fdt_top_property(dtb, "chosen", "linux,initrd-start", &slen);
	const char *e = fdt_top_property(dtb, "chosen", "linux,initrd-end", &elen);
	unsigned long start = s ? cells(s, slen) : 0, end = e ? cells(e, elen) : 0;
	uart_puts("INITRD=");
	put_hex(start);
	uart_puts("-");
	put_hex(end);
	uart_puts("\n");
	int found = s && e && end > start;
	uart_puts(found ? "T1 Y\n" : "T1 N\n");
	const char *text = (const char *)start;
	const char *magic = "WBDIFF-INITRD";
	int ok = found;
	for (int i = 0; ok && magic[i]; i++)
		ok = start + i < end && text[i] == magic[i];
	uart_puts(ok ? "T2 Y\n" : "T2 N\n");
	uart_puts("LINE=");
	if (found) {
		unsigned long n = 0;
		while (start + n < end && n < 80 && text[n] != '\n')
			n++;
		uart_write(text, n);
	}
	uart_puts("\nDONE\n");
	psci_system_off();
}
