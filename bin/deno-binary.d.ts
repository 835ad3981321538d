/** See bin/deno-binary.js. */
export function findDenoBinary(root: string): string | null;
