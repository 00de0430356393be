// Tool versions recorded with every run, so a result can be reproduced (and a change explained).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { version as unicornVersion } from '../emu/unicorn.js';
import { REPO_ROOT } from '../paths.js';
import { QEMU_BINARY } from '../runners/qemu-args.js';
import type { PreparedSubject } from './prepare.js';

export async function toolVersions(prepared: ReadonlyMap<string, PreparedSubject>): Promise<Record<string, string | null>> {
  const qemu = await execa(process.env['WBDIFF_QEMU'] ?? QEMU_BINARY, ['--version'], { reject: false });
  let unicorn: string | null = null;
  try {
    unicorn = unicornVersion().text;
  } catch {
    unicorn = null;
  }
  const toolchains = [...new Set([...prepared.values()].flatMap((p) => (p.ok && p.toolchain ? [p.toolchain] : [])))];
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  return {
    wbdiff: pkg.version,
    node: process.version,
    qemu: qemu.exitCode === 0 ? String(qemu.stdout).split('\n')[0]! : null,
    unicorn,
    toolchains: toolchains.join('; ') || null,
  };
}
