// Patched ELFs are cached like builds: keyed by the input ELF's hash and the variants' hashes,
// so every cell that needs the same bytes shares one file, and a result names its exact bytes.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CACHE_DIR } from '../paths.js';
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
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as PatchManifest;
    return { elfPath, elfHash: manifest.output.sha256, manifest, cached: true };
  }
  const manifest = await applyVariants(inputPath, variants, elfPath);
  return { elfPath, elfHash: manifest.output.sha256, manifest, cached: false };
}
