import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 of a file's bytes now, or null when it cannot be read (gone, unreadable). */
export async function fileSha256(path: string): Promise<string | null> {
  try {
    return sha256(await readFile(path));
  } catch {
    return null;
  }
}
