/** Keras (tf.keras and Keras 3): Sequential, the functional API and subclassed models. */
import type { ModelGraph, SourceRange } from '../../graph/ir';
import type { Interp } from './interp';
import type { Tracer } from './trace';
import type { ClassValue, ObjectValue, Value } from './values';

export class KerasState {
  readonly exampleInputs: Array<{ shape: number[]; range: SourceRange | null }> = [];
  constructor(readonly interp: Interp) {}
  isKerasModelClass(cls: ClassValue): boolean {
    void cls;
    return false;
  }
  graphOf(model: ObjectValue, c: { name: string }, tracer: Tracer, graph: ModelGraph, stated: (rank: number) => unknown): ModelGraph {
    void model; void c; void tracer; void stated;
    return graph;
  }
}

export function installKeras(interp: Interp, state: KerasState): void {
  void interp; void state;
}
export type { Value };
