#!/usr/bin/env python3
"""
Empties mailboxes with poplib the way a KIM client does: LIST, RETR every message, then DELE
every message and QUIT. Then logs in again to check the maildrop is empty.

Every message is checked against what test/support/loadClient.py generates: it has exactly one
`X-Test-Id`, its body is exactly the generated body (so nothing is partial or corrupted) and
ends with `END-OF-MESSAGE <id>`, and its size equals the size LIST announced (and the octets
the RETR response carried). Only a summary per message is printed, as one JSON document:
{"mailboxes": {address: {"messages": [...], "after": count-after-quit}}}.

Environment: HOST (default 127.0.0.1), PORT, CAFILE, ACCOUNTS (comma separated), PASSWORD.
"""
import json
import os
import poplib
import ssl

HOST = os.environ.get('HOST', '127.0.0.1')
PORT = int(os.environ['PORT'])
CAFILE = os.environ['CAFILE']
ACCOUNTS = [a for a in os.environ['ACCOUNTS'].split(',') if a]
PASSWORD = os.environ['PASSWORD']
LARGE_SIZE = 1024 * 1024
ROW = ('0123456789abcdefghijklmnopqrstuvwxyz' * 3)[:76]

poplib._MAXLINE = 1 << 20


def expected_body(test_id, large):
    lines = [f'Test message {test_id}.', '.a line that starts with a dot (dot-stuffed on the wire)']
    if large:
        lines.extend(f'{i:08d} {ROW}' for i in range(LARGE_SIZE // 86))
    lines.append(f'END-OF-MESSAGE {test_id}')
    return lines


def check(address, number, list_size, resp, lines, octets):
    try:
        blank = lines.index(b'')
    except ValueError:
        blank = len(lines)
    header = [l.decode('latin-1') for l in lines[:blank]]
    body = [l.decode('latin-1') for l in lines[blank + 1:]]
    ids = [h.split(':', 1)[1].strip() for h in header if h.lower().startswith('x-test-id:')]
    tos = [h.split(':', 1)[1].strip() for h in header if h.lower().startswith('to:')]
    test_id = ids[0] if len(ids) == 1 else None
    problems = []
    if test_id is None:
        problems.append(f'{len(ids)} X-Test-Id headers')
    if tos != [f'<{address}>']:
        problems.append(f'To is {tos}')
    if test_id is not None:
        if body != expected_body(test_id, False) and body != expected_body(test_id, True):
            problems.append(
                f'body differs ({len(body)} lines, last {body[-1] if body else None!r})'
            )
        if not body or body[-1] != f'END-OF-MESSAGE {test_id}':
            problems.append('no trailer line')
    size = len(b'\r\n'.join(lines) + b'\r\n')
    if size != list_size:
        problems.append(f'size {size} but LIST said {list_size}')
    if octets != list_size:
        problems.append(f'poplib counted {octets} octets but LIST said {list_size}')
    if resp.decode('latin-1') != f'+OK {list_size} octets':
        problems.append(f'RETR answered {resp!r}')
    if not header or not header[0].startswith('Return-Path: '):
        problems.append('no Return-Path first')
    return {'number': number, 'id': test_id, 'size': list_size, 'problems': problems}


def main():
    ctx = ssl.create_default_context(cafile=CAFILE)
    result = {}
    for address in ACCOUNTS:
        p = poplib.POP3_SSL(HOST, PORT, context=ctx, timeout=60)
        p.user(address)
        p.pass_(PASSWORD)
        _, listing, _ = p.list()
        sizes = [tuple(int(x) for x in entry.split()) for entry in listing]
        messages = []
        for number, list_size in sizes:
            resp, lines, octets = p.retr(number)
            messages.append(check(address, number, list_size, resp, lines, octets))
        for number, _ in sizes:
            p.dele(number)
        p.quit()
        again = poplib.POP3_SSL(HOST, PORT, context=ctx, timeout=60)
        again.user(address)
        again.pass_(PASSWORD)
        after = again.stat()[0]
        again.quit()
        result[address] = {'messages': messages, 'after': after}
    print(json.dumps({'mailboxes': result}))


if __name__ == '__main__':
    main()
