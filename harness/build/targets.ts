// The builds of a kernel: one for gcc, one per Go version its manifest lists. Pure.
import type { BuildTarget, Kernel } from './manifest.js';

export function buildTargets(kernel: Kernel): BuildTarget[] {
  if (kernel.manifest.toolchain === 'gcc') return [{ id: kernel.name, kernel, toolchain: { kind: 'gcc' } }];
  return (kernel.manifest.go?.versions ?? []).map((version) => ({
    id: `${kernel.name}@go${version}`,
    kernel,
    toolchain: { kind: 'go', version },
  }));
}

/** The names in `#include "name"` lines (the C preprocessor's quoted form; <...> is the toolchain's). */
export function quotedIncludes(text: string): string[] {
  return [...text.matchAll(/^[ \t]*#[ \t]*include[ \t]+"([^"\n]+)"/gm)].map((m) => m[1]!);
}
