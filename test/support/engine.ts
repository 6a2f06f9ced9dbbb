/**
 * The engine object behind a report, for tests that look inside it (a
 * layer's geometry, its ancestors): the same reader and input as the report.
 */
import { analyze, type AnalysisReport, type AnalyzeOptions } from '../../src/core';
import { ModelAnalysis } from '../../src/core/analysis/modelAnalysis';
import { readerFor, type ModelSource } from '../../src/core/formats';

export function engineOf(source: ModelSource, report: AnalysisReport, readerOptions: Record<string, string> = {}): ModelAnalysis {
  const graph = readerFor(source)!.read(source, { options: readerOptions }).models.find((m) => m.name === report.model)!;
  return new ModelAnalysis(graph, report.input!.shape);
}

const sources = new WeakMap<AnalysisReport, ModelSource>();

/** analyze(), remembering the source so that engine(report) can look inside. */
export function analyzed(source: ModelSource, options: AnalyzeOptions = {}): AnalysisReport {
  const r = analyze(source, options);
  sources.set(r, source);
  return r;
}

/** The engine behind a report of analyzed(). */
export function engine(r: AnalysisReport): ModelAnalysis {
  return engineOf(sources.get(r)!, r);
}
