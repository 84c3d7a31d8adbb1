// StabilityLog: a bounded ring of the gateway's own diagnostic events (memory samples, heartbeats,
// restarts, shedding), read by diagnostics.stability in the reference's shape.
import { heapUnderPressure } from "./memory.js";

/** One recorded event: a gateway-wide seq, when, what, and its own fields. */
export interface StabilityEvent {
  seq: number;
  ts: number;
  type: string;
  [field: string]: unknown;
}

/** Process memory as the reference's `diagnostic.memory.sample` names it. */
export interface MemorySample {
  rssBytes: number;
  heapTotalBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
}

/** What one heartbeat sample says about the work in the gateway. */
export interface WorkSample {
  /** Runs executing or queued in the registry. */
  active: number;
  /** Authenticated plus pre-auth sockets. */
  connections: number;
  /** The event loop over the last refresh interval (ms, 0..1). */
  eventLoop: { delayP99Ms: number; delayMaxMs: number; utilization: number };
}

/** The answer to `diagnostics.stability` (the reference's fields). */
export interface StabilityReport {
  generatedAt: string;
  capacity: number;
  count: number;
  dropped: number;
  firstSeq: number | null;
  lastSeq: number | null;
  events: StabilityEvent[];
  summary: {
    byType: Record<string, number>;
    memory: {
      latest: MemorySample | null;
      maxRssBytes: number;
      maxHeapUsedBytes: number;
      pressureCount: number;
    };
    /** Keel's own: how this start went by the restart sentinel (null before the step ran). */
    restart: RestartRecord | null;
    /** Keel's own: sockets shed by each cap since start (config key → count). */
    shed: Record<string, number>;
  };
}

/** What the restart sentinel decided at this start. */
export interface RestartRecord {
  /** Rapid restarts in a row before this one (0: a first or clean start). */
  rapidCount: number;
  /** How long startup waited because of them. */
  delayMs: number;
  note?: string;
}

/** Reads this process's memory in the sample's field names. */
export function memorySample(): MemorySample {
  const m = process.memoryUsage();
  return {
    rssBytes: m.rss,
    heapTotalBytes: m.heapTotal,
    heapUsedBytes: m.heapUsed,
    externalBytes: m.external,
    arrayBuffersBytes: m.arrayBuffers,
  };
}

/**
 * Keeps the newest `capacity` events; older ones are dropped (and counted). The memory maxima and
 * the pressure count cover the whole uptime, not just what the ring still holds.
 */
export class StabilityLog {
  private readonly ring: StabilityEvent[] = [];
  private seq = 0;
  private dropped = 0;
  private latest: MemorySample | null = null;
  private maxRss = 0;
  private maxHeap = 0;
  private pressure = 0;
  private restart: RestartRecord | null = null;
  private readonly shed = new Map<string, number>();

  constructor(
    readonly capacity: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Appends one event; past capacity the oldest goes. */
  record(type: string, fields: Record<string, unknown> = {}): StabilityEvent {
    const event: StabilityEvent = { ...fields, seq: ++this.seq, ts: this.now(), type };
    this.ring.push(event);
    if (this.ring.length > this.capacity) {
      this.ring.shift();
      this.dropped += 1;
    }
    return event;
  }

  /** The restart sentinel's decision for this start (a `gateway.restart` event, kept in the summary). */
  recordRestart(decision: RestartRecord): void {
    this.restart = { ...decision };
    this.record("gateway.restart", { ...decision });
  }

  /** Sockets a cap shed since the last summary (a `gateway.shed` event; totals kept in the summary). */
  recordShed(counts: Record<string, number>): void {
    for (const [cap, n] of Object.entries(counts)) this.shed.set(cap, (this.shed.get(cap) ?? 0) + n);
    this.record("gateway.shed", { shed: { ...counts } });
  }

  /**
   * One periodic sample: a `diagnostic.memory.sample` (and a `diagnostic.memory.pressure` when
   * the heap is past the shedding ratio) and a `diagnostic.heartbeat` with the work in flight.
   */
  sample(work: WorkSample, memory: MemorySample = memorySample(), underPressure = heapUnderPressure()): void {
    this.latest = memory;
    this.maxRss = Math.max(this.maxRss, memory.rssBytes);
    this.maxHeap = Math.max(this.maxHeap, memory.heapUsedBytes);
    this.record("diagnostic.memory.sample", { memory });
    if (underPressure) {
      this.pressure += 1;
      this.record("diagnostic.memory.pressure", { heapUsedBytes: memory.heapUsedBytes });
    }
    this.record("diagnostic.heartbeat", { ...work });
  }

  /** The newest `limit` events (of `type`, when given), oldest first, with the summary. */
  report(options: { limit?: number; type?: string } = {}): StabilityReport {
    const matching = options.type ? this.ring.filter((e) => e.type === options.type) : this.ring;
    const events = matching.slice(-(options.limit ?? this.capacity));
    const byType: Record<string, number> = {};
    for (const e of matching) byType[e.type] = (byType[e.type] ?? 0) + 1;
    return {
      generatedAt: new Date(this.now()).toISOString(),
      capacity: this.capacity,
      count: events.length,
      dropped: this.dropped,
      firstSeq: events[0]?.seq ?? null,
      lastSeq: events.at(-1)?.seq ?? null,
      events,
      summary: {
        byType,
        memory: {
          latest: this.latest,
          maxRssBytes: this.maxRss,
          maxHeapUsedBytes: this.maxHeap,
          pressureCount: this.pressure,
        },
        restart: this.restart,
        shed: Object.fromEntries(this.shed),
      },
    };
  }
}
