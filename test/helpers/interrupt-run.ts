// A minimal single-CPU run loop over the interrupt models on the real Unicorn engine: the
// reference for how the emulator's run loop uses VirtInterrupts (it is not that run loop, which
// lives in harness/emu/virt-machine.ts and harness/runners/emu.ts). It runs kernels that keep
// IRQs masked, so no exception has to be taken to the guest's vectors.
//   - fixed instruction quanta, cut short at the next timer deadline (quantumLimit);
//   - executed instructions = min(quantum, instructions of the blocks entered): WFI ends its
//     translation block, so a WFI stop is counted exactly; a count stop retires the quantum;
//   - WFI: sleep until wfiWakes, warping the clock (all CPUs idle); no armed timer = never.
import { readElf } from '../../harness/elf/read-elf.js';
import { attachInterrupts } from '../../harness/emu/interrupts/engine-hooks.js';
import { VirtInterrupts } from '../../harness/emu/interrupts/virt-interrupts.js';
import { EXCP, UC_PROT, Unicorn } from '../../harness/emu/unicorn.js';

const WFI = 0xd503_207f;
const HVC_0 = 0xd400_0002;
const PSCI_SYSTEM_OFF = 0x8400_0008n;

export interface InterruptRun {
  serial: string;
  ending: 'poweroff' | 'wfi-forever' | 'fault' | 'instruction-limit';
  detail: string;
  instructions: bigint;
  wfiSleeps: number;
  quanta: number;
}

export async function runWithInterrupts(elfPath: string, gicVersion: 2 | 3, options: { quantum?: number; maxInstructions?: bigint; icountShift?: number } = {}): Promise<InterruptRun> {
  const image = await readElf(elfPath);
  const quantum = options.quantum ?? 10_000;
  const maxInstructions = options.maxInstructions ?? 50_000_000n;
  const model = new VirtInterrupts({ gicVersion, cpus: 1, ...(options.icountShift !== undefined ? { icountShift: options.icountShift } : {}) });
  const uc = Unicorn.open({ model: 'A57' });
  let serial = '';
  let ending: InterruptRun['ending'] | null = null;
  let detail = '';
  let blockInstructions = 0;
  let wfiSleeps = 0;
  let quanta = 0;
  try {
    uc.memMap(0x4000_0000n, 128 << 20, UC_PROT.ALL);
    for (const segment of image.segments) {
      if (segment.type === 'load' && segment.filesz > 0n) uc.memWrite(segment.paddr, segment.data.subarray(0, Number(segment.filesz)));
    }
    uc.mmioMap(0x0900_0000n, 0x1000, (offset) => (offset === 0x18n ? 0x90n : 0n), (offset, _size, value) => {
      if (offset === 0n) serial += String.fromCharCode(Number(value & 0xffn));
    });
    let blockStart = 0n;
    let beforeBlock = 0;
    attachInterrupts(uc, 0, model, { executedInQuantum: () => beforeBlock + Number(uc.regRead('pc') - blockStart) / 4 });
    uc.hookBlock((address, size) => {
      blockStart = address;
      beforeBlock = blockInstructions;
      blockInstructions += size / 4;
    }, 1n, 0n);
    uc.hookIntr((intno) => {
      const pc = uc.regRead('pc');
      const word = new DataView(uc.memRead(pc, 4).buffer).getUint32(0, true);
      if (intno === EXCP.UDEF && word === HVC_0 && (uc.regRead('x0') & 0xffff_ffffn) === PSCI_SYSTEM_OFF) {
        ending = 'poweroff';
      } else {
        ending = 'fault';
        detail = `exception ${intno} at 0x${pc.toString(16)}`;
      }
      uc.emuStop();
    });
    let pc = image.entry;
    while (ending === null) {
      if (model.clock.executed >= maxInstructions) {
        ending = 'instruction-limit';
        break;
      }
      const limit = model.quantumLimit();
      const count = Math.max(1, limit !== null && limit < BigInt(quantum) ? Number(limit) : quantum);
      blockInstructions = 0;
      const err = uc.emuStart(pc, -1n, 0, count);
      quanta++;
      model.retire(0, Math.min(count, blockInstructions));
      pc = uc.regRead('pc');
      if (err !== 0) {
        ending = 'fault';
        detail = `uc_err ${err} at 0x${pc.toString(16)}`;
      }
      if (ending !== null) break;
      const previous = new DataView(uc.memRead(pc - 4n, 4).buffer).getUint32(0, true);
      if (previous === WFI && blockInstructions < count + 1) {
        wfiSleeps++;
        while (!model.wfiWakes(0)) {
          if (!model.warpToNextEvent()) {
            ending = 'wfi-forever';
            detail = `WFI at 0x${(pc - 4n).toString(16)} with no interrupt that could ever wake it`;
            break;
          }
        }
      }
    }
    return { serial, ending: ending ?? 'fault', detail, instructions: model.clock.executed, wfiSleeps, quanta };
  } finally {
    uc.close();
  }
}
