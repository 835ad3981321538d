// Public entry of the dev grid's activation service (`zos grid up`, tests, the vm-tests).
export {
  ACTIVATE_PATH, type ActivationOptions, DEFAULT_AMOUNT, DEFAULT_THRESHOLD, parseActivationRequest, type RunningActivation,
  startActivation,
} from "./service.ts";
export { RateLimiter } from "./rate-limit.ts";
