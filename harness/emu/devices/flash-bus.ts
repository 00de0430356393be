// virt's two flash banks on Unicorn. The array is ordinary guest RAM (so code runs from it at full
// speed) with a write hook and a read hook over the flash range only:
// - a store is shown to the CFI state machine (pflash.ts) before Unicorn performs it; unless the
//   device programs it, the bytes it is about to overwrite are kept and put back before the next
//   flash access (or at the end of the slice), so nothing the guest reads ever sees it;
// - outside read-array mode a load gets the device register (status, id, CFI) the same way: the
//   register value is placed in the array just for that load and the array put back after.
// Every store that does not reach the array is recorded (pc, address, value, size, the command it
// was taken for): on QEMU these stores vanish without a trace.
import type { MemEvent, Unicorn } from '../unicorn.js';
import { CfiFlash, VIRT_FLASH, type FlashEffect } from './pflash.js';

export const FLASH_BASE = 0n;
export const FLASH_SIZE = BigInt(VIRT_FLASH.bankSize) * 2n;

export interface DroppedWrite {
  pc: bigint;
  address: bigint;
  /** Bytes of this device access (a store of 8 bytes is two 4-byte accesses, as on QEMU). */
  size: number;
  value: bigint;
  device: string;
  /** The low byte, taken as a CFI command. */
  command: number;
  /** What the device did: dropped, or erased the whole sector. */
  effect: 'dropped' | 'erased';
  /** The mode the device is in after it. */
  mode: string;
}

/** Kept in full up to this many; counted beyond. */
const KEEP = 4096;

export class FlashBus {
  readonly banks = [new CfiFlash('pflash0'), new CfiFlash('pflash1')];
  readonly dropped: DroppedWrite[] = [];
  droppedTotal = 0;
  programmedTotal = 0;
  /** Set when code running from a bank switched that bank out of read-array mode. */
  fetchFromCommandMode: { device: string; pc: bigint; mode: string } | null = null;
  private overlays: { address: bigint; bytes: Uint8Array }[] = [];

  constructor(
    private uc: Unicorn,
    private readonly onUnmodelled: () => void,
  ) {}

  /** Maps the banks into the engine; with `backing`, over that host buffer (several engines share one array). */
  map(backing?: Uint8Array): void {
    this.attach(this.uc, backing);
  }

  /**
   * Maps the same banks into another engine (one per CPU): the array is `backing`, shared by every
   * engine mapped with it, and the CFI state is this one object. Call select() before running an engine.
   */
  attach(uc: Unicorn, backing?: Uint8Array): void {
    if (backing) uc.memMapPtr(FLASH_BASE, backing);
    else uc.memMap(FLASH_BASE, Number(FLASH_SIZE));
    uc.hookMem(['write'], (event) => this.onWrite(event), FLASH_BASE, FLASH_SIZE - 1n);
    uc.hookMem(['read'], (event) => this.onRead(event), FLASH_BASE, FLASH_SIZE - 1n);
  }

  /** The engine about to run: its accesses come to this bus, and pc is read from it. */
  select(uc: Unicorn): void {
    this.uc = uc;
  }

  /** Puts back what the last access covered up; call when the engine has stopped. */
  settle(): void {
    for (let i = this.overlays.length - 1; i >= 0; i--) {
      const { address, bytes } = this.overlays[i]!;
      this.uc.memWrite(address, bytes);
    }
    this.overlays.length = 0;
  }

  private onWrite(event: MemEvent): void {
    this.settle();
    const pc = this.uc.regRead('pc');
    for (const chunk of deviceAccesses(event)) {
      const bank = this.bankOf(chunk.address);
      if (!bank) continue;
      const offset = Number(chunk.address - bank.base);
      const effect = bank.flash.write(offset, chunk.size, Number(chunk.value & 0xffff_ffffn));
      this.apply(effect, bank.base, chunk, pc, bank.flash);
    }
    const codeBank = this.bankOf(pc);
    if (codeBank && !codeBank.flash.readsArray && !this.fetchFromCommandMode) {
      this.fetchFromCommandMode = { device: codeBank.flash.name, pc, mode: codeBank.flash.mode };
      this.onUnmodelled();
    }
  }

  private apply(effect: FlashEffect, base: bigint, chunk: Access, pc: bigint, flash: CfiFlash): void {
    if (effect.kind === 'programmed') {
      this.programmedTotal++;
      return;
    }
    if (effect.kind === 'erased') this.uc.memWrite(base + BigInt(effect.start), new Uint8Array(effect.size).fill(0xff));
    this.overlays.push({ address: chunk.address, bytes: this.uc.memRead(chunk.address, chunk.size) });
    this.droppedTotal++;
    if (this.dropped.length < KEEP) {
      this.dropped.push({
        pc,
        address: chunk.address,
        size: chunk.size,
        value: chunk.value,
        device: flash.name,
        command: effect.command,
        effect: effect.kind,
        mode: effect.mode,
      });
    }
  }

  private onRead(event: MemEvent): void {
    this.settle();
    for (const chunk of deviceAccesses(event)) {
      const bank = this.bankOf(chunk.address);
      if (!bank || bank.flash.readsArray) continue;
      const value = bank.flash.registerRead(Number(chunk.address - bank.base), chunk.size);
      this.overlays.push({ address: chunk.address, bytes: this.uc.memRead(chunk.address, chunk.size) });
      this.uc.memWrite(chunk.address, littleEndian(BigInt(value), chunk.size));
    }
  }

  private bankOf(address: bigint): { base: bigint; flash: CfiFlash } | null {
    if (address < FLASH_BASE || address >= FLASH_SIZE) return null;
    const index = Number((address - FLASH_BASE) / BigInt(VIRT_FLASH.bankSize));
    return { base: FLASH_BASE + BigInt(index * VIRT_FLASH.bankSize), flash: this.banks[index]! };
  }
}

interface Access {
  address: bigint;
  size: number;
  value: bigint;
}

/** The accesses QEMU's memory core makes of one guest access: at most 4 bytes each, low first. */
export function deviceAccesses(event: { address: bigint; size: number; value: bigint }): Access[] {
  if (event.size <= 4) return [{ address: event.address, size: event.size, value: event.value & ((1n << BigInt(event.size * 8)) - 1n) }];
  const out: Access[] = [];
  for (let at = 0; at < event.size; at += 4) {
    const value = at < 8 ? (event.value >> BigInt(at * 8)) & 0xffff_ffffn : 0n;
    out.push({ address: event.address + BigInt(at), size: Math.min(4, event.size - at), value });
  }
  return out;
}

function littleEndian(value: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = Number((value >> BigInt(i * 8)) & 0xffn);
  return out;
}
