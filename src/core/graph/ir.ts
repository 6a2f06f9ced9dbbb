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

/** ONNX Resize's coordinate transformations (see the upsample op). */
export type ResizeCoordinates = 'half_pixel' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric' | 'tf_half_pixel_for_nn';
export type NearestRounding = 'floor' | 'ceil' | 'round_prefer_floor' | 'round_prefer_ceil';

/** One axis of a crop's output size (see the crop op). */
export type CropSize = number | 'reference' | 'keep' | { trimEnd: number };

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

/**
 * How the output count of a window is computed when not in ceil mode:
 * 'floor' (PyTorch, TensorFlow), 'c' (C integer division, which truncates
 * toward zero: Darknet and Caffe convolutions, where a window hanging over
 * the end of a too-small input still gives one output), 'darknet-local'
 * (local_layer.c: (n-1)/stride+1 with any padding, (n-size)/stride+1 without).
 */
export type WindowCount = 'floor' | 'c' | 'darknet-local';

/** Sliding-window parameters shared by convolutions, pools and locally connected layers. */
export interface Window {
  kernel: number[];
  stride: number[];
  dilation: number[];
  padding: Padding;
  padMode: PadMode;
  ceil: CeilMode;
  /** 'floor' when absent */
  count?: WindowCount;
}

/** How a merge layer lines up inputs of different sizes. */
export type MergeAlign =
  /** all inputs must have the output's size (or size 1, broadcast) */
  | 'exact'
  /** pjreddie's shortcut_cpu: samples every (w1/w2)-th pixel of a larger input, or writes every (w2/w1)-th pixel from a smaller one */
  | 'darknet-sample'
  /** AlexeyAB's shortcut_multilayer_cpu: adds inputs of other sizes by memory index (no spatial meaning; shown as sampling) */
  | 'darknet-flat';

/**
 * Darknet's reorg is not a clean space-to-depth. Both forks' [reorg] call
 * reorg_cpu with the input's dimensions ('darknet-reorg': columns stay in
 * blocks, rows are gathered from across the map, see analysis/axisRules.ts);
 * AlexeyAB's [reorg3d] calls it with the output's ('darknet-reorg3d', clean
 * when the size is a multiple of the stride).
 */
export type SpaceToDepthLayout = 'clean' | 'darknet-reorg' | 'darknet-reorg3d';

export type LayerOp =
  | { op: 'input'; shape: number[] | null }
  | { op: 'conv'; sliding: Window; local?: boolean }
  | { op: 'pool'; pool: 'max' | 'avg' | 'lrn'; sliding: Window }
  /**
   * Adaptive pooling (PyTorch AdaptiveAvgPool/AdaptiveMaxPool): a fixed output
   * size per axis (null keeps the input's), output i of n over an input of L
   * reading floor(i*L/n) .. ceil((i+1)*L/n) - 1. Windows may differ in size
   * and overlap; not a sliding window unless n divides L.
   */
  | { op: 'adaptivePool'; pool: 'max' | 'avg'; output: Array<number | null> }
  /**
   * Transposed convolution: the same window parameters as conv, read from the
   * output's side ('same' padding as Keras and ONNX auto_pad define it: n*s
   * outputs), plus the output padding that lengthens the output.
   */
  | { op: 'convtranspose'; sliding: Window; outputPadding: number[] }
  | {
      op: 'upsample';
      mode: 'nearest' | 'bilinear';
      /** scale factor per axis (output / input); ignored when size is set */
      scale: number[] | null;
      /**
       * explicit output size per axis, or 'reference' for the size of the
       * second input, which only lends its size and carries no paths
       * (PyTorch's `F.interpolate(x, size=input.shape[-2:])`, a segmentation
       * head resized back to the image)
       */
      size: number[] | 'reference' | null;
      alignCorners: boolean;
      /**
       * How an output index maps to a source coordinate, where it is not
       * PyTorch's (nearest: floor(o / scale); linear: half-pixel centres, or
       * corners when alignCorners): ONNX Resize's coordinate_transformation_mode.
       */
      coordinates?: ResizeCoordinates;
      /** nearest only, with `coordinates`: how a source coordinate becomes a pixel (ONNX nearest_mode) */
      rounding?: NearestRounding;
    }
  | { op: 'spaceToDepth'; block: number[]; layout: SpaceToDepthLayout }
  | { op: 'pixelShuffle'; factor: number[] }
  | {
      op: 'crop';
      /** first input index kept per axis, or 'center' for a centred crop */
      offset: number[] | 'center';
      /**
       * Output size per axis: a number, 'reference' for the size of the second
       * input (Caffe Crop's reference blob), 'keep' for the input's own size, or
       * what is left after cutting `offset` at the start and `trimEnd` at the
       * end (Keras Cropping2D, PyTorch's negative F.pad).
       */
      size: CropSize[];
    }
  | {
      op: 'add' | 'mul' | 'concat';
      align: MergeAlign;
      /** concat only: the spatial axis joined along, when the file joins along one (only flat inputs can be) */
      spatialAxis?: number;
    }
  | { op: 'pointwise'; kind: string }
  /**
   * Each unit depends on its own position and on statistics of the whole map
   * (SSD's Normalize across space, Caffe's MVN). The layer lists its input
   * twice: read position by position, and read whole.
   */
  | { op: 'normalize'; kind: string }
  | { op: 'globalPool' | 'dense' | 'flatten' }
  /** a value that does not depend on the input pixels (Caffe PriorBox, a loss's label) */
  | { op: 'constant' }
  | { op: 'unknown'; reason: string };

export type OpName = LayerOp['op'];

/**
 * Parts of a layer's definition that findings and quick fixes point at, named
 * the same in every format: 'name' and 'type' (the layer's own tokens: a
 * layer-wide finding underlines one of them, not the whole section), the
 * window parameters, and `inputSize:<axis>` on the input layer.
 */
export type RangeRole = 'name' | 'type' | 'kernel' | 'stride' | 'padding' | 'dilation' | 'padMode' | 'offset' | `inputSize:${number}`;

export type RoleRanges = Partial<Record<RangeRole, SourceRange>>;

/** The narrowest range of the first role the layer has, else its name or type token, else the whole definition. */
export function rangeOfRole(node: LayerNode, ...roles: RangeRole[]): SourceRange | null {
  for (const role of roles) {
    const r = node.ranges?.[role];
    if (r) return r;
  }
  return node.ranges?.name ?? node.ranges?.type ?? node.origin;
}

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
  /**
   * The narrowest token of each part of the definition, under format-neutral
   * roles, so findings underline the key that causes them (a Darknet
   * `stride=2` line, an ONNX `strides` attribute, a Keras `kernel_size=`).
   */
  ranges?: RoleRanges;
  /**
   * The value text of a role that a quick fix may replace, where one value is
   * written for every axis (`size=3`, `kernel_size: 3`, `'input'` sizes per axis).
   */
  valueRanges?: RoleRanges;
  /** Where a quick fix writes this layer's padding mode, when the format can state one (see PadModeSlot). */
  padModeSlot?: PadModeSlot;
}

/**
 * How a quick fix changes a layer's padding mode: replace `range` with
 * `prefix` + the format's spelling of the mode. When the file states the mode
 * `range` is its value and `prefix` empty; otherwise `range` is empty, where
 * the argument is inserted (`, padding_mode=` after the last argument).
 */
export interface PadModeSlot {
  /** the format's name for the setting, for the fix's title (PyTorch: `padding_mode`) */
  key: string;
  range: SourceRange;
  prefix: string;
  /** the format's text for each mode it supports (PyTorch: `'replicate'`) */
  values: Partial<Record<PadMode, string>>;
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
  /**
   * The format's own default input size when the file states none (Ultralytics: 640, 224 for
   * classifiers); used after the rfLens default setting, before the engine's 224.
   */
  defaultInput?: number[];
  /** Which variant of the format the reader followed where variants differ (Darknet forks). */
  dialect?: string;
  /** Where the file defines this model (a Python class, factory function or module-level instance), when a file defines several. */
  definition?: SourceRange | null;
}

/** The sliding window of a convolution or pool (not of a transposed convolution, which writes rather than reads windows). */
export function nodeWindow(node: LayerNode): Window | null {
  const s = node.spec;
  return s.op === 'conv' || s.op === 'pool' ? s.sliding : null;
}
