/* dtbwalk: a DTB-driven kernel. QEMU loads the machine's device tree at the base of RAM for an
 * ELF kernel that leaves room below itself (this one is linked at 0x40200000; x0 is 0 for an
 * ELF, so the tree is found at 0x40000000). It walks the tree and probes what it describes:
 *   T1  the tree is there (magic 0xd00dfeed) and has a /memory node at 0x40000000
 *   T2  32 virtio,mmio transports, each with magic "virt", version 1, device id 0 (empty)
 *   T3  the pci-host-ecam-generic ECAM: host bridge 1b36:0008 at 00:00.0, class 0x0600
 *   T4  an absent PCI function (00:01.0) reads all-ones
 *   T5  the GIC (arm,cortex-a15-gic): GICD_TYPER.ITLinesNumber 8, GICD_IIDR 0x43b
 *   T6  PL031 and PL061 PrimeCell ids, fw_cfg signature "QEMU"
 * Every value is printed too, so two runners can be compared byte for byte. */
#include "virt.h"

typedef unsigned long u64;
typedef unsigned int u32;

#define FDT ((const unsigned char *)0x40000000UL)

static u32 be32(const unsigned char *p) { return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3]; }
static u64 be64(const unsigned char *p) { return (u64)be32(p) << 32 | be32(p + 4); }
static u32 rd32(u64 a) { u32 v; __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory"); return v; }
static void wr16(u64 a, unsigned short v) { __asm__ volatile("strh %w0, [%1]" :: "r"(v), "r"(a) : "memory"); }

static void hex(u64 v, int digits)
{
	for (int i = digits - 1; i >= 0; i--) {
		int d = (v >> (i * 4)) & 15;
		uart_putc(d < 10 ? '0' + d : 'a' + d - 10);
	}
}

static int streq(const char *a, const char *b) { while (*a && *a == *b) a++, b++; return *a == *b; }

/* Does a (NUL-separated) compatible list contain `want`? */
static int compatible(const unsigned char *list, u32 len, const char *want)
{
	for (u32 at = 0; at < len;) {
		if (streq((const char *)list + at, want)) return 1;
		while (at < len && list[at]) at++;
		at++;
	}
	return 0;
}

static void check(const char *id, int ok) { uart_puts(id); uart_puts(ok ? " Y\n" : " N\n"); }

struct found { u64 base; int ok; };

int main(void)
{
	uart_puts("dtbwalk: probing what the device tree lists\n");
	if (be32(FDT) != 0xd00dfeed) {
		uart_puts("no device tree at 0x40000000\n");
		check("T1", 0);
		uart_puts("DONE\n");
		return 0;
	}
	const unsigned char *structs = FDT + be32(FDT + 8);
	const char *strings = (const char *)FDT + be32(FDT + 12);
	int virtio = 0, virtio_ok = 0, memory_ok = 0, gic_ok = 0, ecam_ok = 0, absent_ok = 0, ids_ok = 0, ids = 0;
	/* Per open node (a stack: the GIC has a child node): compatible, reg, name. */
	static const unsigned char *compats[16], *regs[16]; /* .bss: zeroed by _start, no memset */
	static const char *names[16];
	static u32 compat_lens[16];
	u32 depth = 0;
	for (const unsigned char *p = structs;;) {
		u32 token = be32(p);
		p += 4;
		if (token == 1) { /* BEGIN_NODE */
			if (depth < 15) depth++;
			names[depth] = (const char *)p;
			compats[depth] = regs[depth] = 0;
			while (*p) p++;
			p = (const unsigned char *)(((u64)p + 4) & ~3UL);
		} else if (token == 3) { /* PROP */
			u32 len = be32(p), nameoff = be32(p + 4);
			const unsigned char *value = p + 8;
			const char *prop = strings + nameoff;
			if (streq(prop, "compatible")) compats[depth] = value, compat_lens[depth] = len;
			if (streq(prop, "reg")) regs[depth] = value;
			p = (const unsigned char *)(((u64)value + len + 3) & ~3UL);
		} else if (token == 2) { /* END_NODE: probe it */
			const unsigned char *compat = compats[depth], *reg = regs[depth];
			u32 compat_len = compat_lens[depth];
			const char *name = names[depth];
			if (name && reg && name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[6] == '@') memory_ok = be64(reg) == 0x40000000UL;
			if (compat && reg) {
				u64 base = be64(reg);
				if (compatible(compat, compat_len, "virtio,mmio")) {
					u32 magic = rd32(base), version = rd32(base + 4), device = rd32(base + 8);
					virtio++;
					if (magic == 0x74726976 && version == 1 && device == 0) virtio_ok++;
					if (virtio == 1 || virtio == 32) {
						uart_puts("virtio-mmio@"); hex(base, 8); uart_puts(" magic="); hex(magic, 8);
						uart_puts(" version="); hex(version, 1); uart_puts(" device="); hex(device, 1); uart_putc('\n');
					}
				} else if (compatible(compat, compat_len, "pci-host-ecam-generic")) {
					u32 id = rd32(base), class = rd32(base + 8), absent = rd32(base + (1 << 15));
					uart_puts("ecam@"); hex(base, 10); uart_puts(" 00:00.0="); hex(id, 8); uart_puts(" class="); hex(class, 8);
					uart_puts(" 00:01.0="); hex(absent, 8); uart_putc('\n');
					ecam_ok = id == 0x00081b36 && (class >> 16) == 0x0600;
					absent_ok = absent == 0xffffffff;
				} else if (compatible(compat, compat_len, "arm,cortex-a15-gic")) {
					u32 typer = rd32(base + 4), iidr = rd32(base + 8);
					uart_puts("gic@"); hex(base, 8); uart_puts(" typer="); hex(typer, 8); uart_puts(" iidr="); hex(iidr, 8); uart_putc('\n');
					gic_ok = (typer & 0x1f) == 8 && iidr == 0x43b;
				} else if (compatible(compat, compat_len, "arm,pl031") || compatible(compat, compat_len, "arm,pl061")) {
					u32 pid0 = rd32(base + 0xfe0), cid1 = rd32(base + 0xff4);
					uart_puts(name); uart_puts(" pid0="); hex(pid0, 2); uart_puts(" cid1="); hex(cid1, 2); uart_putc('\n');
					ids++;
					ids_ok += (pid0 == 0x31 || pid0 == 0x61) && cid1 == 0xf0;
				} else if (compatible(compat, compat_len, "qemu,fw-cfg-mmio")) {
					wr16(base + 8, 0); /* selector 0x0000 (big-endian register) */
					u32 sig = rd32(base);
					uart_puts("fw-cfg@"); hex(base, 8); uart_puts(" signature="); hex(sig, 8); uart_putc('\n');
					ids++;
					ids_ok += sig == 0x554d4551;
				}
			}
			if (depth > 0) depth--;
		} else if (token == 4) { /* NOP */
		} else {
			break; /* END (9) or garbage */
		}
	}
	uart_puts("virtio-mmio transports: "); hex(virtio, 2); uart_puts(" empty: "); hex(virtio_ok, 2); uart_putc('\n');
	check("T1", memory_ok == 1);
	check("T2", virtio == 32 && virtio_ok == 32);
	check("T3", ecam_ok);
	check("T4", absent_ok);
	check("T5", gic_ok);
	check("T6", ids == 3 && ids_ok == 3);
	uart_puts("DONE\n");
	return 0;
}
