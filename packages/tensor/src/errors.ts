// Typed errors. Every message starts with the operation's name and echoes the shapes or
// values at fault, so a failure deep in a model still says where it came from.

/**
 * The base class of every error this package throws (ShapeError, AxisError, IndexError,
 * DTypeError, ValueError, ReadOnlyError, AllocationError, TraceError): `e instanceof TapegradError` tells them
 * from other errors, and `e.name` is the subclass's name.
 */
export class TapegradError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit together: broadcasting, matmul, concat, reshape, ... */
export class ShapeError extends TapegradError {}

/** An axis outside the array's dimensions, or repeated where it must be unique. */
export class AxisError extends TapegradError {}

/** An index or slice bound outside an axis. */
export class IndexError extends TapegradError {}

/** A dtype that the operation does not accept. */
export class DTypeError extends TapegradError {}

/** Any other bad argument value (a non-integer count, a negative size, an empty reduction, ...). */
export class ValueError extends TapegradError {}

/** Writing into an array that must not be written (a broadcast view). */
export class ReadOnlyError extends TapegradError {}

/**
 * An array too large to allocate (numpy's MemoryError): the message names the operation, the
 * element count, the dtype and the bytes, instead of the engine's bare RangeError.
 *
 * @example
 * ```ts
 * try { zeros([1e6, 1e6]); } catch (e) { e instanceof AllocationError; } // true
 * ```
 */
export class AllocationError extends TapegradError {}

/** `[2,3]`: the one way shapes are spelled in messages. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

/** A trace that cannot be replayed faithfully: what it read, and where. */
export class TraceError extends TapegradError {}
