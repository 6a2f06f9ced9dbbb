/** What the Python reader's tests share: the fixtures folder, file access over the disk, and a read of one fixture. */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyze, type AnalysisReport, type AnalyzeOptions, type FileAccess } from '../../src/core';

export const FIX = join(__dirname, '..', 'fixtures', 'python');

/** The reader's file access over the disk (the command line's, without its caching). */
export const fsFiles: FileAccess = {
  readText(p: string): string | null {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return null;
    }
  },
};

/** The report of a fixture (a path below test/fixtures/python), its imports read from the disk; no findings unless asked. */
export function run(rel: string, options: AnalyzeOptions = {}): AnalysisReport {
  const file = resolve(FIX, rel);
  return analyze({ fileName: file, text: readFileSync(file, 'utf8') }, { files: fsFiles, findings: 'none', ...options });
}

export function layer(r: AnalysisReport, id: string) {
  const l = r.layers.find((x) => x.id === id);
  assert.ok(l, `layer ${id} exists (have ${r.layers.map((x) => x.id).slice(0, 60).join(', ')}...)`);
  return l!;
}

/** The RFL100 findings, as "line: message". */
export function unresolved(r: AnalysisReport): string[] {
  return r.findings.filter((f) => f.code === 'RFL100').map((f) => `${f.range ? f.range.start.line + 1 : '-'}: ${f.message}`);
}
