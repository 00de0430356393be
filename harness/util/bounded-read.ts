// Reading a user-named file whatever it is: a device (/dev/zero), a FIFO, a directory or a huge
// file must end in a clear error, never in memory growing until the process is killed. The cap is
// applied while reading (a file may grow after stat), not after.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { WbdiffError } from '../errors.js';
import { sha256 } from './hash.js';

export const MiB = 1024 * 1024;

export interface BoundedReadOptions {
  /** What the file is meant to be, for messages ("kernel ELF", "variant file"). */
  what: string;
  maxBytes: number;
  hint?: string;
}

/** The whole file, if it is a regular file of at most maxBytes; otherwise a WbdiffError naming it. */
export async function readFileBounded(path: string, options: BoundedReadOptions): Promise<Buffer> {
  const hint = options.hint ? { hint: options.hint } : {};
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new WbdiffError(error.code === 'ENOENT' ? 'no such file' : `cannot read the ${options.what}: ${error.code ?? error.message}`, {
      where: path,
      ...hint,
    });
  });
  if (!info.isFile()) {
    throw new WbdiffError(`not a regular file (${fileKind(info)}): cannot be a ${options.what}`, { where: path, ...hint });
  }
  const tooLarge = (size: number) =>
    new WbdiffError(
      `too large for a ${options.what}: ${size} bytes or more, the limit is ${options.maxBytes} (${(options.maxBytes / MiB).toFixed(0)} MiB)`,
      { where: path, ...hint },
    );
  if (info.size > options.maxBytes) throw tooLarge(info.size);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of streamChunks(path)) {
      total += chunk.length;
      if (total > options.maxBytes) throw tooLarge(total);
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof WbdiffError) throw error;
    throw new WbdiffError(`cannot read the ${options.what}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      where: path,
      ...hint,
    });
  }
  return Buffer.concat(chunks, total);
}

/** The file's bytes in chunks of at most chunkBytes; the caller stops reading by breaking out. */
export async function* streamChunks(path: string, chunkBytes = 64 * 1024): AsyncGenerator<Buffer> {
  const stream = createReadStream(path, { highWaterMark: chunkBytes });
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } finally {
    stream.destroy();
  }
}

function fileKind(info: Awaited<ReturnType<typeof stat>>): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  return 'not a plain file';
}

/** sha256 of a file's bytes now, or null when it cannot be read (gone, unreadable). */
export async function fileSha256(path: string): Promise<string | null> {
  try {
    return sha256(await readFile(path));
  } catch {
    return null;
  }
}
