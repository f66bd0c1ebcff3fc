import { main } from './index.js';

// The `kios` executable: bin/kios.js runs the compiled copy, `npm run dev` and the bench the source.
main(process.argv).catch((err: unknown) => {
  process.stderr.write(`kios: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
