import { suite } from "uvu";
import * as assert from "uvu/assert";
import { asHex, asText, chainNodeFrom, chainTwinFrom } from "./chain-values.ts";

const s = suite("registrar chain values");

s("Option<Bytes>: printable text stays text, 0x-hex bytes decode to text, none is null", () => {
  assert.is(asText("Ghent"), "Ghent");
  assert.is(asText("0x47686576"), "Ghev");
  assert.is(asText(null), null);
  assert.is(asText(undefined), null);
});

s("twin pk: hex is normalised to lowercase, text bytes become hex, empty is null", () => {
  assert.is(asHex("0xABcd"), "0xabcd");
  assert.is(asHex("0x"), null);
  assert.is(asHex(""), null);
  assert.is(asHex("ab"), "0x6162");
});

s("a chain node converts with its nested strings decoded; a missing one is null", () => {
  const n = chainNodeFrom(7, {
    twinId: "3", farmId: 1, resources: { hru: "1", sru: 2, cru: 3, mru: "4" },
    location: { city: "0x4768656e74", country: "BE", latitude: "51.0", longitude: "3.7" },
    interfaces: [{ name: "zos", mac: "aa:bb", ips: ["10.0.2.15"] }],
    secureBoot: false, virtualized: true, serialNumber: null,
  });
  assert.equal(n, {
    id: 7, twinId: 3, farmId: 1, resources: { hru: 1, sru: 2, cru: 3, mru: 4 },
    location: { city: "Ghent", country: "BE", latitude: "51.0", longitude: "3.7" },
    interfaces: [{ name: "zos", mac: "aa:bb", ips: ["10.0.2.15"] }],
    secureBoot: false, virtualized: true, serialNumber: null,
  });
  assert.is(chainNodeFrom(7, null), null);
  assert.equal(chainTwinFrom(2, { relay: "relay.local", pk: "0xAB" }), { id: 2, relay: "relay.local", pk: "0xab" });
  assert.is(chainTwinFrom(2, null), null);
});

s.run();
