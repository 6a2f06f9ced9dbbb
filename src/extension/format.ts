/**
 * Text the editor shows (CodeLens titles, hover markdown, status bar), from
 * plain report data. Pure, unit-tested.
 */
import type { AnalysisReport, LayerMetrics, LayerReport } from '../core';

const TIMES = '×';

export function fmtNum(x: number | null | undefined, digits = 2): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (Number.isInteger(x)) return String(x);
  const r = Number(x.toFixed(digits));
  return String(r);
}

/** "212×212", or one number when every axis agrees and `collapse` is set. */
export function fmtAxes(v: ReadonlyArray<number | null> | null | undefined, collapse = false, digits = 2): string {
  if (!v || v.length === 0) return '–';
  if (collapse && v.every((x) => x === v[0])) return fmtNum(v[0], digits);
  return v.map((x) => fmtNum(x, digits)).join(TIMES);
}

export function fmtRatio(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (x !== 0 && Math.abs(x) < 0.01) return x.toExponential(1);
  return x.toFixed(2);
}

/** CodeLens title: `RF 212×212 · jump 32 · edge 0.31`. */
export function lensTitle(layer: LayerReport, metrics: LayerMetrics | null | undefined): string {
  if (!layer.rf) return layer.output ? `out ${fmtAxes(layer.output)}` : 'no spatial extent';
  const parts = [`RF ${fmtAxes(layer.rf.size)}${(layer.rf as { global?: boolean }).global ? ' + global' : ''}`, `jump ${fmtAxes(layer.rf.jump, true)}`];
  if (metrics && metrics.edgeRatio !== null) parts.push(`edge ${fmtRatio(metrics.edgeRatio)}`);
  return parts.join(' · ');
}

/** Effective padding per axis: (r-1)/2 - start (Araujo et al.). */
export function effectivePadding(layer: LayerReport): number[] | null {
  if (!layer.rf) return null;
  return layer.rf.size.map((r, a) => (r - 1) / 2 - layer.rf!.start[a]!);
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}

export function commandLink(title: string, command: string, args: unknown[]): string {
  return `[${title}](command:${command}?${encodeURIComponent(JSON.stringify(args))})`;
}

/**
 * Hover markdown for a layer: operation and parameters, output size, field,
 * coverage, edge and corner ratio, dead pixels, ripple, and two command links.
 */
export function hoverMarkdown(
  layer: LayerReport,
  input: number[] | null,
  metrics: LayerMetrics | { refused: string } | null,
  uri: string,
): string {
  const lines: string[] = [];
  const title = !layer.name ? escapeMd(layer.id) : layer.name.includes(layer.id) ? escapeMd(layer.name) : `${escapeMd(layer.name)} (${escapeMd(layer.id)})`;
  lines.push(`**${title}** · \`${layer.type}\`${layer.params ? ` · ${escapeMd(layer.params)}` : ''}`);
  lines.push('');
  const rows: Array<[string, string]> = [];
  rows.push(['output', layer.output ? `${fmtAxes(layer.output)} units` : 'no spatial extent']);
  if (layer.rf) {
    const pad = effectivePadding(layer)!;
    const global = (layer.rf as { global?: boolean }).global;
    rows.push(['receptive field', `${fmtAxes(layer.rf.size)} px${input ? ` of ${fmtAxes(input)}` : ''}${global ? ' + global context' : ''}`]);
    rows.push(['jump · start', `${fmtAxes(layer.rf.jump, true)} px · ${fmtAxes(layer.rf.start, true)} px`]);
    rows.push(['effective padding', `${fmtAxes(pad, true)} px`]);
  }
  if (metrics && 'refused' in metrics) rows.push(['maps', escapeMd(metrics.refused)]);
  else if (metrics) {
    rows.push(['coverage', `${fmtNum(metrics.coverageMin)} – ${fmtNum(metrics.coverageMax)} units per pixel`]);
    rows.push(['edge · corner ratio', `${fmtRatio(metrics.edgeRatio)} · ${fmtRatio(metrics.cornerRatio)} of peak paths`]);
    rows.push(['dead pixels', String(metrics.deadPixels)]);
    if (metrics.ripple !== null) rows.push(['ripple', `${fmtRatio(metrics.ripple)}${metrics.ripple < 1 ? ' (uneven: checkerboard)' : ''}`]);
  }
  lines.push('| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`));
  lines.push('');
  lines.push(
    `${commandLink('Show influence map at this layer', 'rfLens.showInfluenceMap', [uri, layer.id])} · ${commandLink(
      "Show this layer's receptive field",
      'rfLens.showReceptiveField',
      [uri, layer.id],
    )}`,
  );
  return lines.join('\n');
}

/** Status bar text for a report's final layer: `RF 212×212 · edge 0.31`, after the model's name when the file defines several. */
export function statusText(rf: number[] | null, edge: number | null | undefined, model?: string): string {
  return `$(eye) ${model ? `${model} · ` : ''}RF ${fmtAxes(rf)}${edge !== undefined && edge !== null ? ` · edge ${fmtRatio(edge)}` : ''}`;
}

/** What a report says about its whole model: the final layers, the widest field among them and the lowest edge ratio (once the maps are in). */
export function modelSummary(report: Pick<AnalysisReport, 'finalLayers' | 'layers' | 'metrics'>): { finals: LayerReport[]; rf: number[] | null; edge: number | null } {
  const finals = report.finalLayers.map((id) => report.layers.find((l) => l.id === id)).filter((l): l is LayerReport => !!l);
  const area = (l: LayerReport) => l.rf!.size.reduce((p, n) => p * n, 1);
  const widest = finals.filter((l) => l.rf).sort((a, b) => area(b) - area(a))[0];
  const edges = report.finalLayers.map((id) => report.metrics[id]?.edgeRatio).filter((x): x is number => typeof x === 'number');
  return { finals, rf: widest?.rf?.size ?? null, edge: edges.length ? Math.min(...edges) : null };
}

/** CodeLens title on the definition of the analysed model: `RF 5×5 · edge 0.55 · analysed`. */
export function modelLensTitle(report: Pick<AnalysisReport, 'finalLayers' | 'layers' | 'metrics'>): string {
  const { rf, edge } = modelSummary(report);
  return `RF ${fmtAxes(rf)}${edge !== null ? ` · edge ${fmtRatio(edge)}` : ''} · analysed model`;
}
