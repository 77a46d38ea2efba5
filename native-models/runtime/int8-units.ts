/**
 * Whether this CPU has the integer dot-product units onnxruntime's int8 products run fast and exactly
 * on, and so how many bits the int8 weights may use (onnx/quantize.ts).
 *
 * x86 CPUs without VNNI multiply u8·s8 pairs into a saturating 16-bit sum (vpmaddubsw): with 8-bit
 * weights a pair can reach 2·255·127 = 64770 and overflow, silently. With 7-bit weights (|q| ≤ 63) it
 * stays below 32767, which is onnxruntime's own advice for such CPUs (quantize_dynamic's
 * reduce_range). VNNI (vpdpbusd) and AMX accumulate in 32 bits; ARM's products widen too.
 */
import { readFileSync } from 'node:fs';

const UNITS = /^(avx512_vnni|avx_vnni|amx_int8)$/;

export interface Int8Units {
  /** The units found (AVX-512 VNNI, AVX-VNNI, AMX-INT8); empty where none or unknown. */
  units: string[];
  /** Bits of the quantized weights: 8 where the products cannot overflow, else 7. */
  weightBits: 7 | 8;
  /** Whether int8 is expected to be faster than fp32 here. */
  fast: boolean;
}

let found: Int8Units | null = null;

/** What this machine offers (read once: /proc/cpuinfo on Linux; other x86 systems count as without). */
export function int8Units(): Int8Units {
  if (found) return found;
  if (process.arch === 'arm64') return (found = { units: ['arm64 dot product'], weightBits: 8, fast: true });
  let flags: string[] = [];
  try {
    flags = (/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').trim().split(/\s+/);
  } catch {
    // not Linux: unknown, so the safe choice
  }
  const units = flags.filter((f) => UNITS.test(f));
  return (found = { units, weightBits: units.length ? 8 : 7, fast: units.length > 0 });
}
