// A stage 1 EL1&0 table walk (VMSAv8-64, AArch64 descriptors), only to name the fault Unicorn
// reported without its syndrome: which level, and translation / access flag / permission.
// Unicorn 2.0.1 computes the same in env->exception but never exposes it (it skips QEMU's
// do_interrupt, which would copy it to ESR/FAR).

export interface TranslationRegs {
  tcr: bigint;
  ttbr0: bigint;
  ttbr1: bigint;
}

export type WalkResult =
  | { ok: true; pa: bigint; level: number; descriptor: bigint }
  | { ok: false; fault: 'translation' | 'access flag' | 'address size'; level: number };

/** FSC for a failed walk (DFSC/IFSC encoding). */
export function walkFsc(result: Extract<WalkResult, { ok: false }>): number {
  const base = result.fault === 'translation' ? 0x04 : result.fault === 'access flag' ? 0x08 : 0x00;
  return base + result.level;
}

const bits = (v: bigint, lo: number, width: number): number => Number((v >> BigInt(lo)) & ((1n << BigInt(width)) - 1n));

/** Walks `va` with TCR_EL1/TTBRn_EL1; `read64` reads a descriptor at a physical address (null: no memory). */
export function walkStage1(va: bigint, regs: TranslationRegs, read64: (pa: bigint) => bigint | null): WalkResult {
  const upper = ((va >> 55n) & 1n) === 1n;
  const tsz = bits(regs.tcr, upper ? 16 : 0, 6);
  const epd = bits(regs.tcr, upper ? 23 : 7, 1);
  // TG0: 0 = 4K, 1 = 64K, 2 = 16K; TG1: 1 = 16K, 2 = 4K, 3 = 64K.
  const tg = bits(regs.tcr, upper ? 30 : 14, 2);
  const granuleBits = upper
    ? (({ 1: 14, 2: 12, 3: 16 } as Record<number, number>)[tg] ?? 12)
    : (({ 0: 12, 1: 16, 2: 14 } as Record<number, number>)[tg] ?? 12);
  const inputBits = 64 - tsz;
  const top = va >> BigInt(inputBits);
  const expected = upper ? (1n << BigInt(64 - inputBits)) - 1n : 0n;
  // TBI is ignored here: the kernels wbdiff runs do not tag pointers.
  if (epd || top !== expected) return { ok: false, fault: 'translation', level: 0 };
  const stride = granuleBits - 3;
  let level = 4 - Math.ceil((inputBits - granuleBits) / stride);
  let table = (upper ? regs.ttbr1 : regs.ttbr0) & 0x0000_ffff_ffff_fffen & ~((1n << BigInt(granuleBits)) - 1n);
  const oaMask = 0x0000_ffff_ffff_f000n & ~((1n << BigInt(granuleBits)) - 1n);
  for (;;) {
    const shift = granuleBits + stride * (3 - level);
    const indexBits = level === 4 - Math.ceil((inputBits - granuleBits) / stride) ? inputBits - shift : stride;
    const index = (va >> BigInt(shift)) & ((1n << BigInt(indexBits)) - 1n);
    const descriptor = read64(table + index * 8n);
    if (descriptor === null) return { ok: false, fault: 'address size', level };
    const valid = (descriptor & 1n) === 1n;
    const isTable = (descriptor & 2n) === 2n;
    if (!valid || (level === 3 && !isTable)) return { ok: false, fault: 'translation', level };
    if (level < 3 && isTable) {
      table = descriptor & oaMask;
      level++;
      continue;
    }
    if ((descriptor & (1n << 10n)) === 0n) return { ok: false, fault: 'access flag', level };
    const offsetMask = (1n << BigInt(shift)) - 1n;
    return { ok: true, pa: (descriptor & oaMask & ~offsetMask) | (va & offsetMask), level, descriptor };
  }
}
