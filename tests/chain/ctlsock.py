"""The chain test's raw talk with an image's control socket (nfbox run
--name): send a request that ends in "end NONCE" and read what comes back up
to the image's "end NONCE" line.  Imported by run.sh's inline scripts."""
import socket
import time


def ask(path, request, nonce, timeout):
    """Send request (text) to the socket at path; return the bytes read
    until the line "end NONCE" (or the socket closed, or timeout s)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(request.encode())
    marker = ("\nend %s\n" % nonce).encode()
    buf, t = b"", time.time() + timeout
    while marker not in b"\n" + buf and time.time() < t:
        s.settimeout(max(0.01, t - time.time()))
        try:
            d = s.recv(4096)
        except socket.timeout:
            continue
        if not d:
            break
        buf += d
    return buf
