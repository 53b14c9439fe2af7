/**
 * Entry point of an inference worker thread: holds onnxruntime sessions and runs them, so the
 * main event loop never blocks on a model. Speaks the messages in `worker-protocol.ts`.
 */
import { parentPort } from 'node:worker_threads';
import type ort from 'onnxruntime-node';
import { createSession, runSession } from './session-runner.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';
import { transferablesOf } from './worker-protocol.js';

const sessions = new Map<string, ort.InferenceSession>();
const port = parentPort;
if (!port) throw new Error('inference-worker must run in a worker thread');

port.on('message', (message: WorkerRequest) => {
  void handle(message).then(
    (reply) => port.postMessage(reply, reply.op === 'run' && reply.outputs ? transferablesOf(reply.outputs) : []),
    (error: unknown) => port.postMessage({ op: message.op, id: message.id, error: errorMessage(error) } satisfies WorkerReply),
  );
});

async function handle(message: WorkerRequest): Promise<WorkerReply> {
  switch (message.op) {
    case 'load': {
      const session = await createSession(message.source, message.settings);
      sessions.set(message.key, session);
      return { op: 'load', id: message.id };
    }
    case 'run': {
      // A run that waited in this worker's queue past its deadline is dropped unrun: its caller has been answered or given up.
      if (message.deadline !== undefined && performance.timeOrigin + performance.now() > message.deadline) return { op: 'run', id: message.id, expired: true };
      const session = sessions.get(message.key);
      if (!session) throw new Error(`model ${message.key} is not loaded in this worker`);
      const started = performance.now();
      const outputs = await runSession(session, message.inputs, message.outputNames);
      return { op: 'run', id: message.id, outputs, runMs: performance.now() - started };
    }
    case 'unload': {
      const session = sessions.get(message.key);
      sessions.delete(message.key);
      await session?.release();
      return { op: 'unload', id: message.id };
    }
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
