/**
 * `rflens analyze --format sarif`: the findings as a SARIF 2.1.0 log that
 * GitHub code scanning (github/codeql-action/upload-sarif) and SARIF viewers
 * read. One run; one rule per finding code (FINDING_KINDS); one result per
 * finding, located on the file (relative to the working folder, under the
 * %SRCROOT% base) and on the layer's line and columns.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Sarif from 'sarif';
import { FINDING_KINDS, type Finding, type FindingCode, type Severity, type SeverityOverride, type SourceRange } from '../core';

export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
export const SRCROOT = '%SRCROOT%';

/** The parts of package.json the log names. */
export interface PackageInfo {
  name?: string;
  displayName?: string;
  version?: string;
  homepage?: string;
  repository?: string | { type?: string; url?: string };
}

/**
 * Where the README is on the web, for the rules' helpUri: a GitHub
 * `repository` (any of npm's spellings) gives its README.md on the default
 * branch; otherwise `homepage` (taken to show the README, as npm and GitHub
 * pages do). Null when package.json names neither: SARIF wants an absolute
 * helpUri, so the rules then name the README section in their help text only.
 */
export function readmeUrl(pkg: PackageInfo): string | null {
  const repo = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  if (repo) {
    const m =
      /^(?:github:)?([\w.-]+)\/([\w.-]+?)(?:\.git)?$/.exec(repo) ??
      /^(?:git\+)?(?:https?|git|ssh):\/\/(?:git@)?github\.com[/:]([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/.exec(repo) ??
      /^git@github\.com:([\w.-]+)\/([\w.-]+?)(?:\.git)?$/.exec(repo);
    if (m) return `https://github.com/${m[1]}/${m[2]}/blob/HEAD/README.md`;
  }
  if (pkg.homepage && /^https?:\/\//.test(pkg.homepage)) return pkg.homepage.replace(/#.*$/, '');
  return null;
}

/** SARIF has three levels of result; a hint is a note. */
export function sarifLevel(severity: Severity): Sarif.ReportingConfiguration.level {
  return severity === 'error' ? 'error' : severity === 'warning' ? 'warning' : 'note';
}

function ruleName(title: string): string {
  return title
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

/** The file as SARIF locates it: relative to the working folder under %SRCROOT%, or an absolute file URI when it lies outside. */
export function artifactLocation(path: string, cwd: string): Sarif.ArtifactLocation {
  const abs = resolve(cwd, path);
  const rel = relative(cwd, abs);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return { uri: pathToFileURL(abs).href };
  return { uri: rel.split(sep).map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
}

function region(range: SourceRange | null): Sarif.Region {
  // SARIF lines and columns are 1-based; an end column is one past the last character (ours is exclusive, 0-based)
  if (!range) return { startLine: 1 };
  const { start, end } = range;
  return { startLine: start.line + 1, startColumn: start.character + 1, endLine: end.line + 1, endColumn: end.character + 1 };
}

export interface SarifFile {
  /** The path as the user named it (or as found under a named folder). */
  path: string;
  findings: Finding[];
}

export interface SarifOptions {
  cwd: string;
  pkg: PackageInfo;
  /** The per-code settings in force (--severity), so rules say which are off and at what level the rest report. */
  severities?: Partial<Record<FindingCode, SeverityOverride>>;
  /** Inputs that could not be analysed (one line each): tool execution notifications. */
  problems?: string[];
  commandLine?: string;
}

export function sarifLog(files: SarifFile[], options: SarifOptions): Sarif.Log {
  const readme = readmeUrl(options.pkg);
  const codes = Object.keys(FINDING_KINDS) as FindingCode[];
  const rules: Sarif.ReportingDescriptor[] = codes.map((code) => {
    const kind = FINDING_KINDS[code];
    const setting = options.severities?.[code] ?? kind.defaultSeverity;
    const section = `${code} ${kind.title}`;
    const helpUri = readme ? `${readme}#${kind.anchor}` : null;
    const rule: Sarif.ReportingDescriptor = {
      id: code,
      name: ruleName(kind.title),
      shortDescription: { text: kind.title },
      fullDescription: { text: `${kind.title}: see the section "${section}" of the Receptive Field Lens README.` },
      help: helpUri
        ? { text: `See "${section}" in the Receptive Field Lens README: ${helpUri}`, markdown: `See [${section}](${helpUri}) in the Receptive Field Lens README.` }
        : { text: `See the section "${section}" of the Receptive Field Lens README (README.md#${kind.anchor}).` },
      defaultConfiguration: {
        level: sarifLevel(setting === 'off' ? kind.defaultSeverity : setting),
        ...(setting === 'off' ? { enabled: false } : {}),
      },
      properties: { tags: ['receptive-field', 'cnn'] },
    };
    if (helpUri) rule.helpUri = helpUri;
    return rule;
  });
  const results: Sarif.Result[] = [];
  for (const file of files) {
    const location = artifactLocation(file.path, options.cwd);
    for (const f of file.findings) {
      const result: Sarif.Result = {
        ruleId: f.code,
        ruleIndex: codes.indexOf(f.code),
        level: sarifLevel(f.severity),
        message: { text: f.message },
        locations: [
          {
            physicalLocation: { artifactLocation: { ...location }, region: region(f.range) },
            ...(f.layer !== null ? { logicalLocations: [{ name: f.layer, kind: 'layer' }] } : {}),
          },
        ],
      };
      // the layer where the problem starts, the last layer it reaches: places GitHub links from the alert
      const related = (f.related ?? []).filter((r) => r.range !== null);
      if (related.length) {
        result.relatedLocations = related.map((r, id) => ({
          id,
          physicalLocation: { artifactLocation: { ...location }, region: region(r.range) },
          message: { text: r.message },
          ...(r.layer !== null ? { logicalLocations: [{ name: r.layer, kind: 'layer' }] } : {}),
        }));
      }
      results.push(result);
    }
  }
  const problems = options.problems ?? [];
  const invocation: Sarif.Invocation = { executionSuccessful: problems.length === 0 };
  if (options.commandLine) invocation.commandLine = options.commandLine;
  if (problems.length) invocation.toolExecutionNotifications = problems.map((p) => ({ level: 'error', message: { text: p } }));
  const driver: Sarif.ToolComponent = {
    name: options.pkg.displayName ?? options.pkg.name ?? 'rflens',
    rules,
  };
  if (options.pkg.version) {
    driver.version = options.pkg.version;
    driver.semanticVersion = options.pkg.version;
  }
  if (readme) driver.informationUri = readme.replace(/\/blob\/HEAD\/README\.md$/, '');
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver },
        invocations: [invocation],
        originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(options.cwd.endsWith(sep) ? options.cwd : options.cwd + sep).href } },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}
