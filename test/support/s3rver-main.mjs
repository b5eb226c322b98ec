// Runs s3rver (a real S3-compatible server, files on disk) for the tests, in its own process: s3rver encrypts
// ListObjectsV2 continuation tokens with DES, which OpenSSL 3 offers only with --openssl-legacy-provider, a flag
// the test workers do not have. Prints {"port": n} once listening; exits when its parent closes stdin.
// Arguments: <directory> <port, 0 for any free one> <bucket>...
import S3rver from 's3rver';

const [directory, port0, ...buckets] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(port0),
  silent: true,
  directory,
  configureBuckets: buckets.map((name) => ({ name })),
});
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
