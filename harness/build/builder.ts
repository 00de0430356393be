// Builds kernels into a content-addressed cache: the key hashes the manifest, every source file
// (and kernels/common for gcc kernels), the toolchain's version line and this builder's recipe.
// An unchanged kernel is never rebuilt; a build writes into a temp dir and renames it in place.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { execa } from 'execa';
import { BuildError, WbdiffError } from '../errors.js';
import { CACHE_DIR, KERNELS_DIR } from '../paths.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { fileSha256 } from '../util/bounded-read.js';
import { sha256 } from '../util/hash.js';
import type { BuildTarget, CArchiveRecipe } from './manifest.js';
import { resolveToolchain, type ResolvedToolchain } from './toolchains.js';

/** Bump when the build commands change, so old cache entries are not reused. */
const RECIPE_VERSION = 1;
export const GO_TEXT_ADDRESS = '0x40081000';

export interface BuildResult {
  target: string;
  elfPath: string;
  /** Content hash of the inputs (sources + toolchain + recipe): the cache key. */
  sourceHash: string;
  /** sha256 of the ELF produced. */
  elfHash: string;
  toolchain: { id: string; version: string };
  /** For a manifest with "image": "raw" | "linux-image": the ELF's bytes as a flat image (objcopy -O binary), what runs. */
  imagePath?: string;
  imageHash?: string;
  cached: boolean;
  durationMs: number;
}

interface BuildRecord extends Omit<BuildResult, 'cached' | 'durationMs'> {
  command: string[];
  builtAt: string;
}

export async function build(target: BuildTarget, options: { force?: boolean } = {}): Promise<BuildResult> {
  const started = Date.now();
  const toolchain = await resolveToolchain(target.toolchain);
  const inputs = await collectInputs(target);
  const archive = target.toolchain.kind === 'go' ? target.kernel.manifest.go?.cArchive : undefined;
  // A c-archive kernel is also built by gcc: its version is part of the key (other keys unchanged).
  const linker = archive ? await resolveToolchain({ kind: 'gcc' }) : null;
  const sourceHash = sha256(
    JSON.stringify({
      recipe: RECIPE_VERSION,
      target: target.id,
      toolchain: toolchain.version,
      ...(linker ? { linker: linker.version } : {}),
      files: inputs.map((f) => [f.rel, sha256(f.data)]),
    }),
  );
  const outDir = join(CACHE_DIR, 'builds', `${target.id.replace(/[^A-Za-z0-9_.@-]/g, '_')}-${sourceHash.slice(0, 16)}`);
  const recordPath = join(outDir, 'build.json');
  // A cache entry is used only if its ELF still has the hash recorded when it was built: an
  // entry edited (or damaged) since is rebuilt, so a result never names bytes that did not run.
  let stale = false;
  if (!options.force && existsSync(recordPath)) {
    const record = await readBuildRecord(recordPath);
    if (record && (await fileSha256(record.elfPath)) === record.elfHash)
      return { ...withoutBookkeeping(record), cached: true, durationMs: Date.now() - started };
    stale = true;
  }

  await mkdir(join(CACHE_DIR, 'builds'), { recursive: true });
  const work = await mkdtemp(join(CACHE_DIR, 'builds', '.tmp-'));
  try {
    const elfInWork = join(work, 'kernel.elf');
    const commands =
      target.toolchain.kind === 'gcc'
        ? [gccCommand(target, toolchain, elfInWork)]
        : archive && linker
          ? cArchiveCommands(target, archive, toolchain, linker, work, elfInWork)
          : [goCommand(target, toolchain, elfInWork)];
    for (const command of commands) {
      const result = await execa(command.file, command.args, {
        cwd: command.cwd,
        env: command.env,
        reject: false,
        all: true,
        timeout: 300_000,
      });
      if (result.exitCode !== 0) {
        throw new BuildError(
          target.id,
          `build of ${target.id} failed (${commands.length === 1 ? toolchain.id : basename(command.file)} exited with ${result.exitCode ?? result.signal}):\n${String(result.all ?? '').trim()}`,
          {
            where: target.kernel.dir,
            hint: `fix the kernel sources; the command was: ${[command.file, ...command.args].join(' ')}`,
          },
        );
      }
    }
    const command = { file: commands[0]!.file, args: commands.flatMap((c, i) => (i === 0 ? c.args : ['&&', c.file, ...c.args])) };
    const elfHash = sha256(await readFile(elfInWork));
    const image = await flatImage(target, toolchain, elfInWork, join(work, 'kernel.bin'));
    const record: BuildRecord = {
      target: target.id,
      elfPath: join(outDir, 'kernel.elf'),
      sourceHash,
      elfHash,
      ...(image ? { imagePath: join(outDir, 'kernel.bin'), imageHash: image.hash } : {}),
      toolchain: { id: toolchain.id, version: toolchain.version },
      command: [command.file, ...command.args],
      builtAt: new Date().toISOString(),
    };
    await writeJsonAtomic(join(work, 'build.json'), record);
    // Another process may have built the same inputs meanwhile (parallel test workers, CI jobs):
    // its entry is as good as ours and may be in use, so keep it. Only --force, or an entry left
    // half-made by a crash (no build.json), is replaced.
    if (existsSync(outDir) && (options.force || stale || !existsSync(recordPath))) {
      const old = `${outDir}.old-${process.pid}-${Date.now()}`;
      await rename(outDir, old).catch(() => undefined);
      await rm(old, { recursive: true, force: true });
    }
    try {
      await rename(work, outDir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !existsSync(recordPath)) throw error;
      const winner = JSON.parse(await readFile(recordPath, 'utf8')) as BuildRecord;
      return { ...withoutBookkeeping(winner), cached: true, durationMs: Date.now() - started };
    }
    return { ...withoutBookkeeping(record), cached: false, durationMs: Date.now() - started };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function readBuildRecord(path: string): Promise<BuildRecord | null> {
  try {
    const record = JSON.parse(await readFile(path, 'utf8')) as Partial<BuildRecord>;
    return typeof record.elfPath === 'string' && typeof record.elfHash === 'string' ? (record as BuildRecord) : null;
  } catch {
    return null; // unreadable: rebuilt
  }
}

function withoutBookkeeping(record: BuildRecord): Omit<BuildResult, 'cached' | 'durationMs'> {
  const { command: _command, builtAt: _builtAt, ...rest } = record;
  return rest;
}

/** The cross objcopy beside a cross gcc (aarch64-linux-gnu-gcc[-12] -> aarch64-linux-gnu-objcopy). */
function objcopyFor(gcc: string): string {
  return gcc.replace(/gcc(-\d+)?$/, 'objcopy');
}

/** A raw or Image kernel is its ELF's loaded bytes (the Image header is the kernel's own first 64 bytes). */
async function flatImage(target: BuildTarget, toolchain: ResolvedToolchain, elf: string, out: string): Promise<{ hash: string } | null> {
  const format = target.kernel.manifest.image;
  if (format === undefined || format === 'elf') return null;
  const objcopy = objcopyFor(toolchain.command);
  const result = await execa(objcopy, ['-O', 'binary', elf, out], { reject: false, all: true });
  if (result.exitCode !== 0) {
    throw new WbdiffError(
      `making the ${format} image of ${target.id} failed (${objcopy} exited with ${result.exitCode ?? result.signal}): ${String(result.all ?? '').trim()}`,
      {
        where: target.kernel.dir,
        hint: 'install binutils-aarch64-linux-gnu (npm run setup does)',
      },
    );
  }
  return { hash: sha256(await readFile(out)) };
}

interface Command {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

function gccCommand(target: BuildTarget, toolchain: ResolvedToolchain, out: string): Command {
  const common = join(KERNELS_DIR, 'common');
  return {
    file: toolchain.command,
    args: [
      '-nostdlib',
      '-nostartfiles',
      '-ffreestanding',
      '-static',
      '-O2',
      '-mgeneral-regs-only',
      '-Wl,--build-id=none',
      '-T',
      target.kernel.manifest.linkerScript ? join(target.kernel.dir, target.kernel.manifest.linkerScript) : join(common, 'virt.ld'),
      '-I',
      common,
      '-o',
      out,
      ...(target.kernel.manifest.sources ?? []),
    ],
    cwd: target.kernel.dir,
    env: {},
  };
}

const GO_ENV: Record<string, string> = {
  GOOS: 'linux',
  GOARCH: 'arm64',
  CGO_ENABLED: '0',
  GOTOOLCHAIN: 'local',
  GOFLAGS: '-mod=mod',
  GOWORK: 'off',
};

function goCommand(target: BuildTarget, toolchain: ResolvedToolchain, out: string): Command {
  const entry = target.kernel.manifest.go?.entry ?? 'main.kentry';
  return {
    file: toolchain.command,
    args: ['build', '-trimpath', '-ldflags', `-T ${GO_TEXT_ADDRESS} -E ${entry} -R 0x1000`, '-o', out, '.'],
    cwd: target.kernel.dir,
    env: GO_ENV,
  };
}

/**
 * Go built with -buildmode=c-archive (CGO_ENABLED=0: no libc, so no runtime/cgo), each assembly
 * source compiled by gcc, the manifest's objcopy symbol options applied per object (consecutive
 * options of one kind in one call: objcopy applies --globalize before --weaken within a call,
 * so "globalize then weaken" needs two), then gcc links them with the kernel's linker script.
 */
function cArchiveCommands(
  target: BuildTarget,
  recipe: CArchiveRecipe,
  go: ResolvedToolchain,
  gcc: ResolvedToolchain,
  work: string,
  out: string,
): Command[] {
  const dir = target.kernel.dir;
  const archive = join(work, 'libgo.a');
  const objcopy = objcopyFor(gcc.command);
  const objects = recipe.sources.map((source) => ({ source, object: join(work, `${basename(source).replace(/\.[^.]+$/, '')}.o`) }));
  const commands: Command[] = [
    {
      file: go.command,
      args: ['build', '-trimpath', '-buildmode=c-archive', '-o', archive, '.'],
      cwd: dir,
      env: GO_ENV,
    },
    ...objects.map(({ source, object }) => ({ file: gcc.command, args: ['-c', '-o', object, source], cwd: dir, env: {} })),
  ];
  for (const [name, options] of Object.entries(recipe.objcopy ?? {})) {
    const file = name === 'go' ? archive : objects.find((o) => o.source === name)?.object;
    if (!file)
      throw new WbdiffError(`objcopy names "${name}", which is neither "go" nor one of the c-archive sources`, {
        where: target.kernel.manifestPath,
        hint: `sources: ${recipe.sources.join(', ')}`,
      });
    const groups: string[][] = [];
    for (const option of options) {
      const last = groups[groups.length - 1];
      if (last && last[0]!.split('=')[0] === option.split('=')[0]) last.push(option);
      else groups.push([option]);
    }
    for (const group of groups) commands.push({ file: objcopy, args: [...group, file], cwd: dir, env: {} });
  }
  commands.push({
    file: gcc.command,
    args: [
      '-nostdlib',
      '-nostartfiles',
      '-ffreestanding',
      '-static',
      '-Wl,--build-id=none',
      '-Wl,--no-warn-rwx-segments',
      '-T',
      recipe.linkerScript,
      `-Wl,-e,${target.kernel.manifest.go?.entry ?? '_start'}`,
      '-o',
      out,
      ...objects.map((o) => o.object),
      archive,
    ],
    cwd: dir,
    env: {},
  });
  return commands;
}

/** Every file that can change the build: the kernel folder (minus variants and docs) and, for gcc, common/. */
async function collectInputs(target: BuildTarget): Promise<{ rel: string; data: Buffer }[]> {
  const roots = [target.kernel.dir];
  if (target.toolchain.kind === 'gcc') roots.push(join(KERNELS_DIR, 'common'));
  const files: { rel: string; data: Buffer }[] = [];
  // Sources listed from another kernel's folder ("../bootargs/bootargs.c") change the build too.
  for (const source of target.kernel.manifest.sources ?? []) {
    const path = join(target.kernel.dir, source);
    if (!roots.some((root) => !relative(root, path).startsWith('..')))
      files.push({ rel: relative(KERNELS_DIR, path), data: await readFile(path) });
  }
  for (const root of roots) {
    for (const path of await walk(root)) {
      const rel = relative(KERNELS_DIR, path);
      if (/(^|\/)variants\//.test(rel) || /\.md$/i.test(rel)) continue;
      files.push({ rel, data: await readFile(path) });
    }
  }
  return files.sort((a, b) => (a.rel < b.rel ? -1 : 1));
}

async function walk(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}
