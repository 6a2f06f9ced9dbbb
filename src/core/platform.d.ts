/**
 * The few host globals the engine uses, present in Node, in workers and in
 * browsers alike. Declared here because core compiles against ES2022 alone
 * (no DOM, no Node types), so nothing else from either can creep in.
 */
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: Uint8Array): string;
}

declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
