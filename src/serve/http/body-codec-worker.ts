/** Entry of a body codec worker thread (a piscina task function): runs a task, moving its buffers back. */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { type BodyCodecTask, runBodyCodecTask, transferablesOf } from './body-codec-tasks.js';

/** Runs `task`; the typed arrays of its result are transferred, not copied. */
export default function runTask(task: BodyCodecTask): unknown {
  const result = runBodyCodecTask(task);
  const buffers = transferablesOf(result);
  if (buffers.length === 0) return result;
  return move({ [transferableSymbol]: buffers, [valueSymbol]: result } as never);
}
