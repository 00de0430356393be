// Expands a variant into atomic sites (one word each) against one ELF, checking everything before
// anything is written: stale bytes, executable segments, alignment, branch ranges, overlaps.
// Pure over the ELF image; apply.ts does the writing.
import { codeWords, loadSegmentAt, readWord, type ElfImage } from '../elf/elf.js';
import { hex } from '../util/hex.js';
import { instructionText, matchesPattern, type InstructionText } from './disasm-text.js';
import { decodeBranch, EncodeError, encodeB, encodeBL, isConditionalBranch, NOP, wordHex, type BranchKind } from './encoding.js';
import { LocationError, resolveFunction, resolveLocation } from './location.js';
import type { Variant, VariantEdit } from './variant.js';

export interface PatchSite {
  /** Index of the edit in the variant's `edits` that produced this site. */
  edit: number;
  op: VariantEdit['op'];
  address: bigint;
  /** "main.kmain+0x40" */
  location: string;
  oldWord: number;
  newWord: number;
  old: InstructionText;
  new: InstructionText;
}

export class PatchError extends Error {
  constructor(
    message: string,
    readonly edit: number | null,
    readonly kind: 'stale' | 'range' | 'symbol' | 'segment' | 'alignment' | 'overlap' | 'no-match' | 'invalid',
  ) {
    super(message);
  }
}

export function planPatch(image: ElfImage, variant: Variant): PatchSite[] {
  const sites: PatchSite[] = [];
  const owner = new Map<bigint, number>();
  variant.edits.forEach((edit, index) => {
    for (const site of expandEdit(image, edit, index)) {
      const previous = owner.get(site.address);
      if (previous !== undefined) {
        throw new PatchError(
          `edits ${previous} and ${index} both change the word at ${hex(site.address)} (${site.location})`,
          index,
          'overlap',
        );
      }
      owner.set(site.address, index);
      sites.push(site);
    }
  });
  return sites;
}

function expandEdit(image: ElfImage, edit: VariantEdit, index: number): PatchSite[] {
  const where = `edit ${index} (${edit.op})`;
  const fail = (message: string, kind: PatchError['kind']): never => {
    throw new PatchError(`${where}: ${message}`, index, kind);
  };
  const locate = (text: string) => {
    try {
      return resolveLocation(text, image.symbols);
    } catch (error) {
      return fail((error as Error).message, 'symbol');
    }
  };
  const codeWord = (address: bigint, label: string): number => {
    if (address % 4n !== 0n) fail(`${hex(address)} (${label}) is not 4-byte aligned`, 'alignment');
    const segment = loadSegmentAt(image, address);
    if (!segment?.flags.x) {
      fail(`${hex(address)} (${label}) is not in an executable PT_LOAD segment`, 'segment');
    }
    return readWord(image, address)!;
  };
  const site = (address: bigint, label: string, newWord: number): PatchSite => {
    const oldWord = codeWord(address, label);
    const old = instructionText(oldWord, address, image.symbols);
    if (edit.expect !== undefined && !expectationHolds(edit.expect, oldWord, old)) {
      fail(
        `stale variant: at ${hex(address)} (${label}) expected "${edit.expect}", found "${old.symbolic}" (${wordHex(oldWord)}); the variant was written for a different binary`,
        'stale',
      );
    }
    return {
      edit: index,
      op: edit.op,
      address,
      location: label,
      oldWord,
      newWord,
      old,
      new: instructionText(newWord, address, image.symbols),
    };
  };
  const encode = (f: () => number): number => {
    try {
      return f();
    } catch (error) {
      if (error instanceof EncodeError) return fail(error.message, /aligned/.test(error.message) ? 'alignment' : 'range');
      throw error;
    }
  };
  const target = (text: string, label: string) => {
    const t = locate(text);
    if (t.address % 4n !== 0n) fail(`${label} ${hex(t.address)} (${t.label}) is not 4-byte aligned`, 'alignment');
    const segment = loadSegmentAt(image, t.address);
    if (!segment?.flags.x) fail(`${label} ${hex(t.address)} (${t.label}) is not in executable code`, 'segment');
    return t;
  };

  switch (edit.op) {
    case 'redirect-calls': {
      const from = target(edit.from, 'from');
      const to = target(edit.to, 'to');
      const range = edit.in ? functionRange(image, edit.in, fail) : null;
      const out: PatchSite[] = [];
      for (const [address, word] of codeWords(image, range)) {
        const branch = decodeBranch(word, address);
        if (branch?.kind === 'bl' && branch.target === from.address) {
          out.push(
            site(
              address,
              image.symbols.format(address),
              encode(() => encodeBL(address, to.address)),
            ),
          );
        }
      }
      if (out.length === 0) fail(`no "bl ${from.label}" found ${range ? `in ${range.name}` : 'in any executable segment'}`, 'no-match');
      return out;
    }
    case 'branch-always':
    case 'branch-never': {
      const addresses: { address: bigint; label: string }[] = [];
      if (edit.at !== undefined) {
        const at = locate(edit.at);
        addresses.push({ address: at.address, label: at.label });
      } else {
        const range = functionRange(image, edit.in!, fail);
        for (const [address, word] of codeWords(image, range)) {
          const branch = decodeBranch(word, address);
          if (isConditionalBranch(branch) && branch.kind === edit.match) addresses.push({ address, label: image.symbols.format(address) });
        }
        if (addresses.length === 0) fail(`no ${edit.match} instruction in ${range.name}`, 'no-match');
      }
      return addresses.map(({ address, label }) => {
        const word = codeWord(address, label);
        const branch = decodeBranch(word, address);
        if (!isConditionalBranch(branch)) {
          fail(
            `${hex(address)} (${label}) holds "${instructionText(word, address, image.symbols).symbolic}", not a conditional branch (b.cond, cbz, cbnz, tbz, tbnz)`,
            'invalid',
          );
        }
        const newWord = edit.op === 'branch-never' ? NOP : encode(() => encodeB(address, (branch as { target: bigint }).target));
        return site(address, label, newWord);
      });
    }
    case 'nop': {
      const at = locate(edit.at);
      return [site(at.address, at.label, NOP)];
    }
    case 'call':
    case 'branch': {
      const at = locate(edit.at);
      const to = target(edit.to, 'to');
      const word = encode(() => (edit.op === 'call' ? encodeBL(at.address, to.address) : encodeB(at.address, to.address)));
      return [site(at.address, at.label, word)];
    }
    case 'word': {
      const at = locate(edit.at);
      return [site(at.address, at.label, Number(BigInt(edit.value)) >>> 0)];
    }
  }
}

function expectationHolds(expect: string, word: number, text: InstructionText): boolean {
  if (/^0x[0-9a-f]{1,8}$/i.test(expect.trim())) return Number(BigInt(expect.trim())) >>> 0 === word >>> 0;
  return matchesPattern(expect, text);
}

function functionRange(image: ElfImage, name: string, fail: (m: string, k: PatchError['kind']) => never) {
  try {
    return resolveFunction(name, image.symbols);
  } catch (error) {
    if (error instanceof LocationError) return fail(error.message, 'symbol');
    throw error;
  }
}

export type { BranchKind };
