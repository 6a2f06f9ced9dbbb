/**
 * The graph a forward() (or a Keras functional model) builds while the
 * interpreter runs it: one IR node per layer call and per functional op.
 *
 * Ids: a module's node is its dotted path as PyTorch's named_modules() gives
 * it (`layer4.2.conv3`); a module called again in the same forward (a ReLU
 * used three times) gets `_1`, `_2` after the path, as torch.fx names
 * repeats. A functional op gets the path of the module whose forward calls it
 * and the op's name (`layer1.0.add`, `flatten` in the root module), with the
 * same suffixes. A container or user module called as a whole (`layer4`,
 * `layer4.2`) adds an identity node under its own path at its output, so the
 * field "at layer4" is a layer of the graph.
 */
import type { LayerNode, LayerOp, PadModeSlot, SourceRange } from '../../graph/ir';
import type { TensorValue } from './values';

export class Tracer {
  readonly nodes: LayerNode[] = [];
  private readonly used = new Map<string, number>();
  private readonly taken = new Set<string>();
  private readonly reserved = new Set<string>();
  /** module paths whose forward is running, innermost last */
  readonly pathStack: string[] = [];
  /** spatial rank of the traced model */
  rank = 2;
  /** nodes created, to bound runaway forwards */
  limit = 20000;

  constructor(readonly format: string) {}

  /** An id not used yet: the base itself the first time, then base_1, base_2... */
  freshId(base: string): string {
    if (!this.taken.has(base)) {
      this.taken.add(base);
      return base;
    }
    let i = this.used.get(base) ?? 0;
    do i++;
    while (this.taken.has(`${base}_${i}`));
    this.used.set(base, i);
    const id = `${base}_${i}`;
    this.taken.add(id);
    return id;
  }

  /** Reserve ids (module paths) so functional ops never take them. */
  reserve(id: string): void {
    this.reserved.add(id);
  }

  isReserved(id: string): boolean {
    return this.reserved.has(id);
  }

  /** Id for a functional op called in the current module's forward. */
  opId(op: string): string {
    const path = this.pathStack[this.pathStack.length - 1] ?? '';
    let base = path ? `${path}.${op}` : op;
    if (this.reserved.has(base)) base = `${base}_op`;
    return this.freshId(base);
  }

  /** ids of the nodes built (detached ones included: they may come back) */
  private readonly built = new Set<string>();

  /** Whether this graph built the node (a tensor of this trace, not of another one). */
  has(id: string): boolean {
    return this.built.has(id);
  }

  /** Forget the nodes added after the first `count` (an attempt that read nothing, such as a Lambda body of unknown ops). */
  truncate(count: number): void {
    for (const n of this.nodes.splice(count)) this.built.delete(n.id);
  }

  /** nodes taken out of the graph while unused (strided slices a space-to-depth replaced); used again, they come back */
  private readonly detached = new Map<string, LayerNode>();

  /** Take an unused node out of the graph (false when a node reads it). */
  detach(id: string): boolean {
    if (this.nodes.some((n) => n.inputs.includes(id))) return false;
    const i = this.nodes.findIndex((n) => n.id === id);
    if (i < 0) return false;
    this.detached.set(id, this.nodes[i]!);
    this.nodes.splice(i, 1);
    return true;
  }

  private reattach(id: string): void {
    const n = this.detached.get(id);
    if (!n) return;
    this.detached.delete(id);
    for (const i of n.inputs) this.reattach(i);
    this.nodes.push(n);
  }

  add(
    id: string,
    spec: LayerOp,
    inputs: string[],
    info: { name?: string; type: string; origin: SourceRange | null; ranges?: Record<string, SourceRange>; valueRanges?: Record<string, SourceRange>; padModeSlot?: PadModeSlot },
    spatial = true,
    layout: TensorValue['layout'] = 'nchw',
  ): TensorValue {
    if (this.nodes.length >= this.limit) throw new TraceLimit(`more than ${this.limit} layers`);
    if (this.detached.size) for (const i of inputs) this.reattach(i);
    const node: LayerNode = {
      id,
      name: info.name ?? id,
      type: info.type,
      inputs,
      spec,
      origin: info.origin,
    };
    if (info.ranges && Object.keys(info.ranges).length) node.ranges = info.ranges;
    if (info.valueRanges && Object.keys(info.valueRanges).length) node.valueRanges = info.valueRanges;
    if (info.padModeSlot) node.padModeSlot = info.padModeSlot;
    this.nodes.push(node);
    this.built.add(id);
    return { k: 'tensor', node: id, spatial, layout };
  }
}

export class TraceLimit extends Error {}
