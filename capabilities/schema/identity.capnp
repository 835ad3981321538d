# The identity driver (capabilities/identity): holds the node's ed25519 seed (Zero-OS seed file format,
# mode 0400) and never lets it out. Others get the public identity and purpose-scoped Signers.
@0xb95b1b116c527528;

enum KeyType {
  ed25519 @0;
  sr25519 @1;
}

enum Purpose {
  chain @0;        # extrinsics
  rmb @1;          # RMB envelopes and relay JWTs
  deployment @2;   # deployment signatures the node makes itself
}

struct PublicIdentity {
  publicKey @0 :Data;   # 32 bytes
  address @1 :Text;     # SS58, prefix 42
  nodeId @2 :Text;      # base58 of the public key
  keyType @3 :KeyType;
}

# A purpose-scoped signer. It never signs raw bytes: each method takes the structured thing its purpose
# signs, checks it, and builds the signed bytes itself. A method of another purpose is refused.
interface Signer {
  publicKey @0 () -> (publicKey :Data, keyType :KeyType);
  # chain purpose: the SCALE ExtrinsicPayload exactly as polkadot-js signs it (call ++ extensions, not
  # hashed). Refused unless it decodes with TFChain's metadata and its call (and every call nested in a
  # utility batch) is in the grant's allow-list. Returns the raw 64-byte signature.
  signExtrinsic @1 (payload :Data) -> (signature :Data);
  # rmb purpose: the protobuf Envelope to sign (its signature field is ignored); the signer computes
  # the RMB challenge from the fields itself. Returns the 65-byte prefixed signature.
  signEnvelope @2 (envelope :Data) -> (signature :Data);
  # rmb purpose: a relay JWT for (twinId, sid, iat, exp); ttl at most one hour. Returns the token.
  signJwt @3 (twinId :UInt32, sid :Text, iat :UInt64, exp :UInt64) -> (token :Text);
  # rmb purpose: the node's e2e (secp256k1) secret, derived from the node key by a fixed rule.
  e2eSecret @4 () -> (secret :Data);
}

interface Verifier {
  verify @0 (payload :Data, signature :Data) -> (valid :Bool);
}

interface Identity {
  publicIdentity @0 () -> (identity :PublicIdentity);
  signer @1 (purpose :Purpose) -> (signer :Signer);
  verifier @2 () -> (verifier :Verifier);
}
