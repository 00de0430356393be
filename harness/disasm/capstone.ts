// A real AArch64 disassembler in-process: Debian's libcapstone4 through koffi. Only text out;
// wbdiff's own decoders (patch/encoding.ts) decide what instructions mean.
import koffi from 'koffi';
import { MissingDependencyError, WbdiffError } from '../errors.js';

// capstone.h (4.x): CS_ARCH_ARM64 = 1, CS_MODE_LITTLE_ENDIAN = 0; cs_insn has bytes[16] in 4.x.
const CS_ARCH_ARM64 = 1;
const CS_MODE_LITTLE_ENDIAN = 0;

interface CapstoneApi {
  handle: bigint;
  disasm: (handle: bigint, code: Uint8Array, size: number, address: bigint, count: number, insn: [unknown]) => number | bigint;
  free: (insn: unknown, count: number) => void;
  decodeInsns: (ptr: unknown, count: number) => { address: number | bigint; size: number; mnemonic: string; op_str: string }[];
}

let api: CapstoneApi | null = null;

function load(): CapstoneApi {
  if (api) return api;
  let lib: koffi.IKoffiLib;
  try {
    lib = koffi.load(process.env.WBDIFF_LIBCAPSTONE || 'libcapstone.so.4');
  } catch (error) {
    throw new MissingDependencyError(`cannot load the Capstone disassembler: ${(error as Error).message}`, 'libcapstone4', {
      alternative: 'set WBDIFF_LIBCAPSTONE to the path of libcapstone.so.4',
    });
  }
  const insnType = koffi.struct('wbdiff_cs_insn', {
    id: 'uint',
    address: 'uint64',
    size: 'uint16',
    bytes: koffi.array('uint8', 16),
    mnemonic: koffi.array('char', 32, 'String'),
    op_str: koffi.array('char', 160, 'String'),
    detail: 'void *',
  });
  const csOpen = lib.func('int cs_open(int arch, int mode, _Out_ size_t *handle)');
  const disasm = lib.func(
    'size_t cs_disasm(size_t handle, const uint8_t *code, size_t size, uint64_t address, size_t count, _Out_ void **insn)',
  );
  const free = lib.func('void cs_free(void *insn, size_t count)');
  const out: [bigint | number] = [0];
  const err = csOpen(CS_ARCH_ARM64, CS_MODE_LITTLE_ENDIAN, out);
  if (err !== 0) throw new WbdiffError(`capstone cs_open failed with error ${err}`, { hint: 'reinstall libcapstone4' });
  api = {
    handle: BigInt(out[0]),
    disasm,
    free,
    decodeInsns: (ptr, count) => koffi.decode(ptr, koffi.array(insnType, count)) as ReturnType<CapstoneApi['decodeInsns']>,
  };
  return api;
}

export interface DisassembledWord {
  address: bigint;
  word: number;
  /** "bl #0x40081234", "cbnz w0, #0x40081240"; ".inst 0x00000000" when not an instruction. */
  text: string;
  mnemonic: string;
  operands: string;
}

/** Disassembles consecutive 32-bit words starting at address. */
export function disassemble(words: readonly number[], address: bigint): DisassembledWord[] {
  const cs = load();
  const out: DisassembledWord[] = [];
  for (let i = 0; i < words.length; i++) {
    const addr = address + BigInt(i * 4);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, words[i]! >>> 0, true);
    const insn: [unknown] = [null];
    const count = Number(cs.disasm(cs.handle, bytes, 4, addr, 1, insn));
    if (count < 1) {
      const text = `.inst 0x${(words[i]! >>> 0).toString(16).padStart(8, '0')}`;
      out.push({ address: addr, word: words[i]! >>> 0, text, mnemonic: '.inst', operands: text.slice(6) });
      continue;
    }
    const [decoded] = cs.decodeInsns(insn[0], 1);
    cs.free(insn[0], count);
    const mnemonic = decoded!.mnemonic;
    const operands = decoded!.op_str;
    out.push({ address: addr, word: words[i]! >>> 0, text: operands ? `${mnemonic} ${operands}` : mnemonic, mnemonic, operands });
  }
  return out;
}

export function disassembleWord(word: number, address: bigint): DisassembledWord {
  return disassemble([word], address)[0]!;
}
