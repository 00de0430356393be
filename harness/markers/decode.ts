// Serial bytes -> text for people. Valid UTF-8 is kept; every byte that is not (raw 0xff from a
// bad UART, a cut multibyte sequence) and every control character but \t \r \n becomes "\xNN",
// so nothing is lost and nothing crashes a terminal or a JSON/HTML report.

export function decodeSerial(bytes: Uint8Array, options: { invalid?: 'escape' | 'space' } = {}): string {
  // 'space' is for scanning: a garbage byte separates words instead of gluing "\xfe" onto "T1 Y".
  const escapeByte = options.invalid === 'space' ? () => ' ' : escapeHex;
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      out += b >= 0x20 && b !== 0x7f ? String.fromCharCode(b) : b === 0x0a || b === 0x0d || b === 0x09 ? String.fromCharCode(b) : escapeByte(b);
      i += 1;
      continue;
    }
    const length = sequenceLength(bytes, i);
    if (length === 0) {
      out += escapeByte(b);
      i += 1;
    } else {
      out += Buffer.from(bytes.subarray(i, i + length)).toString('utf8');
      i += length;
    }
  }
  return out;
}

function escapeHex(b: number): string {
  return `\\x${b.toString(16).padStart(2, '0')}`;
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
