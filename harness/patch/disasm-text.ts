// Instruction text for people and for `expect` patterns: capstone's text, with branch targets
// also shown as symbols ("bl runtime.gcWriteBarrier").
import { disassembleWord } from '../disasm/capstone.js';
import type { Symbolizer } from '../elf/symbols.js';
import { decodeBranch } from './encoding.js';
import { globMatches } from '../util/glob.js';

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
