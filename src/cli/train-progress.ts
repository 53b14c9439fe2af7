/**
 * Training progress for people: a live bar on a terminal, and on anything else (a CI log, a
 * file) a plain line per stage and per tenth of the way, so logs stay short and readable.
 */
import { Presets, SingleBar } from 'cli-progress';
/** One step of progress: its stage, the share done overall, and a line for people. */
export interface ProgressUpdate {
  readonly stage: string;
  /** Overall progress in [0, 1], monotone. */
  readonly fraction: number;
  readonly message: string;
}

/** Receives progress (training, batch scoring); `stop` when the work is over (or failed). */
export interface TrainProgressSink {
  update(progress: ProgressUpdate): void;
  stop(): void;
}

/** Where progress is written: standard error, in practice. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/**
 * A progress display on `stream`: the bar when it is a terminal, plain lines otherwise.
 *
 * @example
 *   const progress = createTrainProgress(process.stderr);
 *   try { await trainCommand({ ..., onProgress: (p) => progress.update(p) }); } finally { progress.stop(); }
 */
export function createTrainProgress(stream: ProgressStream, label = 'training'): TrainProgressSink {
  return stream.isTTY ? barProgress(stream, label) : lineProgress(stream);
}

function barProgress(stream: ProgressStream, label: string): TrainProgressSink {
  const bar = new SingleBar(
    {
      format: `${label} {bar} {percentage}% | {message}`,
      stream: stream as NodeJS.WritableStream,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  let started = false;
  const stop = (): void => {
    if (started) bar.stop();
    started = false;
  };
  return {
    update(progress) {
      const value = Math.round(progress.fraction * 1000) / 10;
      if (!started) {
        bar.start(100, value, { message: progress.message });
        started = true;
      } else {
        bar.update(value, { message: progress.message });
      }
      // Gone once training is done, before anything else is printed under it.
      if (progress.stage === 'done') stop();
    },
    stop,
  };
}

function lineProgress(stream: ProgressStream): TrainProgressSink {
  let stage = '';
  let tenth = -1;
  return {
    update(progress) {
      const now = Math.floor(progress.fraction * 10);
      if (progress.stage === stage && now === tenth) return;
      stage = progress.stage;
      tenth = now;
      stream.write(`[${String(Math.round(progress.fraction * 100)).padStart(3)}%] ${progress.stage}: ${progress.message}\n`);
    },
    stop() {},
  };
}
