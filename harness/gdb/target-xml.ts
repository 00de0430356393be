// Target descriptions (GDB's target.xml and the annexes it includes), pure: which registers the
// stub has, their numbers and sizes, and so where each one sits in a `g` reply.
//
// The `g` layout is not guessed: a stub's `g` reply holds its registers in register-number order,
// each bitsize/8 bytes in target byte order, as the description it serves says. QEMU 7.2's
// aarch64 description (gdb-xml/aarch64-core.xml) gives x0..x30 (64 bits, regnum 0..30), sp (31),
// pc (32), cpsr (33, 32 bits); its `g` reply stops after the core feature (the FP/SIMD and
// system registers of the other annexes are only read with `p`). decodeRegisterBlock therefore
// accepts a reply that covers a leading part of the layout, as long as it ends on a register.
import { littleEndianHex, PacketFormatError } from './packets.js';

export interface DescribedRegister {
  name: string;
  bitsize: number;
  /** Null when the XML leaves it to the running count. */
  regnum: number | null;
  type: string | null;
  group: string | null;
}

export interface TargetDocument {
  /** The annex this came from ("target.xml", "aarch64-core.xml"). */
  annex: string;
  architecture: string | null;
  /** In document order, each with what precedes it: an include's registers go where the include is. */
  items: (
    | { kind: 'include'; href: string }
    | { kind: 'feature'; name: string }
    | { kind: 'reg'; feature: string | null; reg: DescribedRegister }
  )[];
}

export interface LayoutRegister {
  name: string;
  regnum: number;
  bitsize: number;
  type: string | null;
  group: string | null;
  feature: string | null;
}

export interface RegisterLayout {
  architecture: string | null;
  /** Sorted by register number: the order of a `g` reply. */
  registers: LayoutRegister[];
  /** Where the layout came from: the stub's own description, or the built-in fallback. */
  source: 'target.xml' | 'fallback';
}

const MAX_NAME = 64;

/** Parses one description document. Only what register layout needs is kept; the rest is skipped. */
export function parseTargetXml(xml: string, annex = 'target.xml'): TargetDocument {
  const fail = (why: string) => new PacketFormatError(`${annex}: ${why}`);
  const text = xml
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<\?[\s\S]*?\?>/g, '')
    .replace(/<!DOCTYPE[^>]*>/gi, '');
  const doc: TargetDocument = { annex, architecture: null, items: [] };
  const tag = /<\s*(\/?)\s*([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)\s*>/g;
  let feature: string | null = null;
  let sawRoot = false;
  let last = 0;
  let architectureOpenAt: number | null = null;
  for (let m = tag.exec(text); m; m = tag.exec(text)) {
    const between = text.slice(last, m.index);
    if (/[<>]/.test(between)) throw fail(`malformed markup near "${between.trim().slice(0, 40)}"`);
    last = tag.lastIndex;
    const closing = m[1] === '/';
    const name = m[2]!;
    const attrs = parseAttributes(m[3] ?? '');
    if (name === 'target' || name === 'feature') sawRoot = true;
    if (closing) {
      if (name === 'feature') feature = null;
      if (name === 'architecture' && architectureOpenAt !== null) {
        doc.architecture = decodeEntities(text.slice(architectureOpenAt, m.index).trim()) || null;
        architectureOpenAt = null;
      }
      continue;
    }
    switch (name) {
      case 'architecture':
        if (m[4] !== '/') architectureOpenAt = tag.lastIndex;
        break;
      case 'xi:include': {
        const href = attrs['href'];
        if (!href) throw fail('an <xi:include> has no href');
        doc.items.push({ kind: 'include', href });
        break;
      }
      case 'feature': {
        feature = attrs['name'] ?? null;
        doc.items.push({ kind: 'feature', name: feature ?? '' });
        if (m[4] === '/') feature = null;
        break;
      }
      case 'reg':
        doc.items.push({ kind: 'reg', feature, reg: parseReg(attrs, fail) });
        break;
      default:
        break; // flags, field, vector, union, struct, groups: not needed for the layout
    }
  }
  if (/[<>]/.test(text.slice(last))) throw fail('malformed markup at the end');
  if (!sawRoot) throw fail('no <target> or <feature> element: not a GDB target description');
  return doc;
}

function parseReg(attrs: Record<string, string>, fail: (why: string) => Error): DescribedRegister {
  const name = attrs['name'];
  if (!name || name.length > MAX_NAME || !/^[\w.$-]+$/.test(name))
    throw fail(`a <reg> has a bad or missing name ${JSON.stringify(name ?? null)}`);
  const bitsize = Number(attrs['bitsize']);
  if (!Number.isInteger(bitsize) || bitsize <= 0 || bitsize % 8 !== 0 || bitsize > 4096) {
    throw fail(`register ${name} has bitsize ${JSON.stringify(attrs['bitsize'] ?? null)}; expected a positive multiple of 8`);
  }
  let regnum: number | null = null;
  if (attrs['regnum'] !== undefined) {
    regnum = Number(attrs['regnum']);
    if (!Number.isInteger(regnum) || regnum < 0 || regnum > 100_000)
      throw fail(`register ${name} has regnum ${JSON.stringify(attrs['regnum'])}`);
  }
  return { name, bitsize, regnum, type: attrs['type'] ?? null, group: attrs['group'] ?? null };
}

function parseAttributes(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const attr = /([A-Za-z_][\w:.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  for (let m = attr.exec(text); m; m = attr.exec(text)) out[m[1]!] = decodeEntities(m[2] ?? m[3] ?? '');
  return out;
}

function decodeEntities(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[e]!);
}

/**
 * The register layout of a root document with its includes resolved (`annexes` by href). GDB's
 * numbering rule: a register without regnum takes the previous register's number plus one, across
 * includes in document order, starting at 0.
 */
export function buildRegisterLayout(root: TargetDocument, annexes: ReadonlyMap<string, TargetDocument>): RegisterLayout {
  const registers: LayoutRegister[] = [];
  let next = 0;
  let architecture = root.architecture;
  const visit = (doc: TargetDocument, depth: number, feature: string | null) => {
    if (depth > 8) throw new PacketFormatError(`${doc.annex}: includes nest deeper than 8 levels`);
    architecture ??= doc.architecture;
    for (const item of doc.items) {
      if (item.kind === 'include') {
        const sub = annexes.get(item.href);
        if (!sub) throw new PacketFormatError(`${doc.annex} includes "${item.href}", which the stub did not provide`);
        visit(sub, depth + 1, feature);
      } else if (item.kind === 'reg') {
        const regnum = item.reg.regnum ?? next;
        next = regnum + 1;
        registers.push({
          name: item.reg.name,
          regnum,
          bitsize: item.reg.bitsize,
          type: item.reg.type,
          group: item.reg.group,
          feature: item.feature ?? feature,
        });
      }
    }
  };
  visit(root, 0, null);
  registers.sort((a, b) => a.regnum - b.regnum);
  for (let i = 1; i < registers.length; i++) {
    if (registers[i]!.regnum === registers[i - 1]!.regnum) {
      throw new PacketFormatError(
        `registers ${registers[i - 1]!.name} and ${registers[i]!.name} both claim number ${registers[i]!.regnum}`,
      );
    }
  }
  if (registers.length === 0) throw new PacketFormatError(`${root.annex} describes no registers`);
  return { architecture, registers, source: 'target.xml' };
}

/**
 * QEMU's aarch64 core feature (gdb-xml/aarch64-core.xml): used only when a stub offers no
 * qXfer:features:read, and then reported as the fallback it is.
 */
export function aarch64CoreLayout(): RegisterLayout {
  const registers: LayoutRegister[] = [];
  const feature = 'org.gnu.gdb.aarch64.core';
  for (let i = 0; i <= 30; i++) registers.push({ name: `x${i}`, regnum: i, bitsize: 64, type: 'int', group: null, feature });
  registers.push({ name: 'sp', regnum: 31, bitsize: 64, type: 'data_ptr', group: null, feature });
  registers.push({ name: 'pc', regnum: 32, bitsize: 64, type: 'code_ptr', group: null, feature });
  registers.push({ name: 'cpsr', regnum: 33, bitsize: 32, type: 'cpsr_flags', group: null, feature });
  return { architecture: 'aarch64', registers, source: 'fallback' };
}

export interface DecodedRegisters {
  /** Register name -> value (little-endian target); null when the stub sent "xx" (unavailable). */
  values: Record<string, bigint | null>;
  /** How many registers of the layout the reply covered. */
  covered: number;
}

/**
 * Splits a `g` reply by the layout. The reply must cover whole registers from the first one on;
 * a stub may stop early (QEMU sends only the core feature), but not mid-register or past the end.
 */
export function decodeRegisterBlock(hexText: string, layout: RegisterLayout): DecodedRegisters {
  if (!/^[0-9a-fA-Fx]*$/.test(hexText))
    throw new PacketFormatError(`the register block has characters that are not hex digits: "${hexText.slice(0, 40)}"`);
  const values: Record<string, bigint | null> = {};
  let offset = 0;
  let covered = 0;
  for (const reg of layout.registers) {
    if (offset === hexText.length) break;
    const width = reg.bitsize / 4;
    if (offset + width > hexText.length) {
      throw new PacketFormatError(
        `the register block ends inside ${reg.name} (${hexText.length / 2} bytes; ${reg.name} needs bytes ${offset / 2}..${(offset + width) / 2 - 1})`,
      );
    }
    values[reg.name] = littleEndianHex(hexText.slice(offset, offset + width));
    offset += width;
    covered++;
  }
  if (offset < hexText.length)
    throw new PacketFormatError(
      `the register block is ${hexText.length / 2} bytes, longer than the described registers (${offset / 2} bytes)`,
    );
  return { values, covered };
}
