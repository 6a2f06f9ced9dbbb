import { axesText, type AnalysisReport, type LayerMetrics } from '../core';

function axes(v: Array<number | null> | null | undefined): string {
  return axesText(v, 2);
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function metricLine(id: string, name: string, m: LayerMetrics): string {
  const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);
  return [
    `  ${name} (${id}):`,
    `paths peak 10^${m.peakLog10 === null ? '-' : m.peakLog10.toFixed(2)}`,
    `edge ${pct(m.edgeRatio)}`,
    `corner ${pct(m.cornerRatio)}`,
    `well represented ${pct(m.wellRepresented)}`,
    `coverage ${m.coverageMin}..${m.coverageMax}`,
    `dead ${m.deadPixels}`,
    `ripple ${m.ripple === null ? '-' : m.ripple.toFixed(3)}`,
  ].join('  ');
}

/** The human-readable report of `rflens analyze`. */
export function renderTable(r: AnalysisReport): string {
  const out: string[] = [];
  out.push(`${r.file}`);
  out.push(
    `  format ${r.format}${r.dialect ? ` (${r.dialect})` : ''}, model ${r.model}, input ${r.input?.shape.join('x')} (${r.input?.source === 'file' ? 'stated in the file' : r.input?.source === 'option' ? 'from --input' : 'default'}), outputs ${r.outputs.join(', ')}`,
  );
  out.push('');
  const rows = r.layers.map((l) => [
    l.id,
    l.line === null ? '' : String(l.line),
    l.type,
    l.params,
    l.output ? l.output.join('x') : l.op === 'constant' ? '-' : '(flat)',
    l.rf ? `${axes(l.rf.size)}${l.rf.global ? '+g' : ''}` : '-',
    l.rf ? axes(l.rf.jump) : '-',
    l.rf ? axes(l.rf.start) : '-',
  ]);
  const header = ['id', 'line', 'type', 'params', 'output', 'rf', 'jump', 'start'];
  const widths = header.map((h, i) => Math.min(28, Math.max(h.length, ...rows.map((row) => row[i]!.length))));
  out.push(header.map((h, i) => pad(h, widths[i]!)).join('  '));
  out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) out.push(row.map((c, i) => pad(c.length > 28 ? `${c.slice(0, 27)}…` : c, widths[i]!)).join('  ').trimEnd());
  if (r.layers.some((l) => l.rf?.global)) {
    out.push('');
    out.push('rf +g: the layer also depends on every pixel through a global operation (global pooling, a squeeze-and-excitation');
    out.push('      gate, a dense layer); rf, jump and start are those of its local paths (of the whole map when it has none).');
  }
  out.push('');
  out.push('metrics over the input:');
  for (const [id, m] of Object.entries(r.metrics)) {
    const name = r.layers.find((l) => l.id === id)?.name ?? id;
    out.push(metricLine(id, name, m));
  }
  out.push('');
  if (r.findings.length === 0) out.push('findings: none');
  else {
    out.push(`findings (${r.findings.length}):`);
    for (const f of r.findings) {
      const where = f.range ? `line ${f.range.start.line + 1}` : 'file';
      out.push(`  ${f.code} ${f.severity} ${where}: ${f.message}`);
    }
  }
  return `${out.join('\n')}\n`;
}
