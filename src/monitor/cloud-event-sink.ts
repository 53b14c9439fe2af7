/**
 * The payload log as a stream, the way KServe's logger sends it: each logged request as a
 * CloudEvent (specification 1.0) POSTed to a configured HTTP sink, in batches (the batched content
 * mode, `application/cloudevents-batch+json`), so users can land payloads in their own lake.
 *
 * Never in the way of answers: `add` is O(1) and only queues; sending runs on a timer. Bounded: at
 * most `maxQueue` events wait, past it new ones are dropped and counted, and a POST carries at most
 * `batchSize`; in both an event counts one per 64 rows it holds, as the log's pending entries do,
 * so large requests bound memory and each POST's JSON by rows, not by requests. A batch that fails (no
 * answer, a timeout, 5xx or 429) is retried with exponential backoff up to `attempts` times, then
 * given up and counted; any other answer (a 4xx) gives it up at once. A sink that is down is
 * reported (`onTrouble`, once per outage) and never throws. A batch whose events cannot be written
 * as JSON (not one a log entry makes: INT64 values are written as JSON numbers, see
 * cloud-event-batch-body.ts) is given up at once, counted as failed and reported as such
 * (`onUnwritable`), never as a sink that could not be reached.
 *
 * Never holding the event loop: a batch's JSON is printed a slice per turn of the event loop
 * (cloud-event-batch-body.ts), the same bytes JSON.stringify would give (INT64 and UINT64 values,
 * bigints, as JSON numbers with every digit, where it would throw), and a body of 1 MiB or
 * more is sent as it is printed (a chunked request body) instead of whole, its `timeoutMs` counted
 * again from each chunk; each attempt prints it again, so nothing but the events is kept between
 * attempts.
 */
import { type PreparedBody, prepareBody } from './cloud-event-batch-body.js';
import { type LogEntry } from './log-segment-codec.js';
import { pendingWeight } from './log-segments.js';

/** Settings of the sink (`monitor.payloads.sink`). */
export interface CloudEventSinkOptions {
  /** Where batches are POSTed. */
  readonly url: string;
  /** Most events per POST (an event counting one per 64 rows). */
  readonly batchSize: number;
  /** How often waiting events are sent, ms. */
  readonly flushMs: number;
  /** Most events waiting (an event counting one per 64 rows); past it new ones are dropped. */
  readonly maxQueue: number;
  /** Tries per batch before it is given up. */
  readonly attempts: number;
  /** Longest one POST may take, ms; for a body sent as it is printed (1 MiB or more), longest it may go without sending a chunk. */
  readonly timeoutMs: number;
  /** The events' `source` (this replica). */
  readonly source: string;
  /** Hears when the sink starts failing (once per outage) and when it recovers. */
  readonly onTrouble?: (problem: string | undefined) => void;
  /** Hears of each batch given up because its events could not be written as JSON. */
  readonly onUnwritable?: (problem: string) => void;
  /** First retry delay, ms (doubles each time). */
  readonly backoffMs?: number;
}

/** A CloudEvent of one logged request. */
export interface PayloadCloudEvent {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: typeof EVENT_TYPE;
  readonly subject: string;
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly data: {
    readonly model: string;
    readonly version: string;
    readonly requestId: string;
    readonly rows: number;
    readonly inputs: LogEntry['features'] | null;
    readonly outputs: LogEntry['outputs'] | null;
  };
}

/** The `type` of Berth's payload events. */
export const EVENT_TYPE = 'dev.berth.inference.payload';

/** What the sink did with the events it was given. */
export interface SinkCounts {
  readonly sent: number;
  /** Dropped because the queue was full. */
  readonly dropped: number;
  /** Given up after failed attempts or refused by the sink. */
  readonly failed: number;
  readonly queued: number;
}

/** The sink of one replica. */
export class CloudEventSink {
  readonly #options: CloudEventSinkOptions;
  #queue: PayloadCloudEvent[] = [];
  /** The weight of the events waiting (pendingWeight of their rows). */
  #queuedWeight = 0;
  #sent = 0;
  #dropped = 0;
  #failed = 0;
  #sending: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #down = false;

  constructor(options: CloudEventSinkOptions) {
    this.#options = options;
    this.#timer = setInterval(() => void this.flush(), options.flushMs);
    this.#timer.unref();
  }

  /** What was sent, dropped, given up, and waits. */
  get counts(): SinkCounts {
    return { sent: this.#sent, dropped: this.#dropped, failed: this.#failed, queued: this.#queue.length };
  }

  /** Queues a logged request's event. O(1); drops and counts it when the queue is full. */
  add(model: string, entry: LogEntry): void {
    if (this.#closed) return;
    const weight = pendingWeight(entry.rows);
    if (this.#queuedWeight + weight > this.#options.maxQueue) {
      this.#dropped += 1;
      return;
    }
    this.#queuedWeight += weight;
    this.#queue.push({
      specversion: '1.0',
      id: entry.requestId,
      source: this.#options.source,
      type: EVENT_TYPE,
      subject: model,
      time: new Date(entry.at).toISOString(),
      datacontenttype: 'application/json',
      data: { model, version: entry.version, requestId: entry.requestId, rows: entry.rows, inputs: entry.features ?? null, outputs: entry.outputs ?? null },
    });
  }

  /** Sends what waits, batch by batch; concurrent calls share one run. Never throws. */
  flush(): Promise<void> {
    this.#sending ??= this.#drain().finally(() => {
      this.#sending = undefined;
    });
    return this.#sending;
  }

  /** Stops the timer and sends what waits (each batch gets its attempts). Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    while (this.#sending !== undefined) await this.#sending;
    await this.flush();
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      let weight = 0;
      let count = 0;
      while (count < this.#queue.length && (count === 0 || weight + pendingWeight(this.#queue[count]!.data.rows) <= this.#options.batchSize)) {
        weight += pendingWeight(this.#queue[count]!.data.rows);
        count += 1;
      }
      const batch = this.#queue.splice(0, count);
      this.#queuedWeight -= weight;
      const outcome = await this.#send(batch);
      if (outcome === 'sent') this.#sent += batch.length;
      else this.#failed += batch.length;
    }
  }

  async #send(batch: readonly PayloadCloudEvent[]): Promise<'sent' | 'failed'> {
    let delay = this.#options.backoffMs ?? 200;
    for (let attempt = 1; ; attempt++) {
      let problem: string;
      // What printing the body threw, before the POST or while it was being sent (streamed).
      const printing: { error?: unknown } = {};
      const deadline = new Deadline(this.#options.timeoutMs);
      try {
        let body: PreparedBody;
        try {
          body = await prepareBody(batch);
        } catch (error) {
          return this.#unwritable(batch, error);
        }
        deadline.start();
        const response = await fetch(this.#options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/cloudevents-batch+json; charset=utf-8' },
          ...('bytes' in body ? { body: body.bytes } : { body: deadline.extendedBy(caught(body.chunks, printing, deadline)), duplex: 'half' }),
          signal: deadline.signal,
        });
        await response.arrayBuffer().catch(() => undefined);
        if ('error' in printing) return this.#unwritable(batch, printing.error);
        if (response.ok) {
          this.#trouble(undefined);
          return 'sent';
        }
        problem = `the sink answered ${response.status}`;
        // Only an overloaded or failing sink may take the batch later; another answer never will.
        if (response.status !== 429 && response.status < 500) {
          this.#trouble(problem);
          return 'failed';
        }
      } catch (error) {
        if ('error' in printing) return this.#unwritable(batch, printing.error);
        problem = `the sink could not be reached: ${error instanceof Error ? error.message : String(error)}`;
      } finally {
        deadline.clear();
      }
      this.#trouble(problem);
      if (attempt >= this.#options.attempts) return 'failed';
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
      delay *= 2;
    }
  }

  /** Gives up a batch whose JSON could not be printed: printing it again would fail again. */
  #unwritable(batch: readonly PayloadCloudEvent[], error: unknown): 'failed' {
    const ids = batch.length === 1 ? `event ${batch[0]!.id}` : `${batch.length} events (${batch[0]!.id} …)`;
    this.#options.onUnwritable?.(`${ids} could not be written as JSON: ${error instanceof Error ? error.message : String(error)}`);
    return 'failed';
  }

  #trouble(problem: string | undefined): void {
    const down = problem !== undefined;
    if (down === this.#down) return;
    this.#down = down;
    this.#options.onTrouble?.(problem);
  }
}

/**
 * `chunks`, noting in `printing` what making them threw, then ending the POST: aborted, so its
 * connection is closed rather than left holding a request cut short.
 */
async function* caught(chunks: AsyncIterable<Buffer>, printing: { error?: unknown }, deadline: Deadline): AsyncGenerator<Buffer, void, undefined> {
  try {
    yield* chunks;
  } catch (error) {
    printing.error = error;
    deadline.abort(error);
    throw error;
  }
}

/**
 * The time one POST may take: `timeoutMs` from the start, counted again from each chunk of a body
 * sent as it is printed, so a large body is bounded by how long it goes without progress rather
 * than by its size.
 */
class Deadline {
  readonly #controller = new AbortController();
  readonly #ms: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number) {
    this.#ms = ms;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  start(): void {
    this.#timer = setTimeout(() => this.#controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), this.#ms);
    this.#timer.unref();
  }

  /** `chunks`, counting the time again from each one taken. */
  async *extendedBy(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined> {
    for await (const chunk of chunks) {
      this.#timer?.refresh();
      yield chunk;
    }
  }

  /** Ends the POST now. */
  abort(reason: unknown): void {
    this.#controller.abort(reason);
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}
