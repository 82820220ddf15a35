/**
 * `npm run vmmi -- ARGS`: the `vmmi` command from its TypeScript sources through tsx, without a build
 * (bin/vmmi.js runs the compiled dist/).
 */
import { main } from '../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
