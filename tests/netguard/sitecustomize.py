"""Loaded by a subprocess whose PYTHONPATH includes this folder: it may only talk to loopback.

Any attempt to resolve or connect to another address fails, and is written to stderr as
NETWORK-ESCAPE so the test that started the subprocess can assert there was none.
"""

import ipaddress
import os
import socket

_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect


def _loopback(host):
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode()
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _escape(what):
    os.write(2, f"\nNETWORK-ESCAPE: {what}\n".encode())
    raise OSError(f"network escape blocked by the test guard: {what}")


def _getaddrinfo(host, *args, **kwargs):
    if not _loopback(host):
        _escape(f"resolve {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def _connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
        _escape(f"connect {address!r}")
    return _real_connect(self, address)


socket.getaddrinfo = _getaddrinfo
socket.socket.connect = _connect
