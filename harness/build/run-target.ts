// The one resolver from what a user names to what runs: a bundled kernel ("gowb@go1.23") or a
// kernel file (ELF, raw image, arm64 Image), variant names or files, machine options and the
// command line's overrides become a subject, the bytes to run (patched when variants are given,
// with their patch manifest), the RunSpec every runner takes and the settings of an emulator trace
// (diagnosis, parity). Every command goes through here (run, check, bisect, diagnose, parity,
// patch), and the matrix's prepare step shares its parts (variant names, kernel bytes, trace settings).
import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { WbdiffError } from '../errors.js';
import { KERNELS_DIR } from '../paths.js';
import type { PatchManifest } from '../patch/apply.js';
import { patchedBytes } from '../patch/patched-build.js';
import { loadVariant, type LoadedVariant } from '../patch/variant.js';
import { runSpecFor, type RunOverrides, type RunSpec } from '../runners/types.js';
import { didYouMean } from '../util/suggest.js';
import type { Kernel } from './manifest.js';
import { resolveSubjects, type Subject } from './subjects.js';

export interface RunRequest {
  /** What the user named: a bundled kernel ("hello", "gowb", "gowb@go1.19") or a kernel file's path. */
  kernel: string;
  /** Bundled variant names ("seed-barrier") or variant file paths, applied together. */
  variants?: readonly string[] | undefined;
  /** The folder relative variant paths are read from (the working directory, or a config's folder). */
  baseDir?: string | undefined;
  /** The command line's machine flags, result formats and symbols (cli/machine-flags.ts). */
  overrides?: RunOverrides | undefined;
  /** --timeout: over the manifest's timeoutMs. */
  timeoutMs?: number | undefined;
  /** With no variants: read the patch manifest beside the file (diagnose, parity); `path` names another. */
  patchManifest?: { path?: string | undefined; required: boolean } | undefined;
  /** Rebuild even when the build cache has the kernel. */
  force?: boolean | undefined;
  /** "bisect needs one": refuse a name that means several builds, with this command's name. */
  single?: string | undefined;
}

export interface RunTarget {
  /** The kernel as named, unpatched. */
  subject: Subject;
  variants: LoadedVariant[];
  /** The variants' names joined with "+", or null. */
  variant: string | null;
  /** The subject with the bytes to run: the patched ELF when variants were given. */
  patched: Subject;
  /** The patch manifest of those bytes (what was edited where), when there is one. */
  patch: PatchManifest | null;
  /** The RunSpec of these bytes on one CPU model, with the request's timeout. */
  runSpec(cpu: string): RunSpec;
  /** The same for the unpatched bytes (a variant's run is judged against them). */
  baseRunSpec(cpu: string): RunSpec;
  /** What an emulator trace (diagnosis, parity) of these bytes takes from the kernel and the request. */
  trace: TraceSettings;
}

/** Every subject a name means (a bundled kernel without "@toolchain" may mean several builds), resolved. */
export async function resolveRunTargets(request: RunRequest): Promise<RunTarget[]> {
  const subjects = await resolveSubjects(request.kernel, {
    ...(request.force ? { force: true } : {}),
    ...(request.overrides ? { overrides: request.overrides } : {}),
  });
  if (request.single && subjects.length !== 1)
    throw new WbdiffError(
      `"${request.kernel}" names ${subjects.length} builds (${subjects.map((s) => s.id).join(', ')}); ${request.single} needs one`,
      {
        hint: `e.g. ${subjects[0]?.id}`,
      },
    );
  const targets: RunTarget[] = [];
  for (const subject of subjects) {
    const variants = await resolveVariants(request.variants ?? [], subject, request.baseDir ?? process.cwd());
    // The patch manifest beside an unpatched file is read only when asked for (diagnose, parity).
    const bytes =
      variants.length || request.patchManifest
        ? await patchedBytes(subject, variants, request.patchManifest ?? { required: false })
        : { ...subject, manifest: null };
    const patched: Subject = { ...subject, elfPath: bytes.elfPath, elfHash: bytes.elfHash };
    targets.push({
      subject,
      variants,
      variant: variants.length ? variants.map((v) => v.variant.name).join('+') : null,
      patched,
      patch: bytes.manifest,
      runSpec: (cpu) => runSpecFor(patched.elfPath, cpu, patched, request.timeoutMs),
      baseRunSpec: (cpu) => runSpecFor(subject.elfPath, cpu, subject, request.timeoutMs),
      trace: traceSettingsFor(subject, request.timeoutMs),
    });
  }
  return targets;
}

/** The one subject a name means; several builds are refused with the command's name. */
export async function resolveRunTarget(request: RunRequest & { single: string }): Promise<RunTarget> {
  return (await resolveRunTargets(request))[0]!;
}

/** The toolchain folder a kernel's bundled variants live under ("go1.19"), or null. */
export function variantToolchain(subject: Pick<Subject, 'build'>): string | null {
  return subject.build?.toolchain.id.startsWith('go') ? subject.build.toolchain.id : null;
}

/** Variant names or files for one subject, loaded (bundled names are this build's own files). */
export async function resolveVariants(
  specs: readonly string[],
  subject: Pick<Subject, 'kernel' | 'build'>,
  baseDir: string,
): Promise<LoadedVariant[]> {
  const kernelName = subject.kernel?.name ?? null;
  const toolchain = variantToolchain(subject);
  return Promise.all(specs.map((spec) => loadVariant(resolveVariantPath(spec, kernelName, toolchain, baseDir))));
}

/**
 * A variant spec: a path (has "/" or ends in .json, relative to `baseDir`), or a bundled name
 * looked up in kernels/<kernel>/variants/<toolchain>/<name>.json, then kernels/<kernel>/variants/<name>.json.
 */
export function resolveVariantPath(spec: string, kernelName: string | null, toolchainId: string | null, baseDir: string): string {
  if (spec.includes('/') || spec.endsWith('.json')) {
    const path = isAbsolute(spec) ? spec : resolve(baseDir, spec);
    if (!existsSync(path)) throw new WbdiffError(`variant file ${spec} does not exist`, { where: path });
    return path;
  }
  const candidates = kernelName
    ? [
        ...(toolchainId ? [join(KERNELS_DIR, kernelName, 'variants', toolchainId, `${spec}.json`)] : []),
        join(KERNELS_DIR, kernelName, 'variants', `${spec}.json`),
      ]
    : [];
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    const bundled = kernelName ? bundledVariants(kernelName, toolchainId) : [];
    throw new WbdiffError(`no variant named "${spec}" for ${kernelName ?? 'this ELF'}${toolchainId ? ` (${toolchainId})` : ''}`, {
      hint: candidates.length
        ? `looked in ${candidates.join(', ')}${bundled.length ? `${didYouMean(spec, bundled)}; its variants: ${bundled.join(', ')}` : ''}`
        : 'give the variant file path for an ELF that is not a bundled kernel',
    });
  }
  return found;
}

/** Bundled variant names of a kernel for one toolchain (kernels/<k>/variants/<tc>/ and variants/). */
export function bundledVariants(kernelName: string, toolchainId: string | null): string[] {
  const folders = [
    ...(toolchainId ? [join(KERNELS_DIR, kernelName, 'variants', toolchainId)] : []),
    join(KERNELS_DIR, kernelName, 'variants'),
  ];
  const names = folders.flatMap((folder) =>
    existsSync(folder)
      ? readdirSync(folder)
          .filter((n) => n.endsWith('.json'))
          .map((n) => n.replace(/\.json$/, ''))
      : [],
  );
  return [...new Set(names)].sort();
}

/** What an emulator trace of a kernel (diagnosis, register parity) takes from its manifest and the command line. */
export interface TraceSettings {
  timeoutMs?: number;
  memoryMiB?: number;
  maxSerialBytes?: number;
  /** The manifest's "convention" object and where it is, for the diagnosis. */
  manifestConvention?: unknown;
  manifestPath?: string;
  /** Markers the kernel is expected to print (its manifest's "expect"), to name one never printed. */
  expectedMarkers?: string[];
}

/** The one place trace settings are made, for a command's subject and a matrix subject alike. */
export function traceSettingsFor(
  subject: {
    kernel: Kernel | null;
    timeoutMs: number | undefined;
    memoryMiB: number | undefined;
    maxSerialBytes: number | undefined;
  },
  timeoutOverride?: number,
): TraceSettings {
  const timeoutMs = timeoutOverride ?? subject.timeoutMs;
  const manifest = subject.kernel?.manifest;
  return {
    ...(timeoutMs ? { timeoutMs } : {}),
    ...(subject.memoryMiB ? { memoryMiB: subject.memoryMiB } : {}),
    ...(subject.maxSerialBytes ? { maxSerialBytes: subject.maxSerialBytes } : {}),
    ...(manifest?.convention && subject.kernel
      ? { manifestConvention: manifest.convention, manifestPath: subject.kernel.manifestPath }
      : {}),
    ...(manifest?.expect.markers ? { expectedMarkers: Object.keys(manifest.expect.markers) } : {}),
  };
}
