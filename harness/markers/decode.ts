// Serial bytes -> text for people. Valid UTF-8 is kept; every byte that is not (raw 0xff from a
// bad UART, a cut multibyte sequence) and every control character but \t \r \n becomes "\xNN",
// so nothing is lost and nothing crashes a terminal or a JSON/HTML report.

export function decodeSerial(bytes: Uint8Array, options: { invalid?: 'escape' | 'space' } = {}): string {
  // 'space' is for scanning: a garbage byte separates words instead of gluing "\xfe" onto "T1 Y".
  const escapeByte = options.invalid === 'space' ? () => ' ' : escapeHex;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Runs of bytes kept as they are are sliced whole and joined once: building the text a
  // character at a time costs tens of bytes of heap per serial byte (1 MiB of NULs: > 64 MB).
  const parts: string[] = [];
  let runStart = 0;
  let i = 0;
  const escape = (b: number) => {
    if (runStart < i) parts.push(buffer.toString('utf8', runStart, i));
    parts.push(escapeByte(b));
    i += 1;
    runStart = i;
  };
  while (i < buffer.length) {
    const b = buffer[i]!;
    if (b < 0x80) {
      if ((b >= 0x20 && b !== 0x7f) || b === 0x0a || b === 0x0d || b === 0x09) i += 1;
      else escape(b);
      continue;
    }
    const length = sequenceLength(buffer, i);
    if (length === 0) escape(b);
    else i += length;
  }
  if (runStart < i) parts.push(buffer.toString('utf8', runStart, i));
  return parts.join('');
}

const HEX_ESCAPES = Array.from({ length: 256 }, (_, b) => `\\x${b.toString(16).padStart(2, '0')}`);

function escapeHex(b: number): string {
  return HEX_ESCAPES[b]!;
}

/** Length of the well-formed UTF-8 sequence at i (2..4), or 0 when it is not one. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i]!;
  const need = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
  if (need === 0 || i + need > bytes.length) return 0;
  for (let k = 1; k < need; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return 0;
  const b1 = bytes[i + 1]!;
  // Overlong forms, UTF-16 surrogates, and code points past U+10FFFF are not well-formed.
  if (b === 0xe0 && b1 < 0xa0) return 0;
  if (b === 0xed && b1 > 0x9f) return 0;
  if (b === 0xf0 && b1 < 0x90) return 0;
  if (b === 0xf4 && b1 > 0x8f) return 0;
  return need;
}
