// Where things live. The repo root is found from this file, so dist/ and an installed bin agree.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'kernels'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export const REPO_ROOT = findRoot();
export const KERNELS_DIR = process.env['WBDIFF_KERNELS'] ? resolve(process.env['WBDIFF_KERNELS']) : join(REPO_ROOT, 'kernels');
export const CACHE_DIR = process.env['WBDIFF_CACHE'] ? resolve(process.env['WBDIFF_CACHE']) : join(REPO_ROOT, '.cache');
export const RESULTS_DIR = process.env['WBDIFF_RESULTS'] ? resolve(process.env['WBDIFF_RESULTS']) : join(REPO_ROOT, 'results');
