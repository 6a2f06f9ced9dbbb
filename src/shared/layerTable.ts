/**
 * The layer table of a model (the ONNX editor shows it): one row per layer of
 * the engine's report, the header's summary, and the table's sorting and
 * filtering. Pure data and functions: the host builds the rows, the webview
 * sorts and filters them, the unit tests check both.
 */
import type { AnalysisReport, LayerReport } from '../core';

export type SeverityName = 'error' | 'warning' | 'information' | 'hint';
export const SEVERITY_ORDER: readonly SeverityName[] = ['error', 'warning', 'information', 'hint'];

export interface TableFinding {
  code: string;
  severity: SeverityName;
  message: string;
}

export interface LayerRow {
  /** position in the report's layer list (the graph's order) */
  index: number;
  id: string;
  /** the node name as the file writes it */
  name: string;
  /** the operation as the file writes it (ONNX op_type: "Conv") */
  op: string;
  /** the spatial parameters ("k3 s2 p1") */
  params: string;
  /** spatial output size, null once the spatial axes are gone */
  output: number[] | null;
  rf: { size: number[]; jump: Array<number | null>; start: Array<number | null>; global: boolean } | null;
  /** edge ratio of the layer's own path map: undefined while not computed, null where it does not exist */
  edgeRatio?: number | null;
  /** why there is no edge ratio (a refusal of the engine) */
  edgeNote?: string;
  findings: TableFinding[];
  /** the influence map can be shown at this layer */
  mappable: boolean;
}

export interface TableHeader {
  fileName: string;
  format: string | null;
  model: string | null;
  input: { shape: number[]; source: string } | null;
  outputs: string[];
  finalLayers: string[];
  /** the widest field among the final layers */
  finalRf: { layer: string; size: number[]; global: boolean } | null;
  /** the lowest edge ratio among the final layers, when known */
  finalEdgeRatio: number | null;
  counts: Record<SeverityName, number>;
  /** findings about the whole file or the network (no layer), or about a layer not in the table */
  modelFindings: TableFinding[];
}

export interface LayerTable {
  header: TableHeader;
  rows: LayerRow[];
}

/**
 * Builds the table from a report. `severity` applies the user's setting to a
 * finding (undefined: the finding is off); `mappable` are the layers the
 * influence map can show.
 */
export function buildLayerTable(
  report: AnalysisReport,
  mappable: ReadonlySet<string>,
  severity: (code: string, severity: string) => SeverityName | undefined = (_c, s) => s as SeverityName,
): LayerTable {
  const counts: Record<SeverityName, number> = { error: 0, warning: 0, information: 0, hint: 0 };
  const byLayer = new Map<string, TableFinding[]>();
  const modelFindings: TableFinding[] = [];
  const ids = new Set(report.layers.map((l) => l.id));
  for (const f of report.findings) {
    const s = severity(f.code, f.severity);
    if (!s) continue;
    counts[s]++;
    const tf: TableFinding = { code: f.code, severity: s, message: f.message };
    if (f.layer !== null && ids.has(f.layer)) {
      let list = byLayer.get(f.layer);
      if (!list) byLayer.set(f.layer, (list = []));
      list.push(tf);
    } else modelFindings.push(tf);
  }
  const rows: LayerRow[] = report.layers.map((l, index) => ({
    index,
    id: l.id,
    name: l.name,
    op: l.type || l.op,
    params: l.params,
    output: l.output ? l.output.slice() : null,
    rf: l.rf ? { size: l.rf.size.slice(), jump: l.rf.jump.slice(), start: l.rf.start.slice(), global: l.rf.global === true } : null,
    ...(report.metrics[l.id] ? { edgeRatio: report.metrics[l.id]!.edgeRatio } : {}),
    findings: byLayer.get(l.id) ?? [],
    mappable: mappable.has(l.id),
  }));
  const finals = report.finalLayers.map((id) => report.layers.find((l) => l.id === id)).filter((l): l is LayerReport => !!l && l.rf !== null);
  const area = (l: LayerReport) => l.rf!.size.reduce((p, n) => p * n, 1);
  const widest = finals.slice().sort((a, b) => area(b) - area(a))[0];
  const edges = report.finalLayers.map((id) => report.metrics[id]?.edgeRatio).filter((x): x is number => typeof x === 'number');
  return {
    header: {
      fileName: report.file.split(/[\\/]/).pop() ?? report.file,
      format: report.format,
      model: report.model,
      input: report.input ? { shape: report.input.shape.slice(), source: report.input.source } : null,
      outputs: report.outputs.slice(),
      finalLayers: report.finalLayers.slice(),
      finalRf: widest ? { layer: widest.id, size: widest.rf!.size.slice(), global: widest.rf!.global === true } : null,
      finalEdgeRatio: edges.length ? Math.min(...edges) : null,
      counts,
      modelFindings,
    },
    rows,
  };
}

export type SortKey = 'index' | 'name' | 'op' | 'output' | 'rf' | 'jump' | 'edge' | 'findings';
export const SORT_KEYS: readonly SortKey[] = ['index', 'name', 'op', 'output', 'rf', 'jump', 'edge', 'findings'];
export interface SortOrder {
  key: SortKey;
  /** 1 ascending, -1 descending */
  dir: 1 | -1;
}

const product = (v: ReadonlyArray<number | null>) => v.reduce<number>((p, n) => p * (n ?? NaN), 1);

/** The number (or text) a row sorts by; null sorts last in either direction. */
function sortValue(row: LayerRow, key: SortKey): number | string | null {
  switch (key) {
    case 'index':
      return row.index;
    case 'name':
      return row.name.toLowerCase();
    case 'op':
      return row.op.toLowerCase();
    case 'output':
      return row.output ? product(row.output) : null;
    case 'rf':
      return row.rf ? product(row.rf.size) : null;
    case 'jump': {
      const j = row.rf ? product(row.rf.jump) : NaN;
      return Number.isFinite(j) ? j : null;
    }
    case 'edge':
      return typeof row.edgeRatio === 'number' ? row.edgeRatio : null;
    case 'findings': {
      // the most severe first when descending: severity rank, then how many
      if (!row.findings.length) return null;
      const worst = Math.min(...row.findings.map((f) => SEVERITY_ORDER.indexOf(f.severity)));
      return (SEVERITY_ORDER.length - worst) * 1000 + row.findings.length;
    }
  }
}

/** A sorted copy: stable (ties keep the graph's order), rows without a value last. */
export function sortRows(rows: readonly LayerRow[], order: SortOrder): LayerRow[] {
  const keyed = rows.map((row) => ({ row, v: sortValue(row, order.key) }));
  keyed.sort((a, b) => {
    if (a.v === null || b.v === null) return a.v === b.v ? a.row.index - b.row.index : a.v === null ? 1 : -1;
    const c = typeof a.v === 'string' ? a.v.localeCompare(b.v as string) : a.v - (b.v as number);
    return c !== 0 ? c * order.dir : a.row.index - b.row.index;
  });
  return keyed.map((k) => k.row);
}

/**
 * The rows a filter keeps: every whitespace-separated word must occur
 * (case-insensitive) in the row's name, op, parameters or finding codes; a
 * word `!` keeps only rows with findings.
 */
export function filterRows(rows: readonly LayerRow[], query: string): LayerRow[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return rows.slice();
  return rows.filter((row) => {
    const hay = [row.name, row.op, row.params, ...row.findings.map((f) => f.code)].join('\u0000').toLowerCase();
    return words.every((w) => (w === '!' ? row.findings.length > 0 : hay.includes(w)));
  });
}

/** The order after a click on a column's header: the same column flips, another starts ascending (findings: most severe first). */
export function nextOrder(current: SortOrder, key: SortKey): SortOrder {
  if (current.key === key) return { key, dir: current.dir === 1 ? -1 : 1 };
  return { key, dir: key === 'findings' ? -1 : 1 };
}
