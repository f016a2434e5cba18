import { RunStore } from '../../core/workflows/index.ts';

/**
 * Times RunStore.saveStep — every step checkpoint: seal, upsert, commit — for a benchmark's
 * breakdown. Importing this module wraps the method once for the whole process; read and reset
 * the totals around each timed run.
 */
export const checkpointTimer = { ms: 0, writes: 0 };

type SaveStep = (this: RunStore, ...rest: Parameters<RunStore['saveStep']>) => void;
const saveStep: SaveStep = Reflect.get<object, 'saveStep'>(RunStore.prototype, 'saveStep') as SaveStep;
RunStore.prototype.saveStep = function timedSaveStep(this: RunStore, ...rest: Parameters<RunStore['saveStep']>) {
  const started = performance.now();
  try {
    return saveStep.apply(this, rest);
  } finally {
    checkpointTimer.ms += performance.now() - started;
    checkpointTimer.writes += 1;
  }
};
