// Seeded mutations of wbdiff's inputs: ELF bytes (header fields, program and section headers,
// byte flips, truncation) and JSON documents (variants, configs: types swapped, keys dropped or
// added, hostile strings, deep nesting, huge numbers, broken text). Pure: a seed gives one input.

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const INTERESTING_64 = [
  0n,
  1n,
  0x7fn,
  0xffn,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x40000000n,
  0x40080000n,
  0x3fffffffffffffffn,
  0xffffffffffffffffn,
];

/** Mutates an ELF image: one to four edits chosen among structural and blind ones. */
export function mutateElf(input: Uint8Array, rng: Rng): { bytes: Buffer; edits: string[] } {
  let bytes = Buffer.from(input);
  const edits: string[] = [];
  const count = 1 + rng.int(4);
  for (let k = 0; k < count; k++) {
    const phoff = bytes.length >= 64 ? Number(bytes.readBigUInt64LE(32) & 0xffffffn) : 0;
    const phnum = bytes.length >= 64 ? bytes.readUInt16LE(56) : 0;
    const shoff = bytes.length >= 64 ? Number(bytes.readBigUInt64LE(40) & 0xffffffn) : 0;
    const shnum = bytes.length >= 64 ? bytes.readUInt16LE(60) : 0;
    const kind = rng.int(10);
    if (kind === 0 && bytes.length > 1) {
      const at = rng.int(bytes.length);
      bytes = bytes.subarray(0, at);
      edits.push(`truncate to ${at}`);
    } else if (kind === 1 && bytes.length >= 64) {
      const fields: [string, number, 2 | 4 | 8][] = [
        ['e_entry', 24, 8],
        ['e_phoff', 32, 8],
        ['e_shoff', 40, 8],
        ['e_phentsize', 54, 2],
        ['e_phnum', 56, 2],
        ['e_shentsize', 58, 2],
        ['e_shnum', 60, 2],
        ['e_shstrndx', 62, 2],
        ['e_type', 16, 2],
        ['e_machine', 18, 2],
        ['EI_CLASS', 4, 2],
      ];
      const [name, at, size] = rng.pick(fields);
      write(bytes, at, size, rng.pick(INTERESTING_64) + BigInt(rng.int(3)) - 1n);
      edits.push(`header ${name}`);
    } else if (kind <= 3 && phnum > 0 && phoff + 56 * phnum <= bytes.length) {
      const i = rng.int(phnum);
      const fields: [string, number, 4 | 8][] = [
        ['p_type', 0, 4],
        ['p_flags', 4, 4],
        ['p_offset', 8, 8],
        ['p_vaddr', 16, 8],
        ['p_paddr', 24, 8],
        ['p_filesz', 32, 8],
        ['p_memsz', 40, 8],
      ];
      const [name, at, size] = rng.pick(fields);
      write(bytes, phoff + 56 * i + at, size, rng.chance(0.5) ? rng.pick(INTERESTING_64) : BigInt(rng.int(0x10000000)));
      edits.push(`phdr ${i} ${name}`);
    } else if (kind <= 5 && shnum > 0 && shoff + 64 * shnum <= bytes.length) {
      const i = rng.int(shnum);
      const fields: [string, number, 4 | 8][] = [
        ['sh_name', 0, 4],
        ['sh_type', 4, 4],
        ['sh_addr', 16, 8],
        ['sh_offset', 24, 8],
        ['sh_size', 32, 8],
        ['sh_link', 40, 4],
        ['sh_entsize', 56, 8],
      ];
      const [name, at, size] = rng.pick(fields);
      write(bytes, shoff + 64 * i + at, size, rng.chance(0.5) ? rng.pick(INTERESTING_64) : BigInt(rng.int(0x100000)));
      edits.push(`shdr ${i} ${name}`);
    } else if (kind === 6 && bytes.length > 0) {
      const n = 1 + rng.int(16);
      for (let j = 0; j < n; j++) bytes[rng.int(bytes.length)] ^= 1 << rng.int(8);
      edits.push(`${n} bit flips`);
    } else if (kind === 7 && bytes.length > 0) {
      // An instruction word in the loaded bytes replaced (an undefined one, an HVC, a branch to self).
      const words = [0x00000000, 0xd4000002, 0xd4000003, 0x14000000, 0xd65f03c0, 0xffffffff, 0xd503207f];
      const at = (rng.int(bytes.length) & ~3) >>> 0;
      if (at + 4 <= bytes.length) bytes.writeUInt32LE(rng.pick(words) >>> 0, at);
      edits.push(`word at ${at}`);
    } else if (kind === 8) {
      const extra = Buffer.alloc(rng.int(4096), rng.int(256));
      bytes = Buffer.concat([bytes, extra]);
      edits.push(`append ${extra.length}`);
    } else if (bytes.length > 0) {
      const at = rng.int(bytes.length);
      const n = Math.min(bytes.length - at, 1 + rng.int(64));
      bytes.fill(rng.pick([0, 0xff, 0x41]), at, at + n);
      edits.push(`fill ${n} at ${at}`);
    }
  }
  return { bytes, edits };
}

function write(bytes: Buffer, at: number, size: 2 | 4 | 8, value: bigint): void {
  if (at < 0 || at + size > bytes.length) return;
  const v = BigInt.asUintN(size * 8, value);
  if (size === 2) bytes.writeUInt16LE(Number(v), at);
  else if (size === 4) bytes.writeUInt32LE(Number(v), at);
  else bytes.writeBigUInt64LE(v, at);
}

const HOSTILE_STRINGS = [
  '',
  '\u0000',
  '\u001b[31mred\u001b[0m',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '/dev/zero',
  'x'.repeat(300),
  '*'.repeat(30),
  `${'*'.repeat(24)}zz`,
  '(a*)*b',
  '(?<id>x)(?<result>(a+)+)',
  '\ud800',
  'T1 Y',
  'main.kmain+0xffffffffffff',
  '0x0',
  '0xffffffffffffffff',
  '-1',
  'runtime.gcWriteBarrier',
  'bl runtime.gcWriteBarrier',
  'cbnz w*, *',
];
const NESTED = '\u0001nested\u0001';
const HOSTILE_NUMBERS = [0, -1, 1, 0.5, 2 ** 31, 2 ** 31 - 1, 2 ** 53, 1e308, -1e308, 600001, 99];

/** Mutates a JSON document (as a value): one to three edits, sometimes a broken or huge text. */
export function mutateJson(value: unknown, rng: Rng): { text: string; edits: string[] } {
  const edits: string[] = [];
  let doc = structuredClone(value);
  let nestDepth = 0;
  const count = 1 + rng.int(3);
  for (let k = 0; k < count; k++) {
    const paths = allPaths(doc);
    const path = rng.pick(paths);
    const kind = rng.int(8);
    if (kind === 0) {
      doc = setAt(doc, path, rng.pick(HOSTILE_STRINGS));
      edits.push(`${fmt(path)} = hostile string`);
    } else if (kind === 1) {
      doc = setAt(doc, path, rng.pick(HOSTILE_NUMBERS));
      edits.push(`${fmt(path)} = hostile number`);
    } else if (kind === 2) {
      doc = setAt(doc, path, rng.pick([null, true, [], {}, [42], { x: 1 }]));
      edits.push(`${fmt(path)} = wrong type`);
    } else if (kind === 3 && path.length) {
      doc = deleteAt(doc, path);
      edits.push(`delete ${fmt(path)}`);
    } else if (kind === 4) {
      const target = getAt(doc, path);
      if (target && typeof target === 'object' && !Array.isArray(target))
        (target as Record<string, unknown>)[rng.pick(['extra', '__proto__', 'constructor', 'kernel', 'elf', 'regex'])] =
          rng.pick(HOSTILE_STRINGS);
      edits.push(`add key under ${fmt(path)}`);
    } else if (kind === 5) {
      const target = getAt(doc, path);
      if (Array.isArray(target) && target.length) {
        const n = 1 + rng.int(40);
        for (let j = 0; j < n; j++) target.push(structuredClone(rng.pick(target)));
        edits.push(`${fmt(path)} repeated x${n}`);
      }
    } else if (kind === 6) {
      // Spliced in as text after stringify (JSON.stringify itself recurses).
      nestDepth = rng.pick([10, 300, 5000]);
      doc = setAt(doc, path, NESTED);
      edits.push(`${fmt(path)} nested ${nestDepth} deep`);
    } else {
      doc = setAt(
        doc,
        path,
        rng.pick(['hello', 'gowb', 'gowb@go1.19', 'nosuch', 'qemu', 'emu', 'board:x', 'replay', 'cortex-a53', 'cortex-a999']),
      );
      edits.push(`${fmt(path)} = plausible word`);
    }
  }
  let text = JSON.stringify(doc, null, rng.chance(0.5) ? 2 : 0) ?? 'null';
  text = text.replace(JSON.stringify(NESTED), `${'['.repeat(nestDepth)}1${']'.repeat(nestDepth)}`);
  const textual = rng.int(12);
  if (textual === 0) {
    text = text.slice(0, rng.int(text.length));
    edits.push('text truncated');
  } else if (textual === 1) {
    text = `${'['.repeat(20_000)}`;
    edits.push('20000 nested [');
  } else if (textual === 2) {
    const at = rng.int(text.length);
    text = `${text.slice(0, at)}${rng.pick(['\u0000', ',', '}', '"', '\\', '\ufeff', '/*', 'NaN'])}${text.slice(at)}`;
    edits.push('a stray character');
  }
  return { text, edits };
}

type Path = (string | number)[];

function allPaths(value: unknown, prefix: Path = [], out: Path[] = [], depth = 0): Path[] {
  out.push(prefix);
  if (depth > 8 || value === null || typeof value !== 'object') return out;
  for (const [k, v] of Object.entries(value as Record<string, unknown>))
    allPaths(v, [...prefix, Array.isArray(value) ? Number(k) : k], out, depth + 1);
  return out;
}

function getAt(value: unknown, path: Path): unknown {
  return path.reduce<unknown>(
    (v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k as string] : undefined),
    value,
  );
}

function setAt(root: unknown, path: Path, next: unknown): unknown {
  if (!path.length) return next;
  const parent = getAt(root, path.slice(0, -1));
  if (parent !== null && typeof parent === 'object') (parent as Record<string, unknown>)[path[path.length - 1] as string] = next;
  return root;
}

function deleteAt(root: unknown, path: Path): unknown {
  const parent = getAt(root, path.slice(0, -1));
  if (Array.isArray(parent)) parent.splice(path[path.length - 1] as number, 1);
  else if (parent !== null && typeof parent === 'object') delete (parent as Record<string, unknown>)[path[path.length - 1] as string];
  return root;
}

function fmt(path: Path): string {
  return `/${path.join('/')}`;
}
