/** Helpers every reader shares. */
import type { ModelSource, ReaderOption } from './reader';

/** The text of a source, decoding its bytes as UTF-8 when it came as bytes. */
export function sourceText(source: ModelSource): string {
  if (source.text !== undefined) return source.text;
  if (source.bytes) return new TextDecoder('utf-8').decode(source.bytes);
  return '';
}

/** A file name without folders and extension: the model's name when the file states none. */
export function baseName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/** The lower-case extension with its dot ('.cfg'), or '' when there is none. */
export function extensionOf(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

/** A reader option's value: the one given when it is among the accepted values, else the option's default. */
export function optionValue(options: Readonly<Record<string, string>>, option: ReaderOption): string | undefined {
  const v = options[option.name];
  if (v !== undefined && (!option.values || option.values.includes(v))) return v;
  return option.default;
}

/**
 * An id not yet in `taken` (which it then holds): the wanted one, else
 * `wanted#2`, `wanted#3`... Formats that name layers (Caffe, Keras, ONNX)
 * may repeat a name; ids must not.
 */
export function uniqueId(taken: Set<string>, wanted: string): string {
  let id = wanted;
  for (let k = 2; taken.has(id); k++) id = `${wanted}#${k}`;
  taken.add(id);
  return id;
}
