// Errors a caller over RMB gets back as an `error` envelope (code 0, the message). The router throws
// ApiError for everything the caller did wrong or the node refused; anything else is an internal fault
// and is reported without internals (see router.ts).
export class ApiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ApiError";
  }
}

/** The node answers every zos.* command of the reference; ones whose backing capability is absent say so. */
export function notSupported(command: string): ApiError {
  return new ApiError(`${command} is not supported on this node yet`);
}
