// Test helper of uplink.test.ts, run inside a namespace of the test's (`ip netns exec`): `dhcp` serves the
// LAN side (the farm's DHCP server, a pool only) until stdin closes; `uplink <pinDir> <nicMac>` runs PID 1's
// uplink step against the `zos` bridge of the namespace it runs in and prints its result as JSON.
import process from "node:process";

const [mode, a, b] = process.argv.slice(2);
if (mode === "dhcp") {
  const { startDhcpServer } = await import("../../vm-tests/lib/dhcp-server.ts");
  const s = await startDhcpServer({ serverIp: "10.98.0.1", netmask: "255.255.255.0", leases: [], pool: { subnet: "10.98.0", from: 100, to: 120 } });
  console.log("serving");
  process.stdin.on("data", () => {});
  process.stdin.on("end", async () => {
    console.log(JSON.stringify(s.leased()));
    await s.close();
    process.exit(0);
  });
} else if (mode === "uplink") {
  const { denoSys } = await import("./libc.ts");
  const { setupUplink } = await import("./uplink.ts");
  const { execFileSync } = await import("node:child_process");
  const r = await setupUplink(denoSys(), { pinDir: a, uapiDir: `${a}-wg`, nicMac: b, dhcpTries: 3 });
  // what the namespaces hold now (their pins are mounts of this process's private mount namespace)
  const inNs = (ns: string, argv: string[]) => execFileSync("nsenter", [`--net=${a}/${ns}`, "--", ...argv], { encoding: "utf8" });
  const seen = {
    root: execFileSync("ip", ["-o", "link"], { encoding: "utf8" }),
    host: inNs("host", ["ip", "-o", "link"]),
    public: inNs("public", ["ip", "-o", "-4", "addr"]) + inNs("public", ["ip", "-o", "link"]),
    publicRoutes: inNs("public", ["ip", "route"]),
    ndmz: inNs("ndmz", ["ip", "-o", "-4", "addr"]) + inNs("ndmz", ["ip", "route"]),
  };
  console.log(JSON.stringify({ r, seen }));
  process.exit(0);
} else {
  console.error("usage: uplink.test-helper.ts dhcp | uplink <pinDir> <nicMac>");
  process.exit(2);
}
