// The `zmount` and `volume` workload managers (zosbase pkg/primitives/zmount, volume), bound to the storage
// module's service. Results carry what Zero-OS returns: zmount {"volume_id": <wlid>}, volume {"id": <wlid>}.
// Both are idempotent (a replayed job finds the disk or volume and answers the same) and update in place:
// a disk only grows ("not safe to shrink a disk" leaves it unchanged), a volume never below what it holds.
import { type Workload, workloadData } from "../../lib/gridtypes/mod.ts";
import { UnchangedError, type WorkloadContext, type WorkloadManager } from "../interfaces.ts";
import type { StorageClient } from "../../node/storage-client.ts";

function sizeOf(wl: Workload): bigint {
  return (workloadData(wl) as { size: bigint }).size;
}

export function zmountManager(storage: StorageClient): WorkloadManager {
  return {
    async provision(ctx, wl) {
      await storage.diskCreate(ctx.twin, ctx.workloadId, sizeOf(wl));
      return { volume_id: ctx.workloadId };
    },
    async update(ctx: WorkloadContext, wl) {
      const have = await storage.diskInfo(ctx.twin, ctx.workloadId);
      const size = sizeOf(wl);
      if (!have) {
        await storage.diskCreate(ctx.twin, ctx.workloadId, size);
      } else if (size < BigInt(have.size)) {
        throw new UnchangedError("not safe to shrink a disk");
      } else {
        try {
          await storage.diskResize(ctx.twin, ctx.workloadId, size);
        } catch (e) {
          throw new UnchangedError((e as Error).message);
        }
      }
      return { volume_id: ctx.workloadId };
    },
    async deprovision(ctx) {
      await storage.diskDelete(ctx.twin, ctx.workloadId);
    },
  };
}

export function volumeManager(storage: StorageClient): WorkloadManager {
  return {
    async provision(ctx, wl) {
      await storage.volumeCreate(ctx.twin, "volume", ctx.workloadId, sizeOf(wl));
      return { id: ctx.workloadId };
    },
    async update(ctx, wl) {
      const have = await storage.volumeInfo(ctx.twin, ctx.workloadId);
      if (!have) {
        await storage.volumeCreate(ctx.twin, "volume", ctx.workloadId, sizeOf(wl));
      } else {
        try {
          await storage.volumeResize(ctx.twin, ctx.workloadId, sizeOf(wl));
        } catch (e) {
          throw new UnchangedError((e as Error).message);
        }
      }
      return { id: ctx.workloadId };
    },
    async deprovision(ctx) {
      await storage.volumeDelete(ctx.twin, ctx.workloadId);
    },
  };
}
