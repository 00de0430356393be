// Engines kept between runs (one pool per worker thread): building a Unicorn engine for virt
// costs ~1 ms (uc_open, the engine's lazy init inside the first map, MMIO trampolines) and
// closing it ~0.35 ms, more than a small kernel's whole run. A released engine is reset
// (Unicorn.resetForReuse: hooks deleted, CPU state restored, memory zeroed with madvise, the
// previous image's translated code dropped) only when the reset can be proven to give what a new
// engine gives; otherwise it is closed and the next run gets a new one.
import { SYSREG } from './sysregs.js';
import type { VirtMachine } from './virt-machine.js';
import { Unicorn, type Arm64CpuModel, type CodeRange, type HookHandle } from './unicorn.js';

export interface EngineKey {
  model: Arm64CpuModel;
  memoryMiB: number;
  gicVersion: 2 | 3;
}

/** Engines idle per key, at most. */
const IDLE_PER_KEY = 2;
/**
 * A reused engine is retired after this many runs, to bound whatever a reset does not return:
 * above all the translation buffer, where removed code's space comes back only with a full flush,
 * so every run's translations add to it (gowb: +0.1-0.2 MiB a run; 400 runs on one engine
 * 85 -> 130 MiB RSS, retired every 100: 116). A new engine costs ~1.3 ms, 13 us a run here.
 */
const MAX_REUSES = 100;

export class EnginePool {
  private readonly idle = new Map<string, Unicorn[]>();
  /** Runs that got a reset engine, and releases that closed it instead (why, by reason). */
  readonly stats = { reused: 0, fresh: 0, refused: {} as Record<string, number> };

  acquire(key: EngineKey): Unicorn {
    const engine = this.idle.get(keyOf(key))?.pop();
    if (engine) {
      this.stats.reused++;
      return engine;
    }
    this.stats.fresh++;
    return Unicorn.open({ model: key.model, reusable: true });
  }

  /**
   * Back to the pool after a run, or closed: `refusal` says why it cannot be proven resettable
   * (null: it can). `codeRanges`: where the run's code is (its executable segments, a raw image and its boot stub), whose translated code must go.
   */
  release(engine: Unicorn, key: EngineKey, refusal: string | null, codeRanges: readonly CodeRange[]): void {
    const list = this.idle.get(keyOf(key)) ?? [];
    if (refusal === null && engine.reuses >= MAX_REUSES) refusal = 'retired';
    if (refusal === null && list.length >= IDLE_PER_KEY) refusal = 'pool full';
    if (refusal !== null || engine.isClosed) {
      this.stats.refused[refusal ?? 'closed'] = (this.stats.refused[refusal ?? 'closed'] ?? 0) + 1;
      if (!engine.isClosed) engine.close();
      return;
    }
    try {
      engine.resetForReuse(codeRanges);
    } catch {
      this.stats.refused['reset failed'] = (this.stats.refused['reset failed'] ?? 0) + 1;
      engine.close();
      return;
    }
    list.push(engine);
    this.idle.set(keyOf(key), list);
  }

  close(): void {
    for (const list of this.idle.values()) for (const engine of list) engine.close();
    this.idle.clear();
  }
}

function keyOf(key: EngineKey): string {
  return `${key.model}/${key.memoryMiB}/${key.gicVersion}`;
}

/**
 * Watches for code run outside the image's code (a kernel that copies or writes code and runs
 * it, or runs from a data segment): translated code there would outlive a reset. Block hooks over the gaps between the code
 * ranges only, so a kernel that stays inside them pays nothing.
 */
export function watchCodeOutside(machine: VirtMachine, code: readonly CodeRange[]): { outside: boolean; hooks: HookHandle[] } {
  const state = { outside: false, hooks: [] as HookHandle[] };
  const pages = code
    .map((r) => ({ start: r.start & ~0xfffn, end: (r.end + 0xfffn) & ~0xfffn }))
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  let from = 0n;
  const gaps: CodeRange[] = [];
  for (const r of pages) {
    if (r.start > from) gaps.push({ start: from, end: r.start - 1n });
    if (r.end > from) from = r.end;
  }
  gaps.push({ start: from, end: (1n << 64n) - 1n });
  for (const gap of gaps) {
    state.hooks.push(
      machine.uc.hookBlock(
        () => {
          state.outside = true;
        },
        gap.start,
        gap.end,
      ),
    );
  }
  return state;
}

/** Why this machine's engine cannot be proven resettable after its run, or null. */
export function resetRefusal(machine: VirtMachine, codeOutside: boolean): string | null {
  if (codeOutside) return "code outside the image's code";
  if (machine.aliases.pages.length > 0) return 'virtual alias pages';
  try {
    if (machine.uc.sysRegRead(SYSREG.SCTLR_EL1) & 1n) return 'MMU enabled';
  } catch {
    return 'SCTLR_EL1 unreadable';
  }
  return null;
}
