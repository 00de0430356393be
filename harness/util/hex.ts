// Addresses are bigint everywhere (AArch64 is 64-bit); these keep their text form uniform.

export function hex(value: bigint | number, width = 0): string {
  const digits = BigInt(value).toString(16);
  return `0x${digits.padStart(width, '0')}`;
}

/** Parses "0x1f", "1f" is refused (ambiguous with decimal); decimal digits are accepted. */
export function parseAddress(text: string): bigint | null {
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return BigInt(t);
  if (/^[0-9]+$/.test(t)) return BigInt(t);
  return null;
}
