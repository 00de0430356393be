// A minimal run loop over the interrupt models on the real Unicorn engine, one engine per CPU: the
// reference for how the emulator's run loop uses VirtInterrupts (it is not that run loop, which
// lives in harness/emu/virt-machine.ts and harness/runners/emu.ts). It runs kernels that keep
// IRQs masked, so no exception has to be taken to the guest's vectors.
//   - fixed instruction quanta, cut short at the next timer deadline (quantumLimit);
//   - executed instructions from QuantumCounter (harness/emu/interrupts/engine-hooks.ts);
//   - WFI: sleep until wfiWakes, warping the clock (all CPUs idle); no armed timer = never;
//   - several CPUs: one engine each over one shared RAM buffer (uc_mem_map_ptr), run
//     round-robin in CPU order, one quantum each; PSCI CPU_ON starts a powered-off CPU.
import { readElf } from '../../harness/elf/read-elf.js';
import { attachInterrupts, QuantumCounter } from '../../harness/emu/interrupts/engine-hooks.js';
import { VirtInterrupts } from '../../harness/emu/interrupts/virt-interrupts.js';
import { EXCP, UC_PROT, Unicorn } from '../../harness/emu/unicorn.js';

const WFI = 0xd503_207f;
const HVC_0 = 0xd400_0002;
const PSCI_SYSTEM_OFF = 0x8400_0008n;
const PSCI_CPU_ON = 0xc400_0003n;
const RAM_BASE = 0x4000_0000n;

export interface InterruptRun {
  serial: string;
  ending: 'poweroff' | 'wfi-forever' | 'fault' | 'instruction-limit';
  detail: string;
  instructions: bigint;
  wfiSleeps: number;
  quanta: number;
}

interface Cpu {
  index: number;
  uc: Unicorn;
  pc: bigint;
  state: 'running' | 'wfi' | 'off';
  counter: QuantumCounter;
}

const word = (uc: Unicorn, address: bigint) => new DataView(uc.memRead(address, 4).buffer).getUint32(0, true);

export async function runWithInterrupts(
  elfPath: string,
  gicVersion: 2 | 3,
  options: { quantum?: number; maxInstructions?: bigint; icountShift?: number; cpus?: number } = {},
): Promise<InterruptRun> {
  const image = await readElf(elfPath);
  const quantum = options.quantum ?? 10_000;
  const maxInstructions = options.maxInstructions ?? 50_000_000n;
  const cpuCount = options.cpus ?? 1;
  const model = new VirtInterrupts({
    gicVersion,
    cpus: cpuCount,
    ...(options.icountShift !== undefined ? { icountShift: options.icountShift } : {}),
  });
  const ram = new Uint8Array(128 << 20);
  for (const segment of image.segments) {
    if (segment.type === 'load' && segment.filesz > 0n)
      ram.set(segment.data.subarray(0, Number(segment.filesz)), Number(segment.paddr - RAM_BASE));
  }
  let serial = '';
  let ending: InterruptRun['ending'] | null = null;
  let detail = '';
  let wfiSleeps = 0;
  let quanta = 0;
  const cpus: Cpu[] = [];

  const psci = (cpu: Cpu, hvcAt: bigint) => {
    const { uc } = cpu;
    const fn = uc.regRead('x0') & 0xffff_ffffn;
    if (fn === PSCI_SYSTEM_OFF) {
      ending = 'poweroff';
      uc.emuStop();
      return;
    }
    let result = -1n; // NOT_SUPPORTED
    if (fn === PSCI_CPU_ON) {
      const target = cpus[Number(uc.regRead('x1') & 0xffn)];
      if (!target)
        result = -2n; // INVALID_PARAMETERS
      else if (target.state !== 'off')
        result = -4n; // ALREADY_ON
      else {
        target.pc = uc.regRead('x2');
        target.uc.regWrite('x0', uc.regRead('x3'));
        target.state = 'running';
        result = 0n;
      }
    }
    uc.regWrite('x0', result);
    uc.regWrite('pc', hvcAt + 4n);
  };

  try {
    for (let index = 0; index < cpuCount; index++) {
      const uc = Unicorn.open({ model: 'A57' });
      const counter = new QuantumCounter(uc);
      const cpu: Cpu = { index, uc, pc: image.entry, state: index === 0 ? 'running' : 'off', counter };
      cpus.push(cpu);
      uc.memMapPtr(RAM_BASE, ram, UC_PROT.ALL);
      uc.mmioMap(
        0x0900_0000n,
        0x1000,
        (offset) => (offset === 0x18n ? 0x90n : 0n),
        (offset, _size, value) => {
          if (offset === 0n) serial += String.fromCharCode(Number(value & 0xffn));
        },
      );
      attachInterrupts(uc, index, model, { executedInQuantum: counter.inQuantum });
      uc.hookIntr((intno) => {
        const pc = uc.regRead('pc');
        if (intno === EXCP.UDEF && word(uc, pc) === HVC_0) return psci(cpu, pc);
        ending = 'fault';
        detail = `CPU ${index}: exception ${intno} at 0x${pc.toString(16)}`;
        uc.emuStop();
      });
    }
    while (ending === null) {
      if (model.clock.executed >= maxInstructions) {
        ending = 'instruction-limit';
        break;
      }
      let ran = false;
      for (const cpu of cpus) {
        if (ending !== null) break;
        if (cpu.state === 'wfi' && model.wfiWakes(cpu.index)) cpu.state = 'running';
        if (cpu.state !== 'running') continue;
        ran = true;
        const limit = model.quantumLimit();
        const count = Math.max(1, limit !== null && limit < BigInt(quantum) ? Number(limit) : quantum);
        cpu.counter.begin();
        const err = cpu.uc.emuStart(cpu.pc, -1n, 0, count);
        quanta++;
        model.retire(cpu.index, cpu.counter.executed(count));
        cpu.pc = cpu.uc.regRead('pc');
        if (err !== 0 && ending === null) {
          ending = 'fault';
          detail = `CPU ${cpu.index}: uc_err ${err} at 0x${cpu.pc.toString(16)}`;
        }
        if (ending === null && word(cpu.uc, cpu.pc - 4n) === WFI) {
          wfiSleeps++;
          cpu.state = 'wfi';
        }
      }
      if (ending !== null || ran) continue;
      // Every CPU sleeps or is off: move time to the next timer deadline, if there is one.
      if (!cpus.some((cpu) => cpu.state === 'wfi' && model.wfiWakes(cpu.index)) && !model.warpToNextEvent()) {
        ending = 'wfi-forever';
        const asleep = cpus.filter((cpu) => cpu.state === 'wfi').map((cpu) => `CPU ${cpu.index} at 0x${(cpu.pc - 4n).toString(16)}`);
        detail = `WFI (${asleep.join(', ')}) with no interrupt that could ever wake it`;
      }
    }
    return { serial, ending: ending ?? 'fault', detail, instructions: model.clock.executed, wfiSleeps, quanta };
  } finally {
    for (const cpu of cpus) cpu.uc.close();
  }
}
