import { finding } from '../graph/finding';
import { caffeReader } from './caffe/reader';
import { pythonReader } from './python/reader';
import { darknetReader } from './darknet/reader';
import { extensionOf } from './common';
import type { ModelReader, ModelSource, ReadContext, ReadResult } from './reader';
import { kerasReader } from './keras/reader';
import { ultralyticsReader } from './ultralytics/reader';
import { onnxReader } from './onnx/reader';

export type { FileAccess, ModelReader, ModelSource, ReadContext, ReaderOption, ReadResult } from './reader';
export { extensionOf };

/** Every format reader; later formats plug in here without touching the engine. */
export const READERS: readonly ModelReader[] = [darknetReader, caffeReader, ultralyticsReader, kerasReader, onnxReader, pythonReader];

/**
 * File endings that belong to known formats (model formats whose readers may
 * not exist yet, weights, code, data and configuration). No reader ever claims
 * such a file by its content: it goes to the readers that claim the extension,
 * and to none while no reader does (a `.py` file gets "no reader", not a
 * Caffe reader that found `layers:` in a type annotation).
 */
export const KNOWN_EXTENSIONS: readonly string[] = [
  // model definitions with their own (coming) readers
  '.py', '.pyi', '.ipynb', '.yaml', '.yml', '.json', '.onnx', '.keras', '.h5', '.hdf5',
  // weights, checkpoints and other binary model files
  '.pt', '.pth', '.pb', '.tflite', '.safetensors', '.ckpt', '.caffemodel', '.weights', '.bin',
  '.pkl', '.pickle', '.npy', '.npz', '.mlmodel', '.engine', '.param', '.mar', '.zip', '.tar', '.gz', '.tgz',
  // configuration, documentation and code that are never model definitions of ours
  '.toml', '.ini', '.xml', '.html', '.md', '.rst', '.csv', '.tsv', '.js', '.mjs', '.cjs', '.ts', '.sh',
  '.c', '.h', '.cc', '.cpp', '.hpp', '.cu', '.java', '.go', '.rs', '.lock',
  '.png', '.jpg', '.jpeg', '.gif', '.bmp', '.svg', '.pdf',
];

/**
 * The readers a file may go to, by its name alone: those that claim its
 * extension when any does; else, when the extension belongs to another known
 * format (KNOWN_EXTENSIONS), none; else (`.txt`, no extension, an ending no
 * one knows) every reader, to decide by content.
 */
export function candidateReaders(fileName: string): ModelReader[] {
  const ext = extensionOf(fileName);
  const claiming = READERS.filter((r) => r.extensions.includes(ext));
  if (claiming.length) return claiming;
  if (KNOWN_EXTENSIONS.includes(ext)) return [];
  return READERS.slice();
}

/** True when some reader claims the file's extension. */
function extensionClaimed(fileName: string): boolean {
  const ext = extensionOf(fileName);
  return READERS.some((r) => r.extensions.includes(ext));
}

/**
 * The reader of a file that a reader recognises by its content: the first
 * candidate (candidateReaders) whose `match` accepts it, or null. This is how
 * files found in a folder are chosen: a `setup.cfg` is no Darknet model.
 */
export function recognizeReader(source: ModelSource): ModelReader | null {
  return candidateReaders(source.fileName).find((r) => r.match(source)) ?? null;
}

/**
 * The reader for a file the user named:
 * - `format` given: that reader (the user's choice, whatever the file looks like);
 * - the extension is claimed: the first claiming reader whose `match` accepts
 *   the content, else the first claiming reader (which then reports what is
 *   wrong with the file);
 * - otherwise: the first reader whose `match` recognises the content, never
 *   for an extension in KNOWN_EXTENSIONS; null when none does.
 */
export function readerFor(source: ModelSource, format?: string): ModelReader | null {
  if (format) return READERS.find((r) => r.format === format) ?? null;
  const recognized = recognizeReader(source);
  if (recognized) return recognized;
  return extensionClaimed(source.fileName) ? (candidateReaders(source.fileName)[0] ?? null) : null;
}

/**
 * A reader's read, plus an RFL100 finding when the file yields no layer (no
 * node besides the inputs), unless the reader waits for files it asked for
 * (`wants`) or one of its findings already says so (mentions "no layer").
 */
export function readModel(reader: ModelReader, source: ModelSource, context: ReadContext): ReadResult {
  const read = reader.read(source, context);
  const hasLayer = read.models.some((m) => m.nodes.some((n) => n.spec.op !== 'input'));
  if (!hasLayer && !read.wants?.length && !read.findings.some((f) => /\bno layers?\b/i.test(f.message))) {
    const base = source.fileName.split(/[\\/]/).pop() ?? source.fileName;
    read.findings.push(finding('RFL100', `The ${reader.format} reader found no layer in ${base}.`, null, null));
  }
  return read;
}
