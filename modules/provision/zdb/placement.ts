// Where a zdb namespace's bytes live. Zero-OS puts 0-db only on HDD pools (SSD only when the farmer has no
// HDD). On a node, each zdb workload gets a volume of its size from the storage module (kind "zdb": on an HDD
// pool, handed to the 0-db server's uid), and the namespace's files go there: the volume's quota bounds
// them, NSINFO reports its free space, and deleting the workload deletes the volume. Without storage (unit
// tests, `serve.ts`), namespaces live in the server's own folder (`hostPlacement`).
import type { StorageClient } from "../../node/storage-client.ts";

export interface ZdbPlacement {
  /**
   * Reserves room for `size` bytes for namespace `workloadId` of twin `owner` (idempotent; also called on
   * growth). Returns the pool holding it ("" = the server's own folder).
   */
  place(owner: number, workloadId: string, size: bigint): Promise<string>;
  /** Frees what place() reserved. */
  free(owner: number, workloadId: string): Promise<void>;
}

export const hostPlacement: ZdbPlacement = {
  place: () => Promise.resolve(""),
  free: () => Promise.resolve(),
};

type VolumeApi = Pick<StorageClient, "volumeCreate" | "volumeResize" | "volumeInfo" | "volumeDelete">;

export function storagePlacement(storage: VolumeApi): ZdbPlacement {
  return {
    async place(owner, id, size) {
      const have = await storage.volumeInfo(owner, id);
      if (!have) return (await storage.volumeCreate(owner, "zdb", id, size)).pool;
      // growth goes through resize: it checks the pool has the room (a replay at the same size is a no-op)
      if (BigInt(have.size) < size) await storage.volumeResize(owner, id, size);
      return have.pool;
    },
    free: (owner, id) => storage.volumeDelete(owner, id),
  };
}
