import { generateSigningKeyPair } from './signing';

// A fresh pair for a dev setup: the sandbox signs with the first, the API verifies with the second.
const { privateKey, publicKey } = generateSigningKeyPair();
console.log(`SANDBOX_SIGNING_KEY=${privateKey}`);
console.log(`SENDGRID_WEBHOOK_PUBLIC_KEY=${publicKey}`);
