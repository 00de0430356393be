// Every encoder and decoder against words produced by aarch64-linux-gnu-as (the real assembler).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import {
  decodeBranch,
  encodeB,
  encodeBCond,
  encodeBL,
  encodeCbz,
  encodeTbz,
  EncodeError,
  NOP,
  type BranchKind,
} from '../../harness/patch/encoding.js';

/** Assembles lines at address 0 and returns the .text words. */
async function assemble(source: string): Promise<number[]> {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-as-'));
  try {
    await writeFile(join(dir, 'a.s'), source);
    await execa('aarch64-linux-gnu-as', ['-o', join(dir, 'a.o'), join(dir, 'a.s')]);
    await execa('aarch64-linux-gnu-objcopy', ['-O', 'binary', '-j', '.text', join(dir, 'a.o'), join(dir, 'a.bin')]);
    const bytes = await readFile(join(dir, 'a.bin'));
    return Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readUInt32LE(i * 4));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const FORWARD = 0x2000n; // label "far" below
const cases: { asm: string; encode: (at: bigint, to: bigint) => number; kind: BranchKind }[] = [
  { asm: 'b far', encode: encodeB, kind: 'b' },
  { asm: 'bl far', encode: encodeBL, kind: 'bl' },
  { asm: 'b.ne far', encode: (a, t) => encodeBCond(a, t, 'ne'), kind: 'b.cond' },
  { asm: 'b.hs far', encode: (a, t) => encodeBCond(a, t, 'cs'), kind: 'b.cond' },
  { asm: 'cbz w3, far', encode: (a, t) => encodeCbz(a, t, 'w3'), kind: 'cbz' },
  { asm: 'cbnz x5, far', encode: (a, t) => encodeCbz(a, t, 'x5', true), kind: 'cbnz' },
  { asm: 'cbz xzr, far', encode: (a, t) => encodeCbz(a, t, 'xzr'), kind: 'cbz' },
  { asm: 'tbz w7, #3, far', encode: (a, t) => encodeTbz(a, t, 'w7', 3), kind: 'tbz' },
  { asm: 'tbnz x9, #40, far', encode: (a, t) => encodeTbz(a, t, 'x9', 40, true), kind: 'tbnz' },
];

test('forward and backward branches match the assembler, and decode back to their targets', async (t) => {
  const body = cases.map((c) => `  ${c.asm}`).join('\n');
  const back = cases.map((c) => `  ${c.asm.replace('far', 'start')}`).join('\n');
  const words = await assemble(`.text\nstart:\n${body}\n  nop\n  .balign 0x2000\nfar:\n${back}\n`);
  cases.forEach((c, i) => {
    const at = BigInt(i * 4);
    t.is(c.encode(at, FORWARD), words[i], `${c.asm} forward`);
    const decoded = decodeBranch(words[i]!, at);
    t.is(decoded?.kind, c.kind, `${c.asm} decodes`);
    t.is(decoded?.target, FORWARD, `${c.asm} target`);
    const backAt = FORWARD + at;
    t.is(c.encode(backAt, 0n), words[Number(FORWARD) / 4 + i], `${c.asm} backward`);
  });
  t.is(words[cases.length], NOP);
});

test('decoded registers, conditions and bit numbers', async (t) => {
  const words = await assemble('.text\nx:\n  cbnz w30, x\n  tbnz x2, #63, x\n  b.le x\n');
  t.like(decodeBranch(words[0]!, 0n), { kind: 'cbnz', reg: 'w30', target: 0n });
  t.like(decodeBranch(words[1]!, 4n), { kind: 'tbnz', reg: 'x2', bit: 63, target: 0n });
  t.like(decodeBranch(words[2]!, 8n), { kind: 'b.cond', cond: 'le', target: 0n });
  t.is(decodeBranch(NOP, 0n), null);
});

test('branch ranges are enforced at the exact limits', (t) => {
  t.notThrows(() => encodeB(0n, (1n << 27n) - 4n));
  t.throws(() => encodeB(0n, 1n << 27n), { instanceOf: EncodeError, message: /out of range.*±128 MiB/ });
  t.notThrows(() => encodeBL(1n << 27n, 0n));
  t.throws(() => encodeBCond(0n, 1n << 20n, 'eq'), { message: /±1 MiB/ });
  t.notThrows(() => encodeCbz(1n << 20n, 0n, 'w0'));
  t.throws(() => encodeTbz(0n, 1n << 15n, 'w0', 1), { message: /±32 KiB/ });
  t.notThrows(() => encodeTbz(0n, (1n << 15n) - 4n, 'w0', 1));
  t.throws(() => encodeB(0n, 6n), { message: /not 4-byte aligned/ });
  t.throws(() => encodeCbz(0n, 8n, 'q0'), { message: /not a general register/ });
});
