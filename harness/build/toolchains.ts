// Finds the compilers, and says which Debian package to install when one is missing.
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { MissingDependencyError } from '../errors.js';
import type { Toolchain } from './manifest.js';

export interface ResolvedToolchain {
  /** "gcc" or "go1.19" */
  id: string;
  command: string;
  /** The tool's own version line: part of the build cache key. */
  version: string;
}

const resolved = new Map<string, Promise<ResolvedToolchain>>();

export function resolveToolchain(toolchain: Toolchain): Promise<ResolvedToolchain> {
  const key = toolchain.kind === 'gcc' ? 'gcc' : `go${toolchain.version}`;
  let found = resolved.get(key);
  if (!found) {
    found = toolchain.kind === 'gcc' ? findGcc() : findGo(toolchain.version);
    resolved.set(key, found);
    found.catch(() => resolved.delete(key));
  }
  return found;
}

async function findGcc(): Promise<ResolvedToolchain> {
  const command = process.env['WBDIFF_CC'] ?? 'aarch64-linux-gnu-gcc';
  const version = await versionOf(command, ['--version']);
  if (version === null) {
    throw new MissingDependencyError(`${command} not found`, 'gcc-aarch64-linux-gnu', { alternative: 'set WBDIFF_CC to an AArch64 gcc' });
  }
  return { id: 'gcc', command, version: version.split('\n')[0]! };
}

async function findGo(want: string): Promise<ResolvedToolchain> {
  const envName = `WBDIFF_GO_${want.replace('.', '_')}`;
  const candidates = [process.env[envName], `/usr/lib/go-${want}/bin/go`, 'go'].filter((c): c is string => !!c);
  const seen: string[] = [];
  for (const command of candidates) {
    if (command.startsWith('/') && !existsSync(command)) continue;
    const version = await versionOf(command, ['version'], { GOTOOLCHAIN: 'local' });
    if (version === null) continue;
    seen.push(`${command}: ${version.trim()}`);
    const m = /go(\d+\.\d+)(?:\.\d+)?/.exec(version);
    if (m && m[1] === want) return { id: `go${want}`, command, version: version.trim() };
  }
  const pkg =
    want === '1.19' ? 'golang-go (Go 1.19 in Debian bookworm)' : `golang-${want}-go${want === '1.23' ? ' (from bookworm-backports)' : ''}`;
  throw new MissingDependencyError(`Go ${want} not found${seen.length ? ` (found: ${seen.join('; ')})` : ''}`, pkg, {
    alternative: `set ${envName} to its go binary`,
  });
}

async function versionOf(command: string, args: string[], env: Record<string, string> = {}): Promise<string | null> {
  try {
    const result = await execa(command, args, { env, reject: false, timeout: 20_000 });
    if (result.failed && (result as { code?: string }).code === 'ENOENT') return null;
    return result.exitCode === 0 ? result.stdout : null;
  } catch {
    return null;
  }
}
