/**
 * A counting semaphore: at most `limit` tasks hold a slot at once, the rest wait in order. The limit
 * may change while tasks run: lowering it lets running tasks finish and hands out no slot until the
 * count is below the new limit.
 */
export class Limiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private limit: number) {}

  get capacity(): number {
    return this.limit;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  acquire(): Promise<void> {
    if (this.running < this.limit) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve)); // the slot is handed over
  }

  release(): void {
    const next = this.running <= this.limit ? this.waiting.shift() : undefined;
    if (next) next();
    else this.running--;
  }

  setLimit(limit: number): void {
    this.limit = Math.max(1, limit);
    while (this.running < this.limit && this.waiting.length > 0) {
      this.running++;
      this.waiting.shift()!();
    }
  }
}

/** Says how an attempt went: `true` when the registry answered 429. */
export type Report = (throttled: boolean) => void;

/** What the transport asks before each attempt on a registry: a slot, and how the attempt went. */
export interface Gate {
  /** Runs one attempt holding a slot; never a back-off sleep or a Retry-After wait. */
  run<T>(attempt: (report: Report) => Promise<T>): Promise<T>;
}

/**
 * A registry's slots, polite to rate limits (AIMD, as TCP does): a 429 halves its concurrency, down
 * to a quarter of the configured value, once per round trip (a 429 to an attempt that started before
 * the last reduction does not reduce again); every `limit` answers without one add a slot back, up
 * to the configured value. The global limit is taken inside the registry's, so a busy registry does
 * not hold global slots while it waits.
 */
export class RegistryGate implements Gate {
  private readonly limiter: Limiter;
  private readonly floor: number;
  /** Reductions so far: an attempt remembers the count it started under. */
  private reductions = 0;
  private answersSinceChange = 0;

  constructor(
    private readonly max: number,
    private readonly global: Limiter,
  ) {
    this.limiter = new Limiter(max);
    this.floor = Math.max(1, Math.ceil(max / 4));
  }

  get concurrency(): number {
    return this.limiter.capacity;
  }

  run<T>(attempt: (report: Report) => Promise<T>): Promise<T> {
    return this.limiter.run(() =>
      this.global.run(() => {
        const startedUnder = this.reductions;
        return attempt((throttled) => (throttled ? this.throttled(startedUnder) : this.answered()));
      }),
    );
  }

  private throttled(startedUnder: number): void {
    this.answersSinceChange = 0;
    if (startedUnder < this.reductions) return; // already answered for by a reduction
    this.reductions++;
    this.limiter.setLimit(Math.max(this.floor, Math.floor(this.limiter.capacity / 2)));
  }

  private answered(): void {
    if (this.limiter.capacity >= this.max) return;
    if (++this.answersSinceChange < this.limiter.capacity) return;
    this.answersSinceChange = 0;
    this.limiter.setLimit(this.limiter.capacity + 1);
  }
}
