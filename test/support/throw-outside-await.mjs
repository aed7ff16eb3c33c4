// Preloaded before the CLI (test/exit-codes.test.ts): once the CLI has set up its error boundary, an error
// is thrown from a timer, outside any await, as a stream's 'error' event with no listener would be.
const waiting = setInterval(() => {
  if (process.listenerCount('uncaughtException') === 0) return;
  clearInterval(waiting);
  setTimeout(() => {
    throw new Error('thrown outside any await');
  }, 0);
}, 5);
