import type { Finding, FindingCode } from '../../graph/finding';
import type { ModelAnalysis } from '../modelAnalysis';

export interface RuleOptions {
  edgeRatioThreshold: number;
  /** whether the input size is written in the file (only then can a quick fix change it) */
  inputFromFile: boolean;
  /** how many single-layer maps RFL002 may compute to find where the edge ratio falls */
  searchMaps: number;
}

export interface RuleContext {
  analysis: ModelAnalysis;
  /** the network's outputs that have a shape */
  outputs: string[];
  /** the last layers with spatial extent before the outputs: what the findings judge */
  finals: string[];
  options: RuleOptions;
}

/**
 * One finding code's check. Rules of the 'fields' stage need only shapes and
 * receptive fields (cheap: published first while the user types); 'maps'
 * rules compute path or coverage maps and come after, cancellable.
 */
export interface FindingRule {
  readonly code: Exclude<FindingCode, 'RFL100'>;
  readonly stage: 'fields' | 'maps';
  /** false for a deferred rule that still runs when maps are refused (the ripple needs only fields) */
  readonly needsMaps: boolean;
  run(context: RuleContext): Finding[];
}
