/**
 * The extension host's side of the analysis worker: starts dist/worker.js in a
 * Node worker thread, numbers requests, routes responses, restarts the worker
 * if it dies. Knows nothing of VS Code documents.
 */
import { Worker } from 'node:worker_threads';
import type { FileTexts } from './worker/importRounds';
import type { QueryRequest, WorkerRequest, WorkerResponse } from './worker/messages';

type AnalyzeRequest = Extract<WorkerRequest, { kind: 'analyze' }>;
type AnalyzeResponse = Extract<WorkerResponse, { kind: 'unclaimed' | 'fields' | 'complete' | 'cancelled' | 'error' }>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Texts (null: missing) of the files a reader asked for. */
export type FileLoader = (paths: string[]) => Promise<FileTexts>;

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  trace?(message: string): void;
}

const FIELDS_ENDS: ReadonlySet<string> = new Set(['fields', 'cancelled', 'unclaimed', 'error']);
const FULL_ENDS: ReadonlySet<string> = new Set(['complete', 'cancelled', 'unclaimed', 'error']);

/**
 * The buffers to transfer with a message carrying `bytes`, so a 500 MB model
 * moves to the worker without a copy. A view into a larger shared buffer (a
 * pool) is copied first: transferring would take the whole pool away.
 */
export function transferOf(bytes: Uint8Array): { bytes: Uint8Array; transfer: ArrayBuffer[] } {
  const buffer = bytes.buffer;
  if (!(buffer instanceof ArrayBuffer)) return { bytes, transfer: [] };
  if (bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength) return { bytes, transfer: [buffer] };
  const own = bytes.slice();
  return { bytes: own, transfer: [own.buffer] };
}

export class WorkerClient {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly queries = new Map<number, { resolve: (r: WorkerResponse) => void; reject: (e: Error) => void }>();
  private readonly streams = new Map<number, (r: AnalyzeResponse) => void>();
  /** per analysis: where the files its reader wants come from (Python imports) */
  private readonly loaders = new Map<number, FileLoader>();
  private disposed = false;

  /** `role` 'fields' answers an analysis with its fields pass only, 'maps' with the full pass only. */
  constructor(
    private readonly script: string,
    private readonly log: Logger,
    private readonly role: 'fields' | 'maps' | 'both' = 'both',
  ) {}

  private get ends(): ReadonlySet<string> {
    return this.role === 'fields' ? FIELDS_ENDS : FULL_ENDS;
  }

  private get w(): Worker {
    if (!this.worker) {
      const worker = new Worker(this.script, { name: `rf-lens-${this.role}`, workerData: { role: this.role } });
      worker.on('message', (m: WorkerResponse) => this.receive(m));
      worker.on('error', (e) => this.log.error(`analysis worker failed: ${e.stack ?? e.message}`));
      worker.on('exit', (code) => {
        if (this.worker !== worker) return;
        this.worker = null;
        if (!this.disposed) this.log.warn(`analysis worker exited (code ${code}); it restarts with the next request`);
        for (const [id, q] of this.queries) q.reject(new Error(`analysis worker exited before answering request ${id}`));
        this.queries.clear();
        for (const [id, s] of this.streams) s({ kind: 'error', id, message: 'analysis worker exited' });
        this.streams.clear();
        this.loaders.clear();
      });
      worker.unref();
      this.worker = worker;
    }
    return this.worker;
  }

  private receive(m: WorkerResponse): void {
    if (m.kind === 'wants') return this.answerWants(m);
    const stream = this.streams.get(m.id);
    if (stream) {
      if (this.ends.has(m.kind)) {
        this.streams.delete(m.id);
        this.loaders.delete(m.id);
      }
      stream(m as AnalyzeResponse);
      return;
    }
    const q = this.queries.get(m.id);
    if (q) {
      this.queries.delete(m.id);
      if (m.kind === 'error') q.reject(new Error(m.message));
      else q.resolve(m);
    }
  }

  /** The worker waits for an answer to every 'wants': files the loader cannot give are missing (null). */
  private answerWants(m: Extract<WorkerResponse, { kind: 'wants' }>): void {
    const loader = this.loaders.get(m.id);
    const worker = this.worker;
    void (loader ? loader(m.paths) : Promise.resolve({}))
      .catch((e: Error) => {
        this.log.warn(`loading ${m.paths.length} files for ${m.key} failed: ${e.message}`);
        return {};
      })
      .then((files) => {
        if (worker && this.worker === worker) worker.postMessage({ kind: 'files', id: m.id, files } satisfies WorkerRequest);
      });
  }

  /**
   * Starts an analysis; `on` sees its responses up to the last ('fields' for the fields role, 'complete' otherwise,
   * or 'cancelled' / 'unclaimed' / 'error'); `loadFiles` answers the reader's requests for further files (imports).
   */
  analyze(request: Omit<AnalyzeRequest, 'id' | 'kind'>, on: (r: AnalyzeResponse) => void, loadFiles?: FileLoader): number {
    const id = this.nextId++;
    this.streams.set(id, on);
    if (loadFiles) this.loaders.set(id, loadFiles);
    if (request.bytes) {
      // a binary model: its buffer moves to the worker (detached here), no copy
      const { bytes, transfer } = transferOf(request.bytes);
      try {
        this.w.postMessage({ ...request, bytes, kind: 'analyze', id } satisfies AnalyzeRequest, transfer);
      } catch {
        // a buffer Node marks untransferable (a pooled Buffer's slab, under Node 24 in code-server): send a copy
        this.w.postMessage({ ...request, bytes: bytes.slice(), kind: 'analyze', id } satisfies AnalyzeRequest);
      }
    } else this.w.postMessage({ ...request, kind: 'analyze', id } satisfies AnalyzeRequest);
    return id;
  }

  /** Asks the worker to skip the map-based pass of an analysis (it cannot stop a pass already running). */
  cancel(id: number): void {
    if (this.worker && this.streams.has(id)) this.worker.postMessage({ kind: 'cancel', id } satisfies WorkerRequest);
  }

  query<K extends QueryRequest['kind']>(request: DistributiveOmit<Extract<QueryRequest, { kind: K }>, 'id'>): Promise<Extract<WorkerResponse, { kind: K | 'done' }>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.queries.set(id, { resolve: resolve as (r: WorkerResponse) => void, reject });
      this.w.postMessage({ ...request, id });
    });
  }

  dispose(): void {
    this.disposed = true;
    const w = this.worker;
    this.worker = null;
    void w?.terminate();
  }
}
