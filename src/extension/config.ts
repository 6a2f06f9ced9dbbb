/**
 * The extension's settings (`rfLens.*`), typed and validated in one place.
 * Pure: reads through a getter so the unit tests need no editor.
 */
// (values from the engine's catalogue entry: the extension host's bundle holds no reader)
import { FINDING_KINDS, PAD_MODES, type FindingCode, type PadMode } from '../core/catalogue';

/** The severity names of the settings and of the command line's --severity. */
export const SEVERITY_NAMES = ['off', 'hint', 'information', 'warning', 'error'] as const;
export type SeverityName = (typeof SEVERITY_NAMES)[number];

/**
 * The engine's fallbacks. TODO(lead): export these from src/core (DEFAULT_INPUT_SIZE,
 * DEFAULT_EDGE_RATIO_THRESHOLD) and import them here; test/unit/extensionConfig.test.ts
 * checks that analyze() falls back to the same size and package.json states the same defaults.
 */
export const DEFAULT_INPUT_SIZE = 224;
export const DEFAULT_EDGE_RATIO_THRESHOLD = 0.25;

export const FINDING_CODES = Object.keys(FINDING_KINDS) as FindingCode[];

export function defaultSeverities(): Record<FindingCode, SeverityName> {
  return Object.fromEntries(FINDING_CODES.map((c) => [c, FINDING_KINDS[c].defaultSeverity])) as Record<FindingCode, SeverityName>;
}

export interface RflConfig {
  defaultInputSize: number;
  edgeRatioThreshold: number;
  severity: Record<FindingCode, SeverityName>;
  codeLens: boolean;
  /** 'file': the file's own padding; otherwise every convolution padded this way */
  paddingWhatIf: 'file' | PadMode;
  exclude: string[];
  /** milliseconds between the last keystroke and the analysis */
  debounceMs: number;
  /** folders where Python imports of installed libraries are looked up (the command line's --python-path) */
  pythonPath: string[];
}

/** Reads a setting; undefined when unset. */
export type ConfigGetter = (key: string) => unknown;

export function readConfig(get: ConfigGetter): RflConfig {
  const num = (key: string, dflt: number, lo: number, hi: number) => {
    const v = get(key);
    return typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi ? v : dflt;
  };
  const severity = defaultSeverities();
  const raw = get('severity');
  if (raw && typeof raw === 'object') {
    for (const [code, value] of Object.entries(raw as Record<string, unknown>)) {
      if (code in FINDING_KINDS && typeof value === 'string' && (SEVERITY_NAMES as readonly string[]).includes(value)) {
        severity[code as FindingCode] = value as SeverityName;
      }
    }
  }
  const pad = get('paddingWhatIf');
  const exclude = get('exclude');
  const lens = get('codeLens.enabled');
  return {
    defaultInputSize: Math.floor(num('defaultInputSize', DEFAULT_INPUT_SIZE, 1, 32768)),
    edgeRatioThreshold: num('edgeRatioThreshold', DEFAULT_EDGE_RATIO_THRESHOLD, 0, 1),
    severity,
    codeLens: typeof lens === 'boolean' ? lens : true,
    paddingWhatIf: typeof pad === 'string' && (PAD_MODES as readonly string[]).includes(pad) ? (pad as PadMode) : 'file',
    exclude: Array.isArray(exclude) ? exclude.filter((g): g is string => typeof g === 'string' && g.trim() !== '') : [],
    debounceMs: Math.floor(num('debounceMs', 30, 0, 5000)),
    pythonPath: stringList(get('pythonPath')),
  };
}

/** A list of folders: an array of strings, or one string with one folder per line. */
function stringList(v: unknown): string[] {
  const items = Array.isArray(v) ? v : typeof v === 'string' ? v.split('\n') : [];
  return items.filter((s): s is string => typeof s === 'string').map((s) => s.trim()).filter((s) => s !== '');
}

/** Severity overrides for the engine: only the codes whose setting differs from the default. */
export function severityOverrides(config: RflConfig): Record<string, SeverityName> {
  const out: Record<string, SeverityName> = {};
  for (const code of FINDING_CODES) if (config.severity[code] !== FINDING_KINDS[code].defaultSeverity) out[code] = config.severity[code];
  return out;
}

/** VS Code's DiagnosticSeverity values (Error 0, Warning 1, Information 2, Hint 3); null: not shown. */
export function diagnosticSeverity(name: string): 0 | 1 | 2 | 3 | null {
  switch (name) {
    case 'error':
      return 0;
    case 'warning':
      return 1;
    case 'information':
      return 2;
    case 'hint':
      return 3;
    default:
      return null;
  }
}
