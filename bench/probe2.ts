import { readFileSync } from 'node:fs';
import { sendAll } from './clients/smtpLoad.js';
import { dotStuffed } from './clients/wire.js';
const [dir, port, n] = process.argv.slice(2);
const ca = readFileSync(`${dir}/pki/ca.crt`, 'utf8');
const body = 'x'.repeat(76) + '\r\n';
const jobs = Array.from({ length: Number(n) }, (_, i) => ({
  from: 'alice@kim.test',
  to: 'bob@kim.test',
  password: 'Bench-Passw0rd!',
  data: dotStuffed(
    Buffer.from(
      `From: alice@kim.test\r\nTo: bob@kim.test\r\nSubject: ${i}\r\nMessage-ID: <${i}@kim.test>\r\n\r\n${body.repeat(52)}`,
    ),
  ),
}));
await sendAll(Number(port), ca, jobs.slice(0, 20), 10);
const s = performance.now();
await sendAll(Number(port), ca, jobs.slice(20), 10);
console.log('msgs/s', ((jobs.length - 20) / ((performance.now() - s) / 1000)).toFixed(1));
