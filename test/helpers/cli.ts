// Runs the real CLI (bin/wbdiff.js) as a user would: a child process, no shell.
import { execa } from 'execa';
import { join } from 'node:path';
import { REPO_ROOT } from '../../harness/paths.js';

export const WBDIFF = join(REPO_ROOT, 'bin', 'wbdiff.js');

export function wbdiff(args: string[], env: Record<string, string> = {}) {
  return execa(process.execPath, [WBDIFF, ...args], { reject: false, env, timeout: 120_000 });
}
