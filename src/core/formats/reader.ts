import type { Finding } from '../graph/finding';
import type { ModelGraph } from '../graph/ir';

/** A model file as the caller has it: text for text formats, bytes for binary ones. */
export interface ModelSource {
  fileName: string;
  text?: string;
  bytes?: Uint8Array;
}

/**
 * An option a reader understands (Darknet's fork, Caffe's phase). The
 * command line builds its flags and help from these, the editor its
 * settings; the engine never names a format.
 */
export interface ReaderOption {
  name: string;
  description: string;
  /** the accepted values; any text when absent */
  values?: readonly string[];
  default?: string;
}

/**
 * Files a reader may read besides the one it was given (a Python module's
 * imports), provided by the host: the command line's file system, the
 * editor's workspace.fs. `undefined` means "not loaded yet": the reader lists
 * the path in `ReadResult.wants` and the host reads again once it has it.
 */
export interface FileAccess {
  readText(path: string): string | null | undefined;
}

export interface ReadContext {
  /** reader options by name (see ModelReader.options); absent ones take their default */
  options: Readonly<Record<string, string>>;
  files?: FileAccess;
  /** the model the caller wants, when the file defines several: a reader may build only it */
  model?: string;
}

export interface ReadResult {
  /** Every model the file defines, in file order (most formats define one). */
  models: ModelGraph[];
  /** Problems the reader met; a reader never throws, it reports. */
  findings: Finding[];
  /** Files the reader asked the FileAccess for that were not loaded yet. */
  wants?: string[];
}

/**
 * One reader per format, each in two steps: a cheap `match` (is this file
 * mine, by the format's own structure?) and a `read` (source to IR plus
 * findings).
 */
export interface ModelReader {
  readonly format: string;
  /** How users call the format ("Darknet", "Caffe"). */
  readonly displayName: string;
  /** File name endings this reader claims, lower case, with the dot. */
  readonly extensions: readonly string[];
  /** True when the reader needs `source.bytes` (a binary format). */
  readonly binary?: boolean;
  readonly options?: readonly ReaderOption[];
  match(source: ModelSource): boolean;
  read(source: ModelSource, context: ReadContext): ReadResult;
}
