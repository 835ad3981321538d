// Transparent huge pages only where a program asks for them (madvise), unless the kernel command line chose.
// Debian's kernel, the image's, defaults to "always": then a process touching a few KiB of a large anonymous
// mapping (V8's heap, thread stacks, malloc arenas) may get a whole 2 MiB page. Measured on the image at idle,
// same run: Σ PSS of the node's processes 290.5 → 280.1 MiB with madvise (docs/PERFORMANCE.md, idle-rss-image);
// Debian and Ubuntu hosts run madvise too (this machine does), so the node's processes see what they see there.
import { readFileSync, writeFileSync } from "node:fs";

export const THP_ENABLED = "/sys/kernel/mm/transparent_hugepage/enabled";

/** Sets THP to madvise unless `cmdline` names transparent_hugepage=; returns what it did, for the boot trace. */
export function limitHugePages(cmdline: string, path = THP_ENABLED): string {
  const chosen = /(?:^|\s)transparent_hugepage=(\S*)/.exec(cmdline);
  if (chosen) return `transparent huge pages: ${chosen[1]} (kernel command line)`;
  try {
    writeFileSync(path, "madvise");
    // the file lists every mode with the active one in brackets: "always [madvise] never"
    const now = /\[(\w+)\]/.exec(readFileSync(path, "utf8"))?.[1] ?? "?";
    return `transparent huge pages: ${now}`;
  } catch (err) {
    // a kernel without THP has no such file: nothing to limit
    return `transparent huge pages: left as they are (${(err as Error).message})`;
  }
}
