// Where a zdb namespace's bytes live: the seam the storage work fills. Zero-OS puts zdb only on HDD pools
// (one `zdb` subvolume per pool, SSD only when the farmer has no HDD). Until the storage module offers
// pools here, every namespace lives in the 0-db server's own data folder under the driver's state dir and
// the node's HRU capacity (checked by the engine before a workload runs) is the only bound.
export interface ZdbPlacement {
  /** Reserves room for `size` bytes for namespace `workloadId` (idempotent; also called on growth). */
  place(workloadId: string, size: bigint): Promise<void>;
  /** Frees what place() reserved. */
  free(workloadId: string): Promise<void>;
}

export const hostPlacement: ZdbPlacement = {
  place: () => Promise.resolve(),
  free: () => Promise.resolve(),
};
