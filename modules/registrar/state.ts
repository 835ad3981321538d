// Registration state as the api shows it (zos.system.diagnostics) and the registrar persists nothing:
// the chain is the record; this is the node's view of how far it got and why it is waiting.

export type RegistrationPhase = "pending" | "registering" | "registered" | "failed";

export type RegistrationStep = "location" | "account" | "terms" | "twin" | "farm" | "node" | "done";

export interface RegistrationState {
  state: RegistrationPhase;
  step: RegistrationStep | null;
  attempt: number;
  last_error: string | null;
  /** unix ms of the next retry when waiting after an error */
  next_retry_at: number | null;
  farm_id: number;
  twin_id: number | null;
  node_id: number | null;
  registered_at: number | null;
  last_uptime_report: number | null;
  uptime_reports: number;
  last_uptime_error: string | null;
}

export function initialState(farmId: number): RegistrationState {
  return {
    state: "pending",
    step: null,
    attempt: 0,
    last_error: null,
    next_retry_at: null,
    farm_id: farmId,
    twin_id: null,
    node_id: null,
    registered_at: null,
    last_uptime_report: null,
    uptime_reports: 0,
    last_uptime_error: null,
  };
}
