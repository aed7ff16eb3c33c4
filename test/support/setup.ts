// Progress lines on stderr are for people running the CLI, not for test output.
import { setLogging } from '../../src/log.js';

setLogging({ quiet: true });
