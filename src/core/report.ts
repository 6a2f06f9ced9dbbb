/**
 * The plain report of an analysis: JSON-safe data only (no class instances,
 * no NaN), so it crosses a worker boundary or a webview message as it is and
 * the command line's --json is a projection of it.
 */
import type { LayerMetrics } from './analysis/metrics';
import type { Finding } from './graph/finding';
import type { OpName, SourceRange } from './graph/ir';

export type InputSource = 'option' | 'file' | 'default';

export interface ReceptiveFieldReport {
  /** extent of the centre unit's field per axis, in padded input coordinates */
  size: number[];
  /** mean input distance between neighbouring units' field centres; null where no pixel reaches */
  jump: Array<number | null>;
  /** centre of unit 0's field in input coordinates; null where no pixel reaches */
  start: Array<number | null>;
  /** set when some path reaches the layer through a global operation (an SE gate, attention, pooling) */
  global?: true;
}

export interface LayerReport {
  id: string;
  name: string;
  /** the type as the file writes it */
  type: string;
  op: OpName;
  /** 1-based line of the definition, or null */
  line: number | null;
  range: SourceRange | null;
  inputs: string[];
  /** spatial output size, or null once a dense, flatten or reshape removed the spatial axes */
  output: number[] | null;
  rf: ReceptiveFieldReport | null;
  /** min/max coverage over one period on an unbounded input (below 1: a checkerboard), or null */
  ripple: number | null;
  /** short description of the spatial parameters ("k3 s2 p1") */
  params: string;
  /** padding applied before and after per axis, with 'same' resolved at this input size (window layers only) */
  padding?: { before: number[]; after: number[] };
}

export interface AnalysisReport {
  file: string;
  format: string | null;
  model: string | null;
  /** every model the file defines */
  models: string[];
  /** where each model is defined, by name, for the readers that know (Python: the class, factory or assignment) */
  modelDefinitions?: Record<string, SourceRange>;
  dialect?: string;
  input: { shape: number[]; source: InputSource } | null;
  outputs: string[];
  /** the last layers with spatial extent before the outputs: what the findings judge */
  finalLayers: string[];
  layers: LayerReport[];
  /** metrics of the outputs and of the final layers (empty when maps were not computed) */
  metrics: Record<string, LayerMetrics>;
  findings: Finding[];
  /** which findings the report holds: all, or only those that need no map (the rest come from the handle) */
  findingStage: 'all' | 'fields' | 'none';
  /** a problem with the request itself (an --input of the wrong rank, an unknown --model) */
  requestError?: string;
  /** files a reader asked for that the host had not loaded (see FileAccess) */
  wants?: string[];
}

/** A finite number, or null (JSON has no NaN or infinity). */
export function finiteOrNull(v: number | null | undefined): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : v;
}

/** Metrics with every non-finite number as null. */
export function safeMetrics(m: LayerMetrics): LayerMetrics {
  return {
    peakLog10: finiteOrNull(m.peakLog10),
    edgeRatio: finiteOrNull(m.edgeRatio),
    cornerRatio: finiteOrNull(m.cornerRatio),
    wellRepresented: finiteOrNull(m.wellRepresented),
    deadPixels: m.deadPixels,
    coverageMin: m.coverageMin,
    coverageMax: m.coverageMax,
    ripple: finiteOrNull(m.ripple),
  };
}
