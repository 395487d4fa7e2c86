#!/usr/bin/env python3
"""RSS of `leads-mcp --sandbox http` while Streamable HTTP sessions open and end.

Opens N sessions (initialize POSTs to /mcp), DELETEs them, waits, opens N again,
printing VmRSS (KiB) at each step. Loopback only, bounded: N <= 2000.
Usage: bench/sessions_memory.py [BINARY] [N]   (default target/release/leads-mcp, 1000)
"""
import http.client, json, os, signal, subprocess, sys, time

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/release/leads-mcp"
N = min(int(sys.argv[2]) if len(sys.argv) > 2 else 1000, 2000)
PORT = 18790
INIT = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}})
HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}


def request(method, headers, body=None):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    c.request(method, "/mcp", body, headers)
    r = c.getresponse()
    r.read()
    c.close()
    return r


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS"))


def open_sessions():
    return [request("POST", HEADERS, INIT).getheader("mcp-session-id") for _ in range(N)]


env = dict(os.environ, LEADS_MCP_MAX_SESSIONS=str(N), RUST_LOG="warn")
p = subprocess.Popen([BIN, "--sandbox", "http", "--listen", f"127.0.0.1:{PORT}"], env=env)
try:
    time.sleep(1.5)
    print("start        ", rss(p.pid), "KiB")
    ids = open_sessions()
    print(f"{N} open     ", rss(p.pid), "KiB")
    statuses = {request("DELETE", {"mcp-session-id": sid}).status for sid in ids}
    time.sleep(3)
    print(f"{N} deleted  ", rss(p.pid), "KiB", "(DELETE answered", sorted(statuses), ")")
    open_sessions()
    print(f"{N} open again", rss(p.pid), "KiB")
finally:
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=20)
