/** What one measurement reports, whatever produced the load. */
export interface LoadResult {
  /** Seconds measured (after the warm-up). */
  readonly seconds: number;
  /** Successful (2xx) requests per second; for in-process runs, runs per second. */
  readonly requestsPerSec: number;
  /** Rows answered per second: successful requests × rows per request. */
  readonly rowsPerSec: number;
  /** Latency percentiles in ms, over every response. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Connection errors and timeouts. */
  readonly errors: number;
  /** Responses with a status other than 2xx. */
  readonly non2xx: number;
  /** Status codes other than 2xx seen, with counts (for the notes). */
  readonly otherStatuses: Readonly<Record<string, number>>;
  /**
   * CPU the load generator's process used meanwhile, in % of one core (all its threads, so a
   * probe running alongside counts too). Near 100 means the client may be the limit.
   */
  readonly clientCpuPercent: number;
}
