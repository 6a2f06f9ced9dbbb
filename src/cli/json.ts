/** The `--json` contract of `rflens analyze` (README, "Command line"): one object per file, a projection of the engine's plain report. */
import { finiteOrNull, type AnalysisReport } from '../core';

/** JSON numbers: NaN and infinities become null. */
export const num = finiteOrNull;

export function analysisJson(r: AnalysisReport): unknown {
  return {
    file: r.file,
    format: r.format,
    model: r.model,
    input: r.input,
    outputs: r.outputs,
    layers: r.layers.map((l) => ({ id: l.id, name: l.name, op: l.op, line: l.line, inputs: l.inputs, output: l.output, rf: l.rf })),
    metrics: r.metrics,
    findings: r.findings.map((f) => ({
      code: f.code,
      severity: f.severity,
      message: f.message,
      line: f.range ? f.range.start.line + 1 : null,
      layer: f.layer,
    })),
  };
}
