// wbdiff as a devDependency of someone's kernel repository: `npm pack`, unpacked into a scratch
// project's node_modules (its dependencies linked from ours: the test runs offline), then run
// from inside that project with its own kernel and config.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { REPO_ROOT } from '../harness/paths.js';
import { subject } from './helpers/subjects.js';

test("npm pack installs as a devDependency and runs a kernel repository's own config from a subfolder", async (t) => {
  const manifest = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8'));
  t.falsy(manifest.private, 'a private package cannot be a dependency');
  const scratch = await mkdtemp(join(tmpdir(), 'wbdiff-pack-'));
  // dist/ is built before the tests run; --ignore-scripts skips prepack's second build.
  const packed = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], { cwd: REPO_ROOT });
  const [{ filename, files }] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
  const paths = files.map((f) => f.path);
  t.true(paths.includes('bin/wbdiff.js') && paths.includes('dist/harness/cli/index.js') && paths.includes('kernels/hello/kernel.json'));
  t.false(
    paths.some((p) => p.startsWith('test/') || p.startsWith('dist/test/') || p.startsWith('results/2') || p.startsWith('.cache/')),
    'no tests, runs or build cache',
  );

  const project = join(scratch, 'my-kernel');
  await mkdir(join(project, 'node_modules'), { recursive: true });
  await mkdir(join(project, 'build'));
  await mkdir(join(project, 'src', 'boot'), { recursive: true });
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({ name: 'my-kernel', private: true, devDependencies: { wbdiff: `file:../${filename}` } }),
  );
  await execa('tar', ['-xzf', join(scratch, filename), '-C', join(project, 'node_modules')]);
  await rename(join(project, 'node_modules', 'package'), join(project, 'node_modules', 'wbdiff'));
  await symlink(join(REPO_ROOT, 'node_modules'), join(project, 'node_modules', 'wbdiff', 'node_modules'));
  // The project's own kernel (here: bytes we have built) and its own config.
  await copyFile((await subject('hello')).elfPath, join(project, 'build', 'my-kernel.elf'));
  await writeFile(
    join(project, 'wbdiff.config.json'),
    JSON.stringify({ runners: ['emu'], diagnose: false, kernels: ['hello', 'build/my-kernel.elf'] }),
  );

  const bin = join(project, 'node_modules', 'wbdiff', 'bin', 'wbdiff.js');
  const result = await execa(process.execPath, [bin, 'matrix'], {
    cwd: join(project, 'src', 'boot'),
    reject: false,
    timeout: 120_000,
    env: { WBDIFF_RESULTS: '', WBDIFF_KERNELS: '' },
  });
  t.is(result.exitCode, 0, result.stdout + result.stderr);
  t.regex(result.stdout, /hello\s+ok: T1=Y/, 'the bundled kernel, resolved from the package');
  t.regex(result.stdout, /my-kernel\.elf\s+ok: T1=Y/, "the project's own kernel, from the project");
  const runs = await readdir(join(project, 'results'));
  t.is(runs.length, 1, 'results next to the config');
  t.true(existsSync(join(project, 'results', runs[0]!, 'index.html')));
  t.false(existsSync(join(project, 'node_modules', 'wbdiff', 'results', runs[0]!)));
  const version = await execa(process.execPath, [bin, '--version'], { cwd: project });
  t.is(version.stdout.trim(), manifest.version);
});

test("npm's run-script banners stay off stdout in this folder (.npmrc), so `npm run bench -- --json` prints one JSON document", async (t) => {
  // `setup` is idempotent and quick; with npm's default log level its banner would be stdout's first line.
  const run = await execa('npm', ['run', 'setup'], { cwd: REPO_ROOT });
  t.false(run.stdout.includes('> wbdiff@'), run.stdout);
  const withBanners = await execa('npm', ['run', 'setup', '--loglevel=notice'], { cwd: REPO_ROOT });
  t.true(withBanners.stdout.includes('> wbdiff@'), 'the check can fail: npm prints the banner at its notice level');
});
