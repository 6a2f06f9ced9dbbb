/**
 * The registry of operations: every OpName of the IR has its definition here
 * (the mapped type makes a missing one a compile error). Adding an op: its
 * spec in graph/ir.ts, a definition in this folder, one line below; see
 * docs/design-notes.md, "Adding an op".
 */
import type { LayerOp, OpName } from '../../graph/ir';
import { adaptivePoolOp } from './adaptive';
import { constantOp, denseOp, flattenOp, globalPoolOp, inputOp } from './global';
import { normalizeOp, pointwiseOp, unknownOp } from './elementwise';
import { addOp, concatOp, mulOp } from './merge';
import type { OpDefinition, SpecOf } from './op';
import { cropOp, pixelShuffleOp, spaceToDepthOp, upsampleOp } from './resample';
import { convOp, convTransposeOp, poolOp } from './window';

export type { OpContext, OpDefinition, OpShape } from './op';
export { samePadding, windowOutputSize } from './window';

export const OPS: { readonly [K in OpName]: OpDefinition<SpecOf<K>> } = {
  input: inputOp,
  conv: convOp,
  pool: poolOp,
  adaptivePool: adaptivePoolOp,
  convtranspose: convTransposeOp,
  upsample: upsampleOp,
  spaceToDepth: spaceToDepthOp,
  pixelShuffle: pixelShuffleOp,
  crop: cropOp,
  add: addOp,
  mul: mulOp,
  concat: concatOp,
  pointwise: pointwiseOp,
  normalize: normalizeOp,
  globalPool: globalPoolOp,
  dense: denseOp,
  flatten: flattenOp,
  constant: constantOp,
  unknown: unknownOp,
};

/** The definition of a layer's op, typed for its spec. */
export function opOf<S extends LayerOp>(spec: S): OpDefinition<S> {
  return OPS[spec.op] as unknown as OpDefinition<S>;
}
