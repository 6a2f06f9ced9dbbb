/**
 * The layers every path from the input to the final layers passes through, in
 * graph order (a ResNet's block outputs, not its shortcut projections): the
 * layers no edge of the graph jumps over. Pure; works on the report's layer list.
 */
export interface DepthLayer {
  id: string;
  inputs: string[];
}

export function dominatorChain(layers: DepthLayer[], finals: string[], limit = 64): string[] {
  const index = new Map(layers.map((l, i) => [l.id, i]));
  // keep only the ancestors of the final layers
  const keep = new Set<string>();
  const stack = finals.filter((f) => index.has(f));
  const byId = new Map(layers.map((l) => [l.id, l]));
  while (stack.length) {
    const id = stack.pop()!;
    if (keep.has(id)) continue;
    keep.add(id);
    for (const i of byId.get(id)?.inputs ?? []) if (index.has(i)) stack.push(i);
  }
  const order = layers.filter((l) => keep.has(l.id));
  const pos = new Map(order.map((l, i) => [l.id, i]));
  const n = order.length;
  // jumped[i] > 0: some edge passes over position i
  const diff = new Int32Array(n + 2);
  const jump = (from: number, to: number) => {
    if (to - from > 1) {
      diff[from + 1]! += 1;
      diff[to]! -= 1;
    }
  };
  for (const l of order) for (const i of l.inputs) if (pos.has(i)) jump(pos.get(i)!, pos.get(l.id)!);
  // a virtual sink after the last layer reads every final layer
  for (const f of finals) if (pos.has(f)) jump(pos.get(f)!, n);
  const chain: string[] = [];
  let run = 0;
  for (let i = 0; i < n; i++) {
    run += diff[i]!;
    if (run === 0) chain.push(order[i]!.id);
  }
  if (chain.length <= limit) return chain;
  // evenly spaced, first and last kept
  const out: string[] = [];
  for (let k = 0; k < limit; k++) out.push(chain[Math.round((k * (chain.length - 1)) / (limit - 1))]!);
  return [...new Set(out)];
}
