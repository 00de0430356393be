// `node dist/bench/interrupt-hooks.js`: what the interrupt models cost on Unicorn, printed, never
// asserted. A loop of 200k iterations is run (a) plain, (b) with the MRS/MSR hooks attached (the
// loop's MRS CNTVCT_EL0 then goes to JS), (c) with the hooks and a QuantumCounter (a block hook
// counting instructions, giving exact in-quantum time), as a deterministic run loop uses them. Figures are medians of 5 runs.
import { attachInterrupts, QuantumCounter } from '../harness/emu/interrupts/engine-hooks.js';
import { VirtInterrupts } from '../harness/emu/interrupts/virt-interrupts.js';
import { UC_PROT, Unicorn } from '../harness/emu/unicorn.js';

const BASE = 0x4008_0000n;
const ITERATIONS = 200_000;
// loop: mrs x1, cntvct_el0; add x2, x2, x1; subs x0, x0, #1; b.ne loop; (then) b .
const words = [
  0xd2800000 | ((ITERATIONS & 0xffff) << 5),
  0xf2a00000 | ((ITERATIONS >>> 16) << 5),
  0xd53be041,
  0x8b010042,
  0xf1000400,
  0x54ffffa1,
  0x14000000,
];
const code = new Uint8Array(new Uint32Array(words).buffer);
const END = BASE + BigInt(4 * (words.length - 1));

function run(mode: 'plain' | 'hooks' | 'hooks+count'): number {
  const uc = Unicorn.open({ model: 'A57' });
  try {
    uc.memMap(0x4000_0000n, 2 << 20, UC_PROT.ALL);
    uc.memWrite(BASE, code);
    const counter = mode === 'hooks+count' ? new QuantumCounter(uc) : null;
    if (mode !== 'plain')
      attachInterrupts(uc, 0, new VirtInterrupts({ gicVersion: 3, cpus: 1 }), {
        mapMmio: false,
        ...(counter ? { executedInQuantum: counter.inQuantum } : {}),
      });
    const started = process.hrtime.bigint();
    uc.emuStart(BASE, END, 0, 0);
    return Number(process.hrtime.bigint() - started) / 1e6;
  } finally {
    uc.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** A loop with no MRS (add, add, subs, b.ne): what a QuantumCounter's block hook alone costs. */
function runPlainLoop(counted: boolean): number {
  const loop = [
    0xd2800000 | ((ITERATIONS & 0xffff) << 5),
    0xf2a00000 | ((ITERATIONS >>> 16) << 5),
    0x91000442,
    0x91000463,
    0xf1000400,
    0x54ffffa1,
    0x14000000,
  ];
  const uc = Unicorn.open({ model: 'A57' });
  try {
    uc.memMap(0x4000_0000n, 2 << 20, UC_PROT.ALL);
    uc.memWrite(BASE, new Uint8Array(new Uint32Array(loop).buffer));
    if (counted) new QuantumCounter(uc);
    const started = process.hrtime.bigint();
    uc.emuStart(BASE, END, 0, 0);
    return Number(process.hrtime.bigint() - started) / 1e6;
  } finally {
    uc.close();
  }
}
const instructions = ITERATIONS * 4;
console.log(`interrupt hooks on Unicorn: ${ITERATIONS} iterations of a 4-instruction loop with one MRS CNTVCT_EL0`);
const plain = median(Array.from({ length: 5 }, () => run('plain')));
for (const mode of ['plain', 'hooks', 'hooks+count'] as const) {
  const ms = mode === 'plain' ? plain : median(Array.from({ length: 5 }, () => run(mode)));
  const extra = mode === 'plain' ? '' : `  +${(((ms - plain) * 1e6) / ITERATIONS).toFixed(0)} ns per iteration`;
  console.log(
    `  ${mode.padEnd(12)} ${ms.toFixed(1).padStart(8)} ms  ${(instructions / ms / 1e3).toFixed(1).padStart(6)} M instructions/s${extra}`,
  );
}
const bare = median(Array.from({ length: 5 }, () => runPlainLoop(false)));
const counted = median(Array.from({ length: 5 }, () => runPlainLoop(true)));
console.log(
  `same loop without the MRS: ${bare.toFixed(1)} ms plain, ${counted.toFixed(1)} ms with a QuantumCounter (+${(((counted - bare) * 1e6) / ITERATIONS).toFixed(0)} ns per 4-instruction block)`,
);
