// The patch engine on real kernels: what each toolchain x variant really does on both runners,
// and every way a variant can be wrong failing with its own message and writing nothing.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { runSubject } from '../harness/cli/run-command.js';
import { applyVariants } from '../harness/patch/apply.js';
import { loadVariant, parseVariant } from '../harness/patch/variant.js';
import { KERNELS_DIR } from '../harness/paths.js';
import { sha256 } from '../harness/util/hash.js';
import type { Verdict } from '../harness/runners/types.js';
import { wbdiff } from './helpers/cli.js';
import { gowbVariant, subject } from './helpers/subjects.js';

const ALL_Y = { T1: 'Y', T2: 'Y', T3: 'Y' };
const ALL_N = { T1: 'N', T2: 'N', T3: 'N' };

// What really happens (kernels/gowb/README.md explains why). A store through an unset x25 (Go 1.23)
// or the runtime's barrier with g.m = 0 lands in virt's flash at 0 and is dropped, on QEMU and on the
// emulator (which models the flash and records each dropped store).
const outcomes: {
  go: '1.19' | '1.23';
  variant: string;
  qemu: { verdict: Verdict; markers?: object };
  emu: { verdict: Verdict; markers?: object; fault?: RegExp };
}[] = [
  { go: '1.19', variant: 'seed-barrier', qemu: { verdict: 'completed', markers: ALL_N }, emu: { verdict: 'completed', markers: ALL_N } },
  { go: '1.19', variant: 'old-convention', qemu: { verdict: 'completed', markers: ALL_Y }, emu: { verdict: 'completed', markers: ALL_Y } },
  { go: '1.19', variant: 'fixed-barrier', qemu: { verdict: 'completed', markers: ALL_Y }, emu: { verdict: 'completed', markers: ALL_Y } },
  {
    go: '1.19',
    variant: 'buffer-convention',
    qemu: { verdict: 'completed', markers: ALL_N },
    emu: { verdict: 'completed', markers: ALL_N },
  },
  { go: '1.19', variant: 'force-barrier', qemu: { verdict: 'completed', markers: ALL_Y }, emu: { verdict: 'completed', markers: ALL_Y } },
  { go: '1.23', variant: 'seed-barrier', qemu: { verdict: 'completed', markers: ALL_Y }, emu: { verdict: 'completed', markers: ALL_Y } },
  { go: '1.23', variant: 'old-convention', qemu: { verdict: 'completed', markers: ALL_Y }, emu: { verdict: 'completed', markers: ALL_Y } },
  {
    go: '1.23',
    variant: 'buffer-convention',
    qemu: { verdict: 'completed', markers: ALL_Y },
    emu: { verdict: 'completed', markers: ALL_Y },
  },
  { go: '1.23', variant: 'fixed-barrier', qemu: { verdict: 'completed', markers: ALL_Y }, emu: { verdict: 'completed', markers: ALL_Y } },
  { go: '1.23', variant: 'force-barrier', qemu: { verdict: 'fault' }, emu: { verdict: 'fault' } },
];

for (const o of outcomes) {
  test(`gowb go${o.go} ${o.variant}: qemu ${o.qemu.verdict}, emu ${o.emu.verdict}`, async (t) => {
    const { subject: patched } = await gowbVariant(o.go, o.variant);
    const { runs } = await runSubject(patched, ['qemu', 'emu'], 'cortex-a57');
    const [qemu, emu] = runs;
    t.is(qemu!.verdict, o.qemu.verdict, qemu!.reason);
    if (o.qemu.markers) t.deepEqual(qemu!.markers, o.qemu.markers);
    t.is(emu!.verdict, o.emu.verdict, emu!.reason);
    if (o.emu.markers) t.deepEqual(emu!.markers, o.emu.markers);
    if (o.emu.fault) t.regex(emu!.fault?.pcSymbol ?? '', o.emu.fault);
  });
}

test("Go 1.23 seed-barrier: the stores through x25 = 0 go to virt's flash, dropped as on QEMU and recorded by the emulator", async (t) => {
  const { subject: patched } = await gowbVariant('1.23', 'seed-barrier');
  const { runs } = await runSubject(patched, ['emu'], 'cortex-a57');
  const dropped = runs[0]!.details['droppedWrites'] as { first: { address: string; pcSymbol: string }[] };
  t.is(dropped.first[0]!.address, '0x0');
  t.regex(dropped.first[0]!.pcSymbol, /^main\.kmain\+0x/);
});

test('the patch manifest traces the result to exact bytes, disassembled', async (t) => {
  const { subject: base } = { subject: await subject('gowb@go1.19') };
  const variant = await loadVariant(join(KERNELS_DIR, 'gowb', 'variants', 'go1.19', 'seed-barrier.json'));
  const before = sha256(await readFile(base.elfPath));
  const out = join(await mkdtemp(join(tmpdir(), 'wbdiff-patch-')), 'seed.elf');
  const manifest = await applyVariants(base.elfPath, [variant], out);
  t.is(sha256(await readFile(base.elfPath)), before, 'the input is never modified');
  t.is(manifest.input.sha256, before);
  t.is(manifest.output.sha256, sha256(await readFile(out)));
  t.is(manifest.variants[0]!.sha256, variant.hash);
  t.deepEqual(JSON.parse(await readFile(`${out}.patch.json`, 'utf8')), manifest);
  const redirects = manifest.sites.filter((s) => s.op === 'redirect-calls');
  t.is(redirects.length, 3);
  for (const site of redirects) {
    t.is(site.old.symbolic, 'bl runtime.gcWriteBarrier');
    t.is(site.new.symbolic, 'bl main.wbSeed.abi0');
    t.regex(site.location, /^main\.kmain\+0x[0-9a-f]+$/);
  }
  const forced = manifest.sites.filter((s) => s.op === 'branch-always');
  t.is(forced.length, 3);
  for (const site of forced) t.regex(site.new.asm, /^b #0x/);
});

test('wbdiff patch prints each site with old and new instructions', async (t) => {
  const out = join(await mkdtemp(join(tmpdir(), 'wbdiff-patch-')), 'x.elf');
  const result = await wbdiff(['patch', 'gowb@go1.23', join(KERNELS_DIR, 'gowb/variants/go1.23/seed-barrier.json'), '-o', out]);
  t.is(result.exitCode, 0, result.stderr);
  t.regex(result.stdout, /main\.kmain\+0x[0-9a-f]+\s+0x[0-9a-f]{8}\s+cbz w1, main\.kmain\+0x[0-9a-f]+\s+0xd503201f\s+nop/);
  t.regex(result.stdout, /bl runtime\.gcWriteBarrier2\s+0x[0-9a-f]{8}\s+bl main\.wbSeed\.abi0/);
  t.regex(result.stdout, /6 site\(s\) patched from seed-barrier/);
});

/** Runs `wbdiff patch` with a variant text; asserts exit 2, the message, and that nothing was written. */
async function rejects(t: import('ava').ExecutionContext, kernel: string, variantText: string, message: RegExp) {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-bad-variant-'));
  const variant = join(dir, 'v.json');
  const out = join(dir, 'out.elf');
  await writeFile(variant, variantText);
  const result = await wbdiff(['patch', kernel, variant, '-o', out]);
  t.is(result.exitCode, 2, result.stdout);
  t.regex(result.stderr, message);
  t.notRegex(result.stderr, /internal error|\n\s+at /);
  t.false(existsSync(out), 'no output file');
  t.false(existsSync(`${out}.patch.json`), 'no manifest');
}

test('a stale variant (written for another build) names the address, expected and found instruction', async (t) => {
  const text = await readFile(join(KERNELS_DIR, 'gowb/variants/go1.19/seed-barrier.json'), 'utf8');
  // Go 1.23 has no cbnz-guarded barrier call to runtime.gcWriteBarrier: the variant does not fit.
  await rejects(t, 'gowb@go1.23', text, /unknown symbol "runtime\.gcWriteBarrier" \(did you mean .*"runtime\.gcWriteBarrier2"/);
  await rejects(
    t,
    'gowb@go1.23',
    JSON.stringify({ name: 's', edits: [{ op: 'nop', at: 'main.kmain+0x54', expect: 'cbnz w1, *' }] }),
    /stale variant: at 0x[0-9a-f]+ \(main\.kmain\+0x54\) expected "cbnz w1, \*", found "cbz w1, main\.kmain\+0x6c"/,
  );
});

test('an unknown symbol is named, with suggestions', async (t) => {
  await rejects(
    t,
    'gowb@go1.19',
    JSON.stringify({ name: 'u', edits: [{ op: 'redirect-calls', from: 'runtime.gcWriteBarrier', to: 'main.wbSeeed' }] }),
    /unknown symbol "main\.wbSeeed" \(did you mean "main\.wbSeed\.abi0"/,
  );
});

test('an edit outside executable code is refused', async (t) => {
  await rejects(
    t,
    'gowb@go1.19',
    JSON.stringify({ name: 'd', edits: [{ op: 'nop', at: 'main.gp' }] }),
    /0x[0-9a-f]+ \(main\.gp\) is not in an executable PT_LOAD segment/,
  );
  await rejects(t, 'gowb@go1.19', JSON.stringify({ name: 'a', edits: [{ op: 'nop', at: 'main.kmain+0x2' }] }), /not 4-byte aligned/);
});

test('two edits on one word are refused', async (t) => {
  await rejects(
    t,
    'gowb@go1.19',
    JSON.stringify({
      name: 'o',
      edits: [
        { op: 'nop', at: 'main.kmain+0x10' },
        { op: 'word', at: 'main.kmain+0x10', value: '0xd503201f' },
      ],
    }),
    /edits 0 and 1 both change the word at/,
  );
});

test('a malformed variant file names the line and column', async (t) => {
  await rejects(
    t,
    'gowb@go1.19',
    '{\n  "name": "m",\n  "edits": [\n    { "op": "nop", "at": "main.kmain" },\n  ]\n}\n',
    /v\.json:5:3: malformed JSON in the variant file: trailing comma/,
  );
  await rejects(
    t,
    'gowb@go1.19',
    '{\n  "name": "m",\n  "edits": [\n    { "op": "jump", "at": "main.kmain" }\n  ]\n}\n',
    /v\.json:4:13: invalid variant file: \/edits\/0\/op must be one of/,
  );
  await rejects(
    t,
    'gowb@go1.19',
    '{\n  "name": "m",\n  "edits": [\n    { "op": "call", "at": "main.kmain" }\n  ]\n}\n',
    /v\.json:4:5: invalid variant file: \/edits\/0 is missing the property "to"/,
  );
});

test('an out-of-range branch is refused with the distance and the reach', async (t) => {
  // A real ELF with two executable sections 256 MiB apart: BL cannot reach.
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-far-'));
  await writeFile(join(dir, 'far.s'), '.text\n.globl _start\n_start:\n  bl _start\n  ret\n.section .far,"ax"\nfar:\n  ret\n');
  const elf = join(dir, 'far.elf');
  await execa('aarch64-linux-gnu-gcc', [
    '-nostdlib',
    '-static',
    '-Wl,-Ttext=0x40080000',
    '-Wl,--section-start=.far=0x50080000',
    '-o',
    elf,
    join(dir, 'far.s'),
  ]);
  await rejects(
    t,
    elf,
    JSON.stringify({ name: 'r', edits: [{ op: 'call', at: '_start', to: 'far' }] }),
    /BL from 0x40080000 to 0x50080000 is out of range \(\+0x10000000 bytes; BL reaches ±128 MiB\)/,
  );
});

test('the bundled variant schema file is the one the loader uses', async (t) => {
  const { variantSchema } = await import('../harness/patch/variant-schema.js');
  t.deepEqual(JSON.parse(await readFile(join(KERNELS_DIR, 'variant.schema.json'), 'utf8')), JSON.parse(JSON.stringify(variantSchema)));
  t.throws(() => parseVariant('{"name":"x","edits":[{"op":"word","at":"0x40080000","value":"nope"}]}', 'x.json'), {
    message: /value must match pattern/,
  });
});
