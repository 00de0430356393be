// Result files are written whole or not at all: a crash or Ctrl-C never leaves half a file. A
// write that fails (disk full, a directory in the way, no permission) is a clear error naming
// the file, never a stack trace.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { WbdiffError } from '../errors.js';

const WRITE_PROBLEMS: Record<string, [string, string]> = {
  ENOSPC: ['no space left on the device', 'free some disk space (or write elsewhere) and run again'],
  EDQUOT: ['the disk quota is exhausted', 'free some space in your quota and run again'],
  EISDIR: ['it is a directory', 'give the path of a file to write, not of a folder'],
  ENOTDIR: ['a part of the path is a file, not a directory', 'check the path'],
  EACCES: ['permission denied', 'write somewhere you may write, or fix the permissions'],
  EPERM: ['operation not permitted', 'write somewhere you may write, or fix the permissions'],
  EROFS: ['the file system is read-only', 'write somewhere else'],
  ENAMETOOLONG: ['the file name is too long', 'use shorter names'],
};

export function writeError(path: string, error: unknown): WbdiffError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const [what, hint] = WRITE_PROBLEMS[code] ?? [(error as Error).message, 'check the path and the disk'];
  return new WbdiffError(`cannot write the file: ${what}${code ? ` (${code})` : ''}`, { where: path, hint, cause: error });
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, mode?: number): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temp, data, mode === undefined ? undefined : { mode });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error instanceof WbdiffError ? error : writeError(path, error);
  }
}

export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}
