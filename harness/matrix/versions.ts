// Tool versions recorded with every run, so a result can be reproduced (and a change explained).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { version as unicornVersion } from '../emu/unicorn.js';
import { REPO_ROOT } from '../paths.js';
import { qemuVersionLine } from '../runners/qemu-version.js';
import type { PreparedSubject } from './prepare.js';

export async function toolVersions(prepared: ReadonlyMap<string, PreparedSubject>): Promise<Record<string, string | null>> {
  const qemu = await qemuVersionLine().catch(() => null);
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
    qemu,
    unicorn,
    toolchains: toolchains.join('; ') || null,
  };
}
