// Dragon4 (Steele & White, as numpy's dragon4.c has it): exact decimal digits of a binary
// float, with numpy's rounding, cutoffs and trimming, positional or scientific. format.ts lays
// the digits out as numpy's arrayprint.py does. The original works on 32-bit-block big
// integers; JS bigint gives the same integers.

/** How trailing zeros and the point are trimmed: numpy's 'k', '.', '0', '-'. */
export type Trim = "keep" | "zeros" | "leaveOneZero" | "dptZeros";

export interface Bits {
  negative: boolean;
  /** "nan" / "inf" for the special values, else null */
  special: "nan" | "inf" | null;
  mantissa: bigint;
  exponent: number;
  mantissaBit: number;
  unequalMargins: boolean;
}

const scratch = new DataView(new ArrayBuffer(8));

function bitLength32(x: number): number {
  return 32 - Math.clz32(x);
}

export function decompose(x: number, float32: boolean): Bits {
  if (float32) {
    scratch.setFloat32(0, x);
    const u = scratch.getUint32(0);
    const negative = u >>> 31 === 1;
    const e = (u >>> 23) & 0xff;
    const m = u & 0x7fffff;
    if (e === 0xff) return { negative, special: m === 0 ? "inf" : "nan", mantissa: 0n, exponent: 0, mantissaBit: 0, unequalMargins: false };
    if (e !== 0) {
      return { negative, special: null, mantissa: BigInt(m | 0x800000), exponent: e - 127 - 23, mantissaBit: 23, unequalMargins: e !== 1 && m === 0 };
    }
    return { negative, special: null, mantissa: BigInt(m), exponent: 1 - 127 - 23, mantissaBit: bitLength32(m) - 1, unequalMargins: false };
  }
  scratch.setFloat64(0, x);
  const hi = scratch.getUint32(0);
  const lo = scratch.getUint32(4);
  const negative = hi >>> 31 === 1;
  const e = (hi >>> 20) & 0x7ff;
  const mhi = hi & 0xfffff;
  if (e === 0x7ff) return { negative, special: mhi === 0 && lo === 0 ? "inf" : "nan", mantissa: 0n, exponent: 0, mantissaBit: 0, unequalMargins: false };
  const frac = (BigInt(mhi) << 32n) | BigInt(lo);
  if (e !== 0) {
    return { negative, special: null, mantissa: frac | (1n << 52n), exponent: e - 1023 - 52, mantissaBit: 52, unequalMargins: e !== 1 && frac === 0n };
  }
  const bit = mhi !== 0 ? 32 + bitLength32(mhi) - 1 : bitLength32(lo) - 1;
  return { negative, special: null, mantissa: frac, exponent: 1 - 1023 - 52, mantissaBit: bit, unequalMargins: false };
}

const LOG10_2 = 0.30102999566398119521373889472449;
// numpy's scratch buffer is 16384 chars; it only bounds digits when there is no cutoff.
const BUFFER_SIZE = 16384;

/**
 * The digits of |value| and the decimal exponent of the first one. `unique` stops as soon as
 * the digits identify the value among its neighbours; `totalLength` makes the cutoffs count
 * all digits, else digits after the point; a cutoff of -1 is none.
 */
function dragon4(
  b: Bits,
  unique: boolean,
  totalLength: boolean,
  cutoffMax: number,
  cutoffMin: number,
  bufferSize: number,
): { digits: number[]; exp: number } {
  if (b.mantissa === 0n) return { digits: [0], exp: 0 };
  const { mantissa, exponent, mantissaBit, unequalMargins } = b;
  // value = scaledValue / scale; the margins are half the gaps to the neighbouring floats
  let scale: bigint;
  let value: bigint;
  let marginLow: bigint;
  if (unequalMargins) {
    if (exponent > 0) {
      value = mantissa << BigInt(exponent + 2);
      scale = 4n;
      marginLow = 1n << BigInt(exponent);
    } else {
      value = mantissa << 2n;
      scale = 1n << BigInt(-exponent + 2);
      marginLow = 1n;
    }
  } else if (exponent > 0) {
    value = mantissa << BigInt(exponent + 1);
    scale = 2n;
    marginLow = 1n << BigInt(exponent);
  } else {
    value = mantissa << 1n;
    scale = 1n << BigInt(-exponent + 1);
    marginLow = 1n;
  }
  const marginHigh = (): bigint => (unequalMargins ? marginLow * 2n : marginLow);

  // an estimate of floor(log10(v)) + 1 that is right or one too small (Burger and Dybvig)
  let digitExponent = Math.ceil((mantissaBit + exponent) * LOG10_2 - 0.69);
  if (cutoffMax >= 0 && !totalLength && digitExponent <= -cutoffMax) digitExponent = -cutoffMax + 1;
  if (digitExponent > 0) {
    scale *= 10n ** BigInt(digitExponent);
  } else if (digitExponent < 0) {
    const p = 10n ** BigInt(-digitExponent);
    value *= p;
    marginLow *= p;
  }
  if (value >= scale) {
    digitExponent += 1;
  } else {
    value *= 10n;
    marginLow *= 10n;
  }

  let cutoffMaxExponent = digitExponent - bufferSize;
  if (cutoffMax >= 0) {
    const desired = totalLength ? digitExponent - cutoffMax : -cutoffMax;
    if (desired > cutoffMaxExponent) cutoffMaxExponent = desired;
  }
  let cutoffMinExponent = digitExponent;
  if (cutoffMin >= 0) {
    const desired = totalLength ? digitExponent - cutoffMin : -cutoffMin;
    if (desired < cutoffMinExponent) cutoffMinExponent = desired;
  }
  let outExp = digitExponent - 1;

  const isEven = (mantissa & 1n) === 0n;
  const digits: number[] = [];
  let low = false;
  let high = false;
  let digit: number;
  if (unique) {
    for (;;) {
      digitExponent -= 1;
      digit = Number(value / scale);
      value %= scale;
      const valueHigh = value + marginHigh();
      low = isEven ? value <= marginLow : value < marginLow;
      high = isEven ? valueHigh >= scale : valueHigh > scale;
      if (((low || high) && digitExponent <= cutoffMinExponent) || digitExponent === cutoffMaxExponent) break;
      digits.push(digit);
      value *= 10n;
      marginLow *= 10n;
    }
  } else {
    for (;;) {
      digitExponent -= 1;
      digit = Number(value / scale);
      value %= scale;
      if (value === 0n || digitExponent === cutoffMaxExponent) break;
      digits.push(digit);
      value *= 10n;
    }
  }

  // round the last digit: down if only rounding down stays in range, else to nearest, ties to even
  let roundDown = low;
  if (low === high) {
    const twice = value * 2n;
    roundDown = twice < scale;
    if (twice === scale) roundDown = (digit & 1) === 0;
  }
  if (roundDown) {
    digits.push(digit);
  } else if (digit === 9) {
    for (;;) {
      if (digits.length === 0) {
        digits.push(1);
        outExp += 1;
        break;
      }
      const d = digits.pop()!;
      if (d !== 9) {
        digits.push(d + 1);
        break;
      }
    }
  } else {
    digits.push(digit + 1);
  }
  return { digits, exp: outExp };
}

interface DigitOptions {
  precision: number; // -1: none
  minDigits: number; // -1: none
  unique: boolean;
  trim: Trim;
  padLeft: number; // -1: none
}

function infNan(b: Bits): string {
  if (b.special === "nan") return "nan";
  return (b.negative ? "-" : "") + "inf";
}

/** numpy's format_float_positional with fractional=True and no forced sign. */
export function positional(b: Bits, o: DigitOptions & { padRight: number }): string {
  if (b.special) return infNan(b);
  const sign = b.negative ? "-" : "";
  const hasSign = sign.length;
  const { digits, exp } = dragon4(b, o.unique, false, o.precision, o.minDigits, BUFFER_SIZE - 1 - hasSign);
  const numDigits = digits.length;
  let s = digits.join("");
  let numWhole: number;
  let numFrac = 0;
  if (exp >= 0) {
    numWhole = exp + 1;
    if (numDigits <= numWhole) {
      s += "0".repeat(numWhole - numDigits);
    } else {
      numFrac = numDigits - numWhole;
      s = s.slice(0, numWhole) + "." + s.slice(numWhole);
    }
  } else {
    const zeros = -(exp + 1);
    s = "0." + "0".repeat(zeros) + s;
    numFrac = numDigits + zeros;
    numWhole = 1;
  }
  if (o.trim !== "dptZeros" && numFrac === 0) s += ".";
  const desiredFrac = Math.max(o.unique ? o.minDigits : o.precision, 0);
  if (o.trim === "leaveOneZero") {
    if (numFrac === 0) {
      s += "0";
      numFrac++;
    }
  } else if (o.trim === "keep" && desiredFrac > numFrac) {
    s += "0".repeat(desiredFrac - numFrac);
    numFrac = desiredFrac;
  }
  if (o.trim !== "keep" && numFrac > 0) {
    while (s.endsWith("0")) {
      s = s.slice(0, -1);
      numFrac--;
    }
    if (s.endsWith(".")) {
      if (o.trim === "leaveOneZero") {
        s += "0";
        numFrac++;
      } else if (o.trim === "dptZeros") {
        s = s.slice(0, -1);
      }
    }
  }
  if (o.padRight >= numFrac) {
    if (o.trim === "dptZeros" && numFrac === 0) s += " ";
    s += " ".repeat(o.padRight - numFrac);
  }
  s = sign + s;
  if (o.padLeft > numWhole + hasSign) s = " ".repeat(o.padLeft - numWhole - hasSign) + s;
  return s;
}

/** numpy's format_float_scientific with no forced sign. */
export function scientific(b: Bits, o: DigitOptions & { expDigits: number }): string {
  if (b.special) return infNan(b);
  const sign = b.negative ? "-" : "";
  let s = o.padLeft > 1 + sign.length ? " ".repeat(o.padLeft - 1 - sign.length) : "";
  s += sign;
  const { digits, exp } = dragon4(
    b,
    o.unique,
    true,
    o.precision < 0 ? -1 : o.precision + 1,
    o.minDigits < 0 ? -1 : o.minDigits + 1,
    BUFFER_SIZE - s.length,
  );
  let mant = String(digits[0]);
  let numFrac = digits.length - 1;
  if (numFrac > 0) mant += "." + digits.slice(1).join("");
  if (o.trim !== "dptZeros" && numFrac === 0) mant += ".";
  const addDigits = Math.max(o.unique ? o.minDigits : o.precision, 0);
  if (o.trim === "leaveOneZero") {
    if (numFrac === 0) {
      mant += "0";
      numFrac++;
    }
  } else if (o.trim === "keep" && addDigits > numFrac) {
    mant += "0".repeat(addDigits - numFrac);
    numFrac = addDigits;
  }
  if (o.trim !== "keep" && numFrac > 0) {
    while (mant.endsWith("0")) {
      mant = mant.slice(0, -1);
      numFrac--;
    }
    if (o.trim === "leaveOneZero" && mant.endsWith(".")) mant += "0";
  }
  const expDigits = o.expDigits > 5 ? 5 : o.expDigits < 0 ? 2 : o.expDigits;
  const e = String(Math.abs(exp)).padStart(expDigits, "0");
  return s + mant + "e" + (exp >= 0 ? "+" : "-") + e;
}
