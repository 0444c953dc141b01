// The globals nn's sources use: the two Encoding API classes (safetensors.ts) and console.warn
// (a deprecation note in module.ts). Every browser and Node has them, but lib "ES2022" does not
// declare them, and the packages take no DOM or Node typings. Kept out
// of src so that a program with DOM or Node types (the root typecheck, a user's) never sees two
// declarations of the same global: only this package's own build reads this file.

export {}; // TypeScript 7 treats every file as a module, so globals go in `declare global`

declare global {
  interface TextEncoder {
    encode(input?: string): Uint8Array;
  }
  interface TextDecoder {
    decode(input?: Uint8Array): string;
  }
  var TextEncoder: { prototype: TextEncoder; new (): TextEncoder };
  interface Console {
    warn(...data: unknown[]): void;
  }
  var console: Console;
  var TextDecoder: {
    prototype: TextDecoder;
    new (label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean }): TextDecoder;
  };
}
