/**
 * What the editor features and the influence-map panel ask of the engine. The
 * editor glue implements it once (analyses run off the extension host's main
 * thread, results cached per document version); the panel only consumes it,
 * so neither depends on how or where the engine runs.
 */
import type * as vscode from 'vscode';
import type { AnalysisReport, LayerMetrics, MapMetric, PadMode } from '../core';

export interface MapRequest {
  /** 'outputs' for every output together, a layer id, or several ids summed */
  layer: 'outputs' | string | string[];
  metric: MapMetric;
  /** what-if: every convolution padded this way (absent: the file's own padding) */
  padding?: PadMode;
  /** one unit of the layer (one index per axis) instead of all its units */
  unit?: number[];
}

export interface MapResult {
  /** ids of the layers whose units are summed */
  layers: string[];
  metric: MapMetric;
  shape: number[];
  /** row-major; paths divided by their peak, coverage as counts */
  values: Float64Array;
  peakLog10: number | null;
  /** metrics of this map (edge ratio, corner ratio, dead pixels...); null for a single unit */
  metrics: LayerMetrics | null;
  /** for a single unit: the part of its field inside the input, per axis the first and last pixel (inclusive) */
  field?: { lo: number[]; hi: number[] };
}

export interface Refused {
  refused: string;
}

export interface DepthProfile {
  padding: PadMode | 'file';
  /** layer ids along the network's depth (the layers every path passes through) */
  layers: string[];
  edgeRatio: Array<number | null>;
  cornerRatio: Array<number | null>;
}

export interface EngineService {
  /** The latest report of a document's model (analysing it if needed); null when no reader claims it. */
  report(uri: vscode.Uri): Promise<AnalysisReport | null>;
  /** A map of the document's model, computed off the main thread and cached per layer and padding. */
  map(uri: vscode.Uri, request: MapRequest): Promise<MapResult | Refused>;
  /** Edge and corner ratio of every layer along the depth, for the file's padding or a what-if. */
  depthProfile(uri: vscode.Uri, padding?: PadMode): Promise<DepthProfile | Refused>;
  /** Fires with a document's uri when its report changed (an edit, a setting, a file it depends on). */
  readonly onDidChangeReport: vscode.Event<vscode.Uri>;
}
