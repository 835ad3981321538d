// Errors a user can act on. The CLI prints their message (never a stack) and exits with `exitCode`:
// 1 = the operation ran and said no (invalid signature, widened grants), 2 = bad input or usage.
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = "UserError";
    this.exitCode = exitCode;
  }
}

export function usage(message: string): UserError {
  return new UserError(message, 2);
}
