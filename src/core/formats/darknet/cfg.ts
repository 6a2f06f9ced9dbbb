import type { SourceRange } from '../../graph/ir';
import { lineRange } from '../../graph/text';

/** One `key=value` line of a Darknet .cfg section. */
export interface CfgOption {
  key: string;
  /** Value with all whitespace removed, as Darknet's strip() leaves it. */
  value: string;
  range: SourceRange;
  /** Range of the value as written, for quick fixes. */
  valueRange: SourceRange;
  line: number;
}

export interface CfgSection {
  /** Section type without brackets, as written ("convolutional"). */
  type: string;
  /** Header as written ("[convolutional]"). */
  header: string;
  headerRange: SourceRange;
  /** From the header to the last option line. */
  range: SourceRange;
  options: CfgOption[];
}

export interface CfgProblem {
  message: string;
  range: SourceRange;
}

export interface CfgFile {
  sections: CfgSection[];
  problems: CfgProblem[];
}

/**
 * Splits a .cfg into sections the way Darknet's read_cfg does: whitespace is
 * stripped everywhere, lines starting with '#' or ';' are comments, '[' starts
 * a section and every other line is key=value.
 */
export function parseCfg(text: string): CfgFile {
  const sections: CfgSection[] = [];
  const problems: CfgProblem[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  let current: CfgSection | null = null;
  for (let line = 0; line < lines.length; line++) {
    const raw = lines[line]!;
    const stripped = raw.replace(/\s+/g, '');
    if (stripped === '' || stripped[0] === '#' || stripped[0] === ';') continue;
    const first = raw.search(/\S/);
    const last = raw.length - (raw.length - raw.trimEnd().length);
    const range = lineRange(line, first, last);
    if (stripped[0] === '[') {
      const close = stripped.indexOf(']');
      const name = close > 0 ? stripped.slice(1, close) : stripped.slice(1);
      if (close < 0) problems.push({ message: `Section header ${stripped} has no closing ']'.`, range });
      current = { type: name, header: stripped, headerRange: range, range, options: [] };
      sections.push(current);
      continue;
    }
    const eq = stripped.indexOf('=');
    if (eq <= 0) {
      problems.push({
        message: `Darknet cannot parse "${raw.trim()}": expected key=value or a [section] header.`,
        range,
      });
      continue;
    }
    if (!current) {
      problems.push({ message: `Option "${raw.trim()}" comes before the first [section].`, range });
      continue;
    }
    const rawEq = raw.indexOf('=');
    const valueStart = rawEq + 1 + (raw.slice(rawEq + 1).length - raw.slice(rawEq + 1).trimStart().length);
    const valueRange = lineRange(line, Math.min(valueStart, last), last);
    current.options.push({ key: stripped.slice(0, eq), value: stripped.slice(eq + 1), range, valueRange, line });
    current.range = { start: current.headerRange.start, end: range.end };
  }
  return { sections, problems };
}

/** The C library's atoi: the leading integer, 0 if there is none. */
export function atoi(value: string): number {
  const m = /^[+-]?\d+/.exec(value);
  return m ? parseInt(m[0], 10) : 0;
}

/** The C library's atof: the leading number, 0 if there is none. */
export function atof(value: string): number {
  const m = /^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)/.exec(value);
  return m ? parseFloat(m[0]) : 0;
}
