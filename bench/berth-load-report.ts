/** What Berth's start-up log says about each model it loaded. */

/** One `model loaded` log line. */
export interface ModelLoadLine {
  readonly model: string;
  readonly warmRunUs?: number;
  readonly inline?: boolean;
}

/** Reads the `model loaded` lines from a Berth server's JSON log output. */
export function modelLoadLines(output: string): ModelLoadLine[] {
  const lines: ModelLoadLine[] = [];
  for (const line of output.split('\n')) {
    if (!line.includes('"model loaded"')) continue;
    try {
      lines.push(JSON.parse(line) as ModelLoadLine);
    } catch {
      // A line cut by the pipe; the next process's line will do.
    }
  }
  return lines;
}

/** `mlp: 43 µs warm run, inline` for the report. */
export function describeLoad(line: ModelLoadLine): string {
  const us = line.warmRunUs === undefined ? 'no warm run' : `${line.warmRunUs.toFixed(0)} µs warm single-row run`;
  return `${line.model}: ${us}, ${line.inline ? 'runs small requests inline' : 'runs in worker threads'}`;
}
