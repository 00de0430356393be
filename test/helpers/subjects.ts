// Builds bundled kernels once per test worker (the build cache makes later workers cheap).
import { resolveSubjects, type Subject } from '../../harness/build/subjects.js';
import { patchedElf, type PatchedElf } from '../../harness/patch/patched-build.js';
import { loadVariant } from '../../harness/patch/variant.js';
import { KERNELS_DIR } from '../../harness/paths.js';
import { join } from 'node:path';

const built = new Map<string, Promise<Subject>>();

export function subject(id: string): Promise<Subject> {
  let found = built.get(id);
  if (!found) {
    found = resolveSubjects(id).then((list) => {
      if (list.length !== 1) throw new Error(`${id} names ${list.length} builds`);
      return list[0]!;
    });
    built.set(id, found);
  }
  return found;
}

/** A bundled gowb variant applied to the matching toolchain's build. */
export async function gowbVariant(go: '1.19' | '1.23', name: string): Promise<{ subject: Subject; patched: PatchedElf }> {
  const base = await subject(`gowb@go${go}`);
  const variant = await loadVariant(join(KERNELS_DIR, 'gowb', 'variants', `go${go}`, `${name}.json`));
  const patched = await patchedElf(base.elfPath, base.elfHash, [variant]);
  return { subject: { ...base, elfPath: patched.elfPath, elfHash: patched.elfHash }, patched };
}
