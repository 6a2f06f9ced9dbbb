/**
 * Receptive Field Lens engine: pure TypeScript, no editor API, no Node
 * built-ins, no DOM, so it runs in Node, in the extension host, in a worker
 * and in a browser. This is its public entry: the command line and the
 * editor import nothing else from core, but for `catalogue.ts` (the finding
 * and padding-mode catalogues without the readers, for the extension host).
 */
export { analyze, isRefusal, openModel, resolveLayer } from './analyze';
export type { AnalyzeOptions, DepthProfile, InfluenceMap, MapMetric, MapOptions, ModelHandle, Refusal } from './analyze';
export type { AnalysisReport, InputSource, LayerReport, ReceptiveFieldReport } from './report';
export { finiteOrNull } from './report';
export type { LayerMetrics } from './analysis/metrics';
export { MAX_MAP_PIXELS } from './analysis/limits';
export { DEFAULT_EDGE_RATIO_THRESHOLD, DEFAULT_INPUT_SIZE } from './defaults';
export { candidateReaders, extensionOf, KNOWN_EXTENSIONS, READERS, readerFor, recognizeReader } from './formats';
export type { FileAccess, ModelReader, ModelSource, ReadContext, ReaderOption, ReadResult } from './formats';
export { FINDING_KINDS, parseSeverityOverrides, SEVERITY_NAMES } from './graph/finding';
export type {
  Finding,
  FindingCode,
  FindingData,
  FindingFix,
  FindingKind,
  RelatedLocation,
  Severity,
  SeverityOverride,
  SeverityOverrides,
  TextEdit,
} from './graph/finding';
export { axesText, numberText, percentText, sizeText } from './graph/display';
export type { LayerNode, LayerOp, ModelGraph, OpName, PadMode, Position, SourceRange } from './graph/ir';
export { PAD_MODES } from './graph/ir';
