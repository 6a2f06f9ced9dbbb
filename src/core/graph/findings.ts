import type { SourceRange } from './ir';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export type FindingCode = 'RFL001' | 'RFL002' | 'RFL003' | 'RFL004' | 'RFL005' | 'RFL006' | 'RFL100';

export interface FindingKind {
  code: FindingCode;
  title: string;
  defaultSeverity: Severity;
  /** Anchor of the finding's section in README.md. */
  anchor: string;
}

/** The catalogue of findings; the README has one section per entry, headed by the same title. */
export const FINDING_KINDS: Record<FindingCode, FindingKind> = {
  RFL001: { code: 'RFL001', title: 'Dead pixels', defaultSeverity: 'warning', anchor: 'rfl001-dead-pixels' },
  RFL002: {
    code: 'RFL002',
    title: 'Edge under-representation',
    defaultSeverity: 'warning',
    anchor: 'rfl002-edge-under-representation',
  },
  RFL003: { code: 'RFL003', title: 'Uneven coverage', defaultSeverity: 'information', anchor: 'rfl003-uneven-coverage' },
  RFL004: {
    code: 'RFL004',
    title: 'Field smaller than input',
    defaultSeverity: 'information',
    anchor: 'rfl004-field-smaller-than-input',
  },
  RFL005: {
    code: 'RFL005',
    title: 'Asymmetric padding',
    defaultSeverity: 'information',
    anchor: 'rfl005-asymmetric-padding',
  },
  RFL006: {
    code: 'RFL006',
    title: 'Input size misaligned',
    defaultSeverity: 'warning',
    anchor: 'rfl006-input-size-misaligned',
  },
  RFL100: {
    code: 'RFL100',
    title: 'Unresolved layer or parse error',
    defaultSeverity: 'warning',
    anchor: 'rfl100-unresolved-layer-or-parse-error',
  },
};

/** A change of the text at one place. */
export interface TextEdit {
  range: SourceRange;
  newText: string;
}

/** A quick fix: one or more local edits applied together (the two lines of a Darknet input size). */
export interface FindingFix {
  title: string;
  edits: TextEdit[];
}

export interface Finding {
  code: FindingCode;
  severity: Severity;
  message: string;
  /** Narrowest meaningful range, or null when the finding concerns the whole file. */
  range: SourceRange | null;
  /** Id of the layer that causes it. */
  layer: string | null;
  fixes?: FindingFix[];
}

export function finding(
  code: FindingCode,
  message: string,
  range: SourceRange | null,
  layer: string | null,
  fixes?: FindingFix[],
): Finding {
  const f: Finding = { code, severity: FINDING_KINDS[code].defaultSeverity, message, range, layer };
  if (fixes && fixes.length) f.fixes = fixes;
  return f;
}
