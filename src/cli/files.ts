/**
 * The files `rflens analyze` works on: the files the user named, and the model
 * files found in the folders the user named (recursively). A file found in a
 * folder is kept only when a reader recognises it by its content (its match),
 * under the extension rule of formats/index.ts; the rest is skipped silently.
 */
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { candidateReaders, type FileAccess, type ModelReader, type ModelSource } from '../core';

/** Folders never entered (hidden folders, names starting with '.', are skipped as well). */
export const SKIPPED_FOLDERS: readonly string[] = ['node_modules', '.git'];

/** A file to offer to the readers. */
export interface InputEntry {
  /** The path as the user wrote it, or joined onto the folder the user wrote. */
  path: string;
  /** Named on the command line (analysed whatever it contains) rather than found in a folder. */
  explicit: boolean;
  /** The folder argument it was found under, or null for a named file. */
  folder: string | null;
}

export interface InputList {
  entries: InputEntry[];
  /** The folders named, with how many files each holds (before any is read). */
  folders: { path: string; files: number }[];
  /** One line per path that cannot be read. */
  problems: string[];
}

/**
 * A model file as a view of its bytes, and its text unless a binary reader
 * (ONNX) claims it: models with weights (up to several hundred MB) are never
 * copied, nor decoded as text (seconds for 100 MB, and beyond V8's longest
 * string at 512 MB).
 */
export function readSource(path: string): ModelSource {
  const bytes = readFileSync(path);
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const binary = candidateReaders(path).some((r) => r.binary === true);
  if (binary || bytes.length >= 1 << 28) return { fileName: path, bytes: view };
  return { fileName: path, text: bytes.toString('utf8'), bytes: view };
}

/**
 * Files a reader may read besides the model (Python imports), from the file system. The reader names them from
 * the model's path as given and from --python-path, both relative to the working folder (as the user typed them).
 */
export function fileAccess(): FileAccess {
  return {
    readText(path: string): string | null {
      try {
        return readFileSync(resolve(path), 'utf8');
      } catch {
        return null;
      }
    },
  };
}

export function errorCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

/** Every file under a folder, skipping SKIPPED_FOLDERS and hidden folders: a folder's files (sorted by name) before its subfolders' (sorted by name); symlinked folders are followed once. */
function walk(folder: string, seen: Set<string>, out: string[]): void {
  let real: string;
  try {
    real = realpathSync(folder);
  } catch {
    return;
  }
  if (seen.has(real)) return;
  seen.add(real);
  let entries: string[];
  try {
    entries = readdirSync(folder);
  } catch {
    return;
  }
  entries.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const files: string[] = [];
  const folders: string[] = [];
  for (const name of entries) {
    const path = join(folder, name);
    let isDir: boolean;
    try {
      const st = statSync(path);
      if (!st.isDirectory() && !st.isFile()) continue;
      isDir = st.isDirectory();
    } catch {
      continue; // a dangling link
    }
    if (isDir) {
      if (!name.startsWith('.') && !SKIPPED_FOLDERS.includes(name)) folders.push(path);
    } else files.push(path);
  }
  out.push(...files);
  for (const f of folders) walk(f, seen, out);
}

function candidates(fileName: string, forced: ModelReader | null): ModelReader[] {
  return candidateReaders(fileName).filter((r) => !forced || r === forced);
}

/**
 * The files to offer to the readers, in the order of the arguments, each
 * folder's files sorted. A file found in a folder is listed only when some
 * reader may claim it by its name (a .py file is not read while no reader
 * claims .py); a path given or found twice is listed once. Nothing is read yet.
 */
export function listInputs(paths: string[], forced: ModelReader | null = null): InputList {
  const list: InputList = { entries: [], folders: [], problems: [] };
  const done = new Set<string>();
  const once = (path: string): boolean => {
    let key: string;
    try {
      key = realpathSync(path);
    } catch {
      key = path;
    }
    if (done.has(key)) return false;
    done.add(key);
    return true;
  };
  for (const path of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch (e) {
      list.problems.push(`cannot read ${path}: ${errorCode(e)}`);
      continue;
    }
    if (!isDir) {
      if (once(path)) list.entries.push({ path, explicit: true, folder: null });
      continue;
    }
    const found: string[] = [];
    walk(path, new Set(), found);
    list.folders.push({ path, files: found.length });
    for (const file of found) {
      if (candidates(file, forced).length && once(file)) list.entries.push({ path: file, explicit: false, folder: path });
    }
  }
  return list;
}

/**
 * Reads an entry. A named file is always returned (its reader is chosen by
 * analyze, which says when there is none); a file found in a folder only when
 * a reader recognises its content, else 'skip'.
 */
export function openInput(
  entry: InputEntry,
  forced: ModelReader | null = null,
): { source: ModelSource; reader: ModelReader | null } | 'skip' | { error: string } {
  let source: ModelSource;
  try {
    source = readSource(entry.path);
  } catch (e) {
    return entry.explicit ? { error: `cannot read ${entry.path}: ${errorCode(e)}` } : 'skip';
  }
  if (entry.explicit) return { source, reader: forced };
  const reader = candidates(entry.path, forced).find((r) => r.match(source)) ?? null;
  return reader ? { source, reader } : 'skip';
}
