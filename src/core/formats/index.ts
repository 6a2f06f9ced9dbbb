import { caffeReader } from './caffe/reader';
import { pythonReader } from './python/reader';
import { darknetReader } from './darknet/reader';
import type { ModelReader, ModelSource } from './reader';

export type { ModelReader, ModelSource, ReadOptions, ReadResult } from './reader';

/** Every format reader; later formats plug in here without touching the engine. */
export const READERS: readonly ModelReader[] = [darknetReader, caffeReader, pythonReader];

function extensionOf(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const dot = base.lastIndexOf('.');
  return dot >= 0 ? base.slice(dot).toLowerCase() : '';
}

/**
 * The reader for a file: one that claims its extension and recognises the
 * content, else one that claims the extension, else any that recognises it.
 */
export function readerFor(source: ModelSource, format?: string): ModelReader | null {
  if (format) return READERS.find((r) => r.format === format) ?? null;
  const ext = extensionOf(source.fileName);
  const byExt = READERS.filter((r) => r.extensions.includes(ext));
  return byExt.find((r) => r.match(source)) ?? byExt[0] ?? READERS.find((r) => r.match(source)) ?? null;
}
