/**
 * One module per operation of the IR: how it infers its output size, how it
 * reads its inputs along each axis (its axis rules), and how it reads in one
 * line. The registry (ops/index.ts) maps every OpName to its definition, so
 * the compiler refuses an op without one.
 */
import { sizeText } from '../../graph/display';
import type { LayerNode, LayerOp, OpName } from '../../graph/ir';
import { effectiveExtent } from '../../graph/window';
import type { AxisRule } from '../axisRules';
import type { GeometryOptions, NodeGeometry } from '../geometry';
import { MAX_AXIS } from '../limits';

/** The spec of an op (members of LayerOp may serve several ops: add, mul and concat share one). */
export type SpecOf<K extends OpName> = LayerOp extends infer U ? (U extends { op: infer O } ? (K extends O ? U : never) : never) : never;

export interface OpContext<S extends LayerOp = LayerOp> {
  spec: S;
  node: LayerNode;
  /** geometry of the layer's inputs, in the order it lists them (all known) */
  inputs: NodeGeometry[];
  rank: number;
  /** the network's input size */
  networkInput: number[];
  options: GeometryOptions;
  /** Records an RFL100 on the layer; returns null so a shape function can `return ctx.fail(...)`. */
  fail(message: string): null;
  /** Records an RFL100 on the layer that does not stop its analysis. */
  warn(message: string): void;
}

export interface OpShape {
  /** output size per axis (1 on every axis for layers without spatial extent) */
  size: number[];
  /** false once the layer has no spatial extent (global pooling, dense, and what follows) */
  spatial: boolean;
  /** builds the layer's axis rules, rules[input][axis], on first use */
  rules: () => AxisRule[][];
  /** window layers: padding applied before and after per axis, 'same' resolved */
  padBefore?: number[];
  padAfter?: number[];
}

export interface OpDefinition<S extends LayerOp = LayerOp> {
  /** reads one input; further inputs carry no paths (with a finding saying so) */
  readonly singleInput: boolean;
  /** slides, resamples or crops the grid: after a layer without spatial extent it passes its single unit on */
  readonly resamples: boolean;
  /** whether the output has lost its spatial axes: always (dense, flatten), when all inputs have (merges), or as its first input */
  readonly flat: 'always' | 'all-inputs' | 'first-input';
  /**
   * When the layer's path map equals its input's: 'always' for copies (an
   * activation), 'one-unit' for a layer that sums its input into one unit
   * (global pooling on an all-ones network), 'never'.
   */
  readonly sameMap: 'always' | 'one-unit' | 'never';
  shape(ctx: OpContext<S>): OpShape | null;
  /** the spatial parameters in a few characters ("k3 s2 p1") */
  summary(spec: S): string;
}

/** The traits of a layer that reads one input and resamples its grid (windows, upsampling, pixel shuffles, adaptive pools). */
export const RESAMPLING_LAYER = { singleInput: true, resamples: true, flat: 'first-input', sameMap: 'never' } as const;

/** A per-axis list written once when every axis agrees. */
export function perAxisText(v: readonly number[]): string {
  return v.every((x) => x === v[0]) ? String(v[0]) : sizeText(v);
}

export function arraysFit(rank: number, ...arrays: Array<readonly number[] | undefined>): boolean {
  return arrays.every((a) => !a || a.length === rank);
}

/** Whole numbers within the analysis' axis limit, with a window extent within it too. */
export function windowParamsSane(kernel: number[], stride: number[], dilation: number[], padding: number[]): boolean {
  const whole = (v: number, min: number) => Number.isInteger(v) && v >= min && v <= MAX_AXIS;
  return (
    kernel.every((k) => whole(k, 1)) &&
    stride.every((s) => whole(s, 1)) &&
    dilation.every((d) => whole(d, 1)) &&
    padding.every((p) => whole(p, 0)) &&
    kernel.every((k, a) => effectiveExtent(k, dilation[a]!) <= MAX_AXIS)
  );
}

/** The first input, or a finding that the layer has none. */
export function firstInput(ctx: OpContext): NodeGeometry | null {
  return ctx.inputs[0] ?? ctx.fail(`${ctx.node.name} has no input.`);
}
