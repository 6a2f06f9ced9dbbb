/** Sentences the findings share: pixel sets, index lists and counts in words. */
import type { ModelAnalysis } from '../modelAnalysis';

export const AXIS_NAMES: Record<number, string[]> = { 1: ['positions'], 2: ['rows', 'columns'], 3: ['frames', 'rows', 'columns'] };


/** "1 row and 2 columns": counts per axis, the zero ones left out. */
export function describeCounts(counts: number[]): string {
  const names = AXIS_NAMES[counts.length]!;
  return counts
    .map((v, a) => (v ? `${v} ${v === 1 ? names[a]!.replace(/s$/, '') : names[a]}` : ''))
    .filter(Boolean)
    .join(' and ');
}


export function ordinal(step: number): string {
  return step === 2 ? '2nd' : step === 3 ? '3rd' : `${step}th`;
}


export function describeRanges(list: number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < list.length) {
    let j = i;
    while (j + 1 < list.length && list[j + 1] === list[j]! + 1) j++;
    parts.push(i === j ? String(list[i]) : `${list[i]}-${list[j]}`);
    i = j + 1;
  }
  if (parts.length > 6) return `${parts.slice(0, 6).join(', ')}, …`;
  return parts.join(', ');
}


/**
 * A sorted index list in words, with its noun: "rows 0-2, 7", "row 5", or for
 * a stride pattern "every 4th row from 2 to 98, and row 99".
 */
export function describeIndices(list: number[], noun = 'position', plural = `${noun}s`): string {
  if (list.length === 0) return '';
  const plain = (l: number[]) => `${l.length === 1 ? noun : plural} ${describeRanges(l)}`;
  if (list.length >= 4) {
    // The longest run with one step above 1 (a stride pattern).
    let best = { start: 0, length: 1, step: 0 };
    for (let i = 0; i + 1 < list.length; ) {
      const step = list[i + 1]! - list[i]!;
      let j = i + 1;
      while (j + 1 < list.length && list[j + 1]! - list[j]! === step) j++;
      if (step > 1 && j - i + 1 > best.length) best = { start: i, length: j - i + 1, step };
      i = j;
    }
    if (best.length >= 4 && best.length * 2 >= list.length) {
      const run = list.slice(best.start, best.start + best.length);
      const rest = [...list.slice(0, best.start), ...list.slice(best.start + best.length)];
      const pattern = `every ${ordinal(best.step)} ${noun} from ${run[0]} to ${run[run.length - 1]}`;
      return rest.length ? `${pattern}, and ${plain(rest)}` : pattern;
    }
  }
  return plain(list);
}


/**
 * Where the pixels with mask[p] set are, in words: whole rows, whole columns,
 * then the rest. Pixels with skip[p] set (described already) may complete a
 * row or column but are not named.
 */
export function describePixels(mask: Uint8Array, shape: number[], skip?: Uint8Array): string {
  if (shape.length === 1) {
    const list: number[] = [];
    for (let i = 0; i < mask.length; i++) if (mask[i]) list.push(i);
    return describeIndices(list, 'sample');
  }
  if (shape.length === 2) {
    const [h, w] = shape as [number, number];
    const covered = (i: number) => mask[i] === 1 || skip?.[i] === 1;
    // Lines (rows: step 1 from y*w; columns: step w from x) all covered and with at least one marked pixel.
    const fullLines = (count: number, length: number, first: (k: number) => number, step: number) => {
      const out: number[] = [];
      for (let k = 0; k < count; k++) {
        let all = true;
        let any = false;
        for (let t = 0, i = first(k); t < length && all; t++, i += step) {
          all = covered(i);
          any ||= mask[i] === 1;
        }
        if (all && any) out.push(k);
      }
      return out;
    };
    const rows = fullLines(h, w, (y) => y * w, 1);
    const cols = fullLines(w, h, (x) => x, w);
    const rowSet = new Set(rows);
    const colSet = new Set(cols);
    const rest: string[] = [];
    let restCount = 0;
    for (let y = 0; y < h; y++) {
      if (rowSet.has(y)) continue;
      for (let x = 0; x < w; x++) {
        if (!mask[y * w + x] || colSet.has(x)) continue;
        restCount++;
        if (rest.length < 3) rest.push(`(${y}, ${x})`);
      }
    }
    const parts: string[] = [];
    if (rows.length && rows.length === cols.length && rows.every((r, i) => r === cols[i])) {
      parts.push(describeIndices(rows, 'row and column', 'rows and columns'));
    } else {
      if (rows.length) parts.push(describeIndices(rows, 'row'));
      if (cols.length) parts.push(describeIndices(cols, 'column'));
    }
    if (restCount) parts.push(`${restCount} ${parts.length ? 'more ' : ''}pixels such as ${rest.join(', ')}`);
    return parts.join(' and ');
  }
  let count = 0;
  let firstAt = -1;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i]) {
      count++;
      if (firstAt < 0) firstAt = i;
    }
  }
  const coord: number[] = [];
  let r = firstAt;
  for (let a = shape.length - 1; a >= 0; a--) {
    coord.unshift(r % shape[a]!);
    r = Math.floor(r / shape[a]!);
  }
  return `${count} voxels, the first at (${coord.join(', ')})`;
}


export function nameOf(analysis: ModelAnalysis, id: string): string {
  return analysis.geometry.byId.get(id)?.node.name ?? id;
}


export function listNames(analysis: ModelAnalysis, ids: string[]): string {
  const names = ids.map((id) => nameOf(analysis, id));
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

