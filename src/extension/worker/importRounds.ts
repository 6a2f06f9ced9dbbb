/**
 * Reading a model whose reader follows other files (Python imports) in the
 * editor: the reader's FileAccess is synchronous, the editor's file system is
 * not. So a read runs over the files the host has sent; the paths it asked for
 * that were not there come back in `wants`; the host loads them and the model
 * is read again, until nothing new is wanted or the rounds run out (each round
 * can reveal further imports: a package's __init__.py names its submodules).
 * Pure (no editor API, no Node): unit-tested with a fake loader.
 */
import type { FileAccess } from '../../core';

/** A file's text, or null when it does not exist (or cannot be read). */
export type FileTexts = Record<string, string | null>;

/** Rounds of loading before the reader has to take what it has (a torchvision model needs 4-6). */
export const MAX_IMPORT_ROUNDS = 10;

export interface RoundsOutcome<R> {
  /** the last read's result */
  result: R;
  /** every path the reader asked for in the last read, in the order asked: the model's dependencies (missing files included, so their creation counts) */
  asked: string[];
  /** the texts the last read had */
  files: Map<string, string | null>;
  /** how many reads it took */
  rounds: number;
  /** paths still wanted when the rounds ran out (empty when every wanted file was loaded) */
  unresolved: string[];
}

/**
 * Reads with the host's files, loading what the reader wants between reads.
 * `load` answers with a text or null per path (a path it leaves out counts as
 * missing, so every round makes progress). `stale` is asked between rounds:
 * when the document changed meanwhile, the rounds stop and null is returned.
 */
export async function readWithImports<R>(
  read: (files: FileAccess) => R,
  wantsOf: (result: R) => readonly string[] | undefined,
  load: (paths: string[]) => Promise<FileTexts>,
  initial: FileTexts = {},
  options: { maxRounds?: number; stale?: () => boolean } = {},
): Promise<RoundsOutcome<R> | null> {
  const maxRounds = Math.max(1, options.maxRounds ?? MAX_IMPORT_ROUNDS);
  const files = new Map<string, string | null>(Object.entries(initial));
  for (let round = 1; ; round++) {
    const asked: string[] = [];
    const seen = new Set<string>();
    const access: FileAccess = {
      readText(path: string) {
        if (!seen.has(path)) {
          seen.add(path);
          asked.push(path);
        }
        return files.has(path) ? files.get(path)! : undefined;
      },
    };
    const result = read(access);
    // (a path the reader lists but never asked for is honoured too)
    const wanted = [...new Set(wantsOf(result) ?? [])].filter((p) => !files.has(p));
    if (wanted.length === 0 || round >= maxRounds) {
      for (const p of wanted) if (!seen.has(p)) asked.push(p);
      return { result, asked, files, rounds: round, unresolved: wanted };
    }
    let got: FileTexts;
    try {
      got = await load(wanted);
    } catch {
      got = {};
    }
    if (options.stale?.()) return null;
    for (const p of wanted) {
      const t = Object.prototype.hasOwnProperty.call(got, p) ? got[p] : null;
      files.set(p, typeof t === 'string' ? t : null);
    }
  }
}
