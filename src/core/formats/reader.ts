import type { Finding } from '../graph/findings';
import type { ModelGraph } from '../graph/ir';

/** A model file as the caller has it: text for text formats, bytes for binary ones. */
export interface ModelSource {
  fileName: string;
  text?: string;
  bytes?: Uint8Array;
}

/**
 * How a reader that follows imports (Python's) reads other files; the host
 * provides it (the command line: the file system; the editor: workspace.fs).
 */
export interface FileAccess {
  /** The file's text; null when it does not exist; undefined when the host has not loaded it yet (it loads it, then reads again). */
  readText(path: string): string | null | undefined;
}

export interface ReadOptions {
  /** Files other than the one read (Python imports). */
  files?: FileAccess;
  /** Reader-specific options by name ('python-path': folders to resolve absolute imports in, separated by the platform's path delimiter or newlines). */
  readerOptions?: Record<string, string>;
  /** Which Darknet fork's semantics to follow where they differ (reorg). */
  darknetDialect?: 'auto' | 'pjreddie' | 'alexeyab';
  /** Caffe phase whose graph is analysed; TEST (the deploy graph) by default. */
  caffePhase?: 'TEST' | 'TRAIN';
}

export interface ReadResult {
  /** Every model the file defines, in file order (most formats define one). */
  models: ModelGraph[];
  /** Problems the reader met; a reader never throws, it reports. */
  findings: Finding[];
  /** Files read() asked the FileAccess for that were not loaded yet (it answered undefined); the host loads them and reads again. */
  wants?: string[];
}

/**
 * One reader per format, each in two steps: a cheap `match` (is this text
 * mine?) and a `read` (text to IR plus findings).
 */
export interface ModelReader {
  readonly format: string;
  /** File name endings this reader claims, lower case, with the dot. */
  readonly extensions: readonly string[];
  match(source: ModelSource): boolean;
  read(source: ModelSource, options: ReadOptions): ReadResult;
}

export function sourceText(source: ModelSource): string {
  if (source.text !== undefined) return source.text;
  if (source.bytes) return new TextDecoder('utf-8').decode(source.bytes);
  return '';
}
