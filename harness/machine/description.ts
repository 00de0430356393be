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
}
