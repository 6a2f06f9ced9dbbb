/**
 * The model IR every reader produces and every analysis consumes.
 *
 * A model is a directed acyclic graph of layers. Spatial parameters are given
 * per axis, outermost first (D, H, W for video, H, W for images, L for audio),
 * so one engine serves rank 1, 2 and 3.
 */

/** Zero-based line and character, as editors count them. */
export interface Position {
  line: number;
  character: number;
}

export interface SourceRange {
  start: Position;
  end: Position;
}

export type PadMode = 'zeros' | 'reflect' | 'replicate' | 'circular';
export const PAD_MODES: readonly PadMode[] = ['zeros', 'reflect', 'replicate', 'circular'];

/**
 * Padding as the file states it. 'same' is resolved per axis during shape
 * inference because the split depends on the input size:
 * - upper: TensorFlow/Keras 'same' and ONNX SAME_UPPER, odd extra pixel after;
 * - lower: ONNX SAME_LOWER, odd extra pixel before;
 * - torch: PyTorch padding='same' (stride 1 only), floor(total/2) before.
 */
export type Padding =
  | {
      kind: 'explicit';
      before: number[];
      after: number[];
      /** Set when the padding is a format's implicit default rather than written numbers (Darknet maxpool). */
      implicitRule?: string;
    }
  | { kind: 'same'; rule: 'upper' | 'lower' | 'torch' };

/**
 * Ceil-mode rounding. 'always' drops a last window that would start in the
 * trailing padding (PyTorch); 'when-padded' does so only when there is padding
 * (Caffe's PoolingLayer::Reshape).
 */
export type CeilMode = false | 'always' | 'when-padded';

/** Sliding-window parameters shared by convolutions, pools and locally connected layers. */
export interface Window {
  kernel: number[];
  stride: number[];
  dilation: number[];
  padding: Padding;
  padMode: PadMode;
  ceil: CeilMode;
}

/** How a merge layer lines up inputs of different sizes. */
export type MergeAlign =
  /** all inputs must have the output's size */
  | 'exact'
  /** Darknet shortcut_cpu: samples every (w1/w2)-th pixel of a larger input, or writes every (w2/w1)-th pixel from a smaller one */
  | 'darknet-sample';

/**
 * Darknet's reorg does not match a clean space-to-depth: each dialect calls
 * reorg_cpu with different dimensions, and the pixels an output reads follow
 * from that call (see analysis/axisRules.ts).
 */
export type SpaceToDepthLayout = 'clean' | 'darknet-pjreddie' | 'darknet-alexeyab';

export type LayerOp =
  | { op: 'input'; shape: number[] | null }
  | { op: 'conv'; window: Window; local?: boolean }
  | { op: 'pool'; pool: 'max' | 'avg' | 'lrn'; window: Window }
  | {
      op: 'convtranspose';
      kernel: number[];
      stride: number[];
      dilation: number[];
      padBefore: number[];
      padAfter: number[];
      outputPadding: number[];
    }
  | {
      op: 'upsample';
      mode: 'nearest' | 'bilinear';
      /** scale factor per axis (output / input); ignored when size is set */
      scale: number[] | null;
      /** explicit output size per axis */
      size: number[] | null;
      alignCorners: boolean;
    }
  | { op: 'spaceToDepth'; block: number[]; layout: SpaceToDepthLayout }
  | { op: 'pixelShuffle'; factor: number[] }
  | {
      op: 'crop';
      /** first input index kept per axis, or 'center' for a centred crop */
      offset: number[] | 'center';
      /**
       * Output size per axis: a number, 'reference' for the size of the second
       * input (Caffe Crop's reference blob) or 'keep' for the input's own size.
       */
      size: Array<number | 'reference' | 'keep'>;
    }
  | {
      op: 'add' | 'mul' | 'concat';
      align: MergeAlign;
      /** concat only: the spatial axis joined along, when the file joins along one (only flat inputs can be) */
      spatialAxis?: number;
    }
  | { op: 'pointwise'; kind: string }
  | { op: 'globalPool' | 'dense' | 'flatten' }
  /** a value that does not depend on the input pixels (Caffe PriorBox, a loss's label) */
  | { op: 'constant' }
  | { op: 'unknown'; reason: string };

export type OpName = LayerOp['op'];

export interface LayerNode {
  /** Stable id as the format refers to the layer (Darknet index, Caffe layer name). */
  id: string;
  /** Name as the user wrote it (section header, layer name, variable). */
  name: string;
  /** Type as the user wrote it ('convolutional', 'Convolution', 'Conv2d'). */
  type: string;
  inputs: string[];
  spec: LayerOp;
  /** The whole definition of the layer in the source. */
  origin: SourceRange | null;
  /** Ranges of individual keys (stride, size, pad...) so findings land on the narrowest token. */
  keyRanges?: Record<string, SourceRange>;
  /**
   * Ranges of values a quick fix may replace, under format-neutral names:
   * 'kernel' and 'stride' (one value for every axis), 'inputSize:<axis>'.
   */
  valueRanges?: Record<string, SourceRange>;
}

export interface ModelGraph {
  format: string;
  name: string;
  /** Spatial rank: 1, 2 or 3. */
  rank: number;
  /** In an order where every layer comes after its inputs. */
  nodes: LayerNode[];
  outputs: string[];
  /** Spatial input size the file states, if any. */
  statedInput: number[] | null;
  /** Which variant of the format the reader followed where variants differ (Darknet forks). */
  dialect?: string;
}

export function nodeWindow(node: LayerNode): Window | null {
  const s = node.spec;
  return s.op === 'conv' || s.op === 'pool' ? s.window : null;
}
