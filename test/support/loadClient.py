#!/usr/bin/env python3
"""
Submission load for crash tests: THREADS threads, each opening SMTP_SSL connections to the
Fachdienst, logging in as a random account and sending a few messages per connection to random
local accounts. Every message carries a unique `X-Test-Id: <uuid>` header and ends with the line
`END-OF-MESSAGE <uuid>`; some are ~1 MB.

A line `ACK <uuid> <recipient> <sender>` is printed (and flushed) ONLY after sendmail returned
without an error, i.e. after the server's 250 to the end of DATA. Connection errors (the server
was killed, is restarting) are counted and the thread reconnects after a short pause; a message
whose send failed is never ACKed (and never retried under the same id).

The load runs until standard input is closed (or says STOP); then every thread finishes its
current message and the script prints `DONE acked=N failed=M` and exits 0.

Environment: HOST (default 127.0.0.1), PORT, CAFILE, ACCOUNTS (comma separated), PASSWORD,
THREADS (default 8), LARGE_EVERY (default 10: every n-th message is ~1 MB), SEED (optional).
"""
import os
import random
import smtplib
import socket
import ssl
import sys
import threading
import time
import uuid

HOST = os.environ.get('HOST', '127.0.0.1')
PORT = int(os.environ['PORT'])
CAFILE = os.environ['CAFILE']
ACCOUNTS = [a for a in os.environ['ACCOUNTS'].split(',') if a]
PASSWORD = os.environ['PASSWORD']
THREADS = int(os.environ.get('THREADS', '8'))
LARGE_EVERY = int(os.environ.get('LARGE_EVERY', '10'))
LARGE_SIZE = 1024 * 1024

stop = threading.Event()
out_lock = threading.Lock()
counts = {'acked': 0, 'failed': 0, 'connects': 0}


def emit(line):
    with out_lock:
        sys.stdout.write(line + '\n')
        sys.stdout.flush()


def watch_stdin():
    for line in sys.stdin:
        if line.strip() == 'STOP':
            break
    stop.set()


def build(sender, recipient, test_id, large):
    lines = [
        f'From: <{sender}>',
        f'To: <{recipient}>',
        f'Subject: load {test_id}',
        f'Message-ID: <{test_id}@load.test>',
        f'Date: {time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())}',
        f'X-Test-Id: {test_id}',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=us-ascii',
        '',
        f'Test message {test_id}.',
        '.a line that starts with a dot (dot-stuffed on the wire)',
    ]
    if large:
        row = ('0123456789abcdefghijklmnopqrstuvwxyz' * 3)[:76]
        lines.extend(f'{i:08d} {row}' for i in range(LARGE_SIZE // 86))
    lines.append(f'END-OF-MESSAGE {test_id}')
    return ('\r\n'.join(lines) + '\r\n').encode('ascii')


def worker(index, rng):
    ctx = ssl.create_default_context(cafile=CAFILE)
    sent = 0
    while not stop.is_set():
        sender = rng.choice(ACCOUNTS)
        smtp = None
        try:
            smtp = smtplib.SMTP_SSL(HOST, PORT, context=ctx, timeout=20)
            with out_lock:
                counts['connects'] += 1
            smtp.login(sender, PASSWORD)
            for _ in range(rng.randint(1, 4)):
                if stop.is_set():
                    break
                recipient = rng.choice(ACCOUNTS)
                test_id = str(uuid.uuid4())
                sent += 1
                message = build(sender, recipient, test_id, sent % LARGE_EVERY == index % LARGE_EVERY)
                try:
                    refused = smtp.sendmail(sender, [recipient], message)
                except Exception:
                    with out_lock:
                        counts['failed'] += 1
                    raise
                if refused:
                    with out_lock:
                        counts['failed'] += 1
                    continue
                # sendmail returned: the server answered 250 to the end of DATA.
                with out_lock:
                    counts['acked'] += 1
                emit(f'ACK {test_id} {recipient} {sender}')
            try:
                smtp.quit()
            except Exception:
                pass
        except (OSError, smtplib.SMTPException, ssl.SSLError):
            # The server is down or restarting: try again shortly.
            if smtp is not None:
                try:
                    smtp.close()
                except Exception:
                    pass
            time.sleep(0.05 + rng.random() * 0.2)


def main():
    seed = os.environ.get('SEED')
    master = random.Random(seed)
    threading.Thread(target=watch_stdin, daemon=True).start()
    threads = [
        threading.Thread(target=worker, args=(i, random.Random(master.random())), daemon=True)
        for i in range(THREADS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    emit(f'DONE acked={counts["acked"]} failed={counts["failed"]} connects={counts["connects"]}')


if __name__ == '__main__':
    socket.setdefaulttimeout(20)
    main()
