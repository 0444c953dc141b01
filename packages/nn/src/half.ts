// IEEE binary16 (F16) and bfloat16 (BF16) to and from numbers, bit for bit as PyTorch converts
// them: widening is exact; narrowing rounds to nearest, ties to even, with overflow to infinity.

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** x rounded to an integer, ties to the even one (x >= 0). */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
}

/** The value of F16 bits h (0..0xffff), exactly (every F16 is a float32). */
export function f16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1024 + m) * 2 ** (e - 25);
}

/**
 * The F16 bits nearest x, as torch's float-to-half (c10 fp16_ieee_from_fp32_value): x is first
 * a float32 (a float64 tensor goes through float32 in torch's cast too), then rounded to nearest
 * even; |x| >= 65520 becomes infinity; NaN becomes 0x7e00 with x's sign bit.
 */
export function numberToF16(x: number): number {
  F32[0] = x;
  const sign = (U32[0]! >>> 16) & 0x8000;
  const a = Math.abs(F32[0]!);
  if (Number.isNaN(a)) return sign | 0x7e00;
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24); // subnormal; 1024 is the smallest normal, as it should be
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--; // log2 can round up just below a power of two
  else if (2 ** (e + 1) <= a) e++;
  const q = roundHalfEven((a / 2 ** e) * 1024); // 1024..2048; 2048 carries into the exponent below
  return sign | (((e + 15) << 10) + q - 1024);
}

/** The float32 bits of F16 bits h: exact; a NaN keeps its sign and payload and becomes quiet, as in torch. */
export function f16ToF32Bits(h: number): number {
  if ((h & 0x7c00) === 0x7c00 && h & 0x3ff) return (((h & 0x8000) << 16) | 0x7fc00000 | ((h & 0x3ff) << 13)) >>> 0;
  F32[0] = f16ToNumber(h);
  return U32[0]!;
}

/** The float32 bits of BF16 bits b: its top half, so exact. */
export function bf16ToF32Bits(b: number): number {
  return ((b & 0xffff) << 16) >>> 0;
}

/**
 * The BF16 bits nearest x, as torch's round_to_nearest_even: through float32; NaN becomes
 * 0x7fc0, as c10::BFloat16 makes it (torch 1.13's vectorised CPU cast writes 0xffff, also a NaN).
 */
export function numberToBF16(x: number): number {
  F32[0] = x;
  if (Number.isNaN(F32[0]!)) return 0x7fc0;
  const u = U32[0]!;
  return ((u + (((u >>> 16) & 1) + 0x7fff)) >>> 16) & 0xffff; // carries into the exponent, so overflow is infinity
}
