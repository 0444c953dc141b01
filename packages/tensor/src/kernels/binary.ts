// add, sub, mul and div over float64 or float32 storages, one function per op and dtype.
//
// Why one per dtype: a loop that has seen Float64Array, Float32Array and Int32Array operands is
// polymorphic in every element access, several times slower than one that only sees one kind.
// Each function below only ever sees its own storage type, so V8 compiles it monomorphic.

type Row<A> = (o: A, po: number, so: number, a: A, pa: number, sa: number, b: A, pb: number, sb: number, n: number) => void;

// Unit strides from index 0 give V8 loops without offset arithmetic in the bounds checks (a
// quarter faster at memory speed), so offset runs of some length read through subarrays.
function addF64(o: Float64Array, po: number, so: number, a: Float64Array, pa: number, sa: number, b: Float64Array, pb: number, sb: number, n: number): void {
  if (so === 1 && sa === 1 && sb === 1) {
    if ((po | pa | pb) !== 0 && n >= 64) [o, a, b] = [o.subarray(po, po + n), a.subarray(pa, pa + n), b.subarray(pb, pb + n)];
    else if ((po | pa | pb) !== 0) {
      for (let i = 0; i < n; i++) o[po + i] = a[pa + i]! + b[pb + i]!;
      return;
    }
    for (let i = 0; i < n; i++) o[i] = a[i]! + b[i]!;
  } else if (so === 1 && sa === 1 && sb === 0) {
    const v = b[pb]!;
    for (let i = 0; i < n; i++) o[po + i] = a[pa + i]! + v;
  } else if (so === 1 && sa === 0 && sb === 1) {
    const v = a[pa]!;
    for (let i = 0; i < n; i++) o[po + i] = v + b[pb + i]!;
  } else for (let i = 0; i < n; i++, po += so, pa += sa, pb += sb) o[po] = a[pa]! + b[pb]!;
}
function subF64(o: Float64Array, po: number, so: number, a: Float64Array, pa: number, sa: number, b: Float64Array, pb: number, sb: number, n: number): void {
  if (so === 1 && sa === 1 && sb === 1) {
    if ((po | pa | pb) !== 0 && n >= 64) [o, a, b] = [o.subarray(po, po + n), a.subarray(pa, pa + n), b.subarray(pb, pb + n)];
    else if ((po | pa | pb) !== 0) {
      for (let i = 0; i < n; i++) o[po + i] = a[pa + i]! - b[pb + i]!;
      return;
    }
    for (let i = 0; i < n; i++) o[i] = a[i]! - b[i]!;
  } else if (so === 1 && sa === 1 && sb === 0) {
    const v = b[pb]!;
    for (let i = 0; i < n; i++) o[po + i] = a[pa + i]! - v;
  } else if (so === 1 && sa === 0 && sb === 1) {
    const v = a[pa]!;
    for (let i = 0; i < n; i++) o[po + i] = v - b[pb + i]!;
  } else for (let i = 0; i < n; i++, po += so, pa += sa, pb += sb) o[po] = a[pa]! - b[pb]!;
}
function mulF64(o: Float64Array, po: number, so: number, a: Float64Array, pa: number, sa: number, b: Float64Array, pb: number, sb: number, n: number): void {
  if (so === 1 && sa === 1 && sb === 1) {
    if ((po | pa | pb) !== 0 && n >= 64) [o, a, b] = [o.subarray(po, po + n), a.subarray(pa, pa + n), b.subarray(pb, pb + n)];
    else if ((po | pa | pb) !== 0) {
      for (let i = 0; i < n; i++) o[po + i] = a[pa + i]! * b[pb + i]!;
      return;
    }
    for (let i = 0; i < n; i++) o[i] = a[i]! * b[i]!;
  } else if (so === 1 && sa === 1 && sb === 0) {
    const v = b[pb]!;
    for (let i = 0; i < n; i++) o[po + i] = a[pa + i]! * v;
  } else if (so === 1 && sa === 0 && sb === 1) {
    const v = a[pa]!;
    for (let i = 0; i < n; i++) o[po + i] = v * b[pb + i]!;
  } else for (let i = 0; i < n; i++, po += so, pa += sa, pb += sb) o[po] = a[pa]! * b[pb]!;
}
function divF64(o: Float64Array, po: number, so: number, a: Float64Array, pa: number, sa: number, b: Float64Array, pb: number, sb: number, n: number): void {
  if (so === 1 && sa === 1 && sb === 1) {
    if ((po | pa | pb) !== 0 && n >= 64) [o, a, b] = [o.subarray(po, po + n), a.subarray(pa, pa + n), b.subarray(pb, pb + n)];
    else if ((po | pa | pb) !== 0) {
      for (let i = 0; i < n; i++) o[po + i] = a[pa + i]! / b[pb + i]!;
      return;
    }
    for (let i = 0; i < n; i++) o[i] = a[i]! / b[i]!;
  } else if (so === 1 && sa === 1 && sb === 0) {
    const v = b[pb]!;
    for (let i = 0; i < n; i++) o[po + i] = a[pa + i]! / v;
  } else if (so === 1 && sa === 0 && sb === 1) {
    const v = a[pa]!;
    for (let i = 0; i < n; i++) o[po + i] = v / b[pb + i]!;
  } else for (let i = 0; i < n; i++, po += so, pa += sa, pb += sb) o[po] = a[pa]! / b[pb]!;
}

// float32: the float64 sum, difference, product or quotient of two float32 values rounded once
// to float32 at the store is the correctly rounded float32 result (float64 has more than
// 2*24 + 2 bits), so these equal float32 arithmetic.
function addF32(o: Float32Array, po: number, so: number, a: Float32Array, pa: number, sa: number, b: Float32Array, pb: number, sb: number, n: number): void {
  if (so === 1 && sa === 1 && sb === 1) {
    if ((po | pa | pb) !== 0 && n >= 64) [o, a, b] = [o.subarray(po, po + n), a.subarray(pa, pa + n), b.subarray(pb, pb + n)];
    else if ((po | pa | pb) !== 0) {
      for (let i = 0; i < n; i++) o[po + i] = a[pa + i]! + b[pb + i]!;
      return;
    }
    for (let i = 0; i < n; i++) o[i] = a[i]! + b[i]!;
  } else if (so === 1 && sa === 1 && sb === 0) {
    const v = b[pb]!;
    for (let i = 0; i < n; i++) o[po + i] = a[pa + i]! + v;
  } else if (so === 1 && sa === 0 && sb === 1) {
    const v = a[pa]!;
    for (let i = 0; i < n; i++) o[po + i] = v + b[pb + i]!;
  } else for (let i = 0; i < n; i++, po += so, pa += sa, pb += sb) o[po] = a[pa]! + b[pb]!;
}
function subF32(o: Float32Array, po: number, so: number, a: Float32Array, pa: number, sa: number, b: Float32Array, pb: number, sb: number, n: number): void {
  if (so === 1 && sa === 1 && sb === 1) {
    if ((po | pa | pb) !== 0 && n >= 64) [o, a, b] = [o.subarray(po, po + n), a.subarray(pa, pa + n), b.subarray(pb, pb + n)];
    else if ((po | pa | pb) !== 0) {
      for (let i = 0; i < n; i++) o[po + i] = a[pa + i]! - b[pb + i]!;
      return;
    }
    for (let i = 0; i < n; i++) o[i] = a[i]! - b[i]!;
  } else if (so === 1 && sa === 1 && sb === 0) {
    const v = b[pb]!;
    for (let i = 0; i < n; i++) o[po + i] = a[pa + i]! - v;
  } else if (so === 1 && sa === 0 && sb === 1) {
    const v = a[pa]!;
    for (let i = 0; i < n; i++) o[po + i] = v - b[pb + i]!;
  } else for (let i = 0; i < n; i++, po += so, pa += sa, pb += sb) o[po] = a[pa]! - b[pb]!;
}
function mulF32(o: Float32Array, po: number, so: number, a: Float32Array, pa: number, sa: number, b: Float32Array, pb: number, sb: number, n: number): void {
  if (so === 1 && sa === 1 && sb === 1) {
    if ((po | pa | pb) !== 0 && n >= 64) [o, a, b] = [o.subarray(po, po + n), a.subarray(pa, pa + n), b.subarray(pb, pb + n)];
    else if ((po | pa | pb) !== 0) {
      for (let i = 0; i < n; i++) o[po + i] = a[pa + i]! * b[pb + i]!;
      return;
    }
    for (let i = 0; i < n; i++) o[i] = a[i]! * b[i]!;
  } else if (so === 1 && sa === 1 && sb === 0) {
    const v = b[pb]!;
    for (let i = 0; i < n; i++) o[po + i] = a[pa + i]! * v;
  } else if (so === 1 && sa === 0 && sb === 1) {
    const v = a[pa]!;
    for (let i = 0; i < n; i++) o[po + i] = v * b[pb + i]!;
  } else for (let i = 0; i < n; i++, po += so, pa += sa, pb += sb) o[po] = a[pa]! * b[pb]!;
}
function divF32(o: Float32Array, po: number, so: number, a: Float32Array, pa: number, sa: number, b: Float32Array, pb: number, sb: number, n: number): void {
  if (so === 1 && sa === 1 && sb === 1) {
    if ((po | pa | pb) !== 0 && n >= 64) [o, a, b] = [o.subarray(po, po + n), a.subarray(pa, pa + n), b.subarray(pb, pb + n)];
    else if ((po | pa | pb) !== 0) {
      for (let i = 0; i < n; i++) o[po + i] = a[pa + i]! / b[pb + i]!;
      return;
    }
    for (let i = 0; i < n; i++) o[i] = a[i]! / b[i]!;
  } else if (so === 1 && sa === 1 && sb === 0) {
    const v = b[pb]!;
    for (let i = 0; i < n; i++) o[po + i] = a[pa + i]! / v;
  } else if (so === 1 && sa === 0 && sb === 1) {
    const v = a[pa]!;
    for (let i = 0; i < n; i++) o[po + i] = v / b[pb + i]!;
  } else for (let i = 0; i < n; i++, po += so, pa += sa, pb += sb) o[po] = a[pa]! / b[pb]!;
}

/** Indexed by the op code of elementwise.ts: ADD = 0, SUB = 1, MUL = 2, DIV = 3. */
const F64: Row<Float64Array>[] = [addF64, subF64, mulF64, divF64];
const F32: Row<Float32Array>[] = [addF32, subF32, mulF32, divF32];

/**
 * o[po + i*so] = a[pa + i*sa] (op) b[pb + i*sb] for i < n when all three storages are float64
 * or all float32, returning true; false (nothing written) otherwise.
 */
export function arithmeticRow(code: number, o: unknown, po: number, so: number, a: unknown, pa: number, sa: number, b: unknown, pb: number, sb: number, n: number): boolean {
  if (o instanceof Float64Array && a instanceof Float64Array && b instanceof Float64Array) F64[code]!(o, po, so, a, pa, sa, b, pb, sb, n);
  else if (o instanceof Float32Array && a instanceof Float32Array && b instanceof Float32Array) F32[code]!(o, po, so, a, pa, sa, b, pb, sb, n);
  else return false;
  return true;
}
