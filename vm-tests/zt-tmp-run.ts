import { directBootWithDisk, startGrid } from "./scenarios.ts";
const grid = await startGrid({ log: (l) => console.error(`[${new Date().toISOString()}] ${l}`) });
try {
  const r = await directBootWithDisk({ outDir: "/work/main/rootfs/cache/zt-act-out", grid, bootTimeoutMs: 120_000, keepLogs: true });
  console.log(JSON.stringify({ ...r }, null, 1));
} finally { await grid.stop(); }
process.exit(0);
