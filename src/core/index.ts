/**
 * Receptive Field Lens engine: pure TypeScript, no editor API, no Node
 * built-ins, no DOM, so it runs in Node, in the extension host and in a browser.
 */
export { analyze, influenceMap, isMapRefusal, MAX_MAP_PIXELS, resolveLayer, paramsSummary } from './analyze';
export type {
  AnalysisResult,
  AnalysisResult as AnalysisReport,
  AnalyzeOptions,
  InfluenceMap,
  MapRefusal,
  InputSource,
  LayerReport,
  MapMetric,
  ReceptiveFieldReport,
  SeverityOverride,
} from './analyze';
export type { LayerMetrics } from './analysis/metrics';
export { READERS, readerFor } from './formats';
export type { ModelReader, ModelSource, ReadOptions, ReadResult } from './formats';
export { FINDING_KINDS } from './graph/findings';
export type { Finding, FindingCode, FindingFix, FindingKind, Severity } from './graph/findings';
export type { LayerNode, LayerOp, ModelGraph, PadMode, Position, SourceRange } from './graph/ir';
export { PAD_MODES } from './graph/ir';
