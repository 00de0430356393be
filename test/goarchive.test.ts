// The c-archive Go kernel (kernels/goarchive): Go 1.23 with -buildmode=c-archive, linked by gcc
// with a linker script, a GNU assembly entry and barrier routines under the runtime's names.
// Built by the harness's builder, patched by its patcher, traced on the real emulator; the
// barrier call counts are checked against aarch64-linux-gnu-objdump, not against our own scan.
import test from 'ava';
import { execa } from 'execa';
import { join } from 'node:path';
import { readElf } from '../harness/elf/read-elf.js';
import { diagnoseElf, type Diagnosis } from '../harness/diagnose/index.js';
import { orderReasons, RANK, type Explanation } from '../harness/diagnose/reasons.js';
import { patchedElf } from '../harness/patch/patched-build.js';
import { loadVariant, parseVariant } from '../harness/patch/variant.js';
import { planPatch } from '../harness/patch/plan.js';
import { KERNELS_DIR } from '../harness/paths.js';
import { wbdiff } from './helpers/cli.js';
import { subject } from './helpers/subjects.js';

const TARGET = 'goarchive@go1.23';
const variantPath = (name: string) => join(KERNELS_DIR, 'goarchive', 'variants', 'go1.23', `${name}.json`);

const diagnoses = new Map<string, Promise<Diagnosis>>();
function diagnosed(name: string): Promise<Diagnosis> {
  let d = diagnoses.get(name);
  if (!d) {
    d = (async () => {
      const base = await subject(TARGET);
      const patched = await patchedElf(base.elfPath, base.elfHash, [await loadVariant(variantPath(name))]);
      return diagnoseElf(patched.elfPath, patched.manifest.sites, {
        expectedMarkers: Object.keys(base.kernel!.manifest.expect.markers ?? {}),
      });
    })();
    diagnoses.set(name, d);
  }
  return d;
}

/** Calls per barrier entry point in the unpatched kernel, as objdump disassembles them. */
async function objdumpCalls(elf: string): Promise<Map<string, number>> {
  const { stdout } = await execa('aarch64-linux-gnu-objdump', ['-d', elf]);
  const counts = new Map<string, number>();
  for (const m of stdout.matchAll(/\tbl\s+[0-9a-f]+ <(runtime\.gcWriteBarrier\d)>/g)) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
  return counts;
}

test("the c-archive kernel: gcc-linked, Go 1.23 read from .go.buildinfo, the runtime's barriers local beside the kernel's weak globals", async (t) => {
  const s = await subject(TARGET);
  const image = await readElf(s.elfPath);
  const d = await diagnosed('own-barriers');
  t.is(d.goVersion, 'go1.23.5');
  t.is(d.convention, 'go>=1.21');
  const named = image.symbols.all.filter((x) => x.name === 'runtime.gcWriteBarrier2');
  t.deepEqual(named.map((x) => x.binding).sort(), ['local', 'weak']);
  t.is(image.symbols.resolve('main.kmain')!.binding, 'global', 'objcopy --globalize-symbol made kmain callable from start.S');
  t.is(image.entry, image.symbols.resolve('_start')!.value);
});

test('same-named symbols: ambiguous by name, chosen by @local / @global / @weak / @0x...; listings qualify them', async (t) => {
  const image = await readElf((await subject(TARGET)).elfPath);
  const local = image.symbols.all.find((x) => x.name === 'runtime.gcWriteBarrier2' && x.binding === 'local')!;
  const weak = image.symbols.all.find((x) => x.name === 'runtime.gcWriteBarrier2' && x.binding === 'weak')!;
  const error = t.throws(() => image.symbols.resolve('runtime.gcWriteBarrier2'))!;
  t.regex(
    error.message,
    /is ambiguous: .*\(local\).*\(weak global\); name one as "runtime\.gcWriteBarrier2@local" or "runtime\.gcWriteBarrier2@global", or "runtime\.gcWriteBarrier2@0x[0-9a-f]+"/,
  );
  t.is(image.symbols.resolve('runtime.gcWriteBarrier2@local'), local);
  t.is(image.symbols.resolve('runtime.gcWriteBarrier2@global'), weak);
  t.is(image.symbols.resolve('runtime.gcWriteBarrier2@weak'), weak);
  t.is(image.symbols.resolve(`runtime.gcWriteBarrier2@0x${local.value.toString(16)}`), local, 'the form the error suggests is accepted');
  t.throws(() => image.symbols.resolve('runtime.gcWriteBarrier2@0x4'), {
    message: /no symbol "runtime\.gcWriteBarrier2" at 0x4: .* at 0x[0-9a-f]+ \(local\)/,
  });
  t.throws(() => image.symbols.resolve('main.kmain@local'), { message: /no symbol "main\.kmain" that is local/ });
  t.is(image.symbols.format(local.value + 4n), 'runtime.gcWriteBarrier2@local+0x4');
  t.is(image.symbols.format(image.symbols.resolve('main.kmain')!.value), 'main.kmain', 'unshared names stay bare');
  // A variant naming them by binding plans; naming them bare is refused with the same advice.
  const sites = planPatch(
    image,
    parseVariant(
      JSON.stringify({
        name: 'v',
        edits: [{ op: 'redirect-calls', from: 'runtime.gcWriteBarrier2@local', to: 'runtime.gcWriteBarrier2@global', in: 'main.kmain' }],
      }),
    ),
  );
  t.is(sites.length, 2);
  for (const site of sites)
    t.deepEqual([site.old.symbolic, site.new.symbolic], ['bl runtime.gcWriteBarrier2@local', 'bl runtime.gcWriteBarrier2@global']);
  t.throws(
    () =>
      planPatch(
        image,
        parseVariant(JSON.stringify({ name: 'v', edits: [{ op: 'redirect-calls', from: 'runtime.gcWriteBarrier2', to: 'wb_seed' }] })),
      ),
    { message: /ambiguous.*@local/ },
  );
});

test('wbdiff patch lists both sides qualified, with a legend saying which is which', async (t) => {
  const r = await wbdiff([
    'patch',
    TARGET,
    variantPath('partial-barriers'),
    '-o',
    join((await import('node:os')).tmpdir(), `wbdiff-ga-${process.pid}.elf`),
  ]);
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, /bl runtime\.gcWriteBarrier2@local\s+0x[0-9a-f]+\s+bl runtime\.gcWriteBarrier2@global/);
  t.regex(
    r.stdout,
    /same-named symbols:\n(?:.*\n)*\s+runtime\.gcWriteBarrier2@global is 0x[0-9a-f]+ \(weak global, 12 bytes\)\n\s+runtime\.gcWriteBarrier2@local is 0x[0-9a-f]+ \(local, 16 bytes\)/,
  );
});

test('every barrier entry point: each call counted (as objdump sees them), redirected or left to the runtime, sizes from asm_arm64.s confirmed in the ELF', async (t) => {
  const d = await diagnosed('partial-barriers');
  const counts = await objdumpCalls((await subject(TARGET)).elfPath);
  t.deepEqual(
    d.entryPoints.map((e) => e.name),
    Array.from({ length: 8 }, (_, i) => `runtime.gcWriteBarrier${i + 1}`),
  );
  for (const e of d.entryPoints) {
    const n = Number(e.name.slice(-1));
    t.is(e.bytes, 8 * n);
    t.true(e.bytesConfirmed, `${e.name}: MOVZ x25, #${8 * n} in the ELF`);
    t.regex(e.bytesSource, new RegExp(`asm_arm64\\.s:${1309 + 3 * (n - 1)} `));
    t.is(e.binding, 'local');
    t.deepEqual(
      e.namesakes.map((x) => x.binding),
      ['weak global'],
    );
    t.is(e.calls, counts.get(e.name) ?? 0, e.name);
    t.is(e.calls, e.redirected + e.leftToRuntime);
    if ([2, 3, 4].includes(n)) t.deepEqual([e.leftToRuntime, e.redirected > 0], [0, true], e.line);
    else t.is(e.redirected, 0, e.line);
  }
  const one = d.entryPoints[0]!;
  t.true(one.leftToRuntime > 1);
  t.is(one.leftRan, 1, "the trace shows which left-behind call ran: kmain's nil store");
  t.deepEqual(
    one.sites.filter((s) => s.ran).map((s) => s.location),
    ['main.kmain+0x20c'],
  );
  t.regex(
    one.line,
    /^runtime\.gcWriteBarrier1@local at 0x[0-9a-f]+ \(8 bytes\): \d+ calls, 0 redirected, \d+ left to the runtime \(1 ran\)$/,
  );
});

test('a call left to the runtime is named: how many, that the barrier needs g in x28, where the first one faults', async (t) => {
  const d = await diagnosed('partial-barriers');
  t.is(d.verdict, 'left-to-runtime');
  const left = d.findings.filter((f) => f.kind === 'left-to-runtime');
  t.is(left.length, 1, 'one finding per entry point, not per site');
  const n = d.entryPoints[0]!.leftToRuntime;
  t.is(left[0]!.routine, 'runtime.gcWriteBarrier1@local');
  t.regex(
    left[0]!.text,
    new RegExp(
      `^${n} calls to runtime\\.gcWriteBarrier1 still reach the runtime's barrier \\(runtime\\.gcWriteBarrier1@local, local, not the kernel's own runtime\\.gcWriteBarrier1@global \\(weak global\\)\\), which needs g in x28: .* 1 of those call sites ran; the first one executed, at main\\.kmain\\+0x20c, faults at \\S+ (\\(.*\\) )?with x28 = &fakeg\\.$`,
    ),
  );
  // The redirected calls it did reach are right: no other finding than ok.
  t.deepEqual([...new Set(d.findings.filter((f) => f.kind !== 'left-to-runtime' && f.kind !== 'not-reached').map((f) => f.kind))], ['ok']);
  t.is(d.reasons.length, 1);
  t.regex(
    d.reasons[0]!.text,
    /^T3 is not printed because the call at main\.kmain\+0x20c is left to the runtime's runtime\.gcWriteBarrier1@local, which needs g in x28 and faults without one\.$/,
  );
  const cli = await wbdiff(['diagnose', TARGET, '--variant', variantPath('partial-barriers')]);
  t.is(cli.exitCode, 1);
});

test('quiet when right: own barriers are ok with exit 0 and one line for the reached share; --verbose lists the rest', async (t) => {
  const d = await diagnosed('own-barriers');
  t.is(d.verdict, 'ok');
  t.true(d.reach.redirected > 300);
  t.is(d.reach.reached, 4);
  t.is(d.reach.line, `4 of ${d.reach.redirected} redirected sites reached; unreached sites are not judged`);
  t.is(d.findings.filter((f) => f.kind === 'not-reached').length, d.reach.redirected - 4, 'kept in the JSON, not judged');
  // Grouped by routine and kind: the kernel's gcWriteBarrier2 ran at two sites, one line for both.
  const groups = d.groups.filter((g) => g.kind === 'ok');
  t.deepEqual(
    groups.map((g) => [g.routine, g.sites]),
    [
      ['runtime.gcWriteBarrier2@global', 2],
      ['runtime.gcWriteBarrier4@global', 1],
      ['runtime.gcWriteBarrier1@global', 1],
    ],
  );
  t.regex(
    groups[0]!.first.text,
    /^the kernel's own runtime\.gcWriteBarrier2 \(weak global\) at main\.kmain\+0x54 returned to main\.kmain\+0x58 .* x25 = &wbbuf.*: this matches Go 1\.23's barrier\.$/,
  );
  const quiet = await wbdiff(['diagnose', TARGET, '--variant', variantPath('own-barriers')]);
  t.is(quiet.exitCode, 0, quiet.stdout + quiet.stderr);
  t.is(quiet.stdout.split('\n').filter((l) => /redirected sites reached/.test(l)).length, 1);
  t.regex(quiet.stdout, /^ {2}4 of \d+ redirected sites reached; unreached sites are not judged$/m);
  t.notRegex(quiet.stdout, /not-reached|not reached/);
  t.is(quiet.stdout.split('\n').filter((l) => l.startsWith('  [ok]')).length, 3);
  const verbose = await wbdiff(['diagnose', TARGET, '--variant', variantPath('own-barriers'), '--verbose']);
  t.is(verbose.exitCode, 0);
  t.regex(verbose.stdout, new RegExp(`not reached \\(${d.reach.redirected - 4}\\): `));
});

test('the reason in order: T3 is not printed because of the call left to the runtime; the x25 bug before it is latent', async (t) => {
  const d = await diagnosed('seed-partial');
  t.is(d.verdict, 'convention-bug');
  const t3 = d.reasons.find((r) => r.marker === 'T3')!;
  t.truthy(t3, `${JSON.stringify(d.reasons)} ${JSON.stringify(d.run)}`);
  t.is(t3.value, null);
  t.is(t3.now?.kind, 'left-to-runtime');
  t.deepEqual(
    t3.latent.map((e) => e.kind),
    ['convention-bug'],
  );
  t.regex(
    t3.text,
    /^T3 is not printed because the call at main\.kmain\+0x20c is left to the runtime's runtime\.gcWriteBarrier1@local, which needs g in x28 and faults without one; the convention bug of wb_seed \(for runtime\.gcWriteBarrier2@local\) at main\.kmain\+0x1d4 is masked by an earlier call/,
  );
  const t1 = d.reasons.find((r) => r.marker === 'T1')!;
  t.is(t1.value, 'Y');
  t.is(t1.now, null);
  t.regex(
    t1.text,
    /^T1 is Y, but the convention bug of wb_seed .* at main\.kmain\+0x54 would fault once its stores stop landing in QEMU's flash at 0x0, 0x8/,
  );
});

test('orderReasons: a dropped store (layout) plugs in ahead of a convention bug and a call left to the runtime', (t) => {
  const e = (kind: string, rank: number, effect: Explanation['effect'], order: number): Explanation => ({
    kind,
    marker: 'T2',
    effect,
    rank,
    order,
    because: `${kind} now`,
    latent: `${kind} later`,
  });
  const reasons = orderReasons(
    [
      e('convention-bug', RANK['convention-bug'], 'now', 1),
      e('left-to-runtime', RANK['left-to-runtime'], 'now', 2),
      e('layout', RANK.layout, 'now', 3),
    ],
    { T2: 'N' },
  );
  t.deepEqual(
    reasons.map((r) => r.text),
    ['T2 is N because layout now; left-to-runtime later; convention-bug later.'],
  );
  // Same rank: the earlier one in execution order.
  const tie = orderReasons([e('no-return', 10, 'now', 5), e('left-to-runtime', 10, 'now', 2)], {});
  t.is(tie[0]!.now?.kind, 'left-to-runtime');
  t.is(tie[0]!.text, 'T2 is not printed because left-to-runtime now; no-return later.');
});

test('c-archive recipe: an objcopy entry naming no object of the build is refused before anything runs', async (t) => {
  const { cp, mkdtemp, readFile, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { build } = await import('../harness/build/builder.js');
  const { loadKernel, buildTargets } = await import('../harness/build/manifest.js');
  const root = await mkdtemp(join(tmpdir(), 'wbdiff-carchive-'));
  await cp(join(KERNELS_DIR, 'goarchive'), join(root, 'broken'), { recursive: true });
  const manifestPath = join(root, 'broken', 'kernel.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  manifest.go.cArchive.objcopy = { 'nosuch.S': ['--globalize-symbol=x'] };
  await writeFile(manifestPath, JSON.stringify(manifest));
  const [target] = buildTargets(await loadKernel('broken', root));
  await t.throwsAsync(build(target!), { message: /objcopy names "nosuch\.S", which is neither "go" nor one of the c-archive sources/ });
  manifest.go.cArchive.objcopy = { go: ['--rename-section=.text=.x'] };
  await writeFile(manifestPath, JSON.stringify(manifest));
  await t.throwsAsync(loadKernel('broken', root), { message: /objcopy/ }, 'only symbol options are accepted');
});
