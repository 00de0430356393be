// The machine a kernel runs on, as one object for QEMU, the emulator and (where it applies) boards.
// The contract between the command line / manifests / configs (which fill it) and the runners
// (which honour it or refuse it as an infrastructure error naming the option; none ignores one).
// `cpu` and `memoryMiB` stay on RunSpec itself, where every runner already reads them.

/** QEMU `-kernel` boot formats: ELF, a raw image (`.bin`, `.flat`) or an arm64 Linux `Image`. */
export type ImageFormat = 'elf' | 'raw' | 'linux-image';

export interface MachineOptions {
  /** CPUs (QEMU -smp N); 1 when absent. */
  smp?: number;
  /** `-machine virt,K=V` options, e.g. { "gic-version": "3", "mte": "on" }. */
  machine?: Record<string, string>;
  /** The kernel command line (QEMU -append; /chosen/bootargs in the DTB). */
  append?: string;
  /** An initrd file (QEMU -initrd; /chosen/linux,initrd-start/end in the DTB). */
  initrd?: string;
  /** QEMU -device specs, e.g. "pci-testdev". */
  devices?: string[];
  /** QEMU -chardev specs. */
  chardevs?: string[];
  /** Arm semihosting (QEMU -semihosting-config enable=on,target=native). */
  semihosting?: boolean;
  /** Last-resort extra QEMU arguments; other runners refuse a spec that has any. */
  qemuArgs?: string[];
  /**
   * Guest time from executed instructions, not the host clock: QEMU runs with `-icount
   * shift=3,sleep=off` (DETERMINISTIC_ICOUNT), the emulator's clock (emu/interrupts/instruction-clock.ts)
   * always does. Runners that cannot (boards, replayed logs) refuse it.
   */
  deterministic?: boolean;
  /**
   * Entries of `devices` and `chardevs` that a runner which does not model them leaves out instead
   * of refusing the run, and why that is faithful (kvm-unit-tests' arm/run: chr-testdev only carries
   * the exit status the kernel also prints as `EXIT: STATUS=`). QEMU gets them all.
   */
  optionalDevices?: OptionalDevices;
}

export interface OptionalDevices {
  entries: string[];
  why: string;
}

/**
 * QEMU's `-icount` of a deterministic run (QEMU 7.2 `-icount [shift=N|auto][,align=on|off][,sleep=on|off]`):
 * shift=3 is 8 ns per instruction, the emulator's DEFAULT_ICOUNT_SHIFT; sleep=off jumps the clock to the
 * next timer deadline when every vCPU is idle instead of letting host time pass (softmmu/icount.c
 * icount_start_warp_timer), so WFI waits take no host time and do not depend on it. align=on (sleep the
 * host to keep guest time behind host time) is refused with sleep=off and would make a run's speed,
 * not its results, depend on the host.
 */
export const DETERMINISTIC_ICOUNT = { shift: 3, sleep: 'off' } as const;

/**
 * The PL031 RTC of a deterministic run: QEMU `-rtc base=2000-01-01T00:00:00,clock=vm` (the date
 * counts QEMU_CLOCK_VIRTUAL seconds from that base, hw/rtc/pl031.c), the emulator the same from its
 * instruction clock; by default both read the host's date. `epochMs` is the base in Unix ms.
 */
export const DETERMINISTIC_RTC = { base: '2000-01-01T00:00:00', clock: 'vm', epochMs: 946_684_800_000 } as const;

/** The option names of MachineOptions, as people write them (for "cannot honour" errors). */
export type MachineOptionName = keyof MachineOptions;

/**
 * Layers of machine options, later ones winning: manifest, then config defaults, then the config
 * entry, then the command line. Scalars are replaced, `machine` is merged key by key, and lists
 * (devices, chardevs, qemuArgs) are appended without repeats.
 */
export function mergeMachine(...layers: readonly (MachineOptions | null | undefined)[]): MachineOptions {
  const out: MachineOptions = {};
  for (const layer of layers) {
    if (!layer) continue;
    if (layer.smp !== undefined) out.smp = layer.smp;
    if (layer.append !== undefined) out.append = layer.append;
    if (layer.initrd !== undefined) out.initrd = layer.initrd;
    if (layer.semihosting !== undefined) out.semihosting = layer.semihosting;
    if (layer.deterministic !== undefined) out.deterministic = layer.deterministic;
    if (layer.machine) out.machine = { ...(out.machine ?? {}), ...layer.machine };
    if (layer.optionalDevices) out.optionalDevices = layer.optionalDevices;
    for (const list of ['devices', 'chardevs', 'qemuArgs'] as const) {
      const more = layer[list];
      if (more?.length) out[list] = [...new Set([...(out[list] ?? []), ...more])];
    }
  }
  return out;
}

/** The options that are set (non-default), in a fixed order: what a runner has to honour. */
export function setOptions(options: MachineOptions | undefined): MachineOptionName[] {
  if (!options) return [];
  const set: MachineOptionName[] = [];
  if (options.smp !== undefined && options.smp !== 1) set.push('smp');
  if (options.machine && Object.keys(options.machine).length) set.push('machine');
  if (options.append !== undefined && options.append !== '') set.push('append');
  if (options.initrd !== undefined) set.push('initrd');
  if (options.devices?.length) set.push('devices');
  if (options.chardevs?.length) set.push('chardevs');
  if (options.semihosting) set.push('semihosting');
  if (options.qemuArgs?.length) set.push('qemuArgs');
  if (options.deterministic) set.push('deterministic');
  return set;
}

/** The options set that a runner does not support, for its "cannot honour" error. */
export function unsupportedOptions(options: MachineOptions | undefined, supported: ReadonlySet<MachineOptionName>): MachineOptionName[] {
  return setOptions(options).filter((name) => !supported.has(name));
}

/** The command-line flag of each option, so errors name what the user typed. */
export const OPTION_FLAG: Readonly<Record<MachineOptionName, string>> = {
  smp: '--smp',
  machine: '--machine-opt',
  append: '--append',
  initrd: '--initrd',
  devices: '--device',
  chardevs: '--chardev',
  semihosting: '--semihosting',
  qemuArgs: '--qemu-arg',
  deterministic: '--deterministic',
  // Set by suite expansion (harness/suite), never on the command line.
  optionalDevices: '(optional devices)',
};

/** A short, stable label of the options set ("smp=2,gic-version=3"): cell names and provenance. */
export function machineLabel(options: MachineOptions | undefined): string {
  if (!options) return '';
  const parts: string[] = [];
  if (options.smp !== undefined && options.smp !== 1) parts.push(`smp=${options.smp}`);
  for (const [k, v] of Object.entries(options.machine ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) parts.push(`${k}=${v}`);
  if (options.append) parts.push(`append=${JSON.stringify(options.append)}`);
  if (options.initrd) parts.push(`initrd=${options.initrd.split('/').pop()}`);
  for (const d of options.devices ?? []) parts.push(`device=${d}`);
  for (const c of options.chardevs ?? []) parts.push(`chardev=${c}`);
  if (options.semihosting) parts.push('semihosting');
  for (const a of options.qemuArgs ?? []) parts.push(`qemu-arg=${a}`);
  if (options.deterministic) parts.push('deterministic');
  return parts.join(',');
}

/** A canonical form (sorted keys, no empty fields): what provenance records and identity compares. */
export function canonicalMachine(options: MachineOptions | undefined): MachineOptions {
  const o = options ?? {};
  const out: MachineOptions = {};
  if (o.smp !== undefined && o.smp !== 1) out.smp = o.smp;
  if (o.machine && Object.keys(o.machine).length)
    out.machine = Object.fromEntries(Object.entries(o.machine).sort(([a], [b]) => (a < b ? -1 : 1)));
  if (o.append) out.append = o.append;
  if (o.initrd) out.initrd = o.initrd;
  if (o.devices?.length) out.devices = [...o.devices];
  if (o.chardevs?.length) out.chardevs = [...o.chardevs];
  if (o.semihosting) out.semihosting = true;
  if (o.qemuArgs?.length) out.qemuArgs = [...o.qemuArgs];
  if (o.deterministic) out.deterministic = true;
  if (o.optionalDevices?.entries.length) out.optionalDevices = { entries: [...o.optionalDevices.entries], why: o.optionalDevices.why };
  return out;
}

/**
 * The machine a runner that models none of the optional devices boots: `optionalDevices` entries
 * taken out of `devices` and `chardevs` (pure). `left` lists what was left out, for the run's details.
 */
export function withoutOptionalDevices(options: MachineOptions | undefined): {
  machine: MachineOptions | undefined;
  left: OptionalDevices | null;
} {
  const optional = options?.optionalDevices;
  if (!options || !optional?.entries.length) return { machine: options, left: null };
  const { optionalDevices: _, ...rest } = options;
  const drop = new Set(optional.entries);
  const left = [...(options.devices ?? []), ...(options.chardevs ?? [])].filter((e) => drop.has(e));
  const machine: MachineOptions = { ...rest };
  const devices = (options.devices ?? []).filter((d) => !drop.has(d));
  const chardevs = (options.chardevs ?? []).filter((c) => !drop.has(c));
  if (devices.length) machine.devices = devices;
  else delete machine.devices;
  if (chardevs.length) machine.chardevs = chardevs;
  else delete machine.chardevs;
  return { machine, left: left.length ? { entries: left, why: optional.why } : null };
}

/** `K=V` from --machine-opt, or null when it is not of that form. */
export function parseMachineOpt(text: string): [string, string] | null {
  const m = /^([A-Za-z0-9_.-]+)=(.*)$/.exec(text);
  return m ? [m[1]!, m[2]!] : null;
}

/** JSON Schema of a machine description (manifests and matrix configs share it). */
export const machineOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    smp: { type: 'integer', minimum: 1, maximum: 64, description: 'CPUs (QEMU -smp)' },
    machine: {
      type: 'object',
      additionalProperties: { type: 'string' },
      propertyNames: { pattern: '^[A-Za-z0-9_.-]+$' },
      description: '-machine virt,K=V options, e.g. {"gic-version": "3"}',
    },
    append: { type: 'string', description: 'kernel command line (QEMU -append, /chosen/bootargs)' },
    initrd: { type: 'string', minLength: 1, description: 'initrd file (QEMU -initrd), relative to the file that names it' },
    devices: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'QEMU -device specs' },
    chardevs: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'QEMU -chardev specs' },
    semihosting: { type: 'boolean', description: 'Arm semihosting (SYS_EXIT ends the run with its status)' },
    qemuArgs: { type: 'array', items: { type: 'string' }, description: 'last-resort extra QEMU arguments (other runners refuse them)' },
    deterministic: {
      type: 'boolean',
      description: 'guest time from executed instructions: QEMU -icount shift=3,sleep=off; the emulator always counts instructions',
    },
    optionalDevices: {
      type: 'object',
      additionalProperties: false,
      required: ['entries', 'why'],
      properties: { entries: { type: 'array', items: { type: 'string', minLength: 1 } }, why: { type: 'string', minLength: 1 } },
      description: 'entries of devices/chardevs a runner that does not model them may leave out, and why that is faithful',
    },
  },
} as const;
