// A small typed binding of the Unicorn 2 C API (AArch64 only), loaded at run time with koffi.
// Enum values are copied from include/unicorn/{unicorn,arm64}.h at tag 2.0.1 (Debian's
// libunicorn2 2.0.1.post1); they are ABI, so they must not be renumbered.
import koffi from 'koffi';
import { MissingDependencyError } from '../errors.js';
import { formatSysReg, sysregKey } from './interrupts/sysreg.js';

// ---------------------------------------------------------------- constants (unicorn.h 2.0.1)

export const UC_ARCH_ARM64 = 2;
export const UC_MODE_ARM = 0; // little-endian AArch64

export const UC_ERR = {
  OK: 0,
  NOMEM: 1,
  ARCH: 2,
  HANDLE: 3,
  MODE: 4,
  VERSION: 5,
  READ_UNMAPPED: 6,
  WRITE_UNMAPPED: 7,
  FETCH_UNMAPPED: 8,
  HOOK: 9,
  INSN_INVALID: 10,
  MAP: 11,
  WRITE_PROT: 12,
  READ_PROT: 13,
  FETCH_PROT: 14,
  ARG: 15,
  READ_UNALIGNED: 16,
  WRITE_UNALIGNED: 17,
  FETCH_UNALIGNED: 18,
  HOOK_EXIST: 19,
  RESOURCE: 20,
  EXCEPTION: 21,
} as const;

export const UC_MEM = {
  READ: 16,
  WRITE: 17,
  FETCH: 18,
  READ_UNMAPPED: 19,
  WRITE_UNMAPPED: 20,
  FETCH_UNMAPPED: 21,
  WRITE_PROT: 22,
  READ_PROT: 23,
  FETCH_PROT: 24,
  READ_AFTER: 25,
} as const;

export const UC_HOOK = {
  INTR: 1 << 0,
  INSN: 1 << 1,
  CODE: 1 << 2,
  BLOCK: 1 << 3,
  MEM_READ_UNMAPPED: 1 << 4,
  MEM_WRITE_UNMAPPED: 1 << 5,
  MEM_FETCH_UNMAPPED: 1 << 6,
  MEM_READ_PROT: 1 << 7,
  MEM_WRITE_PROT: 1 << 8,
  MEM_FETCH_PROT: 1 << 9,
  MEM_READ: 1 << 10,
  MEM_WRITE: 1 << 11,
  MEM_FETCH: 1 << 12,
  MEM_READ_AFTER: 1 << 13,
  INSN_INVALID: 1 << 14,
} as const;
export const UC_HOOK_MEM_UNMAPPED = UC_HOOK.MEM_READ_UNMAPPED | UC_HOOK.MEM_WRITE_UNMAPPED | UC_HOOK.MEM_FETCH_UNMAPPED;
export const UC_HOOK_MEM_PROT = UC_HOOK.MEM_READ_PROT | UC_HOOK.MEM_WRITE_PROT | UC_HOOK.MEM_FETCH_PROT;
export const UC_HOOK_MEM_INVALID = UC_HOOK_MEM_UNMAPPED | UC_HOOK_MEM_PROT;

export const UC_PROT = { NONE: 0, READ: 1, WRITE: 2, EXEC: 4, ALL: 7 } as const;

export const UC_QUERY = { MODE: 1, PAGE_SIZE: 2, ARCH: 3, TIMEOUT: 4 } as const;

/** uc_control_type values and the UC_CTL(type, nr, rw) encoding. */
const UC_CTL_CPU_MODEL = 7;
const UC_CTL_TB_REMOVE_CACHE = 9;
const UC_CTL_IO_WRITE = 1;
const UC_CTL_IO_READ = 2;
const ucCtl = (type: number, nr: number, rw: number): number => type | (nr << 26) | (rw << 30) | 0;

/** enum uc_cpu_arm64 (arm64.h 2.0.1). */
export const UC_CPU_ARM64 = { A57: 0, A53: 1, A72: 2, MAX: 3 } as const;
export type Arm64CpuModel = keyof typeof UC_CPU_ARM64;

/** The CPU exception numbers (QEMU target/arm/cpu.h EXCP_*) Unicorn passes to UC_HOOK_INTR. */
export const EXCP = {
  UDEF: 1,
  SWI: 2,
  PREFETCH_ABORT: 3,
  DATA_ABORT: 4,
  IRQ: 5,
  FIQ: 6,
  BKPT: 7,
  EXCEPTION_EXIT: 8,
  KERNEL_TRAP: 9,
  HVC: 11,
  HYP_TRAP: 12,
  SMC: 13,
  VIRQ: 14,
  VFIQ: 15,
  SEMIHOST: 16,
} as const;

export function excpName(intno: number): string {
  for (const [name, value] of Object.entries(EXCP)) if (value === intno) return `EXCP_${name}`;
  return `exception #${intno}`;
}

// ---------------------------------------------------------------- registers (arm64.h 2.0.1)

const REG_X0 = 199; // UC_ARM64_REG_X0; X0..X28 are consecutive, X29/X30 are 1/2.
const REG_W0 = 168; // UC_ARM64_REG_W0..W30 consecutive

function buildRegTable() {
  const table: Record<string, number> = {
    x29: 1,
    x30: 2,
    fp: 1,
    lr: 2,
    nzcv: 3,
    sp: 4,
    pc: 260,
    cpacr_el1: 261,
    tpidr_el0: 262,
    tpidrro_el0: 263,
    tpidr_el1: 264,
    pstate: 265,
    elr_el0: 266,
    elr_el1: 267,
    elr_el2: 268,
    elr_el3: 269,
    sp_el0: 270,
    sp_el1: 271,
    sp_el2: 272,
    sp_el3: 273,
    ttbr0_el1: 274,
    ttbr1_el1: 275,
    esr_el0: 276,
    esr_el1: 277,
    esr_el2: 278,
    esr_el3: 279,
    far_el0: 280,
    far_el1: 281,
    far_el2: 282,
    far_el3: 283,
    par_el1: 284,
    mair_el1: 285,
    vbar_el0: 286,
    vbar_el1: 287,
    vbar_el2: 288,
    vbar_el3: 289,
    fpcr: 291,
    fpsr: 292,
  };
  for (let i = 0; i <= 28; i++) table[`x${i}`] = REG_X0 + i;
  for (let i = 0; i <= 30; i++) table[`w${i}`] = REG_W0 + i;
  return table;
}

type Digit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9';
type RegIndex = Digit | `1${Digit}` | `2${Digit}` | '30';
type XReg = `x${RegIndex}`;
type WReg = `w${RegIndex}`;
type ElN = '0' | '1' | '2' | '3';
export type Arm64Reg =
  | XReg
  | WReg
  | 'fp'
  | 'lr'
  | 'sp'
  | 'pc'
  | 'nzcv'
  | 'pstate'
  | 'cpacr_el1'
  | 'tpidr_el0'
  | 'tpidrro_el0'
  | 'tpidr_el1'
  | `elr_el${ElN}`
  | `sp_el${ElN}`
  | `esr_el${ElN}`
  | `far_el${ElN}`
  | `vbar_el${ElN}`
  | 'ttbr0_el1'
  | 'ttbr1_el1'
  | 'par_el1'
  | 'mair_el1'
  | 'fpcr'
  | 'fpsr';

/** Register name -> UC_ARM64_REG_* id. */
export const ARM64_REG: Readonly<Record<Arm64Reg, number>> = buildRegTable() as Record<Arm64Reg, number>;
const UC_ARM64_REG_CP_REG = 290;

/** Registers Unicorn reads/writes as 32 bits (it stores only 4 bytes; the rest of our buffer stays 0). */
const REG_32BIT = new Set<number>([3, 261, 265, 291, 292, ...Array.from({ length: 31 }, (_, i) => REG_W0 + i)]);

/** A system register by its MRS/MSR encoding (S<op0>_<op1>_C<crn>_C<crm>_<op2>). */
export interface SysRegEncoding {
  op0: number;
  op1: number;
  crn: number;
  crm: number;
  op2: number;
}

/** enum uc_arm64_insn (arm64.h 2.0.1): the instructions UC_HOOK_INSN can hook. */
export const UC_ARM64_INS = { MRS: 1, MSR: 2, SYS: 3, SYSL: 4 } as const;
export type SysInsnKind = keyof typeof UC_ARM64_INS;
const UC_ARM64_REG_XZR = 7;

/** One hooked MRS/MSR/SYS/SYSL: the register's encoding, Xt's id and (for writes) its value. */
export interface SysRegAccess extends SysRegEncoding {
  /** Xt's value (MSR/SYS); for MRS, Xt's old value. XZR reads as 0. */
  value: bigint;
  /** Xt as a UC_ARM64_REG_* id (UC_ARM64_REG_XZR = 7 for xzr). */
  rt: number;
}

// ---------------------------------------------------------------- the native library

const DEFAULT_LIBRARY = '/usr/lib/x86_64-linux-gnu/libunicorn.so.2';

interface Native {
  path: string;
  uc_version: (major: null, minor: null) => number;
  uc_strerror: (code: number) => string;
  uc_open: (arch: number, mode: number, out: unknown[]) => number;
  uc_close: (uc: unknown) => number;
  uc_ctl_int: (uc: unknown, ctl: number, type: string, value: number) => number;
  uc_ctl_ptr: (uc: unknown, ctl: number, type: string, value: Int32Array) => number;
  uc_ctl_u64x2: (uc: unknown, ctl: number, type1: string, value1: bigint, type2: string, value2: bigint) => number;
  uc_query: (uc: unknown, type: number, out: BigUint64Array) => number;
  uc_mem_map: (uc: unknown, addr: bigint, size: number, perms: number) => number;
  uc_mem_unmap: (uc: unknown, addr: bigint, size: number) => number;
  uc_mem_map_ptr: (uc: unknown, addr: bigint, size: number, perms: number, ptr: Uint8Array) => number;
  uc_mem_protect: (uc: unknown, addr: bigint, size: number, perms: number) => number;
  uc_mem_write: (uc: unknown, addr: bigint, bytes: Uint8Array, size: number) => number;
  uc_mem_read: (uc: unknown, addr: bigint, bytes: Uint8Array, size: number) => number;
  uc_reg_write: (uc: unknown, regid: number, value: Uint8Array) => number;
  uc_reg_read: (uc: unknown, regid: number, value: Uint8Array) => number;
  uc_emu_start: (uc: unknown, begin: bigint, until: bigint, timeout: bigint, count: number) => number;
  uc_emu_stop: (uc: unknown) => number;
  uc_hook_add: (uc: unknown, hh: BigUint64Array, type: number, cb: unknown, user: null, begin: bigint, end: bigint) => number;
  uc_hook_del: (uc: unknown, hh: bigint) => number;
  uc_mmio_map: (uc: unknown, addr: bigint, size: number, rcb: unknown, ru: null, wcb: unknown, wu: null) => number;
  uc_context_alloc: (uc: unknown, out: unknown[]) => number;
  uc_context_save: (uc: unknown, ctx: unknown) => number;
  uc_context_restore: (uc: unknown, ctx: unknown) => number;
  uc_context_size: (uc: unknown) => number | bigint;
  uc_context_free: (ctx: unknown) => number;
  /** Address of uc_errno, used as a do-nothing native hook callback (see syncPcOnMemoryAccess). */
  noopHookCallback: unknown;
  protos: {
    code: koffi.IKoffiCType;
    intr: koffi.IKoffiCType;
    mem: koffi.IKoffiCType;
    eventmem: koffi.IKoffiCType;
    mmioRead: koffi.IKoffiCType;
    mmioWrite: koffi.IKoffiCType;
    insnSys: koffi.IKoffiCType;
  };
  /** uc_hook_add with the UC_HOOK_INSN extra argument (the instruction id). */
  uc_hook_add_insn: (
    uc: unknown,
    hh: BigUint64Array,
    type: number,
    cb: unknown,
    user: null,
    begin: bigint,
    end: bigint,
    insn: number,
  ) => number;
  cpRegFields: koffi.IKoffiCType;
}

let native: Native | null = null;

/** Loads libunicorn once (WBDIFF_LIBUNICORN overrides the path). */
export function loadUnicorn(): Native {
  if (native) return native;
  // Unicorn 2.1 answers a register its model lacks with OK and a warning on stderr, unless this is
  // set (it reads it at each access); wbdiff relies on the error (UC_ERR_ARG, as 2.0.1 gives) to
  // tell which system registers the model has. 2.0.1 ignores it.
  process.env['UC_IGNORE_REG_BREAK'] ??= '1';
  // WBDIFF_LIBUNICORN names the one library to load; otherwise Debian's path, then the loader's search.
  const candidates = process.env.WBDIFF_LIBUNICORN ? [process.env.WBDIFF_LIBUNICORN] : [DEFAULT_LIBRARY, 'libunicorn.so.2'];
  let lib: koffi.IKoffiLib | null = null;
  const errors: string[] = [];
  let path = '';
  for (const candidate of candidates) {
    try {
      lib = koffi.load(candidate);
      path = candidate;
      break;
    } catch (error) {
      errors.push(`${candidate}: ${(error as Error).message}`);
    }
  }
  if (!lib) {
    throw new MissingDependencyError(`cannot load the Unicorn emulator library (tried ${errors.join('; ')})`, 'libunicorn2', {
      alternative: 'set WBDIFF_LIBUNICORN to the path of libunicorn.so.2',
    });
  }
  // Prototype names are global in koffi; the wbdiff_ prefix avoids clashes with other modules.
  const protos = {
    code: koffi.proto('void wbdiff_uc_cb_hookcode(void *uc, uint64_t address, uint32_t size, void *user)'),
    intr: koffi.proto('void wbdiff_uc_cb_hookintr(void *uc, uint32_t intno, void *user)'),
    mem: koffi.proto('void wbdiff_uc_cb_hookmem(void *uc, int type, uint64_t address, int size, int64_t value, void *user)'),
    eventmem: koffi.proto('bool wbdiff_uc_cb_eventmem(void *uc, int type, uint64_t address, int size, int64_t value, void *user)'),
    mmioRead: koffi.proto('uint64_t wbdiff_uc_cb_mmio_read(void *uc, uint64_t offset, unsigned int size, void *user)'),
    mmioWrite: koffi.proto('void wbdiff_uc_cb_mmio_write(void *uc, uint64_t offset, unsigned int size, uint64_t value, void *user)'),
    insnSys: koffi.proto('uint32_t wbdiff_uc_cb_insn_sys(void *uc, int reg, void *cp_reg, void *user)'),
  };
  native = {
    path,
    uc_version: lib.func('unsigned int uc_version(void *major, void *minor)'),
    uc_strerror: lib.func('const char *uc_strerror(int code)'),
    uc_open: lib.func('int uc_open(int arch, int mode, _Out_ void **uc)'),
    uc_close: lib.func('int uc_close(void *uc)'),
    uc_ctl_int: lib.func('int uc_ctl(void *uc, int control, ...)'),
    uc_ctl_ptr: lib.func('int uc_ctl(void *uc, int control, ...)'),
    uc_ctl_u64x2: lib.func('int uc_ctl(void *uc, int control, ...)'),
    uc_query: lib.func('int uc_query(void *uc, int type, void *result)'),
    uc_mem_map: lib.func('int uc_mem_map(void *uc, uint64_t address, size_t size, uint32_t perms)'),
    uc_mem_unmap: lib.func('int uc_mem_unmap(void *uc, uint64_t address, size_t size)'),
    uc_mem_map_ptr: lib.func('int uc_mem_map_ptr(void *uc, uint64_t address, size_t size, uint32_t perms, void *ptr)'),
    uc_mem_protect: lib.func('int uc_mem_protect(void *uc, uint64_t address, size_t size, uint32_t perms)'),
    uc_mem_write: lib.func('int uc_mem_write(void *uc, uint64_t address, const void *bytes, size_t size)'),
    uc_mem_read: lib.func('int uc_mem_read(void *uc, uint64_t address, void *bytes, size_t size)'),
    uc_reg_write: lib.func('int uc_reg_write(void *uc, int regid, const void *value)'),
    uc_reg_read: lib.func('int uc_reg_read(void *uc, int regid, void *value)'),
    uc_emu_start: lib.func('int uc_emu_start(void *uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count)'),
    uc_emu_stop: lib.func('int uc_emu_stop(void *uc)'),
    // Variadic in C (extra args only for UC_HOOK_INSN); declared variadic so the call is ABI-correct.
    uc_hook_add: (() => {
      const f = lib.func(
        'int uc_hook_add(void *uc, void *hh, int type, void *callback, void *user_data, uint64_t begin, uint64_t end, ...)',
      );
      return (uc: unknown, hh: BigUint64Array, type: number, cb: unknown, user: null, begin: bigint, end: bigint) =>
        f(uc, hh, type, cb, user, begin, end) as number;
    })(),
    uc_hook_add_insn: (() => {
      const f = lib.func(
        'int uc_hook_add(void *uc, void *hh, int type, void *callback, void *user_data, uint64_t begin, uint64_t end, ...)',
      );
      return (uc: unknown, hh: BigUint64Array, type: number, cb: unknown, user: null, begin: bigint, end: bigint, insn: number) =>
        f(uc, hh, type, cb, user, begin, end, 'int', insn) as number;
    })(),
    cpRegFields: koffi.array('uint32_t', 5),
    uc_hook_del: lib.func('int uc_hook_del(void *uc, size_t hh)'),
    uc_context_alloc: lib.func('int uc_context_alloc(void *uc, _Out_ void **context)'),
    uc_context_save: lib.func('int uc_context_save(void *uc, void *context)'),
    uc_context_restore: lib.func('int uc_context_restore(void *uc, void *context)'),
    uc_context_size: lib.func('size_t uc_context_size(void *uc)'),
    uc_context_free: lib.func('int uc_context_free(void *context)'),
    uc_mmio_map: lib.func(
      'int uc_mmio_map(void *uc, uint64_t address, size_t size, void *read_cb, void *user_data_read, void *write_cb, void *user_data_write)',
    ),
    noopHookCallback: lib.symbol('uc_errno', 'uint8_t'),
    protos,
  } as Native;
  return native;
}

// ---------------------------------------------------------------- errors

export class UnicornError extends Error {
  constructor(
    readonly call: string,
    readonly code: number,
    detail = '',
  ) {
    super(`${call} failed: ${strerror(code)} (UC_ERR ${code})${detail ? `; ${detail}` : ''}`);
    this.name = 'UnicornError';
  }
}

export function strerror(code: number): string {
  try {
    return loadUnicorn().uc_strerror(code);
  } catch {
    return `unicorn error ${code}`;
  }
}

/** uc_version's return value is (major << 24) | (minor << 16) | (patch << 8) | extra in 2.x. */
export function version(): { major: number; minor: number; patch: number; combined: number; text: string; library: string } {
  const n = loadUnicorn();
  const combined = n.uc_version(null, null) >>> 0;
  const major = (combined >>> 24) & 0xff;
  const minor = (combined >>> 16) & 0xff;
  const patch = (combined >>> 8) & 0xff;
  return { major, minor, patch, combined, text: `${major}.${minor}.${patch}`, library: n.path };
}

// ---------------------------------------------------------------- the engine

export type MemAccess = 'read' | 'write' | 'fetch';

export interface InvalidMemEvent {
  /** UC_MEM_* value. */
  type: number;
  access: MemAccess;
  /** unmapped | protected */
  why: 'unmapped' | 'protected';
  address: bigint;
  size: number;
  value: bigint;
}

export interface MemEvent {
  type: number;
  access: MemAccess;
  address: bigint;
  size: number;
  value: bigint;
}

/** Guest addresses [start, end) holding code. */
export interface CodeRange {
  start: bigint;
  end: bigint;
}

export interface HookHandle {
  readonly id: bigint;
  readonly kind: string;
}

export function describeMemType(type: number): { access: MemAccess; why: 'unmapped' | 'protected' | 'ok' } {
  switch (type) {
    case UC_MEM.READ:
    case UC_MEM.READ_AFTER:
      return { access: 'read', why: 'ok' };
    case UC_MEM.WRITE:
      return { access: 'write', why: 'ok' };
    case UC_MEM.FETCH:
      return { access: 'fetch', why: 'ok' };
    case UC_MEM.READ_UNMAPPED:
      return { access: 'read', why: 'unmapped' };
    case UC_MEM.WRITE_UNMAPPED:
      return { access: 'write', why: 'unmapped' };
    case UC_MEM.FETCH_UNMAPPED:
      return { access: 'fetch', why: 'unmapped' };
    case UC_MEM.READ_PROT:
      return { access: 'read', why: 'protected' };
    case UC_MEM.WRITE_PROT:
      return { access: 'write', why: 'protected' };
    case UC_MEM.FETCH_PROT:
      return { access: 'fetch', why: 'protected' };
    default:
      return { access: 'read', why: 'ok' };
  }
}

const ALL_ADDRESSES: [bigint, bigint] = [1n, 0n]; // begin > end means "everywhere" in Unicorn
const U64_MASK = (1n << 64n) - 1n;
const u64 = (v: number | bigint): bigint => BigInt(v) & U64_MASK;

export interface OpenOptions {
  /** CPU model (uc_ctl UC_CTL_CPU_MODEL); must be set before anything else touches the engine. */
  model?: Arm64CpuModel;
  /**
   * An engine an EnginePool may reset and hand out again (engine-pool.ts): its memory is the
   * host's anonymous mmap (so a reset zeroes it with madvise), its MMIO callbacks are trampolines
   * (so a later user of the same region brings its own device), and every hook is tracked.
   */
  reusable?: boolean;
}

/** libc's mmap/munmap/madvise, for the memory of reusable engines. */
interface Libc {
  mmap: (addr: null, length: number, prot: number, flags: number, fd: number, offset: number) => unknown;
  munmap: (addr: unknown, length: number) => number;
  /** At a host address given as a number: a part of a mapping. */
  madvise: (addr: bigint, length: number, advice: number) => number;
  getrusage: (who: number, usage: Uint8Array) => number;
}
let libc: Libc | null = null;
function loadLibc(): Libc {
  if (libc) return libc;
  const lib = koffi.load('libc.so.6');
  libc = {
    mmap: lib.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, long offset)'),
    munmap: lib.func('int munmap(void *addr, size_t length)'),
    madvise: lib.func('int madvise(uintptr_t addr, size_t length, int advice)'),
    getrusage: lib.func('int getrusage(int who, void *usage)'),
  };
  return libc;
}

const RUSAGE_THREAD = 1;
const rusage = new Uint8Array(256);
const rusageView = new DataView(rusage.buffer);

/**
 * CPU time (user + system) of the calling thread, in ms: getrusage(RUSAGE_THREAD) (Node 20 has
 * no threadCpuUsage; process.cpuUsage counts every thread, e.g. the main thread and the
 * emulator's worker in a matrix).
 */
export function threadCpuMs(): number {
  if (loadLibc().getrusage(RUSAGE_THREAD, rusage) !== 0) return Number.NaN;
  // struct rusage starts with ru_utime and ru_stime, each struct timeval { long tv_sec; long tv_usec; }.
  const at = (offset: number) =>
    Number(rusageView.getBigInt64(offset, true)) * 1000 + Number(rusageView.getBigInt64(offset + 8, true)) / 1000;
  return at(0) + at(16);
}
const PROT_READ_WRITE = 3;
const MAP_PRIVATE_ANONYMOUS_NORESERVE = 0x02 | 0x20 | 0x4000;
const MADV_DONTNEED = 4;

/** Guest memory of a reusable engine: host pages we own. */
interface OwnedMemory {
  address: bigint;
  size: number;
  host: unknown;
  /** Left mapped by a reset, waiting for the next user to map the same region (or be unmapped). */
  adoptable: boolean;
  /**
   * A reset left the previous run's bytes here: they become zero (madvise) before anything reads
   * or runs, except pages the next image overwrites whole (memWriteWhole), which are not given
   * back to the host only to fault in again.
   */
  stale: boolean;
}

/** An MMIO region of a reusable engine: fixed native callbacks that call whichever device maps it now. */
interface MmioSlot {
  address: bigint;
  size: number;
  read: ((offset: bigint, size: number) => bigint | number) | null;
  write: ((offset: bigint, size: number, value: bigint) => void) | null;
  adoptable: boolean;
}

export class Unicorn {
  private handle: unknown;
  private readonly n: Native;
  private readonly callbacks = new Map<bigint, koffi.IKoffiRegisteredCallback>();
  private readonly mmioCallbacks: koffi.IKoffiRegisteredCallback[] = [];
  /** An exception thrown by a JS callback: native code cannot unwind it, so it is parked and rethrown. */
  private pendingError: unknown = null;
  private closed = false;
  /** uc_context for editCpuState, allocated on first use. */
  private context: unknown = null;
  readonly model: Arm64CpuModel | null;

  private constructor(handle: unknown, n: Native, model: Arm64CpuModel | null, reusable: boolean) {
    this.handle = handle;
    this.n = n;
    this.model = model;
    this.reusable = reusable;
  }

  /** See OpenOptions.reusable. */
  readonly reusable: boolean;
  private readonly owned: OwnedMemory[] = [];
  private readonly mmioSlots: MmioSlot[] = [];
  /** Every hook added (also the native pc-sync one), so a reset can delete them all. */
  private readonly hookIds = new Set<bigint>();
  /** The CPU state a reset goes back to (resetForReuse). */
  private pristine: unknown = null;
  /** How many times resetForReuse handed this engine out again. */
  reuses = 0;

  /** uc_open(UC_ARCH_ARM64, UC_MODE_ARM) and, when asked, the CPU model. */
  static open(options: OpenOptions = {}): Unicorn {
    const n = loadUnicorn();
    const out: unknown[] = [null];
    check('uc_open', n.uc_open(UC_ARCH_ARM64, UC_MODE_ARM, out));
    const uc = new Unicorn(out[0], n, options.model ?? null, options.reusable ?? false);
    if (options.model !== undefined) {
      try {
        uc.setCpuModel(options.model);
      } catch (error) {
        uc.close();
        throw error;
      }
    }
    return uc;
  }

  private get h(): unknown {
    if (this.closed) throw new Error('this Unicorn engine is closed');
    return this.handle;
  }

  /** Only valid right after open: Unicorn initialises the CPU lazily on the first other call. */
  setCpuModel(model: Arm64CpuModel): void {
    const value = UC_CPU_ARM64[model];
    if (value === undefined) {
      throw new Error(`unknown Unicorn AArch64 CPU model "${model}"; known: ${Object.keys(UC_CPU_ARM64).join(', ')}`);
    }
    check(
      'uc_ctl(UC_CTL_CPU_MODEL write)',
      this.n.uc_ctl_int(this.h, ucCtl(UC_CTL_CPU_MODEL, 1, UC_CTL_IO_WRITE), 'int', value),
      `model ${model}=${value}; it must be set before any other call`,
    );
  }

  getCpuModel(): number {
    const out = new Int32Array(1);
    check('uc_ctl(UC_CTL_CPU_MODEL read)', this.n.uc_ctl_ptr(this.h, ucCtl(UC_CTL_CPU_MODEL, 1, UC_CTL_IO_READ), 'int *', out));
    return out[0]!;
  }

  /**
   * Drops the translated code of [begin, end) (uc_ctl UC_CTL_TB_REMOVE_CACHE). Unicorn decides
   * at translation time which code/block hooks a block calls, so a hook added later misses code
   * that already ran until its translation is dropped. Call only while the engine is stopped.
   */
  removeCachedCode(begin: bigint, end: bigint): void {
    const ctl = ucCtl(UC_CTL_TB_REMOVE_CACHE, 2, UC_CTL_IO_WRITE);
    check(
      'uc_ctl(UC_CTL_TB_REMOVE_CACHE)',
      this.n.uc_ctl_u64x2(this.h, ctl, 'uint64_t', u64(begin), 'uint64_t', u64(end)),
      `${hex(begin)}-${hex(end)}`,
    );
  }

  query(type: number): bigint {
    const out = new BigUint64Array(1);
    check('uc_query', this.n.uc_query(this.h, type, out));
    return out[0]!;
  }

  memMap(address: bigint, size: number, perms: number = UC_PROT.ALL): void {
    if (this.reusable) return this.memMapOwned(address, size, perms);
    check(
      'uc_mem_map',
      this.n.uc_mem_map(this.h, address, size, perms),
      `at ${hex(address)} size ${hex(size)} (both must be 4 KiB aligned and not overlap)`,
    );
  }

  /**
   * uc_mem_map_ptr: guest memory backed by `backing` (not copied), so several engines -- one per
   * CPU -- can share one RAM. The engine keeps a reference until it is closed.
   */
  memMapPtr(address: bigint, backing: Uint8Array, perms: number = UC_PROT.ALL): void {
    check(
      'uc_mem_map_ptr',
      this.n.uc_mem_map_ptr(this.h, address, backing.length, perms, backing),
      `at ${hex(address)} size ${hex(backing.length)} (both must be 4 KiB aligned and not overlap)`,
    );
    this.backings.push(backing);
  }

  private readonly backings: Uint8Array[] = [];

  /** A reusable engine's memory: adopted when a reset left the same region mapped (already zero), else fresh host pages. */
  private memMapOwned(address: bigint, size: number, perms: number): void {
    const kept = this.owned.find((m) => m.adoptable && m.address === address && m.size === size);
    if (kept) {
      kept.adoptable = false;
      if (perms !== UC_PROT.ALL) this.memProtect(address, size, perms);
      return;
    }
    const c = loadLibc();
    const host = c.mmap(null, size, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS_NORESERVE, -1, 0);
    if (koffi.address(host as koffi.IKoffiPointerCast) === 0xffff_ffff_ffff_ffffn) {
      throw new UnicornError('uc_mem_map', UC_ERR.NOMEM, `mmap of ${size} bytes for ${hex(address)} failed`);
    }
    const err = this.n.uc_mem_map_ptr(this.h, address, size, perms, host as Uint8Array);
    if (err !== UC_ERR.OK) {
      c.munmap(host, size);
      check('uc_mem_map_ptr', err, `at ${hex(address)} size ${hex(size)} (both must be 4 KiB aligned and not overlap)`);
    }
    this.owned.push({ address, size, host, adoptable: false, stale: false });
  }

  memUnmap(address: bigint, size: number): void {
    check('uc_mem_unmap', this.n.uc_mem_unmap(this.h, address, size), `at ${hex(address)} size ${hex(size)}`);
    const i = this.owned.findIndex((m) => m.address === address && m.size === size);
    if (i >= 0) {
      loadLibc().munmap(this.owned[i]!.host, size);
      this.owned.splice(i, 1);
    }
  }

  memProtect(address: bigint, size: number, perms: number): void {
    check('uc_mem_protect', this.n.uc_mem_protect(this.h, address, size, perms), `at ${hex(address)} size ${hex(size)}`);
  }

  memWrite(address: bigint, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.zeroStaleMemory([]);
    check('uc_mem_write', this.n.uc_mem_write(this.h, address, bytes, bytes.length), `${bytes.length} bytes at ${hex(address)}`);
  }

  /**
   * Writes every chunk, as memWrite each, for a loader that writes all of an image's bytes (its
   * bss as zeros too): on a reused engine the pages these chunks cover whole keep their host
   * pages (overwritten here) instead of being zeroed and faulted in again.
   */
  memWriteWhole(chunks: readonly { address: bigint; bytes: Uint8Array }[]): void {
    this.zeroStaleMemory(chunks.map((c) => ({ start: c.address, end: c.address + BigInt(c.bytes.length) })));
    for (const c of chunks) this.memWrite(c.address, c.bytes);
  }

  /** Zeroes what a reset left (see OwnedMemory.stale), but the whole pages of `overwritten`. */
  private zeroStaleMemory(overwritten: readonly { start: bigint; end: bigint }[]): void {
    if (!this.owned.some((m) => m.stale)) return;
    const c = loadLibc();
    for (const m of this.owned.filter((x) => x.stale)) {
      const regionEnd = m.address + BigInt(m.size);
      const kept = overwritten
        .map((r) => {
          const start = (r.start + 0xfffn) & ~0xfffn;
          const end = r.end & ~0xfffn;
          return { start: start > m.address ? start : m.address, end: end < regionEnd ? end : regionEnd };
        })
        .filter((r) => r.end > r.start)
        .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
      let from = m.address;
      for (const r of [...kept, { start: regionEnd, end: regionEnd }]) {
        if (r.start > from) {
          const offset = Number(from - m.address);
          const length = Number(r.start - from);
          if (c.madvise(koffi.address(m.host as koffi.IKoffiPointerCast) + BigInt(offset), length, MADV_DONTNEED) !== 0)
            throw new Error(`madvise(MADV_DONTNEED) of the memory at ${hex(from)} failed`);
        }
        if (r.end > from) from = r.end;
      }
      m.stale = false;
    }
  }

  memRead(address: bigint, size: number): Uint8Array {
    const out = new Uint8Array(size);
    if (size === 0) return out;
    this.zeroStaleMemory([]);
    check('uc_mem_read', this.n.uc_mem_read(this.h, address, out, size), `${size} bytes at ${hex(address)}`);
    return out;
  }

  /** The little-endian 32-bit word at address, or null when nothing is mapped there. */
  readWord(address: bigint): number | null {
    try {
      const b = this.memRead(address, 4);
      return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
    } catch {
      return null;
    }
  }

  /** Reads a register as an unsigned 64-bit value (32-bit registers zero-extended). */
  regRead(name: Arm64Reg): bigint {
    const id = regId(name);
    const buf = new Uint8Array(16);
    check('uc_reg_read', this.n.uc_reg_read(this.h, id, buf), `register ${name}`);
    const view = new DataView(buf.buffer);
    return REG_32BIT.has(id) ? BigInt(view.getUint32(0, true)) : view.getBigUint64(0, true);
  }

  /** Writes a register; writing pc from inside a hook makes Unicorn resume at the new pc. */
  regWrite(name: Arm64Reg, value: bigint): void {
    const id = regId(name);
    const buf = new Uint8Array(16);
    new DataView(buf.buffer).setBigUint64(0, u64(value), true);
    check('uc_reg_write', this.n.uc_reg_write(this.h, id, buf), `register ${name}`);
  }

  /** Any system register Unicorn's CPU model knows, by encoding (UC_ARM64_REG_CP_REG). */
  sysRegRead(enc: SysRegEncoding): bigint {
    const buf = cpRegBuffer(enc, 0n);
    check(
      'uc_reg_read',
      this.n.uc_reg_read(this.h, UC_ARM64_REG_CP_REG, buf),
      `system register ${formatSysReg(enc)} (not in this CPU model?)`,
    );
    return new DataView(buf.buffer).getBigUint64(24, true);
  }

  sysRegWrite(enc: SysRegEncoding, value: bigint): void {
    const buf = cpRegBuffer(enc, u64(value));
    check(
      'uc_reg_write',
      this.n.uc_reg_write(this.h, UC_ARM64_REG_CP_REG, buf),
      `system register ${formatSysReg(enc)} (not in this CPU model?)`,
    );
  }

  /** UC_HOOK_CODE over [begin, end] (inclusive). Keep ranges small: each instruction costs a JS call. */
  hookCode(cb: (address: bigint, size: number) => void, begin: bigint, end: bigint): HookHandle {
    return this.addHook(
      'code',
      UC_HOOK.CODE,
      this.n.protos.code,
      (_uc: unknown, address: number | bigint, size: number) => cb(BigInt(address), size),
      begin,
      end,
    );
  }

  /** UC_HOOK_BLOCK over [begin, end]. */
  hookBlock(cb: (address: bigint, size: number) => void, begin: bigint, end: bigint): HookHandle {
    return this.addHook(
      'block',
      UC_HOOK.BLOCK,
      this.n.protos.code,
      (_uc: unknown, address: number | bigint, size: number) => cb(BigInt(address), size),
      begin,
      end,
    );
  }

  /** Successful data accesses in [begin, end]: 'read' | 'write' | 'fetch' (any mix). */
  hookMem(kinds: MemAccess[], cb: (event: MemEvent) => void, begin: bigint, end: bigint): HookHandle {
    let type = 0;
    if (kinds.includes('read')) type |= UC_HOOK.MEM_READ;
    if (kinds.includes('write')) type |= UC_HOOK.MEM_WRITE;
    if (kinds.includes('fetch')) type |= UC_HOOK.MEM_FETCH;
    return this.addHook(
      `mem ${kinds.join('/')}`,
      type,
      this.n.protos.mem,
      (_uc: unknown, t: number, address: number | bigint, size: number, value: number | bigint) =>
        cb({ type: t, access: describeMemType(t).access, address: u64(address), size, value: u64(value) }),
      begin,
      end,
    );
  }

  /**
   * Unmapped and protection-violating accesses anywhere. Return true only after mapping the
   * page (Unicorn then retries); false stops emulation with UC_ERR_*_UNMAPPED / *_PROT.
   */
  hookMemInvalid(cb: (event: InvalidMemEvent) => boolean, type: number = UC_HOOK_MEM_INVALID): HookHandle {
    return this.addHook(
      'mem invalid',
      type,
      this.n.protos.eventmem,
      (_uc: unknown, t: number, address: number | bigint, size: number, value: number | bigint) => {
        const d = describeMemType(t);
        return cb({ type: t, access: d.access, why: d.why === 'ok' ? 'unmapped' : d.why, address: u64(address), size, value: u64(value) });
      },
      ...ALL_ADDRESSES,
      false,
    );
  }

  /**
   * Makes the pc exact at every load/store. Unicorn 2.0.1 only syncs pc before a load/store when
   * a UC_HOOK_MEM_READ/WRITE hook covers the instruction's address; otherwise a faulting access
   * reports the pc of its translation block's start. The hook's callback is uc_errno, a native
   * function that only reads a field of the engine, so no JS runs per access; the price is that
   * every access takes the softmmu slow path (about +25% on load/store-heavy code).
   */
  syncPcOnMemoryAccess(): HookHandle {
    const hh = new BigUint64Array(1);
    const noop = this.n.noopHookCallback;
    check(
      'uc_hook_add',
      this.n.uc_hook_add(this.h, hh, UC_HOOK.MEM_READ | UC_HOOK.MEM_WRITE, noop, null, ...ALL_ADDRESSES),
      'pc-sync memory hook',
    );
    this.hookIds.add(hh[0]!);
    return { id: hh[0]!, kind: 'pc sync' };
  }

  /** CPU exceptions (Unicorn never delivers them to the guest's vectors: they all come here). */
  hookIntr(cb: (intno: number) => void): HookHandle {
    return this.addHook('intr', UC_HOOK.INTR, this.n.protos.intr, (_uc: unknown, intno: number) => cb(intno), ...ALL_ADDRESSES);
  }

  /**
   * UC_HOOK_INSN for MRS/MSR (op0 2 or 3) or SYS/SYSL (op0 1) anywhere. Unicorn 2.0.1 calls it
   * before it looks the register up, so it sees registers the CPU model lacks (ICC_*) as well
   * as ones it has (CNT*). Return a number to emulate the instruction: for MRS it is written to
   * the destination register and the instruction is skipped; for MSR the write is skipped.
   * Return null to let Unicorn execute it (an unknown register then raises EXCP_UDEF).
   * Unicorn allows one such hook per instruction kind.
   */
  hookSysInsn(kind: SysInsnKind, cb: (access: SysRegAccess) => bigint | null): HookHandle {
    const n = this.n;
    const insn = UC_ARM64_INS[kind];
    const wrapped = (_uc: unknown, reg: number, cpReg: unknown) =>
      this.guard(() => {
        // The struct's five u32 fields (crn, crm, op0, op1, op2); decoding them as an array is ~2 us cheaper than as a struct.
        const f = koffi.decode(cpReg, n.cpRegFields) as number[];
        const value = kind === 'MSR' || kind === 'SYS' ? (koffi.decode(cpReg, 24, 'uint64_t') as number | bigint) : 0;
        const access: SysRegAccess = { crn: f[0]!, crm: f[1]!, op0: f[2]!, op1: f[3]!, op2: f[4]!, value: u64(value), rt: reg };
        const stopsBefore = this.stopsRequested;
        const result = cb(access);
        if (result === null) return 0;
        if ((kind === 'MRS' || kind === 'SYSL') && reg !== UC_ARM64_REG_XZR) this.writeRegId(reg, result);
        // For a register its CPU model lacks, Unicorn 2.0.1 ends the block at the instruction
        // after the hook (it emitted the UNDEF there) and, told to skip, would run the same
        // instruction again forever: move pc past it ourselves (measured; see README).
        if (!this.knowsSysReg(access)) {
          // Writing pc from a hook restarts the engine there and drops a stop the callback asked
          // for (measured: a handled MSR of an ICC_* register that stopped the engine ran on to the
          // slice's count, uncounted), so after a stop pc moves on once uc_emu_start has returned.
          const next = this.regRead('pc') + 4n;
          if (this.stopsRequested !== stopsBefore) this.pcAfterStop = next;
          else this.regWrite('pc', next);
        }
        return 1;
      }, 1);
    const registered = koffi.register(wrapped, koffi.pointer(n.protos.insnSys));
    const hh = new BigUint64Array(1);
    const err = n.uc_hook_add_insn(this.h, hh, UC_HOOK.INSN, registered, null, ...ALL_ADDRESSES, insn);
    if (err !== UC_ERR.OK) {
      koffi.unregister(registered);
      throw new UnicornError('uc_hook_add', err, `hook ${kind} instructions`);
    }
    const id = hh[0]!;
    this.callbacks.set(id, registered);
    this.hookIds.add(id);
    return { id, kind: `insn ${kind}` };
  }

  private readonly sysRegKnown = new Map<number, boolean>();

  /** Whether this engine's CPU model implements a system register (uc_reg_read of it succeeds). */
  knowsSysReg(enc: SysRegEncoding): boolean {
    const key = sysregKey(enc);
    let known = this.sysRegKnown.get(key);
    if (known === undefined) {
      const buf = cpRegBuffer(enc, 0n);
      known = this.n.uc_reg_read(this.h, UC_ARM64_REG_CP_REG, buf) === UC_ERR.OK;
      this.sysRegKnown.set(key, known);
    }
    return known;
  }

  private readonly regBuffer = new Uint8Array(16);
  private readonly regView = new DataView(this.regBuffer.buffer);

  private writeRegId(id: number, value: bigint): void {
    const buf = this.regBuffer;
    this.regView.setBigUint64(0, u64(value), true);
    check('uc_reg_write', this.n.uc_reg_write(this.h, id, buf), `register id ${id}`);
  }

  hookDel(hook: HookHandle): void {
    check('uc_hook_del', this.n.uc_hook_del(this.h, hook.id), `hook ${hook.kind}`);
    this.hookIds.delete(hook.id);
    const registered = this.callbacks.get(hook.id);
    if (registered) koffi.unregister(registered);
    this.callbacks.delete(hook.id);
  }

  /** uc_mmio_map: reads and writes in [address, address+size) go to the callbacks (offset-relative). */
  mmioMap(
    address: bigint,
    size: number,
    read: (offset: bigint, size: number) => bigint | number,
    write: (offset: bigint, size: number, value: bigint) => void,
  ): void {
    if (this.reusable) return this.mmioMapSlot(address, size, read, write);
    const rcb = koffi.register(
      (_uc: unknown, offset: number | bigint, sz: number) => this.guard(() => u64(read(BigInt(offset), sz)), 0n),
      koffi.pointer(this.n.protos.mmioRead),
    );
    const wcb = koffi.register(
      (_uc: unknown, offset: number | bigint, sz: number, value: number | bigint) =>
        this.guard(() => write(BigInt(offset), sz, u64(value)), undefined),
      koffi.pointer(this.n.protos.mmioWrite),
    );
    this.mmioCallbacks.push(rcb, wcb);
    check('uc_mmio_map', this.n.uc_mmio_map(this.h, address, size, rcb, null, wcb, null), `at ${hex(address)} size ${hex(size)}`);
  }

  private mmioMapSlot(
    address: bigint,
    size: number,
    read: (offset: bigint, size: number) => bigint | number,
    write: (offset: bigint, size: number, value: bigint) => void,
  ): void {
    let slot = this.mmioSlots.find((m) => m.adoptable && m.address === address && m.size === size);
    if (slot) {
      Object.assign(slot, { read, write, adoptable: false });
      return;
    }
    const fresh: MmioSlot = { address, size, read, write, adoptable: false };
    slot = fresh;
    const rcb = koffi.register(
      (_uc: unknown, offset: number | bigint, sz: number) => this.guard(() => u64(fresh.read?.(BigInt(offset), sz) ?? 0n), 0n),
      koffi.pointer(this.n.protos.mmioRead),
    );
    const wcb = koffi.register(
      (_uc: unknown, offset: number | bigint, sz: number, value: number | bigint) =>
        this.guard(() => fresh.write?.(BigInt(offset), sz, u64(value)), undefined),
      koffi.pointer(this.n.protos.mmioWrite),
    );
    this.mmioCallbacks.push(rcb, wcb);
    check('uc_mmio_map', this.n.uc_mmio_map(this.h, address, size, rcb, null, wcb, null), `at ${hex(address)} size ${hex(size)}`);
    this.mmioSlots.push(fresh);
  }

  /** Saves the CPU state resetForReuse goes back to: call once, on a new engine, before the guest runs. */
  savePristine(): void {
    if (this.pristine !== null) return;
    const out: unknown[] = [null];
    check('uc_context_alloc', this.n.uc_context_alloc(this.h, out));
    this.pristine = out[0];
    check('uc_context_save', this.n.uc_context_save(this.h, this.pristine));
  }

  get hasPristine(): boolean {
    return this.pristine !== null;
  }

  /**
   * Makes a reusable engine what a new one was at savePristine, for a user that builds the same
   * machine again: every hook deleted, the CPU state restored, all memory zeroed (madvise:
   * the pages go back to the host, untouched ones cost nothing; done before the next user's
   * first access, see OwnedMemory.stale) and left mapped for the next
   * user to adopt, MMIO regions left mapped with no device behind them until one is adopted, and
   * the translated code of `codeRanges` dropped (uc_mem_write and madvise do not drop it; the
   * previous and next images' pages; never UC_CTL_TB_FLUSH).
   */
  resetForReuse(codeRanges: readonly CodeRange[]): void {
    if (!this.reusable || this.pristine === null) throw new Error('resetForReuse: not a reusable engine with a saved state');
    for (const id of this.hookIds) {
      this.n.uc_hook_del(this.h, id);
      const registered = this.callbacks.get(id);
      if (registered) koffi.unregister(registered);
      this.callbacks.delete(id);
    }
    this.hookIds.clear();
    check('uc_context_restore', this.n.uc_context_restore(this.h, this.pristine));
    for (const m of this.owned) Object.assign(m, { adoptable: true, stale: true });
    for (const slot of this.mmioSlots) Object.assign(slot, { read: null, write: null, adoptable: true });
    for (const range of codeRanges) this.removeCachedCode(range.start & ~0xfffn, (range.end + 0xfffn) & ~0xfffn);
    this.pendingError = null;
    this.reuses++;
  }

  /** After a reused engine's user mapped what it needs: regions nobody adopted go (their guest accesses fault, as on a new engine). */
  dropUnadopted(): void {
    for (const m of this.owned.filter((x) => x.adoptable)) this.memUnmap(m.address, m.size);
    for (const slot of this.mmioSlots.filter((x) => x.adoptable)) {
      check('uc_mem_unmap', this.n.uc_mem_unmap(this.h, slot.address, slot.size), `MMIO at ${hex(slot.address)}`);
      this.mmioSlots.splice(this.mmioSlots.indexOf(slot), 1);
    }
  }

  /**
   * uc_emu_start. until: stop when pc reaches it (use -1n for "never"); timeoutUs: 0 = none;
   * count: instructions, 0 = unlimited. Returns the uc_err (0 = ok) rather than throwing for the
   * guest-caused stops (unmapped, protected, exception), which callers turn into verdicts.
   */
  emuStart(begin: bigint, until: bigint, timeoutUs = 0, count = 0): number {
    this.pendingError = null;
    this.zeroStaleMemory([]);
    const err = this.n.uc_emu_start(this.h, u64(begin), u64(until), BigInt(timeoutUs), count);
    if (this.pcAfterStop !== null) {
      this.regWrite('pc', this.pcAfterStop);
      this.pcAfterStop = null;
    }
    if (this.pendingError !== null) {
      const error = this.pendingError;
      this.pendingError = null;
      throw error;
    }
    if (err === UC_ERR.ARG || err === UC_ERR.HANDLE || err === UC_ERR.NOMEM || err === UC_ERR.RESOURCE || err === UC_ERR.HOOK) {
      throw new UnicornError('uc_emu_start', err, `begin ${hex(begin)}`);
    }
    return err;
  }

  /**
   * Edits the CPU state Unicorn keeps (its CPUARMState, as uc_context_save copies it) in place:
   * for the fields no register id reaches. Only while the engine is stopped.
   */
  editCpuState(edit: (env: DataView) => void): void {
    edit(this.savedCpuState());
    check('uc_context_restore', this.n.uc_context_restore(this.h, this.context));
  }

  /** Reads the CPU state as uc_context_save copies it (the CPUARMState), without writing it back. */
  readCpuState<T>(read: (env: DataView) => T): T {
    return read(this.savedCpuState());
  }

  /** uc_context_save into this engine's one context; its CPUARMState as a view. */
  private savedCpuState(): DataView {
    if (this.context === null) {
      const out: unknown[] = [null];
      check('uc_context_alloc', this.n.uc_context_alloc(this.h, out));
      this.context = out[0];
    }
    check('uc_context_save', this.n.uc_context_save(this.h, this.context));
    // struct uc_context { size_t context_size; uc_mode mode; uc_arch arch; char data[]; }
    const total = Number(this.n.uc_context_size(this.h));
    return new DataView(koffi.view(this.context as koffi.IKoffiPointerCast, total), 16);
  }

  /**
   * The syndrome (ESR) Unicorn's CPU computed for the exception it last raised (env->exception.syndrome),
   * e.g. a software step's ISV and EX bits; null when this library's layout is unknown.
   */
  lastExceptionSyndrome(): number | null {
    const offset = exceptionSyndromeOffset();
    if (offset === null) return null;
    return this.readCpuState((env) => env.getUint32(offset, true));
  }

  /** Safe to call from inside callbacks: the running uc_emu_start returns at the next TB boundary. */
  emuStop(): void {
    this.stopsRequested++;
    check('uc_emu_stop', this.n.uc_emu_stop(this.h));
  }

  /**
   * From a hook: stop, with pc at `pc` once uc_emu_start has returned. Writing pc from a hook
   * makes Unicorn 2.0.1 resume there and drop the stop (a CPU_OFF's hvc ran again and again).
   */
  emuStopAt(pc: bigint): void {
    this.pcAfterStop = pc;
    this.emuStop();
  }

  /** uc_emu_stop calls so far, and where pc goes once the engine has stopped (hookSysInsn). */
  private stopsRequested = 0;
  private pcAfterStop: bigint | null = null;

  /** True when the last emuStart ended by its timeout. */
  timedOut(): boolean {
    return this.query(UC_QUERY.TIMEOUT) !== 0n;
  }

  close(): void {
    if (this.closed) return;
    if (this.context !== null) this.n.uc_context_free(this.context);
    this.context = null;
    if (this.pristine !== null) this.n.uc_context_free(this.pristine);
    this.pristine = null;
    const err = this.n.uc_close(this.handle);
    this.closed = true;
    for (const m of this.owned) loadLibc().munmap(m.host, m.size);
    this.owned.length = 0;
    // Only now: the engine could call any of these until uc_close returned.
    for (const cb of this.callbacks.values()) koffi.unregister(cb);
    for (const cb of this.mmioCallbacks) koffi.unregister(cb);
    this.callbacks.clear();
    this.mmioCallbacks.length = 0;
    this.handle = null;
    check('uc_close', err);
  }

  /**
   * Instructions the count hook of the current (or last) uc_emu_start counted: uc_struct's
   * emu_counter, read in place (no FFI call, so cheap enough for every MRS/MSR). Unicorn 2.0.1's
   * count hook runs before each instruction (before every other code hook), counts it unless a
   * stop was already requested, and stops once the count is passed: after a start that ran out
   * its count it reads count + 1; after a WFI, an exception or a stop from a code hook at the
   * k-th instruction it reads k. Null when this library's layout or semantics are not the ones
   * measured (see emuCounterOffset); callers then count another way.
   */
  emuCounter(): number | null {
    const offset = emuCounterOffset();
    if (offset === null) return null;
    return Number(koffi.decode(this.h, offset, 'uint64_t') as number | bigint);
  }

  /**
   * From a callback inside a counted uc_emu_start (an MMIO access): the count runs out at the
   * current instruction, so the count hook stops the engine before the next one, as when a count
   * runs out by itself (uc_emu_stop from an MMIO callback would replay the store). Writes
   * uc_struct's emu_count, the field after emu_counter. False when the counter layout is unknown.
   */
  endCountHere(): boolean {
    const counted = this.emuCounter();
    if (counted === null) return false;
    koffi.encode(this.h, emuCounterOffset()! + 8, 'uint64_t', counted);
    return true;
  }

  /** The engine's handle, for calibration that reads it in place. */
  get rawHandle(): unknown {
    return this.h;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private addHook(
    kind: string,
    type: number,
    proto: koffi.IKoffiCType,
    fn: (...args: never[]) => unknown,
    begin: bigint,
    end: bigint,
    fallback: unknown = undefined,
  ): HookHandle {
    const wrapped = (...args: never[]) => this.guard(() => fn(...args), fallback);
    const registered = koffi.register(wrapped, koffi.pointer(proto));
    const hh = new BigUint64Array(1);
    const err = this.n.uc_hook_add(this.h, hh, type, registered, null, u64(begin), u64(end));
    if (err !== UC_ERR.OK) {
      koffi.unregister(registered);
      throw new UnicornError('uc_hook_add', err, `hook ${kind}`);
    }
    const id = hh[0]!;
    this.callbacks.set(id, registered);
    this.hookIds.add(id);
    return { id, kind };
  }

  /** Runs a callback body; a throw stops the emulation and is rethrown by emuStart. */
  private guard<T>(body: () => T, fallback: T): T {
    try {
      return body();
    } catch (error) {
      if (this.pendingError === null) this.pendingError = error;
      try {
        this.n.uc_emu_stop(this.handle);
      } catch {
        // already stopping
      }
      return fallback;
    }
  }
}

/**
 * A fact about this libunicorn's memory layout, found once per process by `probe` on a scratch
 * engine; null when the probe finds none or fails: no guess is ever used.
 */
function probedOnce(cache: { found?: number | null }, probe: (uc: Unicorn) => number | null): number | null {
  if (cache.found !== undefined) return cache.found;
  cache.found = null;
  const uc = Unicorn.open();
  try {
    cache.found = probe(uc);
  } catch {
    cache.found = null;
  } finally {
    uc.close();
  }
  return cache.found;
}

const counterOffset: { found?: number | null } = {};

/**
 * Where uc_struct keeps emu_counter (size_t, followed by emu_count): after starts with distinct
 * counts over NOPs the pair (count + 1, count) sits at one offset; then the semantics
 * Unicorn.emuCounter promises are checked (a WFI and a code-hook stop). 2.0.1 and 2.1.x pass
 * (at other offsets); another layout or way of counting gives null.
 */
export function emuCounterOffset(): number | null {
  return probedOnce(counterOffset, (uc) => {
    const base = 0x1000_0000n;
    const NOP = 0xd503201f;
    const WFI = 0xd503207f;
    const code = new Uint32Array(0x400).fill(NOP);
    code[0x300] = WFI;
    uc.memMap(base, 0x1000, UC_PROT.ALL);
    uc.memWrite(base, new Uint8Array(code.buffer));
    const scan = 8192;
    const pairsAfter = (count: number): number[] => {
      uc.emuStart(base, -1n, 0, count);
      const words = new BigUint64Array(koffi.view(uc.rawHandle as koffi.IKoffiPointerCast, scan).slice(0));
      const out: number[] = [];
      for (let i = 0; i + 1 < words.length; i++) if (words[i] === BigInt(count + 1) && words[i + 1] === BigInt(count)) out.push(i * 8);
      return out;
    };
    const first = pairsAfter(123);
    const second = new Set(pairsAfter(517));
    const both = first.filter((o) => second.has(o));
    if (both.length !== 1) return null;
    // The checks below read the counter through this offset.
    counterOffset.found = both[0]!;
    const read = () => uc.emuCounter();
    // A WFI as the 0x301st instruction: the start returns there, the WFI counted.
    uc.emuStart(base, -1n, 0, 0x1000);
    const wfi = read();
    // A code hook stopping before the 5th instruction: that one is counted, not executed.
    const stopAt = base + 16n;
    const hook = uc.hookCode(() => uc.emuStop(), stopAt, stopAt);
    uc.removeCachedCode(base, base + 0x1000n); // translated before the hook: it would miss them
    uc.emuStart(base, -1n, 0, 100);
    const hooked = read();
    const hookedPc = uc.regRead('pc');
    uc.hookDel(hook);
    return wfi === 0x301 && hooked === 5 && hookedPc === stopAt ? both[0]! : null;
  });
}

const syndromeOffset: { found?: number | null } = {};

/**
 * Where the saved CPU state (readCpuState) keeps exception.syndrome: after `svc #imm` it holds
 * syn_aa64_svc(imm) (EC 0x15, IL, imm16), for two immediates at one offset.
 */
export function exceptionSyndromeOffset(): number | null {
  return probedOnce(syndromeOffset, (uc) => {
    const base = 0x1000_0000n;
    uc.memMap(base, 0x1000, UC_PROT.ALL);
    uc.hookIntr(() => uc.emuStop());
    const offsetsAfterSvc = (imm: number): Set<number> => {
      uc.memWrite(base, new Uint8Array(new Uint32Array([(0xd400_0001 | (imm << 5)) >>> 0]).buffer));
      uc.removeCachedCode(base, base + 0x1000n);
      uc.emuStart(base, -1n, 0, 1);
      const want = ((0x15 << 26) | (1 << 25) | imm) >>> 0;
      return uc.readCpuState((env) => {
        const found = new Set<number>();
        for (let o = 0; o + 4 <= env.byteLength; o += 4) if (env.getUint32(o, true) === want) found.add(o);
        return found;
      });
    };
    const first = offsetsAfterSvc(0x1234);
    const both = [...offsetsAfterSvc(0x4321)].filter((o) => first.has(o));
    return both.length === 1 ? both[0]! : null;
  });
}

function check(call: string, err: number, detail = ''): void {
  if (err !== UC_ERR.OK) throw new UnicornError(call, err, detail);
}

function regId(name: Arm64Reg): number {
  const id = ARM64_REG[name];
  if (id === undefined) throw new Error(`unknown AArch64 register name "${name}" for Unicorn`);
  return id;
}

/** struct uc_arm64_cp_reg { u32 crn, crm, op0, op1, op2; u64 val; } (val at offset 24). */
function cpRegBuffer(enc: SysRegEncoding, value: bigint): Uint8Array {
  const buf = new Uint8Array(32);
  const view = new DataView(buf.buffer);
  view.setUint32(0, enc.crn, true);
  view.setUint32(4, enc.crm, true);
  view.setUint32(8, enc.op0, true);
  view.setUint32(12, enc.op1, true);
  view.setUint32(16, enc.op2, true);
  view.setBigUint64(24, value, true);
  return buf;
}

function hex(v: bigint | number): string {
  return `0x${BigInt(v).toString(16)}`;
}
