// ZdbBackend over the granted `zdb` capability (capabilities/schema/zdb.capnp), re-acquired through the
// Session when the driver restarts.
import type { UseCap } from "../../node/caps.ts";
import { type NamespaceInfo, Zdb$Client } from "../../../capabilities/schema/gen/zdb.ts";
import type { ZdbBackend, ZdbNamespaceInfo } from "./manager.ts";

const plain = (i: NamespaceInfo): ZdbNamespaceInfo => ({
  name: i.name,
  mode: i.mode,
  public: i.public,
  passwordSet: i.passwordSet,
  maxSize: i.maxSize,
  dataSize: i.dataSize,
  entries: i.entries,
  locked: i.locked,
  pool: i.pool,
  diskFree: i.diskFree,
});

export function zdbBackend(use: UseCap): ZdbBackend {
  return {
    ensure: (s) =>
      use(async (c) => {
        const r = await new Zdb$Client(c).ensure((p) => {
          const spec = p._initSpec();
          spec.name = s.name;
          spec.mode = s.mode;
          spec.password = s.password;
          spec.public = s.public;
          spec.maxSize = s.maxSize;
          spec.pool = s.pool;
        }).promise();
        return { info: plain(r.info), created: r.created };
      }),
    resize: (name, maxSize) =>
      use(async (c) => plain((await new Zdb$Client(c).resize((p) => {
        p.name = name;
        p.maxSize = maxSize;
      }).promise()).info)),
    delete: (name) => use(async (c) => (await new Zdb$Client(c).delete((p) => (p.name = name)).promise()).existed),
    info: (name) =>
      use(async (c) => {
        const r = await new Zdb$Client(c).info((p) => (p.name = name)).promise();
        return r.found ? plain(r.info) : null;
      }),
    setLock: (name, locked) =>
      use(async (c) => {
        await new Zdb$Client(c).setLock((p) => {
          p.name = name;
          p.locked = locked;
        }).promise();
      }),
    endpoint: () =>
      use(async (c) => {
        const e = (await new Zdb$Client(c).endpoint().promise()).endpoint;
        return { host: e.host, port: e.port, socket: e.socket };
      }),
  };
}
