/** Where layers leave input rows unread: shared by RFL001 (why pixels are lost), RFL005 and RFL006. */
import { nodeWindow } from '../../graph/ir';
import { lastTapIndex } from '../../graph/window';
import type { Geometry, NodeGeometry } from '../geometry';

/**
 * Trailing rows of a layer's real input that no output reads, per axis: what
 * floor division leaves after the last window (or the last block of a
 * space-to-depth). Null for layers that read everything by construction.
 */
export function droppedRows(g: NodeGeometry, inputSize: number[]): number[] | null {
  const spec = g.node.spec;
  if (spec.op === 'spaceToDepth') return inputSize.map((n, a) => n % spec.block[a]!);
  const w = nodeWindow(g.node);
  if (!w || !g.padBefore) return null;
  return inputSize.map((n, a) => {
    const lastTap = lastTapIndex(g.size[a]!, w.stride[a]!, g.padBefore![a]!, w.kernel[a]!, w.dilation[a]!);
    return Math.max(0, n - 1 - lastTap);
  });
}


export function inputSizeOf(geometry: Geometry, g: NodeGeometry): number[] | null {
  const src = geometry.byId.get(g.node.inputs[0] ?? '');
  return src ? src.size : null;
}


/** Layers that drop input rows by floor division, with how many per axis. */
export function droppingLayers(geometry: Geometry): Array<{ g: NodeGeometry; dropped: number[]; inputSize: number[] }> {
  const out: Array<{ g: NodeGeometry; dropped: number[]; inputSize: number[] }> = [];
  for (const g of geometry.nodes) {
    const inputSize = inputSizeOf(geometry, g);
    if (!inputSize || !g.spatial) continue;
    const dropped = droppedRows(g, inputSize);
    if (dropped && dropped.some((d) => d > 0)) out.push({ g, dropped, inputSize });
  }
  return out;
}

