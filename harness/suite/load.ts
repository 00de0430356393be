// The file side of suite entries: read a built tree's config, write the environ it needs, and
// expand the entry into kernel entries (harness/suite/kvm-unit-tests.ts does the reading).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { release } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { WbdiffError } from '../errors.js';
import type { KernelEntry, SuiteEntry } from '../matrix/config.js';
import { CACHE_DIR } from '../paths.js';
import { qemuVersionLine } from '../runners/qemu-version.js';
import { writeFileAtomic } from '../util/atomic.js';
import { sha256 } from '../util/hash.js';
import { expandSection, KVM_UNIT_TESTS_EXPECT, kvmUnitTestsEnviron, parseUnittestsCfg } from './kvm-unit-tests.js';

export interface SkippedTest {
  name: string;
  reason: string;
}

export async function expandSuiteEntry(entry: SuiteEntry, baseDir: string): Promise<{ kernels: KernelEntry[]; skipped: SkippedTest[] }> {
  const dir = isAbsolute(entry.dir) ? entry.dir : resolve(baseDir, entry.dir);
  const cfgPath = join(dir, 'arm', 'unittests.cfg');
  if (!existsSync(cfgPath)) {
    throw new WbdiffError(`no arm/unittests.cfg in ${dir}: not a kvm-unit-tests tree`, {
      where: 'suite entry',
      hint: 'set "dir" to a kvm-unit-tests tree built for arm64 (./configure --arch=arm64 --cross-prefix=aarch64-linux-gnu- && make)',
    });
  }
  const sections = parseUnittestsCfg(await readFile(cfgPath, 'utf8'));
  const wanted = entry.tests ?? null;
  for (const name of wanted ?? []) {
    if (!sections.some((s) => s.name === name))
      throw new WbdiffError(`no test "${name}" in ${cfgPath}`, { hint: `its tests: ${sections.map((s) => s.name).join(', ')}` });
  }
  const maxSmp = entry.maxSmp ?? 1;
  const environPath = await writeEnviron();
  const kernels: KernelEntry[] = [];
  const skipped: SkippedTest[] = [];
  for (const section of sections) {
    if (wanted && !wanted.includes(section.name)) continue;
    if (entry.groups && !section.groups.some((g) => entry.groups!.includes(g))) continue;
    const test = expandSection(section, { maxSmp, environPath, where: cfgPath });
    if ('skipped' in test) {
      skipped.push({ name: test.name, reason: test.skipped });
      continue;
    }
    const image = join(dir, 'arm', test.file);
    if (!existsSync(image))
      throw new WbdiffError(`${test.file} is not built`, { where: `${cfgPath} [${test.name}]`, hint: `run make in ${dir}` });
    const symbols = image.replace(/\.flat$/, '.elf');
    kernels.push({
      elf: image,
      name: test.name,
      image: 'raw',
      ...(symbols !== image && existsSync(symbols) ? { symbols } : {}),
      cpus: entry.cpus ?? ['max'],
      runners: entry.runners ?? ['qemu'],
      machine: test.machine,
      ...(test.memoryMiB !== undefined ? { memoryMiB: test.memoryMiB } : {}),
      timeoutMs: entry.timeoutMs ?? test.timeoutMs,
      results: 'kvm-unit-tests',
      expect: entry.expect ?? KVM_UNIT_TESTS_EXPECT,
    });
  }
  return { kernels, skipped };
}

/** The environ file, written once per content into the cache (cells share it; --resume finds it). */
async function writeEnviron(): Promise<string> {
  const versionLine = await qemuVersionLine();
  const text = kvmUnitTestsEnviron(versionLine, release());
  const path = join(CACHE_DIR, 'suites', `kvm-unit-tests-environ-${sha256(text).slice(0, 16)}.txt`);
  if (!existsSync(path)) await writeFileAtomic(path, text);
  return path;
}
