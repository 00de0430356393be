// QEMU virt's memory map as data, and the lookup the classifier uses to explain divergences
// ("0xd0 is QEMU's flash, which the emulator does not map"). Pure: the data comes from
// qemu/virt.json through harness/machine-profile.ts.

export interface MemoryRegion {
  name: string;
  base: bigint;
  /** End, exclusive. */
  end: bigint;
}

export interface MachineMap {
  memoryMap: MemoryRegion[];
  /** Regions the emulator models; the rest of the map is unmapped there. */
  emulatorMaps: string[];
}

export function qemuRegionAt(address: bigint, map: MachineMap): MemoryRegion | null {
  return map.memoryMap.find((r) => address >= r.base && address < r.end) ?? null;
}
