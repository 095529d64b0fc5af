import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** A certificate for 127.0.0.1 and its private key, both PEM. */
export interface Certificate {
  cert: string;
  key: string;
}

const run = promisify(execFile);

/** True when an `openssl` command can be run. */
async function hasOpenssl(): Promise<boolean> {
  try {
    await run('openssl', ['version'], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** A self-signed certificate for IP 127.0.0.1, valid for a day, made by `openssl req -x509`. */
export async function opensslCertificate(): Promise<Certificate> {
  const dir = await mkdtemp(join(tmpdir(), 'cohorly-tls-'));
  try {
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    await run(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { timeout: 30_000 },
    );
    return { cert: await readFile(cert, 'utf8'), key: await readFile(key, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// A minimal DER encoder: just what an X.509 v3 certificate needs.
function der(tag: number, content: Buffer): Buffer {
  const length =
    content.length < 0x80
      ? Buffer.from([content.length])
      : (() => {
          const bytes: number[] = [];
          for (let n = content.length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
          return Buffer.from([0x80 | bytes.length, ...bytes]);
        })();
  return Buffer.concat([Buffer.from([tag]), length, content]);
}
const sequence = (...parts: Buffer[]) => der(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => der(0x31, Buffer.concat(parts));
/**
 * A non-negative INTEGER from its big-endian bytes, in DER's one encoding: no leading zero
 * byte unless the next byte has its high bit set (then one is needed, or the number would
 * read as negative). OpenSSL rejects any other encoding ("illegal padding").
 */
export function derInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && !(bytes[start + 1]! & 0x80)) {
    start += 1;
  }
  const minimal = bytes.subarray(start);
  return der(0x02, minimal[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), minimal]) : minimal);
}
const utf8String = (text: string) => der(0x0c, Buffer.from(text, 'utf8'));
const octetString = (bytes: Buffer) => der(0x04, bytes);
const bitString = (bytes: Buffer) => der(0x03, Buffer.concat([Buffer.from([0]), bytes]));
const explicit = (tag: number, content: Buffer) => der(0xa0 + tag, content);
const utcTime = (date: Date) =>
  der(0x17, Buffer.from(`${date.toISOString().slice(2, 19).replace(/[-T:]/g, '')}Z`, 'ascii'));
function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const bytes = [first! * 40 + second!];
  for (const value of rest) {
    const chunk = [value & 0x7f];
    for (let n = value >> 7; n > 0; n >>= 7) chunk.unshift(0x80 | (n & 0x7f));
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

/**
 * The same certificate made with `node:crypto` alone, for machines without openssl: an
 * ECDSA P-256 key, and an X.509 v3 certificate for IP 127.0.0.1 (subjectAltName) that is its
 * own CA (basicConstraints), encoded in DER and signed with the key. The serial number is
 * random (16 bytes, made positive) unless given.
 */
export function nodeCryptoCertificate(serial: Buffer = randomSerial()): Certificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const name = sequence(set(sequence(oid('2.5.4.3'), utf8String('127.0.0.1'))));
  const now = Date.now();
  const extensions = sequence(
    sequence(oid('2.5.29.19'), octetString(sequence(der(0x01, Buffer.from([0xff]))))),
    sequence(oid('2.5.29.17'), octetString(sequence(der(0x87, Buffer.from([127, 0, 0, 1]))))),
  );
  const tbs = sequence(
    explicit(0, derInteger(Buffer.from([2]))),
    derInteger(serial),
    sequence(oid(ECDSA_WITH_SHA256)),
    name,
    sequence(utcTime(new Date(now - 60_000)), utcTime(new Date(now + 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, extensions),
  );
  const signature = sign('sha256', tbs, privateKey);
  const certificate = sequence(tbs, sequence(oid(ECDSA_WITH_SHA256)), bitString(signature));
  const base64 = certificate.toString('base64').replace(/(.{64})/g, '$1\n');
  const cert = `-----BEGIN CERTIFICATE-----\n${base64.trim()}\n-----END CERTIFICATE-----\n`;
  // Fails here, not in a TLS handshake, if the encoding is wrong.
  if (!new X509Certificate(cert).checkIP('127.0.0.1')) throw new Error('bad certificate');
  return { cert, key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** 16 random bytes with the high bit clear, so that the serial number is positive. */
function randomSerial(): Buffer {
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  return serial;
}

/**
 * The ways a certificate can be made here, by name, for `describe.each`: `openssl req -x509`
 * first when the command exists, and always `node:crypto`.
 */
export async function certificateSources(): Promise<
  Array<[string, () => Promise<Certificate> | Certificate]>
> {
  const sources: Array<[string, () => Promise<Certificate> | Certificate]> = [
    ['node:crypto', () => nodeCryptoCertificate()],
  ];
  if (await hasOpenssl()) sources.unshift(['openssl req -x509', opensslCertificate]);
  return sources;
}
