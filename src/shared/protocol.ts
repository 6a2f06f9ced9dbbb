/**
 * Messages between the extension host and the panel, one discriminated union
 * each way. Plain data only: both sides are separate bundles.
 */

export interface MapPayload {
  /** ids of the layers whose units are summed */
  layers: string[];
  metric: 'paths' | 'coverage';
  shape: number[];
  /** row-major; paths divided by their peak, coverage as counts */
  values: number[];
  peakLog10: number | null;
}

export type HostToPanel = { type: 'map'; title: string; map: MapPayload } | { type: 'error'; message: string };

export type PanelToHost = { type: 'ready' } | { type: 'log'; message: string };
