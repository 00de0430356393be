// AArch64 branch encodings wbdiff writes and reads (ARM ARM C6.2: B, BL, B.cond, CBZ/CBNZ,
// TBZ/TBNZ) and NOP. Pure; checked against words from aarch64-linux-gnu-as in the tests.
import { hex } from '../util/hex.js';

export const NOP = 0xd503201f;

export type BranchKind = 'b' | 'bl' | 'b.cond' | 'cbz' | 'cbnz' | 'tbz' | 'tbnz';

export interface DecodedBranch {
  kind: BranchKind;
  target: bigint;
  /** Condition code (B.cond) as its mnemonic suffix, e.g. "ne". */
  cond?: string;
  /** Register operand for CBZ/CBNZ/TBZ/TBNZ, e.g. "w0", "x3". */
  reg?: string;
  /** Bit number tested by TBZ/TBNZ. */
  bit?: number;
}

const CONDS = ['eq', 'ne', 'hs', 'lo', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le', 'al', 'nv'];

/** Range of each branch form in bytes, as a signed immediate of `bits` bits scaled by 4. */
export const BRANCH_RANGE: Record<BranchKind, { bits: number; label: string }> = {
  b: { bits: 26, label: '±128 MiB' },
  bl: { bits: 26, label: '±128 MiB' },
  'b.cond': { bits: 19, label: '±1 MiB' },
  cbz: { bits: 19, label: '±1 MiB' },
  cbnz: { bits: 19, label: '±1 MiB' },
  tbz: { bits: 14, label: '±32 KiB' },
  tbnz: { bits: 14, label: '±32 KiB' },
};

export class EncodeError extends Error {}

function signExtend(value: number, bits: number): number {
  const shift = 32 - bits;
  return (value << shift) >> shift;
}

/** The scaled immediate for a branch from `from` to `to`, or an EncodeError saying why not. */
export function branchImmediate(kind: BranchKind, from: bigint, to: bigint): number {
  const delta = to - from;
  if (delta % 4n !== 0n || to % 4n !== 0n) throw new EncodeError(`branch target ${hex(to)} is not 4-byte aligned`);
  const { bits, label } = BRANCH_RANGE[kind];
  const imm = delta / 4n;
  const limit = 1n << BigInt(bits - 1);
  if (imm < -limit || imm >= limit) {
    throw new EncodeError(
      `${kind.toUpperCase()} from ${hex(from)} to ${hex(to)} is out of range (${delta < 0n ? '-' : '+'}${hex(delta < 0n ? -delta : delta)} bytes; ${kind.toUpperCase()} reaches ${label})`,
    );
  }
  return Number(imm & ((1n << BigInt(bits)) - 1n));
}

export function encodeB(from: bigint, to: bigint): number {
  return (0x14000000 | branchImmediate('b', from, to)) >>> 0;
}

export function encodeBL(from: bigint, to: bigint): number {
  return (0x94000000 | branchImmediate('bl', from, to)) >>> 0;
}

export function encodeBCond(from: bigint, to: bigint, cond: string): number {
  const c = CONDS.indexOf(cond.toLowerCase().replace(/^cs$/, 'hs').replace(/^cc$/, 'lo'));
  if (c < 0) throw new EncodeError(`unknown condition "${cond}"`);
  return (0x54000000 | (branchImmediate('b.cond', from, to) << 5) | c) >>> 0;
}

export function encodeCbz(from: bigint, to: bigint, reg: string, nonZero = false): number {
  const { sf, n } = parseReg(reg);
  return ((sf << 31) | (nonZero ? 0x35000000 : 0x34000000) | (branchImmediate(nonZero ? 'cbnz' : 'cbz', from, to) << 5) | n) >>> 0;
}

export function encodeTbz(from: bigint, to: bigint, reg: string, bit: number, nonZero = false): number {
  const { n } = parseReg(reg);
  if (!Number.isInteger(bit) || bit < 0 || bit > 63) throw new EncodeError(`bit ${bit} is not 0..63`);
  return (
    (((bit >> 5) << 31) |
      (nonZero ? 0x37000000 : 0x36000000) |
      ((bit & 31) << 19) |
      (branchImmediate(nonZero ? 'tbnz' : 'tbz', from, to) << 5) |
      n) >>>
    0
  );
}

function parseReg(reg: string): { sf: number; n: number } {
  const m = /^([wx])(\d+|zr)$/i.exec(reg.trim());
  const n = m ? (m[2]!.toLowerCase() === 'zr' ? 31 : Number(m[2])) : -1;
  if (!m || n > 31) throw new EncodeError(`"${reg}" is not a general register (w0..w30, x0..x30, wzr, xzr)`);
  return { sf: m[1]!.toLowerCase() === 'x' ? 1 : 0, n };
}

function regName(sf: number, n: number): string {
  return n === 31 ? (sf ? 'xzr' : 'wzr') : `${sf ? 'x' : 'w'}${n}`;
}

/** Decodes a branch word at `at`; null when the word is no branch of these forms. */
export function decodeBranch(word: number, at: bigint): DecodedBranch | null {
  const w = word >>> 0;
  const rel = (imm: number, bits: number) => at + BigInt(signExtend(imm, bits) * 4);
  if ((w & 0x7c000000) === 0x14000000) {
    return { kind: w & 0x80000000 ? 'bl' : 'b', target: rel(w & 0x3ffffff, 26) };
  }
  if ((w & 0xff000010) === 0x54000000) {
    return { kind: 'b.cond', cond: CONDS[w & 0xf]!, target: rel((w >>> 5) & 0x7ffff, 19) };
  }
  if ((w & 0x7e000000) === 0x34000000) {
    return { kind: w & 0x01000000 ? 'cbnz' : 'cbz', reg: regName(w >>> 31, w & 31), target: rel((w >>> 5) & 0x7ffff, 19) };
  }
  if ((w & 0x7e000000) === 0x36000000) {
    const bit = ((w >>> 31) << 5) | ((w >>> 19) & 31);
    return { kind: w & 0x01000000 ? 'tbnz' : 'tbz', reg: regName(bit >= 32 ? 1 : 0, w & 31), bit, target: rel((w >>> 5) & 0x3fff, 14) };
  }
  return null;
}

export function isConditionalBranch(branch: DecodedBranch | null): branch is DecodedBranch {
  return branch !== null && branch.kind !== 'b' && branch.kind !== 'bl';
}

export function wordHex(word: number): string {
  return `0x${(word >>> 0).toString(16).padStart(8, '0')}`;
}
