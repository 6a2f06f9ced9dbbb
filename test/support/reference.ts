/**
 * A brute-force reference for the engine, written from docs/design-notes.md's
 * definitions and sharing no code with src/core/analysis:
 * - shapes from the textbook formulas;
 * - path counts by running the all-ones network forward on the indicator of
 *   each input pixel in turn (the network is linear, so the sum of a layer's
 *   units is P_L(p)), each layer evaluated over its whole N-D output with
 *   N-D kernel offsets (not axis by axis);
 * - coverage as the number of units with a nonzero value in that forward run;
 * - receptive fields by collecting, unit by unit, the set of (unbounded)
 *   input coordinates each unit reads, recursively;
 * - ripple from those sets on a large unbounded window.
 * Slow on purpose; for small networks only.
 */
import type { ModelGraph, PadMode } from '../../src/core/graph/ir';

/** A transposed convolution's parameters; the random networks give it explicit padding only. */
function transposed(s: Extract<ModelGraph['nodes'][number]['spec'], { op: 'convtranspose' }>) {
  const w = s.sliding;
  if (w.padding.kind !== 'explicit') throw new Error('the reference handles explicit padding of transposed convolutions only');
  return { kernel: w.kernel, stride: w.stride, dilation: w.dilation, padBefore: w.padding.before, padAfter: w.padding.after };
}

export interface RefNode {
  size: number[];
  spatial: boolean;
  /** the spatial axes are gone (dense, flatten): no output map at all; a global pool keeps a 1x1 map */
  flat?: boolean;
  before?: number[];
  after?: number[];
}

function prod(a: number[]): number {
  return a.reduce((p, x) => p * x, 1);
}

function unflatten(i: number, shape: number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    out[a] = i % shape[a]!;
    i = Math.floor(i / shape[a]!);
  }
  return out;
}

function flatten(c: number[], shape: number[]): number {
  let i = 0;
  for (let a = 0; a < shape.length; a++) i = i * shape[a]! + c[a]!;
  return i;
}

function* multiIndex(shape: number[]): Generator<number[]> {
  const total = prod(shape);
  for (let i = 0; i < total; i++) yield unflatten(i, shape);
}

function samePads(n: number, k: number, s: number, d: number, rule: string): [number, number] {
  const e = d * (k - 1) + 1;
  const outN = Math.ceil(n / s);
  const total = Math.max(0, (outN - 1) * s + e - n);
  const half = Math.floor(total / 2);
  return rule === 'lower' ? [total - half, half] : [half, total - half];
}

/** Output sizes, straight from the formulas. */
export function refShapes(graph: ModelGraph, input: number[]): Map<string, RefNode> {
  const out = new Map<string, RefNode>();
  for (const node of graph.nodes) {
    const ins = node.inputs.map((i) => out.get(i));
    if (ins.some((x) => !x)) continue;
    const src = ins[0];
    const s = node.spec;
    let r: RefNode | null = null;
    const resampling = ['conv', 'pool', 'adaptivePool', 'convtranspose', 'upsample', 'spaceToDepth', 'pixelShuffle', 'crop'].includes(s.op);
    if (resampling && src && !src.spatial) r = { size: input.map(() => 1), spatial: false };
    else if (s.op === 'input') r = { size: input.slice(), spatial: true };
    else if (s.op === 'conv' || s.op === 'pool') {
      const w = s.sliding;
      const before: number[] = [];
      const after: number[] = [];
      const size: number[] = [];
      for (let a = 0; a < input.length; a++) {
        const n = src!.size[a]!;
        const [b, c] =
          w.padding.kind === 'same' ? samePads(n, w.kernel[a]!, w.stride[a]!, w.dilation[a]!, w.padding.rule) : [w.padding.before[a]!, w.padding.after[a]!];
        before.push(b);
        after.push(c);
        const e = w.dilation[a]! * (w.kernel[a]! - 1) + 1;
        const x = (n + b + c - e) / w.stride[a]!;
        let o = (w.ceil ? Math.ceil(x) : w.count === 'c' ? Math.trunc(x) : Math.floor(x)) + 1;
        // Caffe's rule looks at the padding actually applied (any axis)
        const padded = input.some((_, k) => {
          const nk = src!.size[k]!;
          const [bk, ck] =
            w.padding.kind === 'same' ? samePads(nk, w.kernel[k]!, w.stride[k]!, w.dilation[k]!, w.padding.rule) : [w.padding.before[k]!, w.padding.after[k]!];
          return bk > 0 || ck > 0;
        });
        if (w.ceil && (w.ceil === 'always' || padded) && (o - 1) * w.stride[a]! >= n + b) o -= 1;
        // local_layer.c counts (n-1)/stride+1 with padding, (n-size)/stride+1 without
        if (w.count === 'darknet-local') o = Math.trunc((n - (b > 0 ? 1 : e)) / w.stride[a]!) + 1;
        size.push(o);
      }
      if (size.some((x) => x <= 0)) continue;
      r = { size, spatial: src!.spatial, before, after };
    } else if (s.op === 'adaptivePool') {
      r = { size: src!.size.map((n, a) => s.output[a] ?? n), spatial: src!.spatial };
    } else if (s.op === 'convtranspose') {
      const t = transposed(s);
      const size = src!.size.map((n, a) => (n - 1) * t.stride[a]! - t.padBefore[a]! - t.padAfter[a]! + t.dilation[a]! * (t.kernel[a]! - 1) + 1 + s.outputPadding[a]!);
      if (size.some((x) => x <= 0)) continue;
      r = { size, spatial: src!.spatial };
    } else if (s.op === 'upsample') {
      const to = s.size === 'reference' ? ins[1]!.size : s.size;
      r = { size: src!.size.map((n, a) => (to ? to[a]! : Math.floor(n * s.scale![a]!))), spatial: src!.spatial };
    } else if (s.op === 'spaceToDepth') r = { size: src!.size.map((n, a) => Math.floor(n / s.block[a]!)), spatial: src!.spatial };
    else if (s.op === 'pixelShuffle') r = { size: src!.size.map((n, a) => n * s.factor[a]!), spatial: src!.spatial };
    else if (s.op === 'crop') {
      r = {
        size: s.size.map((v, a) =>
          v === 'reference' ? ins[1]!.size[a]! : v === 'keep' ? src!.size[a]! : typeof v === 'object' ? src!.size[a]! - (s.offset === 'center' ? 0 : s.offset[a]!) - v.trimEnd : v,
        ),
        spatial: src!.spatial,
      };
    } else if (s.op === 'add' || s.op === 'mul' || s.op === 'concat') {
      const size = input.map((_, a) => (s.align !== 'exact' ? src!.size[a]! : Math.max(...ins.map((x) => (x!.spatial ? x!.size[a]! : 1)))));
      r = { size, spatial: ins.some((x) => x!.spatial) };
    } else if (s.op === 'pointwise' || s.op === 'unknown' || s.op === 'normalize') r = { size: src!.size.slice(), spatial: src!.spatial };
    else if (s.op === 'globalPool' || s.op === 'dense' || s.op === 'flatten') r = { size: input.map(() => 1), spatial: false };
    else if (s.op === 'constant') r = { size: input.map(() => 1), spatial: false };
    if (r) {
      const merge = s.op === 'add' || s.op === 'mul' || s.op === 'concat';
      r.flat = s.op === 'dense' || s.op === 'flatten' || s.op === 'constant' || (merge ? ins.every((x) => x!.flat) : !!src?.flat);
      out.set(node.id, r);
    }
  }
  return out;
}

function padIndex(i: number, n: number, mode: PadMode): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'zeros') return -1;
  if (mode === 'replicate') return i < 0 ? 0 : n - 1;
  if (mode === 'circular') return ((i % n) + n) % n;
  // reflect, PyTorch style (mirror without repeating the edge), repeated if needed
  if (n === 1) return 0;
  let j = i;
  while (j < 0 || j >= n) j = j < 0 ? -j : 2 * (n - 1) - j;
  return j;
}

/** Literal port of Darknet's reorg_cpu, one batch. */
function reorgCpu(x: Float64Array, w: number, h: number, c: number, stride: number, forward: boolean, out: Float64Array): void {
  const outC = Math.floor(c / (stride * stride));
  for (let k = 0; k < c; ++k) {
    for (let j = 0; j < h; ++j) {
      for (let i = 0; i < w; ++i) {
        const inIndex = i + w * (j + h * k);
        const c2 = k % outC;
        const offset = Math.floor(k / outC);
        const w2 = i * stride + (offset % stride);
        const h2 = j * stride + Math.floor(offset / stride);
        const outIndex = w2 + w * stride * (h2 + h * stride * c2);
        if (forward) out[outIndex] = x[inIndex]!;
        else out[inIndex] = x[outIndex]!;
      }
    }
  }
}

/** Literal port of pjreddie's shortcut_cpu (one batch, one channel, s1 = s2 = 1). */
function shortcutCpu(w1: number, h1: number, add: Float64Array, w2: number, h2: number, out: Float64Array): void {
  let stride = Math.trunc(w1 / w2);
  let sample = Math.trunc(w2 / w1);
  if (stride < 1) stride = 1;
  if (sample < 1) sample = 1;
  const minw = w1 < w2 ? w1 : w2;
  const minh = h1 < h2 ? h1 : h2;
  for (let j = 0; j < minh; ++j) {
    for (let i = 0; i < minw; ++i) {
      const outIndex = i * sample + w2 * (j * sample);
      const addIndex = i * stride + w1 * (j * stride);
      out[outIndex]! += add[addIndex]!;
    }
  }
}

/**
 * For each output position of Darknet's reorg, the input positions it reads
 * (from the literal reorg_cpu, on an input whose every element holds its own
 * flat index). pjreddie's call reads the input as a map s times taller with
 * s^2 times fewer channels, and the output likewise: input channel ch holds
 * rows y + h*(ch mod s^2) of that tall view, output channel C rows
 * Y + (h/s)*(C mod s^2). A read is local in the tall views; where the two
 * blocks differ (ch mod s^2 != C mod s^2) the read wrapped around the map, and
 * it is placed at its unwrapped row y + h*((ch mod s^2) - (C mod s^2)), as a
 * circular padding position is.
 */
function reorgGatherTable(layout: string, h: number, w: number, b: number): Map<string, Array<[number, number]>> {
  const C = b * b;
  const big = new Float64Array(w * h * C);
  for (let i = 0; i < big.length; i++) big[i] = i;
  const res = new Float64Array(w * h * C);
  if (layout === 'darknet-reorg') reorgCpu(big, w, h, C, b, false, res);
  else reorgCpu(big, Math.floor(w / b), Math.floor(h / b), C * b * b, b, false, res);
  const ow = Math.floor(w / b);
  const plane = ow * Math.floor(h / b);
  const table = new Map<string, Array<[number, number]>>();
  for (let i = 0; i < res.length; i++) {
    const p = i % plane;
    const key = `${Math.floor(p / ow)},${p % ow}`;
    const list = table.get(key) ?? [];
    const v = res[i]!;
    const q = v % (w * h);
    const y = Math.floor(q / w);
    const unwrap = layout === 'darknet-reorg' ? h * ((Math.floor(v / (w * h)) % C) - (Math.floor(i / plane) % C)) : 0;
    list.push([y + unwrap, q % w]);
    table.set(key, list);
  }
  return table;
}

/** Forward pass of the all-ones, one-channel network on one input array. */
export function forward(graph: ModelGraph, shapes: Map<string, RefNode>, x: Float64Array, override?: PadMode): Map<string, Float64Array> {
  const vals = new Map<string, Float64Array>();
  for (const node of graph.nodes) {
    const me = shapes.get(node.id);
    if (!me) continue;
    const ins = node.inputs.map((i) => vals.get(i)!);
    const inShapes = node.inputs.map((i) => shapes.get(i)!);
    const out = new Float64Array(prod(me.size));
    const s = node.spec;
    const rank = me.size.length;
    const resampling = ['conv', 'pool', 'adaptivePool', 'convtranspose', 'upsample', 'spaceToDepth', 'pixelShuffle', 'crop'].includes(s.op);
    if (resampling && !inShapes[0]!.spatial) {
      // no spatial axis left: the single unit sums its input
      for (const v of ins[0]!) out[0]! += v;
    } else if (s.op === 'input') out.set(x);
    else if (s.op === 'conv' || s.op === 'pool') {
      const w = s.sliding;
      const mode: PadMode = s.op === 'conv' ? (override ?? w.padMode) : 'zeros';
      const n = inShapes[0]!.size;
      for (const o of multiIndex(me.size)) {
        let acc = 0;
        for (const t of multiIndex(w.kernel)) {
          const src: number[] = [];
          let ok = true;
          for (let a = 0; a < rank; a++) {
            const i = o[a]! * w.stride[a]! - me.before![a]! + t[a]! * w.dilation[a]!;
            // past the padding (a ceil-mode window hanging over) nothing is read
            if (i < -me.before![a]! || (i >= n[a]! + me.after![a]! && i >= n[a]!)) {
              ok = false;
              break;
            }
            const j = padIndex(i, n[a]!, mode);
            if (j < 0) {
              ok = false;
              break;
            }
            src.push(j);
          }
          if (ok) acc += ins[0]![flatten(src, n)]!;
        }
        out[flatten(o, me.size)] = acc;
      }
    } else if (s.op === 'adaptivePool') {
      // PyTorch's adaptive pooling: output i of m over n reads floor(i*n/m) .. ceil((i+1)*n/m) - 1, summed
      const n = inShapes[0]!.size;
      for (const o of multiIndex(me.size)) {
        const lo = o.map((oo, a) => Math.floor((oo * n[a]!) / me.size[a]!));
        const hi = o.map((oo, a) => Math.ceil(((oo + 1) * n[a]!) / me.size[a]!));
        let acc = 0;
        for (const t of multiIndex(hi.map((h, a) => h - lo[a]!))) acc += ins[0]![flatten(t.map((tt, a) => lo[a]! + tt), n)]!;
        out[flatten(o, me.size)] = acc;
      }
    } else if (s.op === 'convtranspose') {
      const n = inShapes[0]!.size;
      for (const i of multiIndex(n)) {
        const v = ins[0]![flatten(i, n)]!;
        if (v === 0) continue;
        const c = transposed(s);
        for (const t of multiIndex(c.kernel)) {
          const o = i.map((ii, a) => ii * c.stride[a]! - c.padBefore[a]! + t[a]! * c.dilation[a]!);
          if (o.every((oo, a) => oo >= 0 && oo < me.size[a]!)) out[flatten(o, me.size)]! += v;
        }
      }
    } else if (s.op === 'upsample') {
      const n = inShapes[0]!.size;
      for (const o of multiIndex(me.size)) {
        // per axis list of (source, weight)
        const perAxis = o.map((oo, a) => {
          const nin = n[a]!;
          const nout = me.size[a]!;
          if (s.mode === 'nearest') {
            const f = s.size ? 0 : s.scale![a]!;
            const src = Number.isInteger(f) && f > 0 ? Math.floor(oo / f) : Math.floor((oo * nin) / nout);
            return [[Math.min(src, nin - 1), 1]];
          }
          let src = s.alignCorners ? (nout > 1 ? (oo * (nin - 1)) / (nout - 1) : 0) : ((oo + 0.5) * nin) / nout - 0.5;
          if (src < 0) src = 0;
          const i0 = Math.floor(src);
          const i1 = Math.min(i0 + 1, nin - 1);
          const l1 = src - i0;
          return i0 === i1 ? [[i0, 1]] : [
            [i0, 1 - l1],
            [i1, l1],
          ];
        });
        let acc = 0;
        const rec = (a: number, idx: number[], wgt: number) => {
          if (a === rank) {
            acc += wgt * ins[0]![flatten(idx, n)]!;
            return;
          }
          for (const [i, w] of perAxis[a]!) rec(a + 1, [...idx, i!], wgt * w!);
        };
        rec(0, [], 1);
        out[flatten(o, me.size)] = acc;
      }
    } else if (s.op === 'spaceToDepth' && s.layout !== 'clean' && rank === 2) {
      // One channel in, as C = s^2 * 2 identical channels through reorg_cpu, out summed over channels / C.
      const [h, w] = inShapes[0]!.size as [number, number];
      const b = s.block[0]!;
      const C = b * b * 2;
      const big = new Float64Array(w * h * C);
      for (let c = 0; c < C; c++) for (let i = 0; i < w * h; i++) big[c * w * h + i] = ins[0]![i]!;
      const res = new Float64Array(w * h * C);
      if (s.layout === 'darknet-reorg') reorgCpu(big, w, h, C, b, false, res);
      else reorgCpu(big, Math.floor(w / b), Math.floor(h / b), C * b * b, b, false, res);
      const [oh, ow] = me.size as [number, number];
      const plane = oh * ow;
      for (let i = 0; i < res.length; i++) out[i % plane]! += res[i]! / C;
    } else if (s.op === 'spaceToDepth') {
      const n = inShapes[0]!.size;
      for (const o of multiIndex(me.size)) {
        let acc = 0;
        for (const t of multiIndex(s.block)) acc += ins[0]![flatten(o.map((oo, a) => oo * s.block[a]! + t[a]!), n)]!;
        out[flatten(o, me.size)] = acc;
      }
    } else if (s.op === 'pixelShuffle') {
      const n = inShapes[0]!.size;
      for (const o of multiIndex(me.size)) out[flatten(o, me.size)] = ins[0]![flatten(o.map((oo, a) => Math.floor(oo / s.factor[a]!)), n)]!;
    } else if (s.op === 'crop') {
      const n = inShapes[0]!.size;
      const off = s.offset === 'center' ? me.size.map((m, a) => Math.trunc((n[a]! - m) / 2)) : s.offset;
      for (const o of multiIndex(me.size)) out[flatten(o, me.size)] = ins[0]![flatten(o.map((oo, a) => oo + off[a]!), n)]!;
    } else if (s.op === 'add' || s.op === 'mul' || s.op === 'concat') {
      ins.forEach((v, k) => {
        const sh = inShapes[k]!;
        const sameOrOne = !sh.spatial || sh.size.every((m, a) => m === me.size[a] || (m === 1 && s.align === 'exact'));
        if (sameOrOne) {
          // per axis: the same index, or index 0 for a broadcast (size 1, or no spatial extent at all)
          for (const o of multiIndex(me.size)) {
            const src = o.map((oo, a) => (!sh.spatial || sh.size[a] !== me.size[a] ? 0 : oo));
            out[flatten(o, me.size)]! += v[flatten(src, sh.size)]!;
          }
        } else if ((s.align === 'darknet-sample' || s.align === 'darknet-flat') && rank === 2) {
          shortcutCpu(sh.size[1]!, sh.size[0]!, v, me.size[1]!, me.size[0]!, out);
        } else throw new Error('reference: unsupported merge');
      });
    } else if (s.op === 'pointwise') out.set(ins[0]!);
    else if (s.op === 'unknown') {
      // an unresolved layer: the identity of its first input, plus whatever other inputs of its size add
      out.set(ins[0]!);
      ins.slice(1).forEach((v, k) => {
        if (inShapes[k + 1]!.size.every((m, a) => m === me.size[a])) for (let i = 0; i < out.length; i++) out[i]! += v[i]!;
      });
    } else if (s.op === 'normalize') {
      // own position, plus the statistics of the whole map
      let total = 0;
      for (const v of ins[0]!) total += v;
      for (let i = 0; i < out.length; i++) out[i] = ins[0]![i]! + total;
    }
    else if (s.op === 'globalPool' || s.op === 'dense' || s.op === 'flatten') {
      let acc = 0;
      for (const v of ins) for (let i = 0; i < v.length; i++) acc += v[i]!;
      out[0] = acc;
    }
    vals.set(node.id, out);
  }
  return vals;
}

/** P and C of the given layers (summed) for every input pixel, by one forward run per pixel. */
export function refMaps(graph: ModelGraph, input: number[], targets: string[], override?: PadMode): { paths: Float64Array; coverage: Float64Array } {
  const shapes = refShapes(graph, input);
  const n = prod(input);
  const paths = new Float64Array(n);
  const coverage = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    const x = new Float64Array(n);
    x[p] = 1;
    const vals = forward(graph, shapes, x, override);
    for (const t of targets) {
      const v = vals.get(t)!;
      for (let i = 0; i < v.length; i++) {
        paths[p]! += v[i]!;
        if (v[i]! > 1e-12) coverage[p]! += 1;
      }
    }
  }
  return { paths, coverage };
}

/** Unbounded input coordinates a unit reads, by how many global operations the path passed (0: a local path). */
export type RefFieldParts = Map<number, Set<string>>;

/**
 * The set of unbounded input coordinates (per axis lists, combined per path)
 * that unit `unit` of `id` reads, as a set of coordinate strings.
 */
export function refVirtualField(graph: ModelGraph, shapes: Map<string, RefNode>, id: string, unit: number[], memo = new Map<string, RefFieldParts>()): Set<string> {
  const all = new Set<string>();
  for (const set of refVirtualFieldParts(graph, shapes, id, unit, memo).values()) for (const c of set) all.add(c);
  return all;
}

/**
 * The same, by the number of global operations each path passes: global
 * pooling, dense and flatten, a merge input broadcast over the map (no
 * spatial extent, or size 1 on an axis the merge has wider), a
 * normalisation's statistics, a resampling layer after the axes are gone.
 */
export function refVirtualFieldParts(graph: ModelGraph, shapes: Map<string, RefNode>, id: string, unit: number[], memo = new Map<string, RefFieldParts>()): RefFieldParts {
  const key = `${id}@${unit.join(',')}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const node = graph.nodes.find((n) => n.id === id)!;
  const me = shapes.get(id)!;
  const s = node.spec;
  const res: RefFieldParts = new Map();
  const addFrom = (inputId: string, u: number[], viaGlobal = false) => {
    for (const [d, set] of refVirtualFieldParts(graph, shapes, inputId, u, memo)) {
      const depth = d + (viaGlobal ? 1 : 0);
      let mine = res.get(depth);
      if (!mine) res.set(depth, (mine = new Set()));
      for (const c of set) mine.add(c);
    }
  };
  const rank = unit.length;
  const resampling = ['conv', 'pool', 'adaptivePool', 'convtranspose', 'upsample', 'spaceToDepth', 'pixelShuffle', 'crop'].includes(s.op);
  if (resampling && !shapes.get(node.inputs[0]!)!.spatial) {
    const n = shapes.get(node.inputs[0]!)!.size;
    for (const i of multiIndex(n)) addFrom(node.inputs[0]!, i.map((ii, a) => unit[a]! * n[a]! + ii), true);
  } else if (s.op === 'input') res.set(0, new Set([unit.join(',')]));
  else if (s.op === 'conv' || s.op === 'pool') {
    const w = s.sliding;
    for (const t of multiIndex(w.kernel)) addFrom(node.inputs[0]!, unit.map((u, a) => u * w.stride[a]! - me.before![a]! + t[a]! * w.dilation[a]!));
  } else if (s.op === 'adaptivePool') {
    // the same formula for every integer unit: the unbounded axis repeats it
    const n = shapes.get(node.inputs[0]!)!.size;
    const lo = unit.map((u, a) => Math.floor((u * n[a]!) / me.size[a]!));
    const hi = unit.map((u, a) => Math.ceil(((u + 1) * n[a]!) / me.size[a]!));
    for (const t of multiIndex(hi.map((h, a) => h - lo[a]!))) addFrom(node.inputs[0]!, t.map((tt, a) => lo[a]! + tt));
  } else if (s.op === 'convtranspose') {
    const c = transposed(s);
    for (const t of multiIndex(c.kernel)) {
      const src = unit.map((u, a) => (u + c.padBefore[a]! - t[a]! * c.dilation[a]!) / c.stride[a]!);
      if (src.every(Number.isInteger)) addFrom(node.inputs[0]!, src);
    }
  } else if (s.op === 'upsample') {
    const n = shapes.get(node.inputs[0]!)!.size;
    const perAxis = unit.map((u, a) => {
      const nin = n[a]!;
      const nout = me.size[a]!;
      if (s.mode === 'nearest') {
        const f = s.size ? 0 : s.scale![a]!;
        return [Number.isInteger(f) && f > 0 ? Math.floor(u / f) : Math.floor((u * nin) / nout)];
      }
      const src = s.alignCorners ? (nout > 1 ? (u * (nin - 1)) / (nout - 1) : 0) : ((u + 0.5) * nin) / nout - 0.5;
      const i0 = Math.floor(src);
      return src === i0 ? [i0] : [i0, i0 + 1];
    });
    const rec = (a: number, idx: number[]) => {
      if (a === rank) return addFrom(node.inputs[0]!, idx);
      for (const i of perAxis[a]!) rec(a + 1, [...idx, i]);
    };
    rec(0, []);
  } else if (s.op === 'spaceToDepth' && s.layout !== 'clean' && rank === 2) {
    // The positions Darknet's reorg_cpu gathers into each output position, extended periodically
    // beyond the output (unit + m*n reads the same rows and columns shifted by m*nIn).
    const nIn = shapes.get(node.inputs[0]!)!.size;
    const table = reorgGatherTable(s.layout, nIn[0]!, nIn[1]!, s.block[0]!);
    const r = unit.map((u, a) => ((u % me.size[a]!) + me.size[a]!) % me.size[a]!);
    const shift = unit.map((u, a) => Math.floor(u / me.size[a]!) * nIn[a]!);
    for (const [y, x] of table.get(`${r[0]},${r[1]}`) ?? []) addFrom(node.inputs[0]!, [y! + shift[0]!, x! + shift[1]!]);
  } else if (s.op === 'spaceToDepth') {
    for (const t of multiIndex(s.block)) addFrom(node.inputs[0]!, unit.map((u, a) => u * s.block[a]! + t[a]!));
  } else if (s.op === 'pixelShuffle') addFrom(node.inputs[0]!, unit.map((u, a) => Math.floor(u / s.factor[a]!)));
  else if (s.op === 'crop') {
    const n = shapes.get(node.inputs[0]!)!.size;
    const off = s.offset === 'center' ? me.size.map((m, a) => Math.trunc((n[a]! - m) / 2)) : s.offset;
    addFrom(node.inputs[0]!, unit.map((u, a) => u + off[a]!));
  } else if (s.op === 'add' || s.op === 'mul' || s.op === 'concat') {
    node.inputs.forEach((inputId) => {
      const sh = shapes.get(inputId)!;
      if (!sh.spatial) return addFrom(inputId, unit.map(() => 0), true);
      const src: number[] = [];
      let broadcast = false;
      for (let a = 0; a < rank; a++) {
        const m = sh.size[a]!;
        const n = me.size[a]!;
        if (m === n) src.push(unit[a]!);
        else if (m === 1 && s.align === 'exact') {
          src.push(0);
          broadcast = true;
        } else {
          // Darknet shortcut_cpu: every stride-th pixel of a larger input, or into every sample-th unit from a smaller one
          const stride = Math.max(1, Math.trunc(m / n));
          const sample = Math.max(1, Math.trunc(n / m));
          if (((unit[a]! % sample) + sample) % sample !== 0) return;
          src.push((unit[a]! / sample) * stride);
        }
      }
      addFrom(inputId, src, broadcast);
    });
  } else if (s.op === 'pointwise') addFrom(node.inputs[0]!, unit);
  else if (s.op === 'unknown') {
    addFrom(node.inputs[0]!, unit);
    for (const other of node.inputs.slice(1)) if (shapes.get(other)!.size.every((m, a) => m === me.size[a])) addFrom(other, unit);
  } else if (s.op === 'normalize') {
    addFrom(node.inputs[0]!, unit);
    for (const i of multiIndex(shapes.get(node.inputs[0]!)!.size)) addFrom(node.inputs[0]!, i, true);
  }
  else if (s.op === 'globalPool' || s.op === 'dense' || s.op === 'flatten') {
    const n = shapes.get(node.inputs[0]!)!.size;
    for (const i of multiIndex(n)) addFrom(node.inputs[0]!, i.map((ii, a) => unit[a]! * n[a]! + ii), true);
  }
  memo.set(key, res);
  return res;
}

/**
 * For each layer, the fewest global operations a path from the input passes
 * to reach it (0: a local path; Infinity: no path), and whether some path
 * passes one, from the graph's edges as forward() reads them.
 */
export function refPathDepths(graph: ModelGraph, shapes: Map<string, RefNode>): Map<string, { depth: number; global: boolean }> {
  const kinds = new Map<string, { depth: number; global: boolean }>();
  for (const node of graph.nodes) {
    const me = shapes.get(node.id);
    if (!me) continue;
    const s = node.spec;
    let depth = s.op === 'input' ? 0 : Infinity;
    let global = false;
    const edge = (inputId: string, viaGlobal: boolean) => {
      const k = kinds.get(inputId);
      if (!k || k.depth === Infinity) return;
      depth = Math.min(depth, k.depth + (viaGlobal ? 1 : 0));
      global ||= viaGlobal || k.global;
    };
    const first = node.inputs[0];
    const resampling = ['conv', 'pool', 'adaptivePool', 'convtranspose', 'upsample', 'spaceToDepth', 'pixelShuffle', 'crop'].includes(s.op);
    if (resampling) edge(first!, !shapes.get(first!)!.spatial);
    else if (s.op === 'add' || s.op === 'mul' || s.op === 'concat') {
      for (const id of node.inputs) {
        const sh = shapes.get(id)!;
        edge(id, !sh.spatial || (s.align === 'exact' && sh.size.some((m, a) => m === 1 && me.size[a] !== 1)));
      }
    } else if (s.op === 'pointwise') edge(first!, false);
    else if (s.op === 'unknown') {
      edge(first!, false);
      for (const other of node.inputs.slice(1)) if (shapes.get(other)!.size.every((m, a) => m === me.size[a])) edge(other, false);
    } else if (s.op === 'normalize') {
      edge(first!, false);
      edge(first!, true);
    } else if (s.op === 'globalPool' || s.op === 'dense' || s.op === 'flatten') for (const id of node.inputs) edge(id, true);
    kinds.set(node.id, { depth, global });
  }
  return kinds;
}

/**
 * size, jump and start per axis from the brute-force virtual fields, measured
 * on the paths that pass the fewest global operations (the local paths when
 * the layer has any: global context is no window); `global` when some path
 * passes one.
 */
export function refField(graph: ModelGraph, shapes: Map<string, RefNode>, id: string): { size: number[]; jump: number[]; start: number[]; global: boolean } {
  const me = shapes.get(id)!;
  const rank = me.size.length;
  const memo = new Map<string, RefFieldParts>();
  const kind = refPathDepths(graph, shapes).get(id)!;
  const hull = (unit: number[]) => {
    const lo = new Array<number>(rank).fill(Infinity);
    const hi = new Array<number>(rank).fill(-Infinity);
    const parts = refVirtualFieldParts(graph, shapes, id, unit, memo);
    for (const c of parts.get(kind.depth) ?? []) {
      c.split(',').forEach((v, a) => {
        lo[a] = Math.min(lo[a]!, Number(v));
        hi[a] = Math.max(hi[a]!, Number(v));
      });
    }
    return { lo, hi };
  };
  const centre = me.size.map((n) => Math.floor((n - 1) / 2));
  const c = hull(centre);
  const first = hull(me.size.map(() => 0));
  // an empty field has size 0
  const size = c.lo.map((l, a) => (l === Infinity ? 0 : c.hi[a]! - l + 1));
  const start = first.lo.map((l, a) => (l + first.hi[a]!) / 2);
  const jump = me.size.map((n, a) => {
    const lastUnit = me.size.map(() => 0);
    lastUnit[a] = n === 1 ? 1 : n - 1;
    const last = hull(lastUnit);
    const m = (last.lo[a]! + last.hi[a]!) / 2;
    return n === 1 ? m - start[a]! : (m - start[a]!) / (n - 1);
  });
  return { size, jump, start, global: kind.global };
}

/**
 * Ripple in any rank, by counting: on the unbounded input, for every unit in
 * a box around the centre, add 1 at each position of its field; then take
 * min/max over a window (one period wide) around the centre unit's field.
 * `radius` and `window` are per axis; the box must cover every unit whose
 * field reaches the window.
 */
export function refRipple(graph: ModelGraph, shapes: Map<string, RefNode>, id: string, radius: number[], window: number[]): number {
  const me = shapes.get(id)!;
  const rank = me.size.length;
  const centre = me.size.map((n) => Math.floor((n - 1) / 2));
  const counts = new Map<string, number>();
  const memo = new Map<string, RefFieldParts>();
  let mid: number[] | null = null;
  let best = Infinity;
  for (const off of multiIndex(radius.map((r) => 2 * r + 1))) {
    const unit = off.map((o, a) => centre[a]! - radius[a]! + o);
    const f = refVirtualField(graph, shapes, id, unit, memo);
    for (const c of f) counts.set(c, (counts.get(c) ?? 0) + 1);
    const dist = unit.reduce((d, u, a) => d + Math.abs(u - centre[a]!), 0);
    if (f.size && dist < best) {
      best = dist;
      const lo = new Array<number>(rank).fill(Infinity);
      const hi = new Array<number>(rank).fill(-Infinity);
      for (const c of f) c.split(',').forEach((v, a) => ((lo[a] = Math.min(lo[a]!, Number(v))), (hi[a] = Math.max(hi[a]!, Number(v)))));
      mid = lo.map((l, a) => Math.round((l + hi[a]!) / 2));
    }
  }
  if (!mid) return NaN;
  let min = Infinity;
  let max = 0;
  for (const off of multiIndex(window)) {
    const p = off.map((o, a) => mid![a]! + o - Math.floor(window[a]! / 2));
    const v = counts.get(p.join(',')) ?? 0;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return min / max;
}
