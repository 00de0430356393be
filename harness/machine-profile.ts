// The machine profile (qemu/virt.json): CPU models both runners know, and QEMU virt's memory map,
// used to say *why* runners differ ("0xd0 is QEMU's flash, which the emulator does not map").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineMap } from './compare/memory-map.js';
import { REPO_ROOT } from './paths.js';

export interface MachineProfile extends MachineMap {
  cpus: Record<string, { unicorn: string; midr: string | null }>;
}

let cached: MachineProfile | null = null;

/** QEMU -cpu name -> the emulator's (Unicorn's) model of it, as qemu/virt.json lists them: the one CPU map. */
export function emulatorCpuModels(): Readonly<Record<string, string>> {
  return Object.fromEntries(Object.entries(machineProfile().cpus).map(([qemu, cpu]) => [qemu, cpu.unicorn]));
}

export function machineProfile(memoryMiB = 128): MachineProfile {
  if (!cached) {
    const raw = JSON.parse(readFileSync(join(REPO_ROOT, 'qemu', 'virt.json'), 'utf8')) as {
      cpus: MachineProfile['cpus'];
      memoryMap: { name: string; base: string; size: string }[];
      emulatorMaps: string[];
    };
    cached = {
      cpus: raw.cpus,
      emulatorMaps: raw.emulatorMaps,
      memoryMap: raw.memoryMap.map((r) => {
        const base = BigInt(r.base);
        const size = r.size === 'ram' ? BigInt(memoryMiB) << 20n : BigInt(r.size);
        return { name: r.name, base, end: base + size };
      }),
    };
  }
  return cached;
}
