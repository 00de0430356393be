// Instruction text for people and for `expect` patterns: capstone's text, with branch targets
// also shown as symbols ("bl runtime.gcWriteBarrier").
import { disassembleWord } from '../disasm/capstone.js';
import type { Symbolizer } from '../elf/symbols.js';
import { decodeBranch } from './encoding.js';

export interface InstructionText {
  /** Capstone's text: "bl #0x40012340". */
  asm: string;
  /** Same with the branch target symbolised: "bl runtime.gcWriteBarrier". */
  symbolic: string;
}

export function instructionText(word: number, at: bigint, symbols: Symbolizer): InstructionText {
  const asm = disassembleWord(word, at).text;
  const branch = decodeBranch(word, at);
  if (!branch) return { asm, symbolic: asm };
  const name = symbols.format(branch.target);
  return { asm, symbolic: asm.replace(/#0x[0-9a-f]+$/i, name) };
}

/** Does the instruction match an `expect` pattern? "*" matches any run of text; '#', case, and spacing are ignored. */
export function matchesPattern(pattern: string, text: InstructionText): boolean {
  const norm = (s: string) =>
    s
      .toLowerCase()
      .replace(/#/g, '')
      .replace(/\.abi0\b/g, '')
      .replace(/\s*,\s*/g, ', ')
      .replace(/\s+/g, ' ')
      .trim();
  const glob = norm(pattern);
  return globMatches(glob, norm(text.asm)) || globMatches(glob, norm(text.symbolic));
}

/**
 * Whole-text match of a pattern whose only wildcard is "*" (any run). Greedy with one resume
 * point (the last star): O(pattern x text) at worst, never exponential however many stars (a
 * regex of ".*" runs took 39 s for 16 stars).
 */
export function globMatches(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.length && pattern[p] === text[t]) {
      p++;
      t++;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}
