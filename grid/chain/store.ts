// Durable chain state in the grid's state folder, kill -9 safe:
//   chain.snapshot.json  full storage + recent blocks, replaced atomically (temp + fsync + rename)
//   chain.log            one JSON line per block since the snapshot, appended and fsynced
// On open the snapshot is loaded and the log replayed; a torn last line (crash mid-append) is dropped.
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../capabilities/lib/fs/atomic.ts";

export interface BlockRecord {
  number: number;
  hash: string;
  header: {
    parentHash: string;
    number: string;
    stateRoot: string;
    extrinsicsRoot: string;
    digest: { logs: string[] };
  };
  extrinsics: string[];
  /** [key, value before, value after] for every key this block changed. */
  changes: [string, string | null, string | null][];
}

export interface Snapshot {
  format: 1;
  genesisHash: string;
  storage: [string, string][];
  blocks: BlockRecord[]; // recent blocks, oldest first; the last one is the head
}

export { writeFileAtomic };

export class ChainStore {
  readonly dir: string;
  private logFd: number | null = null;
  private logLines = 0;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  get snapshotPath(): string {
    return join(this.dir, "chain.snapshot.json");
  }

  get logPath(): string {
    return join(this.dir, "chain.log");
  }

  /** Snapshot plus replayed log blocks, or null for a fresh folder. */
  load(): { snapshot: Snapshot; replay: BlockRecord[] } | null {
    if (!existsSync(this.snapshotPath)) return null;
    let snapshot: Snapshot;
    try {
      snapshot = JSON.parse(readFileSync(this.snapshotPath, "utf8"));
    } catch (e) {
      throw new Error(
        `chain state ${this.snapshotPath} is unreadable (${
          (e as Error).message
        }); move it away to start a new chain`,
      );
    }
    if (snapshot.format !== 1) {
      throw new Error(`chain state ${this.snapshotPath} has unknown format ${snapshot.format}`);
    }
    const replay: BlockRecord[] = [];
    if (existsSync(this.logPath)) {
      const text = readFileSync(this.logPath, "utf8");
      let head = snapshot.blocks[snapshot.blocks.length - 1];
      for (const line of text.split("\n")) {
        if (!line) continue;
        let rec: BlockRecord;
        try {
          rec = JSON.parse(line);
        } catch {
          break; // torn write at the end: everything before it is intact
        }
        if (rec.number <= head.number) continue; // already in the snapshot
        if (rec.number !== head.number + 1 || rec.header.parentHash !== head.hash) break;
        replay.push(rec);
        head = rec;
      }
    }
    return { snapshot, replay };
  }

  writeSnapshot(s: Snapshot): void {
    writeFileAtomic(this.snapshotPath, JSON.stringify(s));
    // the snapshot now holds everything the log had: start a fresh log atomically
    if (this.logFd !== null) closeSync(this.logFd);
    writeFileAtomic(this.logPath, "");
    this.logFd = openSync(this.logPath, "a");
    this.logLines = 0;
  }

  append(rec: BlockRecord): number {
    if (this.logFd === null) this.logFd = openSync(this.logPath, "a");
    writeSync(this.logFd, JSON.stringify(rec) + "\n");
    fsyncSync(this.logFd);
    return ++this.logLines;
  }

  close(): void {
    if (this.logFd !== null) closeSync(this.logFd);
    this.logFd = null;
  }
}
