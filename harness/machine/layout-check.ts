// The layout check against virt's map as qemu/virt.json describes it (read from disk, so kept out
// of the pure layout.ts).
import type { ElfImage } from '../elf/elf.js';
import { machineProfile } from '../machine-profile.js';
import { writableOutsideRam, type LayoutWarning } from './layout.js';

/** writableOutsideRam against virt's map (qemu/virt.json). */
export function layoutWarnings(image: ElfImage, memoryMiB = 128): LayoutWarning[] {
  const map = machineProfile(memoryMiB).memoryMap;
  const ram = map.find((r) => r.name === 'RAM')!;
  return writableOutsideRam(image, { name: 'RAM', base: ram.base, end: ram.end }, map);
}
