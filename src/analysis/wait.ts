import type { ChildManifestStatus as Presence } from '../registry/types.js';
import { formatDuration } from '../duration.js';

/**
 * A bounded wait for images that are missing now but are being pushed (by a parallel job, or later
 * in this one). Rounds re-check only the references still missing, one HEAD each, with capped
 * exponential back-off and jitter; the wait ends as soon as nothing is missing, or at the deadline.
 */

export type WaitFor = 'pending' | 'all';

export interface WaitSettings {
  /** 0: no wait. */
  durationMs: number;
  /** Wait for pending images only, or for every image that is not found. */
  for: WaitFor;
}

export const NO_WAIT: WaitSettings = { durationMs: 0, for: 'pending' };

export interface WaitProgress {
  /** The images still missing, as the kubelet would name them. */
  waiting: string[];
  remainingMs: number;
}

export interface WaiterOptions {
  /** When waiting stops (ms since the epoch, as `now` counts). */
  deadline: number;
  onProgress?: (progress: WaitProgress) => void;
  /** How often progress is reported. */
  progressEveryMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/**
 * Starts at 1 s, doubles, capped at 15 s: an image pushed a few seconds in is seen within seconds,
 * and a 60-minute wait asks about each missing image some 250 times, not thousands.
 */
export const WAIT_BACKOFF = { initialMs: 1_000, maxMs: 15_000 };
export const PROGRESS_EVERY_MS = 30_000;

interface Waiting {
  label: string;
  check: () => Promise<Presence>;
  settle: Array<(appeared: boolean) => void>;
}

export class ImageWaiter {
  private readonly waiting = new Map<string, Waiting>();
  private running = false;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  /** Re-check rounds run, and HEAD requests they made, in all and per round (the benchmark's figures). */
  readonly stats = { rounds: 0, checks: 0, perRound: [] as number[] };

  constructor(private readonly options: WaiterOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  /**
   * Resolves true when `check` finds the image, false at the deadline. Callers waiting for the same
   * `key` (registry, repository, reference, credential) share one check per round.
   */
  waitFor(key: string, label: string, check: () => Promise<Presence>): Promise<boolean> {
    if (this.now() >= this.options.deadline) return Promise.resolve(false);
    return new Promise((resolve) => {
      const entry = this.waiting.get(key);
      if (entry) entry.settle.push(resolve);
      else this.waiting.set(key, { label, check, settle: [resolve] });
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    const { deadline } = this.options;
    const { initialMs, maxMs } = this.options.backoff ?? WAIT_BACKOFF;
    const every = this.options.progressEveryMs ?? PROGRESS_EVERY_MS;
    let delay = initialMs;
    try {
      // Images that go missing in the same tick join before the first progress line.
      await Promise.resolve();
      let nextProgress = this.now();
      while (this.waiting.size > 0 && this.now() < deadline) {
        // Equal jitter: half the delay fixed, half random, so parallel runs do not ask in step. The
        // last round is at the deadline itself.
        const roundAt = Math.min(this.now() + delay / 2 + (this.random() * delay) / 2, deadline);
        while (this.now() < roundAt) {
          if (this.now() >= nextProgress) {
            this.options.onProgress?.({ waiting: this.labels(), remainingMs: deadline - this.now() });
            nextProgress = this.now() + every;
          }
          await this.sleep(Math.min(roundAt, nextProgress) - this.now());
        }
        await this.round();
        delay = Math.min(delay * 2, maxMs);
      }
    } finally {
      for (const entry of this.waiting.values()) for (const settle of entry.settle) settle(false);
      this.waiting.clear();
      this.running = false;
    }
  }

  /** One HEAD per missing reference; those found are settled at once. */
  private async round(): Promise<void> {
    this.stats.rounds++;
    this.stats.perRound.push(this.waiting.size);
    await Promise.all(
      [...this.waiting].map(async ([key, entry]) => {
        this.stats.checks++;
        if ((await entry.check().catch((error: Error) => ({ unknown: error.message }))) !== 'present') return;
        this.waiting.delete(key);
        for (const settle of entry.settle) settle(true);
      }),
    );
  }

  private labels(): string[] {
    return [...new Set([...this.waiting.values()].map((entry) => entry.label))].sort();
  }
}

/** The log line: "waiting for 2 images: a, b; 4m10s left". */
export function describeProgress({ waiting, remainingMs }: WaitProgress): string {
  const images = waiting.length === 1 ? '1 image' : `${waiting.length} images`;
  return `waiting for ${images}: ${waiting.join(', ')}; ${formatDuration(Math.round(remainingMs / 1000) * 1000)} left`;
}
