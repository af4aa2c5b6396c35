"""sso-doctor imports and runs with Windows' standard library: no POSIX-only module or function (#14).

Nothing here can run Windows, so a subprocess takes away what Windows' Python does not have before any
sso_doctor module is imported: the modules `fcntl`, `pwd`, `grp`, `resource`, `termios`, `pty`, `tty`,
`posix` (blocked in sys.modules), every `os` function Windows lacks (`getuid`, `killpg`, `setsid`,
`fchown`, `WNOHANG`...) and every signal Windows lacks (`SIGHUP`, `SIGKILL`, `SIGQUIT`, `SIGALRM`...).
The `os` and `signal` that sso_doctor (and anything it imports lazily) gets are copies without them.
The standard library and third-party modules a normal run loads are imported first, with the real
modules: on Windows they take their own Windows branches, which a Linux interpreter cannot.

Then every sso_doctor and rules module is imported, and `check --offline` (text and JSON, over a config
and a token cache), `explain` (a rule id and a pasted error), `rules`, `sessions` and `run` (the signal
forwarding of wrap.py) run in that process: none may crash or end in sso-doctor's "internal error".

Runtime: 2 interpreters, ~3 s.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="emulates Windows' missing POSIX APIs on a POSIX host; on Windows the suite runs "
                                    "against the real thing")

ROOT = Path(__file__).resolve().parent.parent

# What CPython on Windows does not have (checked against the Windows documentation of os and signal:
# "Availability: Unix").
BLOCKED_MODULES = ("fcntl", "pwd", "grp", "resource", "termios", "pty", "tty", "posix", "syslog", "crypt",
                   "spwd", "nis", "readline", "_posixshmem", "posix_ipc")
POSIX_OS = ("getuid", "geteuid", "getgid", "getegid", "getgroups", "setuid", "setgid", "getpgid", "getpgrp",
            "setpgrp", "setpgid", "setsid", "getsid", "killpg", "fork", "forkpty", "openpty", "wait3", "wait4",
            "WNOHANG", "WUNTRACED", "fchown", "chown", "lchown", "mkfifo", "mknod", "nice", "ttyname", "uname",
            "getloadavg", "sync", "sysconf", "statvfs", "fstatvfs", "pipe2", "sched_getaffinity",
            "sched_setaffinity", "sched_yield", "getresuid", "getresgid", "O_NOFOLLOW", "O_CLOEXEC", "O_NONBLOCK",
            "posix_spawn", "posix_spawnp", "register_at_fork", "getpriority", "setpriority")
WINDOWS_SIGNALS = {"SIGABRT", "SIGFPE", "SIGILL", "SIGINT", "SIGSEGV", "SIGTERM", "SIGBREAK", "SIG_DFL", "SIG_IGN",
                   "CTRL_C_EVENT", "CTRL_BREAK_EVENT", "NSIG"}
POSIX_SIGNAL_FUNCS = ("alarm", "pause", "setitimer", "getitimer", "siginterrupt", "pthread_kill", "pthread_sigmask",
                      "sigpending", "sigwait", "sigwaitinfo", "sigtimedwait", "pidfd_send_signal")

# One run of the same commands with the real modules: the modules it loads from outside sso_doctor are
# the ones the emulation may pre-load (they are portable and choose their branch at import).
COMMANDS = """\
import sys, io, contextlib, json
from sso_doctor.cli import main

def invoke(*args):
    out, err = io.StringIO(), io.StringIO()
    sys.argv = ['sso-doctor', *args]
    code = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
        except SystemExit as e:
            code = e.code
    return {'args': list(args), 'code': code, 'out': out.getvalue(), 'err': err.getvalue()}

RESULTS = [
    invoke('check', '--offline'),
    invoke('check', '--offline', '--all-profiles', '--format', 'json'),
    invoke('explain', 'SSO101'),
    invoke('explain', 'Error when retrieving token from sso: Token has expired and refresh failed'),
    invoke('rules'),
    invoke('sessions'),
    invoke('run', '--', sys.executable, '-c', 'import sys; sys.exit(3)'),
]
"""

PLAIN = COMMANDS + """
print(json.dumps({'results': RESULTS, 'modules': sorted(sys.modules)}))
"""

EMULATED = """\
import sys, types, importlib
PRELOAD, BLOCKED, POSIX_OS, WINDOWS_SIGNALS, POSIX_SIGNAL_FUNCS = ARGS
for name in PRELOAD:
    try:
        importlib.import_module(name)
    except Exception:
        pass
import os, signal
for name in BLOCKED:
    sys.modules[name] = None  # `import fcntl` raises ImportError, as on Windows

win_os = types.ModuleType('os')
win_os.__dict__.update(os.__dict__)
for name in POSIX_OS:
    win_os.__dict__.pop(name, None)
sys.modules['os'] = win_os

win_signal = types.ModuleType('signal')
win_signal.__dict__.update(signal.__dict__)
for name in list(win_signal.__dict__):
    if (name.startswith('SIG') and name not in WINDOWS_SIGNALS) or name in POSIX_SIGNAL_FUNCS:
        del win_signal.__dict__[name]
sys.modules['signal'] = win_signal

# every module of the product, with the Windows-like standard library
import pkgutil, sso_doctor, rules
imported = []
for pkg in (sso_doctor, rules):
    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):
        if info.name.endswith('__main__'):
            continue
        mod = importlib.import_module(info.name)
        imported.append(info.name)
        assert mod.__dict__.get('os', win_os) is win_os, info.name + ' got the real os'
""" + COMMANDS + """
import ast
import json
print(json.dumps({'results': RESULTS, 'imported': imported}))
"""


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / ".aws" / "sso" / "cache").mkdir(parents=True)
    (home / ".aws" / "config").write_text(textwrap.dedent("""\
        [default]
        sso_session = corp
        sso_account_id = 111122223333
        sso_role_name = Dev
        region = eu-west-1

        [sso-session corp]
        sso_start_url = https://corp.awsapps.com/start
        sso_region = eu-west-1
        sso_registration_scopes = sso:account:access
        """))
    # the token cache of that session (sha1 of "corp"), expired: the cache loader's owner/mode code runs
    (home / ".aws" / "sso" / "cache" / "ee0bfd2552fbd840c02cc48b6e823320543c450f.json").write_text(json.dumps({
        "startUrl": "https://corp.awsapps.com/start", "region": "eu-west-1", "accessToken": "x" * 40,
        "expiresAt": "2020-01-01T00:00:00Z"}))
    return home


def _run(code: str, tmp_path: Path, home: Path) -> dict:
    env = {"HOME": str(home), "USERPROFILE": str(home), "PATH": str(tmp_path / "empty-bin"), "LANG": "C.UTF-8",
           "PYTHONPATH": str(ROOT)}
    (tmp_path / "empty-bin").mkdir(exist_ok=True)
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                          cwd=str(home), check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_every_module_and_command_runs_without_posix_only_apis(tmp_path):
    home = _home(tmp_path)
    plain = _run(PLAIN, tmp_path, home)
    preload = [m for m in plain["modules"]
               if m.split(".")[0] not in ("sso_doctor", "rules", "__main__") and m not in BLOCKED_MODULES
               and m not in ("os", "signal")]
    emulated = _run(EMULATED.replace("ARGS", repr((preload, BLOCKED_MODULES, POSIX_OS, sorted(WINDOWS_SIGNALS), POSIX_SIGNAL_FUNCS)), 1),
                    tmp_path, home)

    assert {"sso_doctor.cli", "sso_doctor.wrap", "sso_doctor.loaders.token_cache", "sso_doctor.loaders.cli_version",
            "sso_doctor.loaders.consumers", "rules.tokens"} <= set(emulated["imported"])
    for want, got in zip(plain["results"], emulated["results"]):
        label = " ".join(got["args"][:2])
        assert "internal error" not in got["err"] and "Traceback" not in got["err"] + got["out"], (label, got["err"])
        assert got["code"] in (None, 0, 1, 2, 3), (label, got["code"], got["err"])
        # the same verdicts as with the real modules: no check silently lost to a missing API
        assert got["code"] == want["code"], (label, want, got)
    check_json = json.loads(emulated["results"][1]["out"])
    assert any(f["rule_id"].startswith("SSO2") for f in check_json["findings"]), check_json["findings"]
    assert emulated["results"][6]["code"] == 3  # `run` returned the wrapped command's own exit code


# --- the branches a run on this host does not take: every POSIX-only use sits behind a platform test ---

GUARD_WORDS = ("os.name", "sys.platform", "platform", "hasattr", "posix", "win32", "getattr")


def _posix_only_uses(tree: ast.AST) -> list[tuple[ast.AST, str]]:
    uses = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "os" and node.attr in POSIX_OS:
                uses.append((node, f"os.{node.attr}"))
            elif node.value.id == "signal" and ((node.attr.startswith("SIG") and node.attr not in WINDOWS_SIGNALS)
                                                or node.attr in POSIX_SIGNAL_FUNCS):
                uses.append((node, f"signal.{node.attr}"))
        elif isinstance(node, ast.Import):
            uses += [(node, f"import {a.name}") for a in node.names if a.name.split(".")[0] in BLOCKED_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in BLOCKED_MODULES:
            uses.append((node, f"from {node.module} import"))
    return uses


def _guarded(node: ast.AST, parents: dict[ast.AST, ast.AST], source: str) -> bool:
    child, parent = node, parents.get(node)
    while parent is not None:
        if isinstance(parent, (ast.If, ast.IfExp, ast.While)) and child is not parent.test and any(
                w in (ast.get_source_segment(source, parent.test) or "") for w in GUARD_WORDS):
            return True
        if isinstance(parent, ast.BoolOp):
            earlier = parent.values[:parent.values.index(child)] if child in parent.values else []
            if any(any(w in (ast.get_source_segment(source, v) or "") for w in GUARD_WORDS) for v in earlier):
                return True
        if isinstance(parent, ast.Try) and child in parent.body:
            caught = " ".join(ast.get_source_segment(source, h.type) or "" for h in parent.handlers if h.type)
            if any(e in caught for e in ("ImportError", "AttributeError", "Exception")):
                return True
        child, parent = parent, parents.get(parent)
    return False


def test_posix_only_apis_are_only_used_behind_a_platform_test():
    """What the emulation above cannot reach (a hung `aws` killed with os.killpg, say) is checked in the
    source: each POSIX-only module, os function or signal is under an `if`/`and`/`or` on os.name,
    sys.platform or hasattr/getattr, or in a try that catches ImportError/AttributeError."""
    unguarded = []
    for path in sorted([*(ROOT / "sso_doctor").rglob("*.py"), *(ROOT / "rules").rglob("*.py")]):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
        for node, what in _posix_only_uses(tree):
            if not _guarded(node, parents, source):
                unguarded.append(f"{path.relative_to(ROOT)}:{node.lineno}: {what}")
    assert unguarded == [], unguarded


def test_the_source_check_sees_an_unguarded_use():
    source = "import os, signal\ndef stop(p):\n    os.killpg(p, signal.SIGKILL)\n"
    tree = ast.parse(source)
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    assert sorted(w for n, w in _posix_only_uses(tree) if not _guarded(n, parents, source)) == [
        "os.killpg", "signal.SIGKILL"]
    guarded = "import os, signal\ndef stop(p):\n    if os.name == 'posix':\n        os.killpg(p, signal.SIGKILL)\n"
    tree = ast.parse(guarded)
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    assert [w for n, w in _posix_only_uses(tree) if not _guarded(n, parents, guarded)] == []
