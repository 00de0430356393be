// Works around Unicorn 2.0.1 looking a data access's or fetch's *virtual* address up in its
// physical memory map before the MMU translates it (qemu/accel/tcg/cputlb.c load_helper /
// store_helper call memory_mapping(uc, addr) with the VA): a guest mapping that is not the
// identity (kvm-unit-tests' user stack at 0xffffc000 -> RAM) is reported unmapped although QEMU
// reads RAM there. When the guest's own tables map the VA to memory that exists, a placeholder
// page is mapped at the VA's number so the check passes; the access itself is then translated
// by Unicorn's TLB to the real physical page, so the placeholder is never read or written
// through the MMU. Its only visible effect: a physical access at that number (MMU off) would hit
// the placeholder instead of aborting, so every placeholder is recorded for the report.
import { SYSREG } from './sysregs.js';
import { walkStage1, type WalkResult } from './translation.js';
import { UC_PROT, type InvalidMemEvent, type Unicorn } from './unicorn.js';

const PAGE = 0x1000n;

/** The guest's stage 1 walk of `va` as the CPU would do it now; null while the MMU is off. */
export function guestStage1(uc: Unicorn, va: bigint): WalkResult | null {
  if ((uc.sysRegRead(SYSREG.SCTLR_EL1) & 1n) === 0n) return null;
  return walkStage1(va, { tcr: uc.sysRegRead(SYSREG.TCR_EL1), ttbr0: uc.regRead('ttbr0_el1'), ttbr1: uc.regRead('ttbr1_el1') }, (pa) => {
    try {
      return new DataView(uc.memRead(pa, 8).buffer).getBigUint64(0, true);
    } catch {
      return null;
    }
  });
}

export class VirtualAliasPages {
  /** Placeholder pages mapped so far (their VA page numbers), for the run's details. */
  readonly pages: bigint[] = [];

  constructor(private readonly uc: Unicorn) {}

  /** For UC_HOOK_MEM_*_UNMAPPED: true when a placeholder now covers the VA (Unicorn retries). */
  cover(event: InvalidMemEvent): boolean {
    if (event.why !== 'unmapped') return false;
    const result = guestStage1(this.uc, event.address);
    if (!result?.ok || result.pa === event.address || !this.backed(result.pa)) return false;
    const page = event.address & ~(PAGE - 1n);
    // An access that straddles into the next page faults again there and is covered then.
    this.uc.memMap(page, Number(PAGE), UC_PROT.ALL);
    this.pages.push(page);
    return true;
  }

  private backed(pa: bigint): boolean {
    try {
      this.uc.memRead(pa, 1);
      return true;
    } catch {
      return false;
    }
  }
}
