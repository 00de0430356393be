// `npm run fuzz`: a seeded, time-bounded fuzzer of wbdiff's command line. It mutates the bundled
// kernels' ELFs, their variant files and matrix configs (bench/fuzz/mutate.ts), runs `wbdiff run`,
// `patch` and `matrix` on them as child processes, and counts crashes (a stack trace or "internal
// error", an exit code other than 0/1/2, death by a signal) and hangs (no exit within the limit).
// Inputs that crash or hang are kept under fuzz-out/ with the command that reproduces them.
//
//   npm run fuzz -- [--seed 1] [--count 3000] [--minutes 20] [--jobs 2] [--hang-seconds 60]
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { resolveSubjects } from '../../harness/build/subjects.js';
import { CACHE_DIR, KERNELS_DIR, REPO_ROOT } from '../../harness/paths.js';
import { mutateElf, mutateJson, Rng } from './mutate.js';

export type FuzzCommand = 'run' | 'patch' | 'matrix';

export interface FuzzOptions {
  seed: number;
  count: number;
  /** Stop starting inputs after this long (ms). */
  timeLimitMs: number;
  jobs: number;
  hangMs: number;
  commands?: readonly FuzzCommand[];
  /** Where crashing and hanging inputs are kept (none when null). */
  keepDir: string | null;
  log?: (line: string) => void;
}

export interface FuzzFinding {
  index: number;
  kind: 'crash' | 'hang';
  command: string[];
  why: string;
  edits: string[];
}

export interface FuzzReport {
  seed: number;
  inputs: number;
  byCommand: Record<string, number>;
  exitCodes: Record<string, number>;
  crashes: number;
  hangs: number;
  findings: FuzzFinding[];
  elapsedMs: number;
}

const WBDIFF = join(REPO_ROOT, 'bin', 'wbdiff.js');
const KERNELS = ['hello', 'fault', 'hang', 'cpuid', 'tap', 'noisy', 'flood', 'gowb@go1.19', 'gowb@go1.23'];
const CRASH_TEXT = /internal error|\n\s+at \S.*:\d+:\d+\)?\n|FATAL ERROR|node:internal|Segmentation fault|Aborted/;

interface Corpus {
  elfs: { id: string; path: string; bytes: Buffer }[];
  variants: { kernel: string; path: string; value: unknown }[];
}

async function loadCorpus(): Promise<Corpus> {
  const elfs: Corpus['elfs'] = [];
  for (const id of KERNELS) {
    const [subject] = await resolveSubjects(id);
    elfs.push({ id, path: subject!.elfPath, bytes: await readFile(subject!.elfPath) });
  }
  const variants: Corpus['variants'] = [];
  for (const go of ['go1.19', 'go1.23']) {
    const dir = join(KERNELS_DIR, 'gowb', 'variants', go);
    for (const name of (await readdir(dir)).filter((n) => n.endsWith('.json'))) {
      variants.push({ kernel: `gowb@${go}`, path: join(dir, name), value: JSON.parse(await readFile(join(dir, name), 'utf8')) });
    }
  }
  variants.push({
    kernel: 'hello',
    path: 'hello-nop',
    value: { name: 'hello-nop', edits: [{ op: 'nop', at: '_start+0x40', expect: 'movz*' }] },
  });
  return { elfs, variants };
}

/** One input: files in `dir` and the wbdiff arguments that use them. Deterministic in the seed. */
async function makeInput(
  rng: Rng,
  corpus: Corpus,
  dir: string,
  commands: readonly FuzzCommand[],
): Promise<{ command: FuzzCommand; args: string[]; edits: string[] }> {
  const command = rng.pick(commands);
  const base = rng.pick(corpus.elfs);
  if (command === 'run') {
    const { bytes, edits } = mutateElf(base.bytes, rng);
    const elf = join(dir, 'mutated.elf');
    await writeFile(elf, bytes);
    const runner = rng.pick(['emu', 'emu', 'qemu', 'both']);
    const args = ['run', elf, '--runner', runner, '--timeout', '500', '--json'];
    if (rng.chance(0.15)) args.push('--replay', rng.pick([elf, '/dev/zero', join(dir, 'missing.log')]));
    return { command, args, edits: [`${base.id}: ${edits.join(', ')}`] };
  }
  if (command === 'patch') {
    const variant = rng.pick(corpus.variants);
    const elf = corpus.elfs.find((e) => e.id === variant.kernel)!;
    const file = join(dir, 'variant.json');
    const edits: string[] = [];
    if (rng.chance(0.75)) {
      const mutated = mutateJson(variant.value, rng);
      await writeFile(file, mutated.text);
      edits.push(`${variant.path.split('/').pop()}: ${mutated.edits.join(', ')}`);
    } else await writeFile(file, JSON.stringify(variant.value));
    let elfPath = elf.path;
    if (rng.chance(0.3)) {
      const m = mutateElf(elf.bytes, rng);
      elfPath = join(dir, 'mutated.elf');
      await writeFile(elfPath, m.bytes);
      edits.push(`${elf.id}: ${m.edits.join(', ')}`);
    }
    const out = rng.chance(0.1) ? dir : join(dir, 'out.elf');
    return { command, args: ['patch', elfPath, file, '-o', out, ...(rng.chance(0.3) ? ['--json'] : [])], edits };
  }
  // matrix: a small config (1-2 entries, the emulator and/or QEMU, short limits), then mutated.
  const entries: unknown[] = [];
  for (let n = 1 + rng.int(2); n > 0; n--) {
    const pickKind = rng.int(4);
    if (pickKind === 0) {
      const m = mutateElf(base.bytes, rng);
      const elf = join(dir, `entry-${n}.elf`);
      await writeFile(elf, m.bytes);
      entries.push({ elf, name: `m-${n}`, expect: { verdict: 'completed' }, timeoutMs: 500 });
    } else if (pickKind === 1) {
      const variant = rng.pick(corpus.variants.filter((v) => v.kernel.startsWith('gowb')));
      entries.push({ kernel: variant.kernel, variants: [variant.path], timeoutMs: 500 });
    } else entries.push({ kernel: rng.pick(['hello', 'fault', 'cpuid', 'tap', 'noisy']), timeoutMs: 500 });
  }
  const config = { runners: rng.pick([['emu'], ['qemu'], ['emu', 'qemu']]), timeoutMs: 500, concurrency: 2, kernels: entries };
  const mutated = mutateJson(config, rng);
  const ext = rng.chance(0.1) ? '.mjs' : '.json';
  const file = join(dir, `config${ext}`);
  await writeFile(file, ext === '.mjs' ? `export default ${rng.chance(0.8) ? mutated.text : 'undefinedName.x'};\n` : mutated.text);
  return { command, args: ['matrix', '--config', file, '--out', join(dir, 'out'), '--no-baseline', '--no-diagnose'], edits: mutated.edits };
}

export async function fuzz(options: FuzzOptions): Promise<FuzzReport> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const corpus = await loadCorpus();
  const work = await mkdtemp(join(tmpdir(), 'wbdiff-fuzz-'));
  // A private cache (patched ELFs of mutated variants pile up) sharing the real builds.
  const cache = join(work, 'cache');
  await mkdir(cache, { recursive: true });
  if (existsSync(join(CACHE_DIR, 'builds'))) await symlink(join(CACHE_DIR, 'builds'), join(cache, 'builds'));
  const env = { WBDIFF_CACHE: cache, WBDIFF_RESULTS: join(work, 'results') };
  const report: FuzzReport = {
    seed: options.seed,
    inputs: 0,
    byCommand: {},
    exitCodes: {},
    crashes: 0,
    hangs: 0,
    findings: [],
    elapsedMs: 0,
  };
  const commands = options.commands ?? ['run', 'patch', 'matrix'];
  let next = 0;
  const worker = async () => {
    while (next < options.count && Date.now() - started < options.timeLimitMs) {
      const index = next++;
      // Each input has its own generator: the same seed and index give the same input whatever
      // the number of jobs or the order they finish in.
      const rng = new Rng((options.seed * 0x9e3779b1 + index * 0x85ebca6b) >>> 0);
      const dir = join(work, `in-${index}`);
      await mkdir(dir);
      const input = await makeInput(rng, corpus, dir, commands);
      const result = await execa(process.execPath, [WBDIFF, ...input.args], {
        reject: false,
        env,
        timeout: options.hangMs,
        all: true,
        maxBuffer: 64 * 1024 * 1024,
        stdin: 'ignore',
      });
      report.inputs += 1;
      report.byCommand[input.command] = (report.byCommand[input.command] ?? 0) + 1;
      const code = result.timedOut ? 'hang' : result.signal ? result.signal : String(result.exitCode);
      report.exitCodes[code] = (report.exitCodes[code] ?? 0) + 1;
      const stderr = result.stderr ?? '';
      let finding: FuzzFinding | null = null;
      if (result.timedOut)
        finding = { index, kind: 'hang', command: input.args, why: `no exit within ${options.hangMs} ms`, edits: input.edits };
      else if (result.signal)
        finding = { index, kind: 'crash', command: input.args, why: `killed by ${result.signal}`, edits: input.edits };
      else if (![0, 1, 2].includes(result.exitCode ?? -1))
        finding = { index, kind: 'crash', command: input.args, why: `exit code ${result.exitCode}`, edits: input.edits };
      else if (CRASH_TEXT.test(stderr))
        finding = { index, kind: 'crash', command: input.args, why: stderr.split('\n').slice(0, 6).join('\n'), edits: input.edits };
      if (finding) {
        report.findings.push(finding);
        if (finding.kind === 'crash') report.crashes += 1;
        else report.hangs += 1;
        log(
          `#${index} ${finding.kind}: wbdiff ${input.args.join(' ')}\n  ${finding.why.split('\n').join('\n  ')}\n  edits: ${input.edits.join('; ')}`,
        );
        if (options.keepDir) {
          const keep = join(options.keepDir, `seed-${options.seed}`, `${finding.kind}-${index}`);
          await mkdir(keep, { recursive: true });
          await cp(dir, keep, { recursive: true }).catch(() => undefined);
          await writeFile(join(keep, 'finding.json'), `${JSON.stringify({ ...finding, stderr: stderr.slice(-8000) }, null, 2)}\n`);
        }
      }
      await rm(dir, { recursive: true, force: true });
      if (report.inputs % 50 === 0)
        log(`[${report.inputs}] ${report.crashes} crashes, ${report.hangs} hangs, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.jobs) }, worker));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  report.elapsedMs = Date.now() - started;
  return report;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      count: { type: 'string', default: '3000' },
      minutes: { type: 'string', default: '30' },
      jobs: { type: 'string', default: '2' },
      'hang-seconds': { type: 'string', default: '60' },
      out: { type: 'string', default: join(REPO_ROOT, 'fuzz-out') },
    },
  });
  const report = await fuzz({
    seed: Number(values.seed),
    count: Number(values.count),
    timeLimitMs: Number(values.minutes) * 60_000,
    jobs: Number(values.jobs),
    hangMs: Number(values['hang-seconds']) * 1000,
    keepDir: values.out!,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  const { findings: _findings, ...figures } = report;
  process.stdout.write(`\nwbdiff fuzz, seed ${report.seed}: ${report.inputs} inputs in ${(report.elapsedMs / 1000).toFixed(0)} s\n`);
  process.stdout.write(
    `  by command: ${Object.entries(report.byCommand)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}\n`,
  );
  process.stdout.write(
    `  exit codes: ${Object.entries(report.exitCodes)
      .sort()
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ')}\n`,
  );
  process.stdout.write(
    `  crashes: ${report.crashes}, hangs: ${report.hangs}${report.findings.length ? ` (inputs kept in ${values.out})` : ''}\n`,
  );
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  process.exitCode = report.crashes + report.hangs > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
