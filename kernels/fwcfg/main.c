/* fwcfg: reads QEMU virt's fw_cfg (MMIO at 0x09020000: data +0, big-endian selector +8) as a
 * firmware would: the signature (0x0000), the feature id (0x0001) and the file directory
 * (0x0019: a big-endian count, then 64-byte entries: size, select, reserved, 56-byte name), and
 * prints them, so the emulator's model can be compared with QEMU's line by line.
 *   T1 Y: signature "QEMU"     T2 Y: id has the traditional interface bit
 *   T3 Y: the directory has at least one file, every select in 0x0020..0x3fff
 *   FILES=<n>  FILE <select> <size> <name> (one line per file)
 *   ITEM <key> <bytes>: the first bytes of UUID, NOGRAPHIC, NB_CPUS, BOOT_MENU, an unused key,
 *   and of the small files (empty ones and etc/boot-fail-wait) */
#include "virt.h"

#define FW_CFG_BASE 0x09020000UL
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_ID 0x0001
#define FW_CFG_FILE_DIR 0x0019

static void select_item(unsigned short key)
{
	/* The selector register is big-endian. */
	*(volatile unsigned short *)(FW_CFG_BASE + 8) = (unsigned short)((key >> 8) | (key << 8));
}

static unsigned char data_byte(void)
{
	return *(volatile unsigned char *)FW_CFG_BASE;
}

static unsigned int be32(void)
{
	unsigned int v = 0;
	for (int i = 0; i < 4; i++)
		v = (v << 8) | data_byte();
	return v;
}

static void put_hex(unsigned long v, int digits)
{
	uart_puts("0x");
	for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
		uart_putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

static void put_byte(unsigned int b)
{
	uart_putc("0123456789abcdef"[(b >> 4) & 0xf]);
	uart_putc("0123456789abcdef"[b & 0xf]);
}

static void put_dec(unsigned long v)
{
	char buf[24];
	int n = 0;
	do {
		buf[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		uart_putc(buf[--n]);
}

void main(void)
{
	char sig[5] = {0};
	select_item(FW_CFG_SIGNATURE);
	for (int i = 0; i < 4; i++)
		sig[i] = (char)data_byte();
	uart_puts("SIG=");
	uart_puts(sig);
	uart_puts("\n");
	uart_puts(sig[0] == 'Q' && sig[1] == 'E' && sig[2] == 'M' && sig[3] == 'U' ? "T1 Y\n" : "T1 N\n");

	select_item(FW_CFG_ID);
	unsigned int id = data_byte();
	id |= (unsigned int)data_byte() << 8;
	id |= (unsigned int)data_byte() << 16;
	id |= (unsigned int)data_byte() << 24;
	uart_puts("ID=");
	put_hex(id, 8);
	uart_puts("\n");
	uart_puts(id & 1 ? "T2 Y\n" : "T2 N\n");

	select_item(FW_CFG_FILE_DIR);
	unsigned int count = be32();
	uart_puts("FILES=");
	put_dec(count);
	uart_puts("\n");
	int ok = count > 0 && count < 256;
	for (unsigned int f = 0; ok && f < count; f++) {
		unsigned int size = be32();
		unsigned int select = (unsigned int)data_byte() << 8;
		select |= data_byte();
		data_byte();
		data_byte();
		char name[57];
		for (int i = 0; i < 56; i++)
			name[i] = (char)data_byte();
		name[56] = 0;
		if (select < 0x20 || select > 0x3fff)
			ok = 0;
		uart_puts("FILE ");
		put_hex(select, 4);
		uart_puts(" ");
		put_dec(size);
		uart_puts(" ");
		uart_puts(name);
		uart_puts("\n");
	}
	uart_puts(ok ? "T3 Y\n" : "T3 N\n");

	static const unsigned short keys[] = {0x0002, 0x0004, 0x0005, 0x000e, 0x0010, 0x0020, 0x0021, 0x0024, 0x0028};
	static const int lengths[] = {16, 2, 2, 2, 4, 4, 4, 4, 4};
	for (unsigned int k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		select_item(keys[k]);
		uart_puts("ITEM ");
		put_hex(keys[k], 4);
		uart_puts(" ");
		for (int i = 0; i < lengths[k]; i++)
			put_byte(data_byte());
		uart_puts("\n");
	}
	uart_puts("DONE\n");
	psci_system_off();
}
