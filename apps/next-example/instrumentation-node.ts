/** Node.js-only startup: kept out of the edge bundle, which has no `process.on`. */
export function registerNode() {
  // Analytics must never cause one; if anything does, it shows up in the logs.
  process.on('unhandledRejection', (reason) => {
    console.error('unhandledRejection', reason);
  });
  // `next start` binds 127.0.0.1 (see package.json) and has already listened, with PORT set
  // to the port it got (PORT=0 picks a free one).
  console.log(`listening on http://127.0.0.1:${process.env.PORT}`);
}
