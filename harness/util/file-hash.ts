// The hash of a file's current bytes (kept apart from hash.ts, which pure modules import).
import { readFile } from 'node:fs/promises';
import { sha256 } from './hash.js';

/** sha256 of a file's bytes now, or null when it cannot be read (gone, unreadable). */
export async function fileSha256(path: string): Promise<string | null> {
  try {
    return sha256(await readFile(path));
  } catch {
    return null;
  }
}
