/* noisy: output that a marker parser has to be careful with.
 *   - CRLF line endings everywhere (DONE too)
 *   - raw 0xff / 0xfe bytes (not UTF-8) on one line, a bare CR inside a line
 *   - markers after a prefix: "noise> T1 Y", "[  0.001] T2 Y"
 *   - T3 reported Y and later N: a conflict
 *   - look-alikes that must not count: "PT1 N" (glued to a word; would make a
 *     T1 conflict if counted), "T4 maybe", "T5Y", "XT6 Y"
 * Expected: markers T1=Y, T2=Y; conflicts [T3]; no T4..T6; done. */
#include "virt.h"

static const char binary_line[] = "bin: \xff\xfe\xfe\xff end\r\n";

void kmain(void)
{
	uart_puts("noisy kernel: CRLF, binary bytes, prefixes, look-alikes\r\n");
	uart_puts("noise> T1 Y\r\n");
	uart_write(binary_line, sizeof binary_line - 1);
	uart_puts("[  0.001] T2 Y\r\n");
	uart_puts("T3 Y\r\n");
	uart_puts("PT1 N\r\n");
	uart_puts("T4 maybe\r\n");
	uart_puts("T5Y XT6 Y\r\n");
	uart_puts("progress 10%\rprogress 100%\r\n");
	uart_puts("[  0.002] T3 N\r\n");
	uart_puts("DONE\r\n");
	psci_system_off();
}
