import { nodeWindow, type ModelGraph, type PadMode } from '../graph/ir';
import { product } from '../graph/shape';
import { WorkLimitError } from './limits';
import { opOf } from './ops';
import { coverageMap, addCoverage } from './coverage';
import { countCover } from './intervals';
import { inferGeometry, workload, type Geometry, type GeometryOptions, type NodeGeometry } from './geometry';
import { coverageMetrics, pathMetrics, type LayerMetrics } from './metrics';
import { pathMap, sumPathMaps, TapCache, type PathMap } from './paths';
import { receptiveFields, type ReceptiveField } from './receptiveField';
import { propagateSupports, type FieldSupport } from './supports';

/**
 * The analysis of one model at one input size: shapes and receptive fields up
 * front, maps on demand (each is one backward pass), cached tap matrices and
 * fields shared between them.
 */
export class ModelAnalysis {
  readonly geometry: Geometry;
  private fieldCache: Map<string, ReceptiveField | null> | WorkLimitError | null = null;
  private realSupports: Map<string, FieldSupport> | WorkLimitError | null = null;
  private readonly taps = new TapCache();
  private readonly pathCache = new Map<string, PathMap>();

  constructor(
    readonly graph: ModelGraph,
    readonly input: number[],
    readonly options: GeometryOptions = {},
    /** an analysis of the same graph and input under another padding mode, whose receptive fields are these (see withPadding) */
    private readonly fieldsOf: ModelAnalysis | null = null,
  ) {
    this.geometry = inferGeometry(graph, input, options);
  }

  private work: { fields: number; maps: number } | null = null;

  /** Rough step counts of the fields and of one map (see workload()), for the limits. */
  get workload(): { fields: number; maps: number } {
    return (this.work ??= workload(this.geometry));
  }

  /**
   * Receptive field of every layer, computed on first use. Throws
   * WorkLimitError (every time it is asked) when the network is beyond the
   * limits; the model handle turns that into a refusal.
   */
  get fields(): Map<string, ReceptiveField | null> {
    if (this.fieldsOf) return this.fieldsOf.fields;
    if (this.fieldCache instanceof WorkLimitError) throw this.fieldCache;
    if (!this.fieldCache) {
      try {
        this.fieldCache = receptiveFields(this.geometry);
      } catch (e) {
        if (e instanceof WorkLimitError) this.fieldCache = e;
        throw e;
      }
    }
    return this.fieldCache;
  }

  /** What-if analyses by padding mode, kept: their tap matrices and maps are cached inside them. */
  private readonly whatIfs = new Map<PadMode, ModelAnalysis>();

  /**
   * The same model with another padding mode on every convolution (the
   * what-if), built once per mode: the panel's remedies, the depth profile and
   * RFL002's quick fixes share it. When no convolution that pads changes its
   * mode (a Darknet file, all zeros, asked for zeros) it is this very
   * analysis. Otherwise shapes are the same and so are the receptive fields:
   * they are measured on the unbounded axis, where no tap is padding
   * (DESIGN.md), so the new analysis takes them from this one; supports, maps
   * and coverage are its own.
   */
  withPadding(mode: PadMode | undefined): ModelAnalysis {
    if (mode === undefined || mode === this.options.padModeOverride || !this.paddingChanges(mode)) return this;
    let a = this.whatIfs.get(mode);
    if (!a) {
      a = new ModelAnalysis(this.graph, this.input, { ...this.options, padModeOverride: mode }, this.fieldsOf ?? this);
      this.whatIfs.set(mode, a);
    }
    return a;
  }

  /** The convolutions that pad their input: the layers a padding mode (the what-if, a quick fix) changes. */
  paddingConvolutions(): NodeGeometry[] {
    return (this.padders ??= this.geometry.nodes.filter(
      (g) => g.node.spec.op === 'conv' && ((g.padBefore ?? []).some((p) => p > 0) || (g.padAfter ?? []).some((p) => p > 0)),
    ));
  }

  private padders: NodeGeometry[] | null = null;

  /** Whether some convolution that pads would pad in another mode under this override. */
  private paddingChanges(override: GeometryOptions['padModeOverride']): boolean {
    return this.paddingConvolutions().some((g) => {
      const own = nodeWindow(g.node)!.padMode;
      return (override ?? own) !== (this.options.padModeOverride ?? own);
    });
  }

  /** Fields of every unit in real input pixels (for coverage); throws WorkLimitError like `fields`. */
  private supports(): Map<string, FieldSupport> {
    if (this.realSupports instanceof WorkLimitError) throw this.realSupports;
    if (!this.realSupports) {
      try {
        this.realSupports = propagateSupports(this.geometry, 'real');
      } catch (e) {
        if (e instanceof WorkLimitError) this.realSupports = e;
        throw e;
      }
    }
    return this.realSupports;
  }

  support(id: string): FieldSupport {
    return this.supports().get(id) ?? [];
  }

  /** Layers that can be mapped: those whose shape is known. */
  has(id: string): boolean {
    return this.geometry.byId.has(id);
  }

  /**
   * The layer whose map equals this one's: a layer that sums or copies its
   * single input (a classifier's global pooling, dense layer and softmax, as
   * all-ones layers) passes a gradient of ones down, so its map is its input's.
   */
  private sameMapAs(id: string): string {
    for (;;) {
      const g = this.geometry.byId.get(id);
      if (!g || g.node.inputs.length !== 1 || !g.rules[0]) return id;
      const same = opOf(g.node.spec).sameMap;
      const src = this.geometry.byId.get(g.node.inputs[0]!);
      if (!src || same === 'never' || (same === 'one-unit' && g.size.some((n) => n !== 1))) return id;
      id = src.node.id;
    }
  }

  /** Path counts of the sum of the given layers' units over the input. */
  pathMap(targets: string[]): PathMap {
    const unique = [...new Set(targets.filter((t) => this.has(t)))].sort();
    if (unique.length === 1) {
      // One layer: its map is cached under the layer that has the same map.
      const key = this.sameMapAs(unique[0]!);
      let map = this.pathCache.get(key);
      if (!map) {
        map = pathMap(this.geometry, [key], this.taps);
        this.pathCache.set(key, map);
      }
      return map;
    }
    const key = unique.join('\u0000');
    let map = this.pathCache.get(key);
    if (!map) {
      // Linear in the units summed: reuse the layers' own maps when they are there.
      const singles = unique.map((t) => this.pathCache.get(this.sameMapAs(t)));
      map = singles.every((m) => m !== undefined) ? sumPathMaps(singles as PathMap[]) : pathMap(this.geometry, unique, this.taps);
      this.pathCache.set(key, map);
    }
    return map;
  }

  /** Path counts of one unit of a layer over the input (that unit's own effective field). */
  unitPathMap(target: string, unit: number[]): PathMap {
    const key = `${target}\u0000unit\u0000${unit.join(',')}`;
    let map = this.pathCache.get(key);
    if (!map) {
      map = pathMap(this.geometry, [target], this.taps, { unit });
      this.pathCache.set(key, map);
    }
    return map;
  }

  /** The part inside the input of one unit's field: per axis the first and last pixel, or null when no pixel reaches it. */
  unitField(target: string, unit: number[]): { lo: number[]; hi: number[] } | null {
    const lo = this.input.map(() => Infinity);
    const hi = this.input.map(() => -Infinity);
    for (const term of this.support(target)) {
      if (term.axes.some((col, a) => !col.has(unit[a]!) || col.isEmpty(unit[a]!))) continue;
      term.axes.forEach((col, a) => {
        const h = col.hull(unit[a]!)!;
        lo[a] = Math.min(lo[a]!, h[0]);
        hi[a] = Math.max(hi[a]!, h[1]);
      });
    }
    return lo.every((v, a) => v <= hi[a]!) ? { lo, hi } : null;
  }

  /** Coverage counts of the given layers together over the input. */
  coverage(targets: string[]): Float64Array {
    if (targets.length === 1) return coverageMap(this.support(targets[0]!), this.input);
    const out = new Float64Array(product(this.input));
    for (const t of targets) addCoverage(out, this.support(t), this.input);
    return out;
  }

  metrics(targets: string[]): LayerMetrics {
    const ripple = targets.length === 1 ? (this.fields.get(targets[0]!)?.ripple ?? null) : null;
    return { ...pathMetrics(this.pathMap(targets)), ...this.coverageMetrics(targets), ripple };
  }

  /**
   * Dead pixels and coverage range of the given layers together. One layer
   * whose fields are one product term (a chain, or branches with the same
   * fields) has the outer product of its per-axis counts as coverage: its
   * smallest and largest values are the products of the axes' (the counts are
   * whole numbers, so exactly the values the map would hold), and its zeros
   * the pixels with a zero count on some axis. No map is built for that.
   */
  coverageMetrics(targets: string[]): Pick<LayerMetrics, 'deadPixels' | 'coverageMin' | 'coverageMax'> {
    const counts = targets.length === 1 ? this.axisCounts(targets[0]!) : null;
    if (!counts) return coverageMetrics(this.coverage(targets));
    let min = 1;
    let max = 1;
    let covered = 1;
    for (const c of counts) {
      let cMin = Infinity;
      let cMax = 0;
      let nonzero = 0;
      for (let i = 0; i < c.length; i++) {
        const v = c[i]!;
        if (v < cMin) cMin = v;
        if (v > cMax) cMax = v;
        if (v !== 0) nonzero++;
      }
      min *= cMin;
      max *= cMax;
      covered *= nonzero;
    }
    return { deadPixels: product(this.input) - covered, coverageMin: min, coverageMax: max };
  }

  /** Per axis, how many units of the layer cover each input position, when its fields are one product term; else null. */
  axisCounts(id: string): Float64Array[] | null {
    const support = this.support(id);
    if (support.length !== 1) return null;
    return support[0]!.axes.map((col, a) => countCover(col, this.input[a]!));
  }

  /**
   * For each output, the nearest layers with spatial extent at or before it
   * (the last convolution before a classifier's global pooling and dense
   * layers; a detector's heads themselves).
   */
  finalSpatialLayers(outputs: string[]): string[] {
    const found: string[] = [];
    const seen = new Set<string>();
    const visit = (id: string) => {
      if (seen.has(id)) return;
      seen.add(id);
      const g = this.geometry.byId.get(id);
      if (!g) return;
      if (g.spatial) {
        if (!found.includes(id)) found.push(id);
        return;
      }
      for (const i of g.node.inputs) visit(i);
    };
    for (const o of outputs) visit(o);
    return found.filter((id) => this.geometry.byId.get(id)?.node.spec.op !== 'input');
  }

  /** Layers (in graph order) whose output reaches one of the targets. */
  ancestors(targets: string[]): string[] {
    const keep = new Set<string>();
    const stack = [...targets];
    while (stack.length) {
      const id = stack.pop()!;
      if (keep.has(id)) continue;
      keep.add(id);
      const g = this.geometry.byId.get(id);
      if (g) stack.push(...g.node.inputs);
    }
    return this.geometry.nodes.map((g) => g.node.id).filter((id) => keep.has(id));
  }
}
