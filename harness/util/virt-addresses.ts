// The two addresses of QEMU 7.2 virt (hw/arm/virt.c base_memmap) that modules on every side of
// the folder graph need as constants: where RAM starts and where the flash ends. qemu/virt.json
// holds the whole map; test/unit/machine-profile.test.ts keeps the two equal.

/** VIRT_MEM: RAM starts here (its size is the machine's -m). */
export const VIRT_RAM_BASE = 0x4000_0000n;
/** VIRT_FLASH: two 64 MiB pflash banks from 0. */
export const VIRT_FLASH_END = 0x0800_0000n;
