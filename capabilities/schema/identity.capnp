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

interface Signer {
  publicKey @0 () -> (publicKey :Data, keyType :KeyType);
  # raw 64-byte signature over `payload` (callers hash first where their protocol says so)
  sign @1 (payload :Data) -> (signature :Data);
}

interface Verifier {
  verify @0 (payload :Data, signature :Data) -> (valid :Bool);
}

interface Identity {
  publicIdentity @0 () -> (identity :PublicIdentity);
  signer @1 (purpose :Purpose) -> (signer :Signer);
  verifier @2 () -> (verifier :Verifier);
}
