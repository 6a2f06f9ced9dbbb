/**
 * The Ultralytics module library: what each block of a model `.yaml` is
 * spatially. Constructor signatures (the arguments after c1, c2 that
 * parse_model passes) are data; each block's internal layout follows the
 * block definitions in ultralytics/nn/modules/{conv,block,head}.py, with the
 * attribute names Ultralytics prints (`cv1`, `m.0.cv2`, ...) as node ids.
 *
 * Channel splits (`chunk`, `split`) are spatially the identity and make no
 * node; a tensor split into halves that are both concatenated again counts
 * once (one channel per layer, as the path counts are defined).
 */
import type { LayerNode, LayerOp, SourceRange, Window } from '../../graph/ir';

/** A Python value as parse_model sees it after resolving strings. */
export type PyValue = number | string | boolean | null | PyValue[];

/**
 * Constructor parameters after (c1, c2) for modules in parse_model's
 * base_modules, and all parameters for the others; `name=default` where the
 * constructor has a default (Python literal syntax).
 */
export interface ModuleInfo {
  params: string[];
  /** parse_model prepends c1 (and takes c2 from args[0], scaled by width) */
  base?: boolean;
  /** parse_model inserts the repeat count as the third argument (n) */
  repeat?: boolean;
  /** a detection/segmentation/classification head: an output of the model */
  head?: boolean;
  /** output channels equal the sum of the inputs' (Concat) */
  concat?: boolean;
  /** parse_model's HGStem/HGBlock branch: args are [cm, c2, ...], HGBlock gets n after k */
  hg?: boolean;
  /** parse_model prepends the input channels only (AIFI) */
  prependC1?: boolean;
}

export const MODULES: Record<string, ModuleInfo> = {
  Conv: { base: true, params: ['k=1', 's=1', 'p=None', 'g=1', 'd=1', 'act=True'] },
  DWConv: { base: true, params: ['k=1', 's=1', 'd=1', 'act=True'] },
  Focus: { base: true, params: ['k=1', 's=1', 'p=None', 'g=1', 'act=True'] },
  GhostConv: { base: true, params: ['k=1', 's=1', 'g=1', 'act=True'] },
  ConvTranspose: { base: true, params: ['k=2', 's=2', 'p=0', 'bn=True', 'act=True'] },
  Bottleneck: { base: true, params: ['shortcut=True', 'g=1', 'k=(3, 3)', 'e=0.5'] },
  BottleneckCSP: { base: true, repeat: true, params: ['n=1', 'shortcut=True', 'g=1', 'e=0.5'] },
  C1: { base: true, repeat: true, params: ['n=1'] },
  C2: { base: true, repeat: true, params: ['n=1', 'shortcut=True', 'g=1', 'e=0.5'] },
  C2f: { base: true, repeat: true, params: ['n=1', 'shortcut=False', 'g=1', 'e=0.5'] },
  C3: { base: true, repeat: true, params: ['n=1', 'shortcut=True', 'g=1', 'e=0.5'] },
  C3x: { base: true, repeat: true, params: ['n=1', 'shortcut=True', 'g=1', 'e=0.5'] },
  C3TR: { base: true, repeat: true, params: ['n=1', 'shortcut=True', 'g=1', 'e=0.5'] },
  C3Ghost: { base: true, repeat: true, params: ['n=1', 'shortcut=True', 'g=1', 'e=0.5'] },
  C3k: { base: true, repeat: true, params: ['n=1', 'shortcut=True', 'g=1', 'e=0.5', 'k=3'] },
  C3k2: { base: true, repeat: true, params: ['n=1', 'c3k=False', 'e=0.5', 'g=1', 'shortcut=True'] },
  C2PSA: { base: true, repeat: true, params: ['n=1', 'e=0.5'] },
  C2fPSA: { base: true, repeat: true, params: ['n=1', 'e=0.5'] },
  PSA: { base: true, params: ['e=0.5'] },
  SPP: { base: true, params: ['k=(5, 9, 13)'] },
  SPPF: { base: true, params: ['k=5'] },
  SPPELAN: { base: true, params: ['c3', 'k=5'] },
  SCDown: { base: true, params: ['k', 's'] },
  C2fCIB: { base: true, repeat: true, params: ['n=1', 'shortcut=False', 'lk=False', 'g=1', 'e=0.5'] },
  RepC3: { base: true, repeat: true, params: ['n=3', 'e=1.0'] },
  RepNCSPELAN4: { base: true, params: ['c3', 'c4', 'n=1'] },
  ELAN1: { base: true, params: ['c3', 'c4'] },
  ADown: { base: true, params: [] },
  AConv: { base: true, params: [] },
  A2C2f: {
    base: true,
    repeat: true,
    params: ['n=1', 'a2=True', 'area=1', 'residual=False', 'mlp_ratio=2.0', 'e=0.5', 'g=1', 'shortcut=True'],
  },
  'nn.ConvTranspose2d': {
    base: true,
    params: ['kernel_size', 'stride=1', 'padding=0', 'output_padding=0', 'groups=1', 'bias=True', 'dilation=1'],
  },
  'nn.Upsample': { params: ['size=None', 'scale_factor=None', "mode='nearest'", 'align_corners=None'] },
  'nn.MaxPool2d': { params: ['kernel_size', 'stride=None', 'padding=0', 'dilation=1', 'return_indices=False', 'ceil_mode=False'] },
  'nn.AvgPool2d': { params: ['kernel_size', 'stride=None', 'padding=0', 'ceil_mode=False', 'count_include_pad=True'] },
  'nn.ZeroPad2d': { params: ['padding'] },
  'nn.BatchNorm2d': { params: [] },
  'nn.Identity': { params: [] },
  'nn.Dropout': { params: [] },
  Concat: { concat: true, params: ['dimension=1'] },
  HGStem: { hg: true, params: [] },
  HGBlock: { hg: true, repeat: true, params: ['k=3', 'n=6', 'lightconv=False', 'shortcut=False'] },
  ResNetLayer: { params: ['c1', 'c2', 's=1', 'is_first=False', 'n=1', 'e=4'] },
  AIFI: { prependC1: true, params: ['cm=2048', 'num_heads=8'] },
  RTDETRDecoder: { head: true, params: ['nc=80'] },
  Detect: { head: true, params: ['nc=80'] },
  Segment: { head: true, params: ['nc=80', 'nm=32', 'npr=256'] },
  Pose: { head: true, params: ['nc=80', 'kpt_shape=(17, 3)'] },
  OBB: { head: true, params: ['nc=80', 'ne=1'] },
  v10Detect: { head: true, params: ['nc=80'] },
  Classify: { base: true, head: true, params: ['k=1', 's=1', 'p=None', 'g=1'] },
};

/** Torch modules parse_model also finds without the `nn.` prefix. */
export function canonicalModule(name: string): string | null {
  if (MODULES[name]) return name;
  const bare = name.replace(/^torch\.nn\./, 'nn.');
  if (MODULES[bare]) return bare;
  if (MODULES[`nn.${name}`]) return `nn.${name}`;
  return null;
}

/** The YOLOv5 repository's heads (anchor-based: one 1x1 convolution per scale) differ from the package's. */
export type HeadDialect = 'ultralytics' | 'yolov5';

export interface BlockContext {
  /** row index, the id of the row's output node */
  row: number;
  module: string;
  origin: SourceRange | null;
  ranges: Record<string, SourceRange>;
  valueRanges: Record<string, SourceRange>;
  /** resolved constructor parameters by name */
  p: Record<string, PyValue>;
  /** input channels and output channels (after width scaling) */
  c1: number;
  c2: number;
  /** Detect's legacy layout (before YOLO11): false once a C3k2, C2fCIB or A2C2f row has been read */
  legacy: boolean;
  dialect: HeadDialect;
  /** a spatial approximation or an unreadable argument, reported on the row */
  note(message: string, range?: SourceRange | null): void;
}

const pairOf = (v: number | number[]): number[] => (Array.isArray(v) ? [v[0]!, v[1] ?? v[0]!] : [v, v]);

function num(v: PyValue | undefined, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'boolean' ? Number(v) : fallback;
}

/** A kernel, stride or padding argument: an int or a pair. */
function intPair(v: PyValue | undefined, fallback: number): number[] {
  if (Array.isArray(v)) return pairOf(v.map((x) => num(x, fallback)));
  return pairOf(num(v, fallback));
}

function truthy(v: PyValue | undefined): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return !!v;
}

/** Builds the internal layers of one row; every id is prefixed by the row's (or repeat copy's) path. */
export class BlockBuilder {
  readonly nodes: LayerNode[] = [];
  readonly outputs: string[] = [];

  constructor(readonly ctx: BlockContext) {}

  private push(id: string, spec: LayerOp, inputs: string[], type: string): string {
    this.nodes.push({
      id,
      name: id,
      type,
      inputs,
      spec,
      origin: this.ctx.origin,
      ranges: { ...this.ctx.ranges },
      valueRanges: { ...this.ctx.valueRanges },
    });
    return id;
  }

  static window(k: number[], s: number[], d: number[], before: number[], after: number[], ceil: Window['ceil'] = false): Window {
    return { kernel: k, stride: s, dilation: d, padding: { kind: 'explicit', before, after }, padMode: 'zeros', ceil };
  }

  /** ultralytics Conv (Conv2d + BN + act): autopad p = e // 2 with e = d*(k-1)+1 unless p is given. */
  conv(id: string, input: string, k: PyValue | number[], s: PyValue | number[] = 1, p: PyValue | number[] = null, d: PyValue | number[] = 1, type = 'Conv'): string {
    const kk = intPair(k as PyValue, 1);
    const ss = intPair(s as PyValue, 1);
    const dd = intPair(d as PyValue, 1);
    const pp = p === null || p === undefined ? kk.map((x, a) => Math.floor((dd[a]! * (x - 1) + 1) / 2)) : intPair(p as PyValue, 0);
    return this.push(id, { op: 'conv', sliding: BlockBuilder.window(kk, ss, dd, pp, pp) }, [input], type);
  }

  pool(id: string, input: string, pool: 'max' | 'avg', k: PyValue, s: PyValue, p: PyValue, ceil = false, d: PyValue = 1, type = pool === 'max' ? 'MaxPool2d' : 'AvgPool2d'): string {
    const kk = intPair(k, 1);
    const ss = s === null || s === undefined ? kk : intPair(s, 1);
    const pp = intPair(p, 0);
    const w = BlockBuilder.window(kk, ss, intPair(d, 1), pp, pp, ceil ? 'always' : false);
    return this.push(id, { op: 'pool', pool, sliding: w }, [input], type);
  }

  merge(id: string, op: 'add' | 'mul' | 'concat', inputs: string[]): string {
    const type = op === 'add' ? 'add' : op === 'mul' ? 'mul' : 'Concat';
    return this.push(id, { op, align: 'exact' }, inputs, type);
  }

  op(id: string, spec: LayerOp, inputs: string[], type: string): string {
    return this.push(id, spec, inputs, type);
  }

  /** Global mixing over positions (self-attention): x -> globalPool -> mul(x, pooled). */
  global(id: string, input: string): string {
    const pooled = this.push(`${id}.pool`, { op: 'globalPool' }, [input], 'attention (global)');
    return this.push(id, { op: 'mul', align: 'exact' }, [input, pooled], 'attention');
  }

  // ---- blocks shared by several modules (ultralytics/nn/modules/block.py) ----

  /** Bottleneck: cv1 (k[0]), cv2 (k[1]); x + cv2(cv1(x)) when shortcut and c1 == c2. */
  bottleneck(path: string, x: string, k: [PyValue, PyValue], add: boolean, rep = false): string {
    const a = rep ? this.repConv(`${path}.cv1`, x, k[0]) : this.conv(`${path}.cv1`, x, k[0]);
    const b = this.conv(`${path}.cv2`, a, k[1]);
    return add ? this.merge(path, 'add', [x, b]) : b;
  }

  /** RepConv: a k x k and a 1x1 convolution (padding p - k//2) summed. */
  repConv(path: string, x: string, k: PyValue = 3): string {
    const kk = intPair(k, 3);
    const a = this.conv(`${path}.conv1`, x, kk);
    const b = this.conv(`${path}.conv2`, x, 1, 1, 0);
    return this.merge(path, 'add', [a, b]);
  }

  /** C3: cv3(cat(m(cv1(x)), cv2(x))) with m a chain of bottlenecks. */
  c3(path: string, x: string, n: number, body: (p: string, y: string) => string): string {
    let y = this.conv(`${path}.cv1`, x, 1);
    const side = this.conv(`${path}.cv2`, x, 1);
    for (let i = 0; i < n; i++) y = body(`${path}.m.${i}`, y);
    const cat = this.merge(`${path}.cat`, 'concat', [y, side]);
    return this.conv(`${path}.cv3`, cat, 1);
  }

  /** C2f: cv2(cat(cv1(x) (both halves), m.0, m.1, ...)), each m.i reading the previous. */
  c2f(path: string, x: string, n: number, body: (p: string, y: string) => string): string {
    const y0 = this.conv(`${path}.cv1`, x, 1);
    const ys = [y0];
    for (let i = 0; i < n; i++) ys.push(body(`${path}.m.${i}`, ys[ys.length - 1]!));
    const cat = this.merge(`${path}.cat`, 'concat', ys);
    return this.conv(`${path}.cv2`, cat, 1);
  }

  /** Attention (PSA's): proj(attend(v) + pe(v)), qkv a 1x1 conv, pe a 3x3 depthwise conv. */
  attention(path: string, x: string, peKernel = 3): string {
    const qkv = this.conv(`${path}.qkv`, x, 1);
    const mixed = this.global(`${path}.attend`, qkv);
    const pe = this.conv(`${path}.pe`, qkv, peKernel);
    const sum = this.merge(`${path}.add`, 'add', [mixed, pe]);
    return this.conv(`${path}.proj`, sum, 1);
  }

  /** PSABlock: x + attn(x), then + ffn(x) (two 1x1 convs), each when shortcut. */
  psaBlock(path: string, x: string, shortcut = true, attnPath = `${path}.attn`, ffnPath = `${path}.ffn`, peKernel = 3): string {
    const a = this.attention(attnPath, x, peKernel);
    const y = shortcut ? this.merge(`${path}.add1`, 'add', [x, a]) : a;
    const f = this.conv(`${ffnPath}.1`, this.conv(`${ffnPath}.0`, y, 1), 1);
    return shortcut ? this.merge(path, 'add', [y, f]) : f;
  }

  /** Three 3x3 stride-1 convolutions branches of the package's heads (cv2, cv3, cv4): Conv 3x3, Conv 3x3, Conv2d 1x1. */
  headBranch(path: string, x: string, light: boolean): string {
    if (light) {
      // YOLO11 / v10 class branch: (DWConv 3x3, Conv 1x1) twice, then Conv2d 1x1
      const a = this.conv(`${path}.0.1`, this.conv(`${path}.0.0`, x, 3), 1);
      const b = this.conv(`${path}.1.1`, this.conv(`${path}.1.0`, a, 3), 1);
      return this.conv(`${path}.2`, b, 1, 1, 0, 1, 'Conv2d');
    }
    const a = this.conv(`${path}.0`, x, 3);
    const b = this.conv(`${path}.1`, a, 3);
    return this.conv(`${path}.2`, b, 1, 1, 0, 1, 'Conv2d');
  }

  /** Proto (segmentation masks): cv1 3x3, 2x upsampling (ConvTranspose2d 2/2 in the package, nearest in YOLOv5), cv2 3x3, cv3 1x1. */
  proto(path: string, x: string): string {
    const a = this.conv(`${path}.cv1`, x, 3);
    const up =
      this.ctx.dialect === 'yolov5'
        ? this.op(`${path}.upsample`, { op: 'upsample', mode: 'nearest', scale: [2, 2], size: null, alignCorners: false }, [a], 'Upsample')
        : this.op(
            `${path}.upsample`,
            { op: 'convtranspose', sliding: { kernel: [2, 2], stride: [2, 2], dilation: [1, 1], padding: { kind: 'explicit', before: [0, 0], after: [0, 0] }, padMode: 'zeros', ceil: false }, outputPadding: [0, 0] },
            [a],
            'ConvTranspose2d',
          );
    const b = this.conv(`${path}.cv2`, up, 3);
    return this.conv(`${path}.cv3`, b, 1);
  }
}

export type BlockFn = (b: BlockBuilder, path: string, inputs: string[]) => string | string[];

const P = (b: BlockBuilder) => b.ctx.p;

/** ZeroPad2d padding (left, right, top, bottom) or one int, as H and W before/after. */
function zeroPad(b: BlockBuilder, v: PyValue | undefined): { before: number[]; after: number[] } {
  if (Array.isArray(v) && v.length === 4) {
    const [l, r, t, bo] = v.map((x) => num(x, 0)) as [number, number, number, number];
    return { before: [t, l], after: [bo, r] };
  }
  if (Array.isArray(v) && v.length === 2) {
    // not a torch form (ZeroPad2d takes 1 or 4 values): read as (H, W)
    b.ctx.note(`nn.ZeroPad2d takes an int or (left, right, top, bottom); ${JSON.stringify(v)} is read as (height, width).`);
    const [h, w] = v.map((x) => num(x, 0)) as [number, number];
    return { before: [h, w], after: [h, w] };
  }
  const n = num(v as PyValue, 0);
  return { before: [n, n], after: [n, n] };
}

/** Per-scale outputs of the detection heads. */
function detectHead(b: BlockBuilder, path: string, inputs: string[], extra: boolean, v10: boolean): string[] {
  const outs: string[] = [];
  inputs.forEach((x, i) => {
    const id = `${path}.${i}`;
    if (b.ctx.dialect === 'yolov5') {
      // YOLOv5's Detect: m.i = Conv2d(x, no*na, 1)
      const conv = b.conv(id, x, 1, 1, 0, 1, b.ctx.module);
      b.nodes[b.nodes.length - 1]!.name = `${b.ctx.module} ${path} scale ${i} (m.${i})`;
      outs.push(conv);
      return;
    }
    const box = b.headBranch(`${path}.cv2.${i}`, x, false);
    const cls = b.headBranch(`${path}.cv3.${i}`, x, v10 || !b.ctx.legacy);
    const parts = [box, cls];
    if (extra) parts.push(b.headBranch(`${path}.cv4.${i}`, x, false));
    outs.push(b.merge(id, 'concat', parts));
    const out = b.nodes[b.nodes.length - 1]!;
    out.name = `${b.ctx.module} ${path} scale ${i}`;
    out.type = b.ctx.module;
  });
  return outs;
}

/** How each module's layers are laid out (see the block definitions named in each comment). */
export const BLOCKS: Record<string, BlockFn> = {
  Conv: (b, path, [x]) => b.conv(path, x!, P(b).k!, P(b).s!, P(b).p!, P(b).d!),
  DWConv: (b, path, [x]) => b.conv(path, x!, P(b).k!, P(b).s!, null, P(b).d!, 'DWConv'),
  GhostConv: (b, path, [x]) => {
    // cv1 = Conv(c1, c_, k, s), cv2 = Conv(c_, c_, 5, 1, g=c_); cat(y, cv2(y))
    const y = b.conv(`${path}.cv1`, x!, P(b).k!, P(b).s!);
    const z = b.conv(`${path}.cv2`, y, 5);
    return b.merge(`${path}.cat`, 'concat', [y, z]);
  },
  Focus: (b, path, [x]) => {
    // cat(x[::2, ::2], x[1::2, ::2], x[::2, 1::2], x[1::2, 1::2]) then conv: a clean 2x2 space-to-depth
    const s2d = b.op(`${path}.space_to_depth`, { op: 'spaceToDepth', block: [2, 2], layout: 'clean' }, [x!], 'space-to-depth');
    return b.conv(`${path}.conv`, s2d, P(b).k!, P(b).s!, P(b).p!);
  },
  ConvTranspose: (b, path, [x]) => {
    const k = intPair(P(b).k!, 2);
    const s = intPair(P(b).s!, 2);
    const p = intPair(P(b).p!, 0);
    return b.op(path, { op: 'convtranspose', sliding: { kernel: k, stride: s, dilation: [1, 1], padding: { kind: 'explicit', before: p, after: p }, padMode: 'zeros', ceil: false }, outputPadding: [0, 0] }, [x!], 'ConvTranspose');
  },
  'nn.ConvTranspose2d': (b, path, [x]) => {
    const k = intPair(P(b).kernel_size!, 1);
    const s = intPair(P(b).stride!, 1);
    const p = intPair(P(b).padding!, 0);
    const op = intPair(P(b).output_padding!, 0);
    const d = intPair(P(b).dilation!, 1);
    return b.op(path, { op: 'convtranspose', sliding: { kernel: k, stride: s, dilation: d, padding: { kind: 'explicit', before: p, after: p }, padMode: 'zeros', ceil: false }, outputPadding: op }, [x!], 'ConvTranspose2d');
  },
  Bottleneck: (b, path, [x]) => {
    // the package's Bottleneck takes k=(3, 3); the YOLOv5 repository's is fixed at 1x1 then 3x3
    const k = b.ctx.dialect === 'yolov5' ? [1, 3] : Array.isArray(P(b).k) ? (P(b).k as PyValue[]) : [3, 3];
    return b.bottleneck(path, x!, [k[0] ?? 3, k[1] ?? 3], truthy(P(b).shortcut!) && b.ctx.c1 === b.ctx.c2);
  },
  BottleneckCSP: (b, path, [x]) => {
    // cv4(act(bn(cat(cv3(m(cv1(x))), cv2(x))))): cv2 and cv3 are plain 1x1 Conv2d; the bottlenecks are
    // 3x3/3x3 in the package (Bottleneck's default k), 1x1/3x3 in the YOLOv5 repository
    const k: [number, number] = b.ctx.dialect === 'yolov5' ? [1, 3] : [3, 3];
    let y = b.conv(`${path}.cv1`, x!, 1);
    for (let i = 0; i < num(P(b).n!, 1); i++) y = b.bottleneck(`${path}.m.${i}`, y, k, truthy(P(b).shortcut!));
    const y1 = b.conv(`${path}.cv3`, y, 1, 1, 0, 1, 'Conv2d');
    const y2 = b.conv(`${path}.cv2`, x!, 1, 1, 0, 1, 'Conv2d');
    return b.conv(`${path}.cv4`, b.merge(`${path}.cat`, 'concat', [y1, y2]), 1);
  },
  C1: (b, path, [x]) => {
    // y = cv1(x); m(y) + y, m a chain of 3x3 Conv
    const y = b.conv(`${path}.cv1`, x!, 1);
    let z = y;
    for (let i = 0; i < num(P(b).n!, 1); i++) z = b.conv(`${path}.m.${i}`, z, 3);
    return b.merge(`${path}.add`, 'add', [z, y]);
  },
  C2: (b, path, [x]) => {
    // a, b = cv1(x).chunk(2); cv2(cat(m(a), b)), m: Bottleneck 3x3/3x3
    const y = b.conv(`${path}.cv1`, x!, 1);
    let z = y;
    for (let i = 0; i < num(P(b).n!, 1); i++) z = b.bottleneck(`${path}.m.${i}`, z, [3, 3], truthy(P(b).shortcut!));
    return b.conv(`${path}.cv2`, b.merge(`${path}.cat`, 'concat', [z, y]), 1);
  },
  C2f: (b, path, [x]) => b.c2f(path, x!, num(P(b).n!, 1), (p, y) => b.bottleneck(p, y, [3, 3], truthy(P(b).shortcut!))),
  C3: (b, path, [x]) => b.c3(path, x!, num(P(b).n!, 1), (p, y) => b.bottleneck(p, y, [1, 3], truthy(P(b).shortcut!))),
  C3x: (b, path, [x]) => b.c3(path, x!, num(P(b).n!, 1), (p, y) => b.bottleneck(p, y, [[1, 3], [3, 1]], truthy(P(b).shortcut!))),
  C3k: (b, path, [x]) => b.c3(path, x!, num(P(b).n!, 1), (p, y) => b.bottleneck(p, y, [P(b).k!, P(b).k!], truthy(P(b).shortcut!))),
  C3TR: (b, path, [x]) => {
    // m = TransformerBlock(c_, c_, 4, n): each layer x = attn(x) + x; x = fc2(fc1(x)) + x (linear per position)
    const n = num(P(b).n!, 1);
    let z = b.conv(`${path}.cv1`, x!, 1);
    const side = b.conv(`${path}.cv2`, x!, 1);
    for (let i = 0; i < n; i++) z = b.merge(`${path}.m.tr.${i}`, 'add', [z, b.global(`${path}.m.tr.${i}.ma`, z)]);
    return b.conv(`${path}.cv3`, b.merge(`${path}.cat`, 'concat', [z, side]), 1);
  },
  C3Ghost: (b, path, [x]) =>
    b.c3(path, x!, num(P(b).n!, 1), (p, y) => {
      // GhostBottleneck(s=1): GhostConv 1x1 (its cv2 5x5), GhostConv 1x1 (5x5), + x
      const g1 = BLOCKS.GhostConv!(withParams(b, { k: 1, s: 1 }), `${p}.conv.0`, [y]) as string;
      const g2 = BLOCKS.GhostConv!(withParams(b, { k: 1, s: 1 }), `${p}.conv.2`, [g1]) as string;
      return b.merge(p, 'add', [g2, y]);
    }),
  C3k2: (b, path, [x]) =>
    b.c2f(path, x!, num(P(b).n!, 1), (p, y) =>
      truthy(P(b).c3k!)
        ? // C3k(c, c, 2, shortcut, g): a C3 of two 3x3/3x3 bottlenecks
          b.c3(p, y, 2, (q, z) => b.bottleneck(q, z, [3, 3], truthy(P(b).shortcut!)))
        : b.bottleneck(p, y, [3, 3], truthy(P(b).shortcut!)),
    ),
  C2fCIB: (b, path, [x]) =>
    b.c2f(path, x!, num(P(b).n!, 1), (p, y) => {
      // CIB: 3x3 dw, 1x1, (RepVGGDW 7x7 + 3x3 if lk, else 3x3 dw), 1x1, 3x3 dw; + x when shortcut
      let z = b.conv(`${p}.cv1.0`, y, 3);
      z = b.conv(`${p}.cv1.1`, z, 1);
      if (truthy(P(b).lk!)) {
        const big = b.conv(`${p}.cv1.2.conv`, z, 7, 1, 3);
        const small = b.conv(`${p}.cv1.2.conv1`, z, 3, 1, 1);
        z = b.merge(`${p}.cv1.2`, 'add', [big, small]);
      } else z = b.conv(`${p}.cv1.2`, z, 3);
      z = b.conv(`${p}.cv1.3`, z, 1);
      z = b.conv(`${p}.cv1.4`, z, 3);
      return truthy(P(b).shortcut!) ? b.merge(p, 'add', [y, z]) : z;
    }),
  C2PSA: (b, path, [x]) => {
    // a, b = cv1(x).split; b = m(b) (PSABlocks); cv2(cat(a, b))
    const y = b.conv(`${path}.cv1`, x!, 1);
    let z = y;
    for (let i = 0; i < num(P(b).n!, 1); i++) z = b.psaBlock(`${path}.m.${i}`, z);
    return b.conv(`${path}.cv2`, b.merge(`${path}.cat`, 'concat', [y, z]), 1);
  },
  C2fPSA: (b, path, [x]) => b.c2f(path, x!, num(P(b).n!, 1), (p, y) => b.psaBlock(p, y)),
  PSA: (b, path, [x]) => {
    // a, b = cv1(x).split; b = b + attn(b); b = b + ffn(b); cv2(cat(a, b))
    const y = b.conv(`${path}.cv1`, x!, 1);
    const z = b.psaBlock(`${path}.psa`, y, true, `${path}.attn`, `${path}.ffn`);
    return b.conv(`${path}.cv2`, b.merge(`${path}.cat`, 'concat', [y, z]), 1);
  },
  SPP: (b, path, [x]) => {
    // cv2(cat(y, m.0(y), m.1(y), m.2(y))), y = cv1(x), m.i = MaxPool2d(k_i, 1, k_i // 2) in parallel
    const y = b.conv(`${path}.cv1`, x!, 1);
    const ks = Array.isArray(P(b).k) ? (P(b).k as PyValue[]) : [5, 9, 13];
    const pools = ks.map((k, i) => b.pool(`${path}.m.${i}`, y, 'max', k, 1, Math.floor(num(k, 1) / 2)));
    return b.conv(`${path}.cv2`, b.merge(`${path}.cat`, 'concat', [y, ...pools]), 1);
  },
  SPPF: (b, path, [x]) => {
    // one MaxPool2d(k, 1, k // 2) applied three times in a chain; its calls are m, m@2, m@3
    const y = b.conv(`${path}.cv1`, x!, 1);
    const k = num(P(b).k!, 5);
    const m1 = b.pool(`${path}.m`, y, 'max', k, 1, Math.floor(k / 2));
    const m2 = b.pool(`${path}.m@2`, m1, 'max', k, 1, Math.floor(k / 2));
    const m3 = b.pool(`${path}.m@3`, m2, 'max', k, 1, Math.floor(k / 2));
    return b.conv(`${path}.cv2`, b.merge(`${path}.cat`, 'concat', [y, m1, m2, m3]), 1);
  },
  SPPELAN: (b, path, [x]) => {
    const y = b.conv(`${path}.cv1`, x!, 1);
    const k = num(P(b).k!, 5);
    const m1 = b.pool(`${path}.cv2`, y, 'max', k, 1, Math.floor(k / 2));
    const m2 = b.pool(`${path}.cv3`, m1, 'max', k, 1, Math.floor(k / 2));
    const m3 = b.pool(`${path}.cv4`, m2, 'max', k, 1, Math.floor(k / 2));
    return b.conv(`${path}.cv5`, b.merge(`${path}.cat`, 'concat', [y, m1, m2, m3]), 1);
  },
  SCDown: (b, path, [x]) => {
    // cv1 1x1, cv2 depthwise k x k stride s
    const y = b.conv(`${path}.cv1`, x!, 1);
    return b.conv(`${path}.cv2`, y, P(b).k!, P(b).s!);
  },
  RepC3: (b, path, [x]) => {
    // cv3(m(cv1(x)) + cv2(x)), m a chain of RepConv 3x3 (+1x1); cv3 only when c_ != c2
    let y = b.conv(`${path}.cv1`, x!, 1);
    const side = b.conv(`${path}.cv2`, x!, 1);
    for (let i = 0; i < num(P(b).n!, 3); i++) y = b.repConv(`${path}.m.${i}`, y);
    const sum = b.merge(`${path}.add`, 'add', [y, side]);
    return num(P(b).e!, 1) !== 1 ? b.conv(`${path}.cv3`, sum, 1) : sum;
  },
  RepNCSPELAN4: (b, path, [x]) => {
    // y0, y1 = cv1(x).chunk(2); y2 = cv2(y1) = Conv3x3(RepCSP(y1)); y3 = cv3(y2); cv4(cat(y0, y1, y2, y3))
    const n = num(P(b).n!, 1);
    const repCsp = (p: string, y: string) => b.c3(p, y, n, (q, z) => b.bottleneck(q, z, [3, 3], true, true));
    const y = b.conv(`${path}.cv1`, x!, 1);
    const y2 = b.conv(`${path}.cv2.1`, repCsp(`${path}.cv2.0`, y), 3);
    const y3 = b.conv(`${path}.cv3.1`, repCsp(`${path}.cv3.0`, y2), 3);
    return b.conv(`${path}.cv4`, b.merge(`${path}.cat`, 'concat', [y, y2, y3]), 1);
  },
  ELAN1: (b, path, [x]) => {
    const y = b.conv(`${path}.cv1`, x!, 1);
    const y2 = b.conv(`${path}.cv2`, y, 3);
    const y3 = b.conv(`${path}.cv3`, y2, 3);
    return b.conv(`${path}.cv4`, b.merge(`${path}.cat`, 'concat', [y, y2, y3]), 1);
  },
  AConv: (b, path, [x]) => {
    // avg_pool2d(x, 2, 1, 0, False, True) then Conv 3x3 stride 2 padding 1
    const a = b.pool(`${path}.avg_pool2d`, x!, 'avg', 2, 1, 0, false, 1, 'avg_pool2d');
    return b.conv(`${path}.cv1`, a, 3, 2, 1);
  },
  ADown: (b, path, [x]) => {
    // avg_pool2d 2/1; halves: cv1 Conv 3x3/2 p1 | max_pool2d 3/2 p1 then cv2 1x1; cat
    const a = b.pool(`${path}.avg_pool2d`, x!, 'avg', 2, 1, 0, false, 1, 'avg_pool2d');
    const x1 = b.conv(`${path}.cv1`, a, 3, 2, 1);
    const m = b.pool(`${path}.max_pool2d`, a, 'max', 3, 2, 1, false, 1, 'max_pool2d');
    const x2 = b.conv(`${path}.cv2`, m, 1, 1, 0);
    return b.merge(`${path}.cat`, 'concat', [x1, x2]);
  },
  A2C2f: (b, path, [x]) => {
    // y = [cv1(x)]; m.i reads y[-1]: two ABlocks (area attention + 7x7 pe, MLP) or a C3k; cv2(cat(y)); x + gamma*y when residual
    const n = num(P(b).n!, 1);
    const a2 = truthy(P(b).a2!);
    const ys = [b.conv(`${path}.cv1`, x!, 1)];
    for (let i = 0; i < n; i++) {
      const p = `${path}.m.${i}`;
      const prev = ys[ys.length - 1]!;
      if (a2) {
        let z = prev;
        for (let j = 0; j < 2; j++) z = b.psaBlock(`${p}.${j}`, z, true, `${p}.${j}.attn`, `${p}.${j}.mlp`, 7);
        ys.push(z);
      } else ys.push(b.c3(p, prev, 2, (q, z) => b.bottleneck(q, z, [3, 3], truthy(P(b).shortcut!))));
    }
    if (a2 && num(P(b).area!, 1) > 1) {
      b.ctx.note(`A2C2f area=${num(P(b).area!, 1)}: area attention mixes positions within ${num(P(b).area!, 1)} horizontal strips; it is shown as global mixing over the whole map.`);
    }
    const out = b.conv(`${path}.cv2`, b.merge(`${path}.cat`, 'concat', ys), 1);
    return a2 && truthy(P(b).residual!) ? b.merge(`${path}.add`, 'add', [x!, out]) : out;
  },
  'nn.Upsample': (b, path, [x]) => {
    const mode = P(b).mode;
    const size = P(b).size;
    const scale = P(b).scale_factor;
    if (mode !== 'nearest' && mode !== 'bilinear') b.ctx.note(`nn.Upsample mode ${JSON.stringify(mode)} is shown as nearest.`);
    const m = mode === 'bilinear' ? 'bilinear' : 'nearest';
    if (size !== null && size !== undefined) {
      return b.op(path, { op: 'upsample', mode: m, scale: null, size: intPair(size, 1), alignCorners: truthy(P(b).align_corners!) }, [x!], 'Upsample');
    }
    const s = intPair(scale ?? null, 1);
    if (!s.every((v) => Number.isInteger(v) && v >= 1)) b.ctx.note(`nn.Upsample scale_factor ${JSON.stringify(scale)} is not a whole number; the analysis uses it as given.`);
    return b.op(path, { op: 'upsample', mode: m, scale: s, size: null, alignCorners: truthy(P(b).align_corners!) }, [x!], 'Upsample');
  },
  'nn.MaxPool2d': (b, path, [x]) =>
    b.pool(path, x!, 'max', P(b).kernel_size!, P(b).stride ?? null, P(b).padding!, truthy(P(b).ceil_mode!), P(b).dilation!, 'MaxPool2d'),
  'nn.AvgPool2d': (b, path, [x]) => b.pool(path, x!, 'avg', P(b).kernel_size!, P(b).stride ?? null, P(b).padding!, truthy(P(b).ceil_mode!), 1, 'AvgPool2d'),
  'nn.ZeroPad2d': (b, path, [x]) => {
    // a 1x1 stride-1 window with zero padding is spatially exactly a zero pad
    const { before, after } = zeroPad(b, P(b).padding);
    return b.op(path, { op: 'conv', sliding: BlockBuilder.window([1, 1], [1, 1], [1, 1], before, after) }, [x!], 'ZeroPad2d');
  },
  'nn.BatchNorm2d': (b, path, [x]) => b.op(path, { op: 'pointwise', kind: 'BatchNorm2d' }, [x!], 'BatchNorm2d'),
  'nn.Identity': (b, path, [x]) => b.op(path, { op: 'pointwise', kind: 'Identity' }, [x!], 'Identity'),
  'nn.Dropout': (b, path, [x]) => b.op(path, { op: 'pointwise', kind: 'Dropout' }, [x!], 'Dropout'),
  Concat: (b, path, inputs) => b.merge(path, 'concat', inputs),
  Detect: (b, path, inputs) => detectHead(b, path, inputs, false, false),
  v10Detect: (b, path, inputs) => detectHead(b, path, inputs, false, true),
  Pose: (b, path, inputs) => detectHead(b, path, inputs, true, false),
  OBB: (b, path, inputs) => detectHead(b, path, inputs, true, false),
  Segment: (b, path, inputs) => {
    const outs = detectHead(b, path, inputs, b.ctx.dialect !== 'yolov5', false);
    if (inputs.length) outs.push(b.proto(`${path}.proto`, inputs[0]!));
    return outs;
  },
  HGStem: (b, path, [x]) => {
    // stem1 3/2; pad (0, 1, 0, 1); stem2a 2/1 p0; pad; stem2b 2/1 p0 | MaxPool2d(2, 1, 0, ceil_mode=True); cat; stem3 3/2; stem4 1x1
    const pad = (id: string, y: string) => b.op(id, { op: 'conv', sliding: BlockBuilder.window([1, 1], [1, 1], [1, 1], [0, 0], [1, 1]) }, [y], 'F.pad');
    const x1 = pad(`${path}.pad1`, b.conv(`${path}.stem1`, x!, 3, 2));
    const a = b.conv(`${path}.stem2b`, pad(`${path}.pad2`, b.conv(`${path}.stem2a`, x1, 2, 1, 0)), 2, 1, 0);
    const m = b.pool(`${path}.pool`, x1, 'max', 2, 1, 0, true);
    return b.conv(`${path}.stem4`, b.conv(`${path}.stem3`, b.merge(`${path}.cat`, 'concat', [m, a]), 3, 2), 1);
  },
  HGBlock: (b, path, [x]) => {
    // y = [x] + m.i(y[-1]) (Conv k, or LightConv: 1x1 then depthwise k); ec(sc(cat(y))); + x when shortcut and c1 == c2
    const ys = [x!];
    for (let i = 0; i < num(P(b).n!, 6); i++) {
      const prev = ys[ys.length - 1]!;
      ys.push(truthy(P(b).lightconv!) ? b.conv(`${path}.m.${i}.conv2`, b.conv(`${path}.m.${i}.conv1`, prev, 1), P(b).k!) : b.conv(`${path}.m.${i}`, prev, P(b).k!));
    }
    const y = b.conv(`${path}.ec`, b.conv(`${path}.sc`, b.merge(`${path}.cat`, 'concat', ys), 1), 1);
    return truthy(P(b).shortcut!) && b.ctx.c1 === b.ctx.c2 ? b.merge(`${path}.add`, 'add', [y, x!]) : y;
  },
  ResNetLayer: (b, path, [x]) => {
    // is_first: Conv 7/2 p3, MaxPool2d 3/2 p1; else ResNetBlocks (1x1, 3x3 stride s, 1x1; shortcut 1x1 stride s when needed)
    if (truthy(P(b).is_first!)) return b.pool(`${path}.layer.1`, b.conv(`${path}.layer.0`, x!, 7, 2, 3), 'max', 3, 2, 1);
    const c2 = num(P(b).c2!, 64);
    const c3 = num(P(b).e!, 4) * c2;
    let y = x!;
    let c1 = num(P(b).c1!, c3);
    for (let j = 0; j < Math.max(num(P(b).n!, 1), 1); j++) {
      const s = j === 0 ? num(P(b).s!, 1) : 1;
      const p = `${path}.layer.${j}`;
      const main = b.conv(`${p}.cv3`, b.conv(`${p}.cv2`, b.conv(`${p}.cv1`, y, 1), 3, s, 1), 1);
      const short = s !== 1 || c1 !== c3 ? b.conv(`${p}.shortcut.0`, y, 1, s) : y;
      y = b.merge(p, 'add', [main, short]);
      c1 = c3;
    }
    return y;
  },
  AIFI: (b, path, [x]) => {
    // a transformer encoder layer over every position: x + attention(x), then a per-position FFN (+ x)
    const a = b.merge(`${path}.add1`, 'add', [x!, b.global(`${path}.ma`, x!)]);
    return b.merge(`${path}.add2`, 'add', [a, b.op(`${path}.fc2`, { op: 'pointwise', kind: 'Linear (per position)' }, [b.op(`${path}.fc1`, { op: 'pointwise', kind: 'Linear (per position)' }, [a], 'Linear')], 'Linear')]);
  },
  RTDETRDecoder: (b, path, inputs) =>
    // each scale: input_proj.i (1x1 Conv2d + BN), then the decoder's deformable attention, which samples anywhere in the map
    inputs.map((x, i) => {
      const out = b.global(`${path}.${i}`, b.conv(`${path}.input_proj.${i}`, x, 1, 1, 0, 1, 'Conv2d'));
      const node = b.nodes[b.nodes.length - 1]!;
      node.name = `RTDETRDecoder ${path} scale ${i}`;
      node.type = 'RTDETRDecoder';
      return out;
    }),
  Classify: (b, path, [x]) => {
    // conv = Conv(c1, 1280, k, s, p, g); pool = AdaptiveAvgPool2d(1); drop; linear
    const c = b.conv(`${path}.conv`, x!, P(b).k!, P(b).s!, P(b).p!);
    const g = b.op(`${path}.pool`, { op: 'globalPool' }, [c], 'AdaptiveAvgPool2d');
    return b.op(`${path}.linear`, { op: 'dense' }, [g], 'Linear');
  },
};

/** A builder sharing another's nodes with other parameters (sub-blocks that take their own arguments). */
function withParams(b: BlockBuilder, p: Record<string, PyValue>): BlockBuilder {
  const sub = Object.create(b) as BlockBuilder;
  Object.defineProperty(sub, 'ctx', { value: { ...b.ctx, p: { ...b.ctx.p, ...p } } });
  return sub;
}
