// `node:sqlite` as Deno 2 provides it (the OS runs on Deno; @types/node 20 predates the module).
// Only what the flist library (capabilities/lib/flist) and the image's code cache (rootfs/lib/code-cache.ts) use.
declare module "node:sqlite" {
  type SqlValue = null | number | bigint | string | Uint8Array;
  export class StatementSync {
    run(...params: SqlValue[]): { changes: number | bigint; lastInsertRowid: number | bigint };
    all(...params: SqlValue[]): Record<string, SqlValue>[];
    get(...params: SqlValue[]): Record<string, SqlValue> | undefined;
    /** 64-bit integers come back as bigint instead of a (lossy) number */
    setReadBigInts(enabled: boolean): void;
  }
  export class DatabaseSync {
    constructor(path: string, options?: { open?: boolean; readOnly?: boolean });
    exec(sql: string): void;
    prepare(sql: string): StatementSync;
    close(): void;
  }
}
