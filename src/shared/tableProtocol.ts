/**
 * Messages between the extension host and the layer table webview (the ONNX
 * custom editor), one discriminated union each way. Plain data only.
 */
import type { LayerTable, SortOrder } from './layerTable';

/** What the table shows; kept by the webview (getState/setState) across reloads. */
export interface TableViewState {
  order?: SortOrder;
  filter?: string;
  /** the selected layer's id */
  selected?: string | null;
}

export type HostToTable =
  /** the model's table (a new analysis: the file changed, or the settings) */
  | {
      type: 'table';
      table: LayerTable;
      /** the analysis is still computing the map-based findings */
      partial: boolean;
      /** rfLens.edgeRatioThreshold: edge ratios below it are marked */
      edgeRatioThreshold: number;
    }
  /** edge ratios as they are computed, by layer id (null: none; a string: why not) */
  | { type: 'edges'; edges: Record<string, number | null | string> }
  /** select (and scroll to) a layer: the influence map panel moved to it */
  | { type: 'select'; layer: string }
  /** reading or analysing; or why there is no table */
  | { type: 'status'; message: string; busy: boolean };

export type TableToHost =
  | { type: 'ready' }
  /** "Show influence map" on a row */
  | { type: 'showMap'; layer: string }
  /** the user selected a row (the panel follows when it shows this model) */
  | { type: 'selected'; layer: string };
