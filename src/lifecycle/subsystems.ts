// Subsystem states for health/status: each part of the gateway reports {state, reason?}.

export type SubsystemState = "starting" | "ready" | "off" | "disabled" | "error";

export interface SubsystemStatus {
  state: SubsystemState;
  reason?: string;
}

/** A small map of named subsystems; a disabled or off subsystem never fails readiness. */
export class Subsystems {
  private readonly map = new Map<string, SubsystemStatus>();

  set(name: string, state: SubsystemState, reason?: string): void {
    this.map.set(name, reason === undefined ? { state } : { state, reason });
  }

  get(name: string): SubsystemStatus | undefined {
    return this.map.get(name);
  }

  snapshot(): Record<string, SubsystemStatus> {
    return Object.fromEntries([...this.map].map(([k, v]) => [k, { ...v }]));
  }

  /** True when nothing is starting or in error (off and disabled are fine). */
  allSettled(): boolean {
    for (const s of this.map.values()) if (s.state === "starting" || s.state === "error") return false;
    return true;
  }
}
