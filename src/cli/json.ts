/** The `--json` contract of `rflens analyze` (README, "Command line"): one object per file. */
import type { AnalysisResult, LayerMetrics } from '../core';

/** JSON numbers: NaN and infinities become null. */
export function num(v: number | null | undefined): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : v;
}

function metricsJson(m: LayerMetrics): Record<string, number | null> {
  return {
    peakLog10: num(m.peakLog10),
    edgeRatio: num(m.edgeRatio),
    cornerRatio: num(m.cornerRatio),
    wellRepresented: num(m.wellRepresented),
    deadPixels: m.deadPixels,
    coverageMin: m.coverageMin,
    coverageMax: m.coverageMax,
    ripple: num(m.ripple),
  };
}

export function analysisJson(r: AnalysisResult): unknown {
  return {
    file: r.file,
    format: r.format,
    model: r.model,
    input: r.input,
    outputs: r.outputs,
    layers: r.layers.map((l) => ({
      id: l.id,
      name: l.name,
      op: l.op,
      line: l.line,
      inputs: l.inputs,
      output: l.output,
      rf: l.rf ? { size: l.rf.size, jump: l.rf.jump.map(num), start: l.rf.start.map(num) } : null,
    })),
    metrics: Object.fromEntries(Object.entries(r.metrics).map(([id, m]) => [id, metricsJson(m)])),
    findings: r.findings.map((f) => ({
      code: f.code,
      severity: f.severity,
      message: f.message,
      line: f.range ? f.range.start.line + 1 : null,
      layer: f.layer,
    })),
  };
}
