// What QEMU does with a position-independent ELF (ET_DYN) given to -kernel, in words: it loads the
// segments at their link addresses as they are and jumps to e_entry; nothing relocates them.
// kvm-unit-tests' arm/*.elf are such files (linked at 0, relocating themselves): on virt they land
// in the flash, whose stores are dropped, and die at their first instructions.
import { hex } from '../util/hex.js';
import { VIRT_FLASH_END, VIRT_RAM_BASE } from '../util/virt-addresses.js';

export function explainEtDyn(lowestAddress: bigint, entry: bigint): { what: string; hint: string } {
  const where =
    lowestAddress < VIRT_FLASH_END
      ? `inside the virt flash (0-128 MiB), where the kernel cannot write its own relocations or data`
      : lowestAddress < VIRT_RAM_BASE
        ? 'below RAM (0x40000000), in device space'
        : 'in RAM, unrelocated';
  return {
    what:
      `a position-independent ELF (ET_DYN) linked at ${hex(lowestAddress)}: QEMU's -kernel would load its segments ` +
      `at that address as they are (${where}) and jump to e_entry ${hex(entry)}; nothing relocates it`,
    hint:
      'run the raw image made from it instead (kvm-unit-tests: arm/<test>.flat; objcopy -O binary otherwise): QEMU loads a ' +
      'raw image at 0x40080000 and enters it with x0 = the DTB address; add --symbols <this .elf> to symbolise it. ' +
      'Or link the kernel ET_EXEC at its RAM address (e.g. -Ttext=0x40080000, no -pie)',
  };
}
