/**
 * Messages between the extension host and the influence-map panel, one
 * discriminated union each way. Plain data and typed arrays only (VS Code
 * moves typed arrays to the webview without turning them into JSON): both
 * sides are separate bundles.
 */
import type { LayerMetrics, LayerReport } from '../core';

export type MapMetric = 'paths' | 'coverage';
export type PadModeName = 'zeros' | 'reflect' | 'replicate' | 'circular';
/** 'file' is the padding the model file states; the others are what-ifs. */
export type PaddingChoice = 'file' | PadModeName;
export type ColorMapChoice = 'viridis' | 'magma' | 'cividis';

/** A layer's metrics as the engine reports them (plain numbers, null where a number does not exist). */
export type LayerMetricsPayload = LayerMetrics;

export interface MapPayload {
  /** ids of the layers whose units are summed */
  layers: string[];
  metric: MapMetric;
  shape: number[];
  /** row-major; paths divided by their peak, coverage as counts */
  values: Float64Array;
  peakLog10: number | null;
  metrics: LayerMetricsPayload | null;
  /** one unit's map: its field in input coordinates (inclusive; may reach into the padding) */
  field?: { lo: number[]; hi: number[] };
}

/** What the panel shows of a layer: the engine's own LayerReport fields (line 1-based, jump/start null where no pixel reaches). */
export type LayerInfo = Pick<LayerReport, 'id' | 'name' | 'type' | 'op' | 'line' | 'output' | 'rf' | 'params' | 'ripple'>;

export interface FindingInfo {
  code: string;
  severity: string;
  message: string;
  layer: string | null;
  line: number | null;
}

/** A remedy the panel can show; `apply` is set when the file can be edited to it. */
export interface RemedyInfo {
  id: string;
  /** 'padding' remedies are maps with another padding mode; 'input' the RFL006 size */
  kind: 'padding' | 'input';
  padding?: PaddingChoice;
  label: string;
  /** the edit that applies it, when there is one (index into the host's list of fixes) */
  apply?: { fix: number; title: string };
  /** why it cannot be applied from here */
  note?: string;
}

export interface ModelPayload {
  /** the document's uri, as a string */
  uri: string;
  fileName: string;
  format: string | null;
  model: string | null;
  input: { shape: number[]; source: string } | null;
  layers: LayerInfo[];
  /** layers that can be mapped (have a spatial shape), in order */
  mappable: string[];
  outputs: string[];
  finalLayers: string[];
  metrics: Record<string, LayerMetricsPayload>;
  findings: FindingInfo[];
  remedies: RemedyInfo[];
  /** true when the file's format has a padding-mode key the panel can edit */
  paddingEditable: boolean;
  /** the padding modes the file uses, e.g. "zeros" */
  filePadding: string;
}

export interface RemedyResult {
  id: string;
  label: string;
  padding: PaddingChoice;
  /** a small copy of the map for the thumbnail */
  thumb: { width: number; height: number; values: Float64Array } | null;
  metrics: LayerMetricsPayload | null;
  /** when the remedy changes the input size */
  inputShape?: number[];
  refused?: string;
}

export interface DepthSeries {
  padding: PaddingChoice;
  layers: string[];
  edgeRatio: Array<number | null>;
  cornerRatio: Array<number | null>;
}

/** What the panel shows; kept across reloads by the host's serializer. */
export interface ViewState {
  uri?: string;
  /** a layer id, or 'outputs' for every output together */
  layer?: string;
  metric?: MapMetric;
  scale?: 'linear' | 'log';
  colormap?: ColorMapChoice;
  padding?: PaddingChoice;
  unit?: number[] | null;
  slice?: number;
  tab?: string;
}

export interface MapRequestMessage {
  type: 'requestMap';
  /** echoed back so the panel drops answers it no longer wants */
  seq: number;
  layer: string;
  metric: MapMetric;
  padding: PaddingChoice;
  unit?: number[];
}

export type HostToPanel =
  | { type: 'model'; model: ModelPayload; state?: ViewState }
  /** the file does not parse now: the last good picture stays, with this note */
  | { type: 'stale'; message: string }
  | { type: 'map'; seq: number; map: MapPayload; padding: PaddingChoice; unit?: number[]; ms?: number }
  /** no map: why; `superseded` when a newer request replaced it before it ran (ask again if still wanted) */
  | { type: 'mapRefused'; seq: number; message: string; superseded?: boolean }
  | { type: 'remedies'; seq: number; layer: string; results: RemedyResult[] }
  | { type: 'depth'; seq: number; series: DepthSeries[]; refused?: string }
  /** the editor's cursor moved into this layer */
  | { type: 'select'; layer: string }
  | { type: 'exported'; path: string }
  | { type: 'error'; message: string };

export type ExportFormat = 'png' | 'csv' | 'npy';

export type PanelToHost =
  | { type: 'ready' }
  | MapRequestMessage
  | { type: 'requestRemedies'; seq: number; layer: string; metric: MapMetric }
  | { type: 'requestDepth'; seq: number }
  /** the slider or list moved to this layer: reveal its line */
  | { type: 'reveal'; layer: string }
  | { type: 'applyRemedy'; id: string }
  /** the panel encodes the file (PNG of the current view, CSV or .npy of its map); the host asks where to save it */
  | { type: 'export'; format: ExportFormat; data: Uint8Array; suggestedName: string }
  | { type: 'state'; state: ViewState }
  | { type: 'log'; message: string };
