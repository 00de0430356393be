// Writes a patched ELF and its manifest. The input is never modified; the output appears whole
// (atomic rename) or not at all, and only after every site has been checked.
import { readElfBytes } from '../elf/read-elf.js';
import { WbdiffError } from '../errors.js';
import { fileOffsetOf, parseElf, type ElfImage } from '../elf/elf.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { sha256 } from '../util/hash.js';
import { hex } from '../util/hex.js';
import { wordHex } from './encoding.js';
import { PatchError, planPatch, type PatchSite } from './plan.js';
import type { LoadedVariant, Variant } from './variant.js';

export const PATCH_MANIFEST_VERSION = 1;

export interface PatchManifest {
  version: number;
  input: { path: string; sha256: string };
  variants: { path: string; name: string; sha256: string }[];
  output: { path: string; sha256: string };
  sites: {
    variant: string;
    edit: number;
    op: string;
    address: string;
    location: string;
    old: { word: string; asm: string; symbolic: string };
    new: { word: string; asm: string; symbolic: string };
  }[];
}

/** Patched bytes for one or more variants applied in order (later variants see earlier edits). */
export function patchBytes(
  input: Uint8Array,
  inputPath: string,
  variants: readonly LoadedVariant[],
): { bytes: Uint8Array; sites: { variant: string; site: PatchSite }[] } {
  let bytes = Uint8Array.from(input);
  const all: { variant: string; site: PatchSite }[] = [];
  const touched = new Map<bigint, string>();
  for (const loaded of variants) {
    const image: ElfImage = parseElf(bytes, inputPath);
    const sites = planPatchExplained(image, loaded.variant, loaded.path);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (const site of sites) {
      const other = touched.get(site.address);
      if (other !== undefined) {
        throw new WbdiffError(
          `variants "${other}" and "${loaded.variant.name}" both change the word at ${hex(site.address)} (${site.location})`,
          { where: loaded.path },
        );
      }
      touched.set(site.address, loaded.variant.name);
      view.setUint32(fileOffsetOf(image, site.address)!, site.newWord >>> 0, true);
      all.push({ variant: loaded.variant.name, site });
    }
    bytes = Uint8Array.from(bytes);
  }
  return { bytes, sites: all };
}

export async function applyVariants(inputPath: string, variants: readonly LoadedVariant[], outputPath: string): Promise<PatchManifest> {
  const input = await readElfBytes(inputPath);
  const { bytes, sites } = patchBytes(input, inputPath, variants);
  const manifest: PatchManifest = {
    version: PATCH_MANIFEST_VERSION,
    input: { path: inputPath, sha256: sha256(input) },
    variants: variants.map((v) => ({ path: v.path, name: v.variant.name, sha256: v.hash })),
    output: { path: outputPath, sha256: sha256(bytes) },
    sites: sites.map(({ variant, site }) => ({
      variant,
      edit: site.edit,
      op: site.op,
      address: hex(site.address),
      location: site.location,
      old: { word: wordHex(site.oldWord), asm: site.old.asm, symbolic: site.old.symbolic },
      new: { word: wordHex(site.newWord), asm: site.new.asm, symbolic: site.new.symbolic },
    })),
  };
  await writeFileAtomic(outputPath, bytes, 0o755);
  await writeJsonAtomic(manifestPathFor(outputPath), manifest);
  return manifest;
}

/** planPatch, with its errors turned into user errors that name the variant file and a fix. */
export function planPatchExplained(image: ElfImage, variant: Variant, where: string): PatchSite[] {
  try {
    return planPatch(image, variant);
  } catch (error) {
    if (error instanceof PatchError) throw new WbdiffError(error.message, { where, hint: hintFor(error.kind) });
    throw error;
  }
}

export function manifestPathFor(elfPath: string): string {
  return `${elfPath}.patch.json`;
}

function hintFor(kind: PatchError['kind']): string {
  switch (kind) {
    case 'stale':
      return 'the binary changed since the variant was written: re-check the addresses (wbdiff patch prints each site) or drop "expect" if you are sure';
    case 'range':
      return 'the target is too far for this branch form; branch to a trampoline nearer the site';
    case 'symbol':
      return 'check the symbol with aarch64-linux-gnu-nm; Go assembly functions end in .abi0 (optional when unambiguous)';
    case 'segment':
      return 'edits may only change code: point the edit at an address inside .text';
    case 'alignment':
      return 'AArch64 instructions are 4-byte aligned';
    case 'overlap':
      return 'merge the two edits, or drop one';
    case 'no-match':
      return 'the instruction the edit looks for is not there: is this the right binary and function?';
    default:
      return 'see kernels/README.md for the variant format';
  }
}
