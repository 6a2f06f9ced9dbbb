/**
 * ONNX Resize as its specification (and onnx/reference/ops/op_resize.py)
 * writes it, in plain floating point: the test's independent reference for
 * the engine's exact nearest and linear rules.
 */

/** The source coordinate of output o (coordinate_transformation_mode). */
export function onnxSourceCoordinate(o: number, nIn: number, nOut: number, scale: number | null, ctm: string): number {
  const s = scale ?? nOut / nIn;
  switch (ctm) {
    case 'align_corners':
      return nOut === 1 ? 0 : (o * (nIn - 1)) / (nOut - 1);
    case 'asymmetric':
      return o / s;
    case 'tf_half_pixel_for_nn':
      return (o + 0.5) / s;
    case 'pytorch_half_pixel':
      return nOut > 1 ? (o + 0.5) / s - 0.5 : 0;
    default:
      return (o + 0.5) / s - 0.5;
  }
}

/** Resize nearest: the source index of output o (nearest_mode), clamped to the input. */
export function onnxNearestSource(o: number, nIn: number, nOut: number, scale: number | null, ctm: string, mode: string): number {
  const x = onnxSourceCoordinate(o, nIn, nOut, scale, ctm);
  let i: number;
  switch (mode) {
    case 'floor':
      i = Math.floor(x);
      break;
    case 'ceil':
      i = Math.ceil(x);
      break;
    case 'round_prefer_ceil':
      i = Math.floor(x + 0.5);
      break;
    default:
      i = Math.ceil(x - 0.5);
  }
  return Math.max(0, Math.min(nIn - 1, i));
}

/** Resize linear: the (index, weight) pairs output o reads; the reference pads with edge values, so indices clamp. */
export function onnxLinearTaps(o: number, nIn: number, nOut: number, scale: number | null, ctm: string): Array<[number, number]> {
  const x = Math.max(0, Math.min(nIn - 1, onnxSourceCoordinate(o, nIn, nOut, scale, ctm)));
  const i0 = Math.floor(x);
  const w1 = x - i0;
  const i1 = Math.min(nIn - 1, i0 + 1);
  return i1 === i0 ? [[i0, 1]] : [[i0, 1 - w1], [i1, w1]].filter(([, w]) => w > 0) as Array<[number, number]>;
}
