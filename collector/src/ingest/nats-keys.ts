// NATS user nkeys for `eastwest nats-auth`: a new key pair, and the public key of a seed. The seed (a user's
// secret, "SU...") stays with the client; the server's configuration holds only the public key ("U...").
import { nkeys } from "@nats-io/transport-node";

export interface UserNkey {
  seed: string;
  publicKey: string;
}

export function newUserNkey(): UserNkey {
  const kp = nkeys.createUser();
  return { seed: new TextDecoder().decode(kp.getSeed()), publicKey: kp.getPublicKey() };
}

/** The public key of a user seed; throws on anything that is not a valid user seed. */
export function publicKeyOfSeed(seed: string): string {
  const kp = nkeys.fromSeed(new TextEncoder().encode(seed.trim()));
  const publicKey = kp.getPublicKey();
  if (!publicKey.startsWith("U")) throw new Error("not a user seed (expected SU...)");
  return publicKey;
}
