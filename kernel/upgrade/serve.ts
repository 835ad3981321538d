// The "upgrade" capability the kernel serves (capabilities/schema/upgrade.capnp): a thin Cap'n Proto face
// over the upgrade agent its host runs beside it, looked up at call time (the agent starts after the kernel).
import { Upgrade$Server } from "../../capabilities/schema/gen/upgrade.ts";

export interface UpgradeService {
  status(): unknown;
  check(): Promise<unknown>;
  approve(hash: string, twin: number): void;
}

export function upgradeServer(agent: () => UpgradeService | null): Upgrade$Server {
  const need = (): UpgradeService => {
    const a = agent();
    if (!a) throw new Error("failed: upgrade: this node runs without an upgrade agent (no hub channel configured)");
    return a;
  };
  return new Upgrade$Server({
    status: (_p, r) => {
      r.json = JSON.stringify(need().status());
      return Promise.resolve();
    },
    // Starts a check and answers at once with the status (upgrading: true while it runs): the caller — the
    // api module, over RMB — is itself among the processes an upgrade replaces, so it cannot wait for the end.
    check: (_p, r) => {
      const a = need();
      void a.check();
      r.json = JSON.stringify(a.status());
      return Promise.resolve();
    },
    approve: (p, r) => {
      need().approve(p.hash, p.twin);
      r.json = JSON.stringify(need().status());
      return Promise.resolve();
    },
  });
}
