export { type HubOptions, type RunningHub, startHub } from "./hub.ts";
export { type PushOptions, type PushResult, pushToHub } from "./push.ts";
