// Patched ELFs are cached like builds: keyed by the input ELF's hash and the variants' hashes,
// so every cell that needs the same bytes shares one file, and a result names its exact bytes.
import { existsSync } from 'node:fs';
import { WbdiffError } from '../errors.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CACHE_DIR } from '../paths.js';
import { fileSha256 } from '../util/bounded-read.js';
import { sha256 } from '../util/hash.js';
import { applyVariants, manifestPathFor, type PatchManifest } from './apply.js';
import type { LoadedVariant } from './variant.js';

export interface PatchedElf {
  elfPath: string;
  elfHash: string;
  manifest: PatchManifest;
  cached: boolean;
}

export async function patchedElf(inputPath: string, inputHash: string, variants: readonly LoadedVariant[]): Promise<PatchedElf> {
  const key = sha256(JSON.stringify([inputHash, variants.map((v) => v.hash)])).slice(0, 20);
  const elfPath = join(CACHE_DIR, 'patched', key, 'kernel.elf');
  const manifestPath = manifestPathFor(elfPath);
  if (existsSync(elfPath) && existsSync(manifestPath)) {
    // Used only while the cached bytes still have the hash their manifest records; else re-patched.
    const manifest = await readPatchManifest(manifestPath, false).catch(() => null);
    if (manifest?.output?.sha256 && (await fileSha256(elfPath)) === manifest.output.sha256)
      return { elfPath, elfHash: manifest.output.sha256, manifest, cached: true };
  }
  const manifest = await applyVariants(inputPath, variants, elfPath);
  return { elfPath, elfHash: manifest.output.sha256, manifest, cached: false };
}

/**
 * The bytes a command works on and the manifest saying what was patched: with variants, the
 * cached patched ELF; without, the ELF itself and the manifest written next to it by
 * `wbdiff patch` (read from `manifestPath` when given; absent is an error only if `required`).
 */
export async function patchedBytes(
  input: { elfPath: string; elfHash: string },
  variants: readonly LoadedVariant[],
  manifest: { path?: string | undefined; required: boolean },
): Promise<{ elfPath: string; elfHash: string; manifest: PatchManifest | null }> {
  if (variants.length) {
    const patched = await patchedElf(input.elfPath, input.elfHash, variants);
    return { elfPath: patched.elfPath, elfHash: patched.elfHash, manifest: patched.manifest };
  }
  return {
    ...input,
    manifest: await readPatchManifest(manifest.path ?? manifestPathFor(input.elfPath), manifest.required || manifest.path !== undefined),
  };
}

export async function readPatchManifest(path: string, required: boolean): Promise<PatchManifest | null> {
  if (!existsSync(path)) {
    if (!required) return null;
    throw new WbdiffError('no patch manifest: nothing says which call sites were redirected', {
      where: path,
      hint: 'give --variant file.json (wbdiff patches the ELF itself), or --manifest <out.elf>.patch.json as written by wbdiff patch',
    });
  }
  try {
    const manifest = JSON.parse(await readFile(path, 'utf8')) as PatchManifest;
    if (!Array.isArray(manifest.sites)) throw new Error('it has no "sites" list');
    return manifest;
  } catch (error) {
    throw new WbdiffError(`unreadable patch manifest: ${(error as Error).message}`, {
      where: path,
      hint: 'write it again with wbdiff patch',
    });
  }
}
