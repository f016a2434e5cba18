// Prints which node-llama-cpp binding loads here — `localBuild` (scripts/build-llama-addon.sh) or
// `prebuilt` (the portable npm binaries) — asking for it exactly as core/models/local/LocalModelPool.ts
// does. A file rather than `node -e`: node-llama-cpp tests a binding in a forked child, which
// inherits `-e` and would run the snippet again instead of the test.
import { LlamaLogLevel, getLlama } from 'node-llama-cpp';

const llama = await getLlama({ build: 'never', gpu: false, logLevel: LlamaLogLevel.error });
console.log(llama.buildType);
await llama.dispose();
