import { X509Certificate } from 'node:crypto';
import { expect, it } from 'vitest';
import { derInteger, nodeCryptoCertificate } from './self-signed-certificate.js';

it('encodes an INTEGER the one way DER allows', () => {
  const hex = (bytes: number[]) => derInteger(Buffer.from(bytes)).toString('hex');
  expect(hex([0x02])).toBe('020102');
  expect(hex([0x00])).toBe('020100');
  // A leading zero byte is dropped unless the next byte would make the number negative.
  expect(hex([0x00, 0x05])).toBe('020105');
  expect(hex([0x00, 0x00, 0x7f, 0x01])).toBe('02027f01');
  expect(hex([0x00, 0x80])).toBe('02020080');
  expect(hex([0x80])).toBe('02020080');
});

// A random serial starts with a zero byte once in 128 certificates, and half of those were
// encoded with a byte OpenSSL refuses ("illegal padding"): the HTTPS tests failed at random.
// These serials are the cases, made on purpose.
it.each([
  ['a zero first byte', [0x00, 0x11, 0x22, 0x33]],
  ['a zero first byte before a high bit', [0x00, 0x91, 0x22, 0x33]],
  ['two zero bytes', [0x00, 0x00, 0x22, 0x33]],
])('makes a valid certificate for 127.0.0.1 whose serial has %s', (_, serial) => {
  const { cert } = nodeCryptoCertificate(Buffer.from(serial));
  const parsed = new X509Certificate(cert);
  expect(parsed.checkIP('127.0.0.1')).toBe('127.0.0.1');
  expect(parsed.serialNumber.replace(/^0+/, '')).toBe(
    Buffer.from(serial).toString('hex').toUpperCase().replace(/^0+/, ''),
  );
});
