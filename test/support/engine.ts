/**
 * The engine object behind a report, for tests that look inside it (a
 * layer's geometry, its ancestors): the same reader and input as the report.
 */
import type { AnalysisReport } from '../../src/core';
import { ModelAnalysis } from '../../src/core/analysis/modelAnalysis';
import { readerFor, type ModelSource } from '../../src/core/formats';

export function engineOf(source: ModelSource, report: AnalysisReport, readerOptions: Record<string, string> = {}): ModelAnalysis {
  const graph = readerFor(source)!.read(source, { options: readerOptions }).models.find((m) => m.name === report.model)!;
  return new ModelAnalysis(graph, report.input!.shape);
}
