/* bootargs: entered as a raw image by QEMU's boot stub with x0 = the DTB's address; prints where
 * it was loaded and /chosen/bootargs (QEMU -append, wbdiff --append).
 *   T1 Y: x0 points at a device tree (FDT magic)
 *   T2 Y: /chosen/bootargs is there
 *   LOADED=0x40080000  BOOTARGS=<the command line> */
#include "virt.h"
#include "fdt.h"

static void put_hex(unsigned long v)
{
	uart_puts("0x");
	for (int shift = 28; shift >= 0; shift -= 4)
		uart_putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

void kmain(const void *dtb, unsigned long loaded)
{
	uart_puts("LOADED=");
	put_hex(loaded);
	uart_puts("\n");
	int is_fdt = fdt_be32(dtb) == FDT_MAGIC;
	uart_puts(is_fdt ? "T1 Y\n" : "T1 N\n");
	unsigned int len = 0;
	const char *args = is_fdt ? fdt_top_property(dtb, "chosen", "bootargs", &len) : 0;
	uart_puts(args ? "T2 Y\n" : "T2 N\n");
	uart_puts("BOOTARGS=");
	if (args)
		uart_write(args, len && args[len - 1] == 0 ? len - 1 : len);
	uart_puts("\nDONE\n");
	psci_system_off();
}
