// Runs a kernel with exactly a given subset of a variant's sites applied. Each subset's ELF is
// written once to the cache (keyed by input hash + the subset), and every run is counted.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileOffsetOf, type ElfImage } from '../elf/elf.js';
import type { PatchSite } from '../patch/plan.js';
import { CACHE_DIR } from '../paths.js';
import { createRunner } from '../runners/index.js';
import type { RunResult, RunSpec } from '../runners/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { sha256 } from '../util/hash.js';
import { hex } from '../util/hex.js';

export function siteKey(site: PatchSite): string {
  return `${hex(site.address)}=${site.newWord.toString(16)}`;
}

export class SiteRunner {
  /** Runs made, per runner name. */
  readonly runs = new Map<string, number>();
  private readonly inputHash: string;

  constructor(
    private readonly image: ElfImage,
    private readonly spec: Omit<RunSpec, 'elfPath'>,
  ) {
    this.inputHash = sha256(image.bytes);
  }

  async elfFor(sites: readonly PatchSite[]): Promise<string> {
    const key = sha256(JSON.stringify([this.inputHash, sites.map(siteKey).sort()])).slice(0, 24);
    const path = join(CACHE_DIR, 'bisect', `${key}.elf`);
    if (!existsSync(path)) {
      const bytes = Uint8Array.from(this.image.bytes);
      const view = new DataView(bytes.buffer);
      for (const site of sites) view.setUint32(fileOffsetOf(this.image, site.address)!, site.newWord >>> 0, true);
      await writeFileAtomic(path, bytes);
    }
    return path;
  }

  async run(sites: readonly PatchSite[], runner: string): Promise<RunResult> {
    const elfPath = await this.elfFor(sites);
    this.runs.set(runner, (this.runs.get(runner) ?? 0) + 1);
    return createRunner(runner).run({ ...this.spec, elfPath });
  }

  get total(): number {
    return [...this.runs.values()].reduce((a, b) => a + b, 0);
  }
}
