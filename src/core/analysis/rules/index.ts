/**
 * Findings RFL001-RFL006: one rule per file behind the FindingRule
 * interface, registered here by code (the compiler checks every code has
 * its rule).
 */
import type { Finding, FindingCode } from '../../graph/finding';
import type { ModelAnalysis } from '../modelAnalysis';
import { asymmetricPaddingRule } from './asymmetricPadding';
import { deadPixelsRule } from './deadPixels';
import { edgeRatioRule } from './edgeRatio';
import { fieldSmallerRule } from './fieldSmaller';
import { misalignedInputRule } from './misalignedInput';
import { rippleRule } from './ripple';
import type { FindingRule, RuleOptions } from './rule';

export type { FindingRule, RuleContext, RuleOptions } from './rule';

export const FINDING_RULES: Record<Exclude<FindingCode, 'RFL100'>, FindingRule> = {
  RFL001: deadPixelsRule,
  RFL002: edgeRatioRule,
  RFL003: rippleRule,
  RFL004: fieldSmallerRule,
  RFL005: asymmetricPaddingRule,
  RFL006: misalignedInputRule,
};

/** The findings of one stage ('fields': shapes and fields only; 'maps': the ones that compute maps) in code order. */
export function stageFindings(
  analysis: ModelAnalysis,
  outputs: string[],
  options: RuleOptions,
  stage: 'fields' | 'maps',
  mapsAllowed = true,
): Finding[] {
  const context = { analysis, outputs, finals: analysis.finalSpatialLayers(outputs), options };
  const out: Finding[] = [];
  for (const rule of Object.values(FINDING_RULES)) {
    if (rule.stage === stage && (mapsAllowed || !rule.needsMaps)) out.push(...rule.run(context));
  }
  return out;
}
