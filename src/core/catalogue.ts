/**
 * The engine's second public entry: its catalogues (the findings and the
 * padding modes) without the readers. The extension host imports these values
 * from here, so its bundle holds no reader library (yaml, protobufjs, lezer)
 * and activation stays light; everything else comes through `index.ts`.
 */
export { FINDING_KINDS } from './graph/finding';
export type { FindingCode } from './graph/finding';
export { PAD_MODES } from './graph/ir';
export type { PadMode } from './graph/ir';
