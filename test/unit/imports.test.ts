// Folder import direction, as data (Playwright's DEPS idea): each folder of harness/ names the
// folders it may import at run time (type-only imports are erased and not counted). A new edge
// is a design decision: add it here and to ARCHITECTURE.md, or move the code. The folder graph
// must stay acyclic, and only the files in IO_EDGES may import the file system, processes,
// sockets, threads or the FFI themselves (the purity test's other half: I/O lives at the edges).
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, normalize, relative } from 'node:path';
import test from 'ava';
import { REPO_ROOT } from '../../harness/paths.js';

const ROOT = '(root)'; // errors.ts, paths.ts, machine-profile.ts

/** folder -> the folders its modules may import (ROOT and util are open to every folder). */
const DEPENDS: Record<string, string[]> = {
  util: [],
  markers: [],
  disasm: [],
  elf: [],
  emu: [],
  machine: ['elf'],
  patch: ['disasm', 'elf'],
  runners: ['elf', 'emu', 'machine', 'markers'],
  compare: ['machine', 'runners'],
  gdb: ['runners'],
  suite: ['runners'],
  build: ['elf', 'machine', 'markers', 'patch', 'runners'],
  bisect: ['elf', 'patch', 'runners'],
  diagnose: ['build', 'disasm', 'elf', 'emu', 'machine', 'markers', 'matrix', 'patch', 'runners'],
  parity: ['diagnose', 'elf', 'emu', 'gdb', 'markers', 'patch', 'runners'],
  baseline: ['compare'],
  matrix: ['baseline', 'build', 'compare', 'elf', 'emu', 'machine', 'markers', 'patch', 'runners', 'suite'],
  report: ['compare', 'matrix'],
  cli: [
    'baseline',
    'bisect',
    'build',
    'compare',
    'diagnose',
    'elf',
    'machine',
    'markers',
    'matrix',
    'parity',
    'patch',
    'report',
    'runners',
    'suite',
  ],
};

/** The only modules that do I/O themselves; every other module is pure or reaches I/O through these. */
const IO_EDGES = new Set([
  'paths.ts', // finds the repo root on disk
  'machine-profile.ts', // reads qemu/virt.json
]);
const IO_FOLDERS = new Set(['cli']); // commands are edges by definition

/** Per-folder I/O edges: the process, file and FFI boundaries of each concern. */
const EDGE_FILES = new Set<string>([
  'bisect/site-runner.ts',
  'build/builder.ts',
  'build/manifest.ts',
  'build/run-target.ts',
  'build/subjects.ts',
  'build/toolchains.ts',
  'diagnose/conventions-file.ts',
  'disasm/capstone.ts',
  'elf/read-elf.ts',
  'emu/unicorn.ts',
  'gdb/rsp.ts',
  'matrix/config.ts',
  'matrix/find-baseline.ts',
  'matrix/store.ts',
  'matrix/validate.ts',
  'matrix/versions.ts',
  'patch/patched-build.ts',
  'report/load.ts',
  'runners/console.ts',
  'runners/emu-thread-worker.ts',
  'runners/emu-thread.ts',
  'runners/qemu-dtb.ts',
  'runners/qemu-version.ts',
  'runners/replay.ts',
  'suite/load.ts',
  'util/atomic.ts',
  'util/bounded-read.ts',
  'util/child.ts',
  'util/free-port.ts',
]);

const IO = /^import (?!type )[^;]*?from '(node:(?:fs|fs\/promises|child_process|net|worker_threads)|execa|koffi|serialport)'/gms;
const RELATIVE = /^import (?!type )[^;]*?from '(\.\.?\/[^']+)\.js'/gms;

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(path)));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

const harness = join(REPO_ROOT, 'harness');
const files = await Promise.all(
  (await sources(harness)).map(async (path) => ({ file: relative(harness, path), source: await readFile(path, 'utf8') })),
);
const folderOf = (file: string) => (file.includes('/') ? file.split('/')[0]! : ROOT);

/** Every run-time edge between two folders, with the file that makes it. */
const edges = files
  .flatMap(({ file, source }) =>
    [...source.matchAll(RELATIVE)].map((m) => {
      const target = normalize(join(dirname(file), `${m[1]}.ts`));
      return { file, from: folderOf(file), to: folderOf(target), target };
    }),
  )
  .filter((e) => e.from !== e.to);

test('every folder imports only the folders it declares', (t) => {
  const undeclared = edges
    .filter((e) => e.to !== ROOT && e.to !== 'util')
    .filter((e) => !(DEPENDS[e.from] ?? []).includes(e.to))
    .map((e) => `${e.file} imports ${e.target} (${e.from} -> ${e.to} is not in DEPENDS)`);
  t.deepEqual(undeclared, []);
  const unknownFolders = [...new Set(files.map((f) => folderOf(f.file)))].filter((f) => f !== ROOT && !(f in DEPENDS));
  t.deepEqual(unknownFolders, [], 'a new folder needs its DEPENDS entry');
});

test('the declared folder graph has no cycles', (t) => {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (folder: string, path: string[]) => {
    if (state.get(folder) === 'done') return;
    if (state.get(folder) === 'open') return void cycles.push([...path.slice(path.indexOf(folder)), folder].join(' -> '));
    state.set(folder, 'open');
    for (const next of DEPENDS[folder] ?? []) visit(next, [...path, folder]);
    state.set(folder, 'done');
  };
  for (const folder of Object.keys(DEPENDS)) visit(folder, []);
  t.deepEqual(cycles, []);
});

test('only the I/O edges import the file system, processes, sockets, threads or the FFI', (t) => {
  const doingIo = files.filter(({ source }) => [...source.matchAll(IO)].length > 0).map(({ file }) => file);
  const undeclared = doingIo.filter((file) => !IO_EDGES.has(file) && !IO_FOLDERS.has(folderOf(file)) && !EDGE_FILES.has(file));
  t.deepEqual(undeclared, [], 'a module that does I/O must be listed as an edge here and in ARCHITECTURE.md');
  const stale = [...EDGE_FILES].filter((file) => !doingIo.includes(file));
  t.deepEqual(stale, [], 'listed as an I/O edge but does no I/O: remove it from EDGE_FILES');
});
