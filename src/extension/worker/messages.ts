/**
 * The typed request/response protocol between the extension host and the
 * analysis worker (Node worker_threads). Plain data only, plus Float64Array
 * maps that travel as transferables.
 */
import type { AnalysisReport, Finding, LayerMetrics, MapMetric, PadMode } from '../../core';
import type { MapResult } from '../engineService';
import type { FileTexts } from './importRounds';

/** What the worker needs to analyse a document. */
export interface AnalysisSettings {
  defaultInput: number;
  edgeRatioThreshold: number;
  /** per-code severity: 'off' drops the finding */
  severities: Record<string, 'off' | 'hint' | 'information' | 'warning' | 'error'>;
  /** what-if padding for every convolution; undefined: the file's own */
  padding?: PadMode;
  /** reader options by name (Python's `python-path`), as the command line's flags give them */
  readerOptions?: Record<string, string>;
}

/** The engine's report: plain, JSON-safe data, posted as it is. */
export type PlainReport = AnalysisReport;

export type WorkerRequest =
  | {
      kind: 'analyze';
      id: number;
      /** document key (uri string) */
      key: string;
      version: number;
      fileName: string;
      languageId: string;
      /** a text document's text; absent for a binary model */
      text?: string;
      /** a binary model's bytes (ONNX): their ArrayBuffer is transferred, never copied; the worker keeps them with the handle */
      bytes?: Uint8Array;
      settings: AnalysisSettings;
      /** the model the user picked (a file may define several); absent or unknown: the reader's first */
      model?: string;
      /** texts of files the model read last time (Python imports), so most edits need one round */
      files?: FileTexts;
    }
  | { kind: 'cancel'; id: number }
  /** the answer to a 'wants' of the analysis `id` */
  | { kind: 'files'; id: number; files: FileTexts }
  | { kind: 'map'; id: number; key: string; version: number; layer: 'outputs' | string | string[]; metric: MapMetric; padding?: PadMode; unit?: number[] }
  | { kind: 'metrics'; id: number; key: string; version: number; layers: string[] }
  | { kind: 'depthProfile'; id: number; key: string; version: number; padding?: PadMode }
  | { kind: 'forget'; id: number; key: string }
  | { kind: 'readers'; id: number };

/** A map as the engine service hands it on (engineService.ts), a transferable Float64Array inside. */
export type MapPayload = MapResult;

export type WorkerResponse =
  /** the document is no model file any reader claims */
  | { kind: 'unclaimed'; id: number; key: string; version: number }
  /** first phase: layers, fields and the findings that need no map */
  | { kind: 'fields'; id: number; key: string; version: number; report: PlainReport; ms: number; dependencies?: string[] }
  /** the reader wants these files (imports) before it can finish the analysis `id`: answer with 'files' */
  | { kind: 'wants'; id: number; key: string; version: number; paths: string[] }
  /** second phase: every finding (RFL001-RFL003 included) and the final layers' metrics */
  | { kind: 'complete'; id: number; key: string; version: number; findings: Finding[]; metrics: Record<string, LayerMetrics>; ms: number; dependencies?: string[] }
  /** the second phase was cancelled (a newer version arrived) */
  | { kind: 'cancelled'; id: number; key: string; version: number }
  | { kind: 'map'; id: number; result: MapPayload | { refused: string } }
  | { kind: 'metrics'; id: number; result: Record<string, LayerMetrics> | { refused: string } }
  | {
      kind: 'depthProfile';
      id: number;
      result: { padding: PadMode | 'file'; layers: string[]; edgeRatio: Array<number | null>; cornerRatio: Array<number | null> } | { refused: string };
    }
  | { kind: 'readers'; id: number; readers: ReaderInfo[] }
  | { kind: 'done'; id: number }
  | { kind: 'error'; id: number; message: string };

/** A reader as the editor glue sees it: which files it claims, and whether it reads bytes (a binary format). */
export interface ReaderInfo {
  format: string;
  extensions: string[];
  binary: boolean;
}

/** The worker's requests that are answered by exactly one response. */
export type QueryRequest = Extract<WorkerRequest, { kind: 'map' | 'metrics' | 'depthProfile' | 'forget' | 'readers' }>;
