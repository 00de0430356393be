// Makes the bytes each subject runs: every build once, every patched ELF once, shared by cells.
// A failure here is an infrastructure error of that subject (and its cells), never a kernel outcome.
import { build } from '../build/builder.js';
import { resolveVariantPath } from '../build/run-target.js';
import { bytesOfBuild, bytesOfFile } from '../build/subjects.js';
import { WbdiffError } from '../errors.js';
import type { PatchManifest } from '../patch/apply.js';
import { patchedElf } from '../patch/patched-build.js';
import { loadVariant } from '../patch/variant.js';
import type { MatrixConfig } from './config.js';
import type { PlannedSubject } from './plan.js';

export type PreparedSubject =
  | {
      ok: true;
      elfPath: string;
      elfHash: string;
      sourceHash: string | null;
      toolchain: string | null;
      variantHashes: string[];
      patch: PatchManifest | null;
      symbolsElf?: string;
    }
  | { ok: false; error: string };

export async function prepareSubjects(
  subjects: readonly PlannedSubject[],
  config: MatrixConfig,
  log: (line: string) => void,
): Promise<Map<string, PreparedSubject>> {
  const out = new Map<string, PreparedSubject>();
  // Unpatched subjects first: each variant builds on its base.
  const ordered = [...subjects].sort((a, b) => Number(a.variant !== null) - Number(b.variant !== null));
  for (const subject of ordered) {
    try {
      out.set(subject.key, await prepareOne(subject, out, config));
    } catch (error) {
      const message = error instanceof WbdiffError ? `${error.where ? `${error.where}: ` : ''}${error.message}` : (error as Error).message;
      out.set(subject.key, { ok: false, error: message });
      log(`${subject.key}: cannot prepare: ${message.split('\n')[0]}`);
    }
  }
  return out;
}

async function prepareOne(subject: PlannedSubject, done: Map<string, PreparedSubject>, config: MatrixConfig): Promise<PreparedSubject> {
  if (subject.variant === null) {
    const common = { variantHashes: [], patch: null };
    if (subject.build) {
      const result = await build(subject.build);
      const bytes = bytesOfBuild(result, subject.imageFormat);
      return {
        ok: true,
        elfPath: bytes.path,
        elfHash: bytes.hash,
        sourceHash: result.sourceHash,
        toolchain: result.toolchain.version,
        ...common,
        ...(bytes.symbolsElf ? { symbolsElf: bytes.symbolsElf } : {}),
      };
    }
    const file = await bytesOfFile(subject.elfPath!, subject.imageFormat);
    return { ok: true, elfPath: file.path, elfHash: file.hash, sourceHash: null, toolchain: null, ...common };
  }
  if (subject.imageFormat && subject.imageFormat !== 'elf')
    throw new WbdiffError(`variants patch ELF files; ${subject.target} boots as a ${subject.imageFormat} image`, {
      hint: 'patch the ELF and run it, or leave the variants out of this entry',
    });
  const base = done.get(subject.baseKey);
  if (!base?.ok) throw new WbdiffError(`the unpatched build failed${base && !base.ok ? `: ${base.error.split('\n')[0]}` : ''}`);
  const variant = await loadVariant(resolveVariantPath(subject.variantSpec!, subject.kernelName, subject.toolchainId, config.baseDir));
  const patched = await patchedElf(base.elfPath, base.elfHash, [variant]);
  return { ...base, elfPath: patched.elfPath, elfHash: patched.elfHash, variantHashes: [variant.hash], patch: patched.manifest };
}
