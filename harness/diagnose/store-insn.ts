// Reads capstone's text of an AArch64 store ("str x2, [x27]", "stp x29, x30, [sp, #-0x10]!",
// "str x2, [x3, x1]") for the registers involved, so a write can be told as "x2 into [x27]".
// Pure; only the common store forms: anything else yields null fields, never a guess.

export interface StoreOperands {
  mnemonic: string;
  /** Registers whose values are stored, in order ("x2"; "x29", "x30" for stp; "xzr"). */
  sources: string[];
  /** Address base register ("x27", "sp"), or null when the form is not recognised. */
  base: string | null;
  /** Immediate offset (pre-index and plain forms; 0 when absent; null for register offsets). */
  offset: bigint | null;
  /** Register offset ("x1" in "str x2, [x3, x1]"). */
  index: string | null;
  writeback: 'pre' | 'post' | null;
}

const STORE = /^(st(?:[lu]?r|lur|xr|lxr|p|np|xp|lxp)[bh]?|stur[bh]?|stnp)$/;

export function parseStore(text: string): StoreOperands | null {
  const m = /^(\S+)\s*(.*)$/.exec(text.trim());
  if (!m) return null;
  const mnemonic = m[1]!.toLowerCase();
  if (!STORE.test(mnemonic)) return null;
  const rest = m[2]!;
  const open = rest.indexOf('[');
  const close = rest.indexOf(']');
  if (open < 0 || close < open) return { mnemonic, sources: [], base: null, offset: null, index: null, writeback: null };
  let sources = rest
    .slice(0, open)
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  // Exclusive stores name a status register first (stxr w1, x2, [x0]).
  if (/^st(l)?x/.test(mnemonic) && sources.length > 1) sources = sources.slice(1);
  const inside = rest
    .slice(open + 1, close)
    .split(',')
    .map((s) => s.trim().toLowerCase());
  const base = inside[0] ?? null;
  let offset: bigint | null = 0n;
  let index: string | null = null;
  if (inside[1] !== undefined) {
    if (inside[1].startsWith('#')) offset = parseImmediate(inside[1]);
    else {
      index = inside[1];
      offset = null;
    }
  }
  const after = rest.slice(close + 1).trim();
  let writeback: StoreOperands['writeback'] = null;
  if (after.startsWith('!')) writeback = 'pre';
  else if (after.startsWith(',')) {
    writeback = 'post';
    offset = 0n; // post-index: the store uses the base as it is
  }
  return { mnemonic, sources, base, offset, index, writeback };
}

function parseImmediate(text: string): bigint | null {
  const t = text.replace(/^#/, '').trim();
  const negative = t.startsWith('-');
  const digits = negative ? t.slice(1) : t;
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(digits)) return null;
  const value = BigInt(digits);
  return negative ? -value : value;
}

/** "w1" -> "x1", "wzr"/"xzr" -> "xzr", "sp"/"wsp" -> "sp"; other names (q0, d1) unchanged. */
export function fullRegister(name: string): string {
  const n = name.toLowerCase();
  if (n === 'wzr' || n === 'xzr') return 'xzr';
  if (n === 'wsp' || n === 'sp') return 'sp';
  const m = /^[wx](\d+)$/.exec(n);
  return m ? `x${m[1]}` : n;
}

/**
 * The source register of one write of a (possibly paired) store: a pair stores its first register
 * at the lower address, so the second half of an stp is its second source.
 */
export function sourceForWrite(store: StoreOperands, address: bigint, baseValue: bigint | null, size: number): string | null {
  if (store.sources.length === 0) return null;
  if (store.sources.length === 1) return store.sources[0]!;
  if (baseValue === null || store.offset === null) return null;
  const first = baseValue + store.offset;
  if (address === first) return store.sources[0]!;
  if (address === first + BigInt(size)) return store.sources[1]!;
  return null;
}

/** Mnemonics whose first operand is not written (stores, compares, branches, barriers, hints). */
const NO_DESTINATION =
  /^(st|cmp|cmn|tst|b$|b\.|bl$|br|blr|ret|cb|tb|nop|isb|dsb|dmb|hvc|svc|smc|msr|prfm|eret|wf|sev|yield|hint|clrex|at$|dc$|ic$|tlbi)/;

/**
 * The x registers an instruction writes, from capstone's text: the first operand (two for load
 * pairs), x30 for bl/blr. Stores, compares and branches write none. "adrp x25, #0x40016000" -> ["x25"].
 */
export function writtenRegisters(text: string): string[] {
  const m = /^(\S+)\s*(.*)$/.exec(text.trim());
  if (!m) return [];
  const mnemonic = m[1]!.toLowerCase();
  if (mnemonic === 'bl' || mnemonic === 'blr') return ['x30'];
  if (NO_DESTINATION.test(mnemonic)) return [];
  const operands = m[2]!.split(',').map((s) => s.trim().toLowerCase());
  const regs = (/^ld[a-z]*p$/.test(mnemonic) ? operands.slice(0, 2) : operands.slice(0, 1)).map(fullRegister);
  return regs.filter((r) => /^x\d+$/.test(r));
}
