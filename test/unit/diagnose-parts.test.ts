// The pure parts behind the diagnosis of real patch sets: symbol qualifiers, the registers a
// routine writes, the ORR/MOVZ forms of MOVD $n, R25, the verdict rule, grouping, markers after a call.
import test from 'ava';
import { splitQualifier, Symbolizer, unqualified, type ElfSymbol } from '../../harness/elf/symbols.js';
import { groupFindings, verdictOf, type Finding } from '../../harness/diagnose/diagnose.js';
import { movToX25 } from '../../harness/diagnose/entry-points.js';
import { markerAfter } from '../../harness/diagnose/reasons.js';
import { writtenRegisters } from '../../harness/diagnose/store-insn.js';

const sym = (name: string, value: bigint, binding: ElfSymbol['binding'], size = 16n): ElfSymbol => ({
  name,
  value,
  size,
  kind: 'func',
  binding,
});

test('qualifiers: @global takes global or weak, @weak only weak, @local only local, @0x the address', (t) => {
  t.deepEqual(splitQualifier('runtime.gcWriteBarrier2@global'), { name: 'runtime.gcWriteBarrier2', binding: 'global', address: null });
  t.deepEqual(splitQualifier('f@0x277164'), { name: 'f', binding: null, address: 0x277164n });
  t.is(splitQualifier('f'), null);
  t.is(splitQualifier('f@GLIBC_2.2'), null, 'symbol versions are not qualifiers');
  t.is(unqualified('f@local'), 'f');
  const s = new Symbolizer([
    sym('f', 0x1000n, 'local'),
    sym('f', 0x2000n, 'weak'),
    sym('g', 0x3000n, 'local'),
    sym('g', 0x4000n, 'local'),
    sym('h', 0x5000n, 'global'),
  ]);
  t.is(s.resolve('f@global')!.value, 0x2000n);
  t.is(s.resolve('f@weak')!.value, 0x2000n);
  t.is(s.resolve('f@local')!.value, 0x1000n);
  t.is(s.format(0x2004n), 'f@global+0x4');
  t.is(s.format(0x3000n), 'g@0x3000', 'two locals: only the address tells them apart');
  t.throws(() => s.resolve('g@local'), { message: /ambiguous: g at 0x3000 \(local\), g at 0x4000 \(local\); name one as "g@0x3000"/ });
  t.is(s.resolve('g@0x4000')!.value, 0x4000n);
  t.throws(() => s.resolve('h@weak'), { message: /no symbol "h" that is weak: h at 0x5000 \(global\)/ });
  t.is(s.resolve('nope@global'), null);
  t.is(s.format(0x5000n), 'h');
});

test('writtenRegisters: destinations from capstone text; stores, compares and branches write none', (t) => {
  t.deepEqual(writtenRegisters('adrp x25, #0x4016b000'), ['x25']);
  t.deepEqual(writtenRegisters('add x25, x25, #0x460'), ['x25']);
  t.deepEqual(writtenRegisters('ldp x29, x30, [sp], #0x10'), ['x29', 'x30']);
  t.deepEqual(writtenRegisters('mov w25, #8'), ['x25']);
  t.deepEqual(writtenRegisters('bl #0x400e3d00'), ['x30']);
  for (const text of [
    'str x2, [x27]',
    'stp x0, x1, [sp, #-0x10]!',
    'cmp x0, x1',
    'cbz w1, #0x40',
    'b.ls #0x40',
    'ret',
    'msr cpacr_el1, x0',
    'b #0x400e11b0',
  ])
    t.deepEqual(writtenRegisters(text), [], text);
});

test('movToX25: MOVD $8*N, R25 as the Go assembler encodes it (MOVZ or ORR bitmask)', (t) => {
  t.is(movToX25(0xd2800119), 8n);
  t.is(movToX25(0xd2800519), 40n);
  t.is(movToX25(0xb27c07f9), 48n);
  t.is(movToX25(0xb27d0bf9), 56n);
  t.is(movToX25(0xb27a03f9), 64n);
  t.is(movToX25(0xd2800118), null, 'x24, not x25');
  t.is(movToX25(0xf9000362), null, 'a store');
});

const finding = (kind: Finding['kind'], routine: string, address: string, calls = [1]): Finding => ({
  kind,
  routine,
  address,
  site: `k+${address}`,
  calls,
  text: `${kind} ${routine} ${address}`,
});

test('verdict: reached sites decide; not-reached only when nothing ran', (t) => {
  t.is(verdictOf([finding('ok', 'wb', '0x1'), finding('not-reached', 'wb', '0x2', [])], 2), 'ok');
  t.is(verdictOf([finding('not-reached', 'wb', '0x2', [])], 1), 'not-reached');
  t.is(verdictOf([finding('ok', 'wb', '0x1'), finding('left-to-runtime', 'rt', '0x3')], 1), 'left-to-runtime');
  t.is(verdictOf([finding('left-to-runtime', 'rt', '0x3'), finding('convention-bug', 'wb', '0x1')], 1), 'convention-bug');
});

test('groupFindings: by routine and kind, with the site count and the first example, in verdict order', (t) => {
  const groups = groupFindings([
    finding('ok', 'a', '0x1', [1, 2]),
    finding('ok', 'a', '0x2'),
    finding('convention-bug', 'b', '0x3'),
    finding('ok', 'b', '0x4'),
  ]);
  t.deepEqual(
    groups.map((g) => [g.kind, g.routine, g.sites, g.calls, g.first.address]),
    [
      ['convention-bug', 'b', 1, 1, '0x3'],
      ['ok', 'a', 2, 3, '0x1'],
      ['ok', 'b', 1, 1, '0x4'],
    ],
  );
});

test('markerAfter: the first marker printed after the call, else the next expected one never printed', (t) => {
  const serial = 'banner\nT1 Y\nT2 N\n';
  t.is(markerAfter(serial, 0, ['T1', 'T2', 'T3']), 'T1');
  t.is(markerAfter(serial, serial.indexOf('T2'), ['T1', 'T2', 'T3']), 'T2');
  t.is(markerAfter(serial, serial.length, ['T1', 'T2', 'T3']), 'T3');
  t.is(markerAfter(serial, serial.length, []), null);
  t.is(markerAfter(serial, undefined, ['T1']), null);
});
