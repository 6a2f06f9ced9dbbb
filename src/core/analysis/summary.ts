import type { LayerNode } from '../graph/ir';

/** A short description of a layer's spatial parameters, as the table and the hover show it ("k3 s2 p1"). */
export function paramsSummary(node: LayerNode): string {
  const s = node.spec;
  const j = (v: number[]) => (v.every((x) => x === v[0]) ? String(v[0]) : v.join('x'));
  switch (s.op) {
    case 'conv':
    case 'pool': {
      const w = s.sliding;
      const parts = [`k${j(w.kernel)}`, `s${j(w.stride)}`];
      if (w.dilation.some((d) => d !== 1)) parts.push(`d${j(w.dilation)}`);
      if (w.padding.kind === 'same') parts.push(`same(${w.padding.rule})`);
      else {
        const { before, after } = w.padding;
        if (before.some((p) => p > 0) || after.some((p) => p > 0)) {
          parts.push(before.every((p, a) => p === after[a]) ? `p${j(before)}` : `p${j(before)}/${j(after)}`);
        }
      }
      if (w.padMode !== 'zeros') parts.push(w.padMode);
      if (w.ceil) parts.push('ceil');
      return `${s.op === 'pool' ? `${s.pool} ` : ''}${parts.join(' ')}`;
    }
    case 'convtranspose':
      return `k${j(s.kernel)} s${j(s.stride)} p${j(s.padBefore)}`;
    case 'upsample':
      return `${s.mode} ${s.size ? `to ${s.size.join('x')}` : `x${j(s.scale ?? [1])}`}`;
    case 'spaceToDepth':
      return `block ${j(s.block)}${s.layout === 'clean' ? '' : ` (${s.layout})`}`;
    case 'pixelShuffle':
      return `x${j(s.factor)}`;
    case 'crop':
      return s.offset === 'center' ? 'centre' : `offset ${s.offset.join(',')}`;
    case 'pointwise':
      return s.kind;
    case 'unknown':
      return s.reason;
    default:
      return '';
  }
}
