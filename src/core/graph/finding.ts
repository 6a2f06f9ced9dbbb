import type { SourceRange } from './ir';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

/** A severity a user may set per code, or 'off' to drop the finding (settings and the command line's --severity). */
export type SeverityOverride = Severity | 'off';

/** Every name a severity setting accepts, strongest first. */
export const SEVERITY_NAMES: readonly SeverityOverride[] = ['error', 'warning', 'information', 'hint', 'off'];

export type FindingCode = 'RFL001' | 'RFL002' | 'RFL003' | 'RFL004' | 'RFL005' | 'RFL006' | 'RFL100';

export interface FindingKind {
  code: FindingCode;
  title: string;
  defaultSeverity: Severity;
  /** One sentence: when the finding fires (SARIF rules, settings descriptions). */
  summary: string;
  /** Anchor of the finding's section in README.md. */
  anchor: string;
}

/** The catalogue of findings; the README has one section per entry, headed by the same title. */
export const FINDING_KINDS: Record<FindingCode, FindingKind> = {
  RFL001: { code: 'RFL001', title: 'Dead pixels', defaultSeverity: 'warning', summary: 'Input pixels reach no unit of the last spatial layer.', anchor: 'rfl001-dead-pixels' },
  RFL002: {
    code: 'RFL002',
    title: 'Edge under-representation',
    defaultSeverity: 'warning', summary: 'Border pixels reach the last spatial layer through far fewer paths than the centre.',
    anchor: 'rfl002-edge-under-representation',
  },
  RFL003: { code: 'RFL003', title: 'Uneven coverage', defaultSeverity: 'information', summary: 'A kernel its stride does not divide covers input pixels unevenly (a checkerboard).', anchor: 'rfl003-uneven-coverage' },
  RFL004: {
    code: 'RFL004',
    title: 'Field smaller than input',
    defaultSeverity: 'information', summary: 'The last spatial layer cannot see the whole input.',
    anchor: 'rfl004-field-smaller-than-input',
  },
  RFL005: {
    code: 'RFL005',
    title: 'Asymmetric padding',
    defaultSeverity: 'information', summary: "'Same' or default padding puts its extra pixel on one side.",
    anchor: 'rfl005-asymmetric-padding',
  },
  RFL006: {
    code: 'RFL006',
    title: 'Input size misaligned',
    defaultSeverity: 'warning', summary: 'Floor division drops input rows at this input size.',
    anchor: 'rfl006-input-size-misaligned',
  },
  RFL100: {
    code: 'RFL100',
    title: 'Unresolved layer or parse error',
    defaultSeverity: 'warning', summary: 'A layer or line the reader could not understand.',
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

/** Another place that explains the finding: the layer where a problem starts, the last layer it reaches. */
export interface RelatedLocation {
  range: SourceRange | null;
  layer: string | null;
  message: string;
}

/**
 * The numbers behind a finding, so tests assert values and the panel can
 * highlight what the finding is about. Pixel sets are runs of flat
 * (row-major) input indices: [first, count] pairs.
 */
export type FindingData =
  | { code: 'RFL001'; deadPixels: number; totalPixels: number; runs: Array<[number, number]>; losses: Array<{ layer: string; pixels: number }> }
  | { code: 'RFL002'; edgeRatio: number; cornerRatio: number | null; threshold: number; layers: string[]; firstBelow: string | null; ratios: Array<{ layer: string; edgeRatio: number }> }
  | { code: 'RFL003'; ripple: number; inherited: number; finalRipple: number | null; period: number[] | null; causedHere: boolean }
  | { code: 'RFL004'; field: number[]; input: number[] }
  | { code: 'RFL005'; before: number[]; after: number[]; axes: number[] }
  | { code: 'RFL006'; layer: string; inputSize: number[]; dropped: number[]; suggestions: number[][]; droppingLayers: string[] }
  | { code: 'RFL100' };

export interface Finding {
  code: FindingCode;
  severity: Severity;
  message: string;
  /** Narrowest meaningful range, or null when the finding concerns the whole file. */
  range: SourceRange | null;
  /** Id of the layer that causes it. */
  layer: string | null;
  fixes?: FindingFix[];
  related?: RelatedLocation[];
  data?: FindingData;
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

/**
 * Per-code severities as a user writes them: the command line's
 * `--severity` and the editor's setting share the names (SEVERITY_NAMES) and
 * the defaults (FINDING_KINDS).
 */
export interface SeverityOverrides {
  /** The valid settings, by code. */
  severities: Partial<Record<FindingCode, SeverityOverride>>;
  /** One message per entry that could not be used (unknown code or severity, malformed entry). */
  errors: string[];
}

function isFindingCode(code: string): code is FindingCode {
  return Object.prototype.hasOwnProperty.call(FINDING_KINDS, code);
}

/**
 * Per-code severities from `RFL002=off,RFL001=error` (the command line's
 * `--severity`; commas or whitespace between entries, `:` also accepted for
 * `=`) or from an object `{ "RFL002": "off" }` (the editor's setting). Codes
 * and names are case-insensitive; a later entry for the same code wins. Never
 * throws: what cannot be used is listed in `errors` and left out.
 */
export function parseSeverityOverrides(spec: string | Record<string, unknown> | null | undefined): SeverityOverrides {
  const out: SeverityOverrides = { severities: {}, errors: [] };
  if (spec === null || spec === undefined) return out;
  const entries: [string, unknown][] = [];
  if (typeof spec === 'string') {
    for (const part of spec.split(/[\s,]+/)) {
      if (part === '') continue;
      const m = /^([^=:]+)[=:](.*)$/.exec(part);
      if (!m) {
        out.errors.push(`"${part}" is not CODE=SEVERITY`);
        continue;
      }
      entries.push([m[1]!, m[2]!]);
    }
  } else {
    entries.push(...Object.entries(spec));
  }
  for (const [rawCode, rawLevel] of entries) {
    const code = rawCode.trim().toUpperCase();
    if (!isFindingCode(code)) {
      out.errors.push(`unknown finding code "${rawCode.trim()}" (known: ${Object.keys(FINDING_KINDS).join(', ')})`);
      continue;
    }
    const level = typeof rawLevel === 'string' ? rawLevel.trim().toLowerCase() : rawLevel;
    if (typeof level !== 'string' || !(SEVERITY_NAMES as readonly string[]).includes(level)) {
      out.errors.push(`unknown severity "${String(rawLevel)}" for ${code} (one of ${SEVERITY_NAMES.join(', ')})`);
      continue;
    }
    out.severities[code] = level as SeverityOverride;
  }
  return out;
}
