/* fdt.h - just enough of a flattened device tree reader for test kernels: find a property of
 * a top-level node (e.g. /chosen/bootargs) in the DTB QEMU's boot stub passes in x0.
 * Header fields and tokens are big-endian (devicetree specification, chapter 5). */
#ifndef WBDIFF_FDT_H
#define WBDIFF_FDT_H

#define FDT_MAGIC      0xd00dfeed
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP        4
#define FDT_END        9

static inline unsigned int fdt_be32(const void *p)
{
	const volatile unsigned char *b = (const volatile unsigned char *)p;
	return ((unsigned int)b[0] << 24) | ((unsigned int)b[1] << 16) | ((unsigned int)b[2] << 8) | b[3];
}

static inline int fdt_streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* The value of property `prop` of the top-level node `node`, or 0 (length in *len). */
static inline const char *fdt_top_property(const void *dtb, const char *node, const char *prop, unsigned int *len)
{
	const char *base = (const char *)dtb;
	if (fdt_be32(base) != FDT_MAGIC)
		return 0;
	const char *p = base + fdt_be32(base + 8);
	const char *strings = base + fdt_be32(base + 12);
	int depth = 0, in_node = 0;
	for (;;) {
		unsigned int token = fdt_be32(p);
		p += 4;
		if (token == FDT_BEGIN_NODE) {
			depth++;
			if (depth == 2)
				in_node = fdt_streq(p, node);
			while (*p)
				p++;
			p = (const char *)(((unsigned long)p + 4) & ~3UL);
		} else if (token == FDT_END_NODE) {
			if (depth == 2)
				in_node = 0;
			depth--;
		} else if (token == FDT_PROP) {
			unsigned int size = fdt_be32(p), name = fdt_be32(p + 4);
			const char *value = p + 8;
			if (in_node && depth == 2 && fdt_streq(strings + name, prop)) {
				*len = size;
				return value;
			}
			p = (const char *)(((unsigned long)value + size + 3) & ~3UL);
		} else if (token == FDT_NOP) {
			continue;
		} else {
			return 0;
		}
	}
}

#endif /* WBDIFF_FDT_H */
