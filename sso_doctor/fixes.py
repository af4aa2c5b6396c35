"""Fix steps as data: commands rendered per shell, and structured config-file edits.

A fix is a summary plus steps. A step is either
- a `Command`: an operation and its arguments (`run` a program, `setenv`/`unsetenv` a variable, or a
  `sh` line that only a POSIX shell can run as written), rendered for the user's shell; or
- an `Edit`: one exact change to an INI file (file, section, key, old value, new value), rendered as a
  snippet for people and carried as data in JSON/SARIF. An apply mode can perform the same edits.

`safe` is the author's word that the step needs no human change (no placeholder, no guess). What a
reporter prints as `$` is `Command.safe_in(shell)`: safe, and expressible in that shell as printed.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Literal

# The shells fixes are rendered for. "sh" is any POSIX shell (bash, zsh, dash, ksh).
SHELLS = ("bash", "zsh", "fish", "powershell", "cmd")
POSIX_SHELLS = frozenset({"bash", "zsh", "sh"})
DEFAULT_SHELL = "bash"

Op = Literal["run", "setenv", "unsetenv", "sh", "setenv_persistent", "mkdir", "native", "remove", "copyenv"]

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# characters that make a POSIX line more than "a program and its arguments"
_SH_SYNTAX = re.compile(r"[|&;<>()$`*?\[\]{}~!\\]")


@dataclass(frozen=True)
class Command:
    """One command of a fix, as data. `args` by op:

    - run: the argv (program first);
    - setenv: (NAME, value);
    - unsetenv: (NAME, ...);
    - sh: (a POSIX shell line,), for pipelines, redirections and substitutions;
    - setenv_persistent: (NAME, value): set it now and for every new shell (rc file, setx, set -Ux);
    - mkdir: (folder,): create a folder and its parents, fine if it exists;
    - remove: (file,): delete one file;
    - copyenv: (NAME, FROM): set NAME to the value of the variable FROM (never printed: it may hold a
      proxy password);
    - native: (shells, line): a line written for the named shells only (comma-separated, e.g.
      "bash,zsh,fish" or "powershell"), such as a PowerShell pipeline; shown with ✎ elsewhere.

    An argument that starts with `$HOME` (`$HOME/.aws/ca-bundle.pem`) means the user's home folder
    and renders as each shell names it: `"$HOME/…"` (POSIX, fish, PowerShell's automatic $HOME),
    `"%USERPROFILE%\\…"` (cmd).
    """

    op: Op
    args: tuple[str, ...]
    safe: bool = True
    comment: str | None = None  # a short note printed after the command (`# …`)

    @property
    def text(self) -> str:
        """The command as a bash user would type it (the default rendering)."""
        return render(self, DEFAULT_SHELL)

    def render(self, shell: str) -> str:
        return render(self, shell)

    def safe_in(self, shell: str) -> bool:
        """True when the rendering for `shell` may be run exactly as printed."""
        if not self.safe:
            return False
        if self.op == "sh":
            return _shell_family(shell) == "posix"
        if self.op == "native":
            return shell in self.args[0].split(",")
        if self.op == "run" and shell in ("powershell", "cmd") and self.args and self.args[0] in POSIX_ONLY_PROGRAMS:
            return False  # `chmod`, `cat >`, `rm -f`… mean nothing (or something else) there
        if any(_home_rest(a) is not None and not _plain_rest(_home_rest(a)) for a in self.args):
            return False
        if shell == "cmd" and self.op != "copyenv":
            return not any(_cmd_unsafe(a) for a in self.args if _home_rest(a) is None)
        return True

    def as_dict(self, shell: str = DEFAULT_SHELL) -> dict:
        return {"command": render(self, shell), "safe": self.safe_in(shell), "op": self.op,
                "args": list(self.args), **({"comment": self.comment} if self.comment else {})}


EditAction = Literal["set", "delete", "add_section", "remove_section", "rename_section"]


@dataclass(frozen=True)
class Edit:
    """One exact change to an INI file, in botocore's terms.

    - set: `key = new` in `[section]` (old is the current value, None when the key is added);
    - delete: remove `key` (old is its current value);
    - add_section: add `[section]` (empty; `set` edits after it fill it);
    - remove_section: remove `[section]` and all its keys;
    - rename_section: `[section]` becomes `[new]`.
    `path` is the file as read (absolute), `section` the header text without brackets
    (`profile dev`, `sso-session acme`, `default`).
    """

    path: str
    action: EditAction
    section: str
    key: str | None = None
    old: str | None = None
    new: str | None = None
    safe: bool = True  # False when `new` is a guess or a placeholder a person must check

    def as_dict(self) -> dict:
        return {"path": self.path, "action": self.action, "section": self.section, "key": self.key,
                "old": self.old, "new": self.new, "safe": self.safe}


Step = Command | Edit


# ---------------------------------------------------------------------------- building commands

def run(*argv: str, safe: bool = True, comment: str | None = None) -> Command:
    return Command("run", tuple(argv), safe, comment)


def setenv(name: str, value: str, *, safe: bool = True, comment: str | None = None) -> Command:
    return Command("setenv", (name, value), safe, comment)


def unsetenv(*names: str, safe: bool = True, comment: str | None = None) -> Command:
    return Command("unsetenv", tuple(names), safe, comment)


def sh(line: str, *, safe: bool = True, comment: str | None = None) -> Command:
    return Command("sh", (line,), safe, comment)


def setenv_persistent(name: str, value: str, *, safe: bool = True, comment: str | None = None) -> Command:
    """Set a variable in this shell and in every new one (the user's rc file, setx, fish universal)."""
    return Command("setenv_persistent", (name, value), safe, comment)


def native(shells: str | tuple[str, ...], line: str, *, safe: bool = True, comment: str | None = None) -> Command:
    """A line in one shell's own syntax (`shells`: the shells that run it as written)."""
    names = shells.split(",") if isinstance(shells, str) else list(shells)
    return Command("native", (",".join(names), line), safe, comment)


def mkdir(folder: str, *, safe: bool = True, comment: str | None = None) -> Command:
    return Command("mkdir", (folder,), safe, comment)


# Programs that exist only in POSIX userlands: a `run` of one is not offered as `$` in PowerShell or cmd.
POSIX_ONLY_PROGRAMS = frozenset({"chmod", "chown", "rm", "ls", "cat", "cp", "mv", "touch", "find", "grep", "sed",
                                 "xdg-open", "ln", "stat", "id", "sudo", "brew", "snap", "apt", "apt-get", "dnf",
                                 "yum", "security"})

_HOME = re.compile(r"\$(?:HOME\b|\{HOME\})")


def _home_rest(a: str) -> str | None:
    """`$HOME/.aws/x` → `/.aws/x` (the part after the home folder); None for any other argument."""
    m = _HOME.match(a)
    if not m:
        return None
    rest = a[m.end():]
    return rest if rest == "" or rest.startswith("/") else None


def _plain_rest(rest: str) -> bool:
    """A rest of path that needs no quoting inside double quotes in any shell."""
    return re.fullmatch(r"[A-Za-z0-9_@+=:,./ -]*", rest) is not None


_COMMENT = re.compile(r"\s{2,}#\s?(.*)\Z|\s#\s(.*)\Z")


def parse(text: str, safe: bool = True) -> Command:
    """A POSIX command line written by a rule, as data.

    `export A=b`, `unset A B` and plain `prog arg …` lines become portable ops; anything with
    shell syntax (pipes, redirections, `$VAR`, globs, `&&`) stays an `sh` line, which only a POSIX
    shell runs as written. A trailing `  # note` becomes the comment.
    """
    body, comment = text.strip(), None
    m = _COMMENT.search(body)
    if m:
        head = body[: m.start()]
        try:
            if shlex.split(head) == shlex.split(body, comments=True):
                body, comment = head.rstrip(), (m.group(1) or m.group(2) or "").strip() or None
        except ValueError:
            pass
    # `<path to the bundle>` placeholders are one word each, whatever their spaces
    holes = re.findall(r"<[^<>\n]+>", body)
    masked = body
    for i, h in enumerate(holes):
        masked = masked.replace(h, f"\x00{i}\x00", 1)
    try:
        words = shlex.split(masked)
    except ValueError:
        return Command("sh", (body,), safe, comment)
    for i, h in enumerate(holes):
        words = [w.replace(f"\x00{i}\x00", h) for w in words]
    if not words:
        return Command("sh", (body,), safe, comment)
    # `$`, `*` and friends inside single quotes are literal: look at the unquoted skeleton only
    m = re.fullmatch(r'export ([A-Za-z_][A-Za-z0-9_]*)=("?)\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?\2', body)
    if m:  # `export HTTPS_PROXY="$ALL_PROXY"`: one variable from another
        return Command("copyenv", (m.group(1), m.group(3)), safe, comment)
    skeleton = re.sub(r"'[^']*'", "''", body)
    # `"$HOME/.aws/b.pem"` names the home folder, which every shell can say: not POSIX-only syntax
    skeleton = re.sub(r'(?<![\\\w])\$(?:HOME\b|\{HOME\})(?=/|"|\s|\Z)', "", skeleton)
    if _SH_SYNTAX.search(skeleton.replace('"', "")) and not _only_placeholders(skeleton):
        return Command("sh", (body,), safe, comment)
    if words[0] == "export" and len(words) == 2 and "=" in words[1]:
        name, value = words[1].split("=", 1)
        if _ENV_NAME.match(name):
            return Command("setenv", (name, value), safe, comment)
    if words[0] == "unset" and len(words) > 1 and all(_ENV_NAME.match(w) for w in words[1:]):
        return Command("unsetenv", tuple(words[1:]), safe, comment)
    if words[0] == "rm" and len(words) == 2 and not words[1].startswith("-"):
        return Command("remove", (words[1],), safe, comment)
    if words[0] == "mkdir" and len(words) == 3 and words[1] == "-p":
        return Command("mkdir", (words[2],), safe, comment)
    if words[0] in ("export", "unset", "cd", "source", "."):
        return Command("sh", (body,), safe, comment)
    return Command("run", tuple(words), safe, comment)


def _only_placeholders(skeleton: str) -> bool:
    """`<path to the bundle>` placeholders look like redirections; they are not, in a manual step."""
    stripped = re.sub(r"<[^<>\n]+>", "", skeleton)
    return not _SH_SYNTAX.search(stripped.replace('"', ""))


# ---------------------------------------------------------------------------- rendering

def _shell_family(shell: str) -> str:
    if shell in POSIX_SHELLS:
        return "posix"
    return shell


def render(c: Command, shell: str = DEFAULT_SHELL) -> str:
    fam = _shell_family(shell)
    if c.op == "native":
        return c.args[1] + (f"   # {c.comment}" if c.comment else "")
    text = _posix(c, shell) if fam == "posix" or fam not in _RENDER else _RENDER[fam](c)
    if c.comment:
        text += f"   & REM {c.comment}" if fam == "cmd" else f"   # {c.comment}"
    return text


def _rc_file(shell: str) -> str:
    return "~/.zshrc" if shell == "zsh" else "~/.bashrc"


def _posix(c: Command, shell: str = "bash") -> str:
    if c.op == "run":
        return " ".join(_posix_quote(a) for a in c.args)
    if c.op == "setenv":
        return f"export {c.args[0]}={_posix_quote(c.args[1])}"
    if c.op == "setenv_persistent":
        line = f"export {c.args[0]}={_posix_quote(c.args[1])}"
        return f"{line} && echo {shlex.quote(line)} >> {_rc_file(shell)}"
    if c.op == "mkdir":
        return f"mkdir -p {_posix_quote(c.args[0])}"
    if c.op == "remove":
        return f"rm {_posix_quote(c.args[0])}"
    if c.op == "copyenv":
        return f'export {c.args[0]}="${c.args[1]}"'
    if c.op == "unsetenv":
        return "unset " + " ".join(c.args)
    return c.args[0]


def _has_placeholder(a: str) -> bool:
    return bool(re.search(r"<[^<>]+>", a))


def _posix_quote(a: str) -> str:
    # a value with `<placeholders>` is for a person to fill in (never `$`): quoting it reads worse
    if _has_placeholder(a) and shlex.quote(re.sub(r"<[^<>]+>", "x", a)) == re.sub(r"<[^<>]+>", "x", a):
        return a
    rest = _home_rest(a)
    if rest is not None and _plain_rest(rest):
        return f'"$HOME{rest}"'
    return shlex.quote(a)


def _fish_quote(a: str) -> str:
    rest = _home_rest(a)
    if rest is not None and _plain_rest(rest):
        return f'"$HOME{rest}"'
    if a and re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]+", re.sub(r"<[^<>]+>", "x", a)):
        return a
    return "'" + a.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish(c: Command) -> str:
    if c.op == "run":
        return " ".join(_fish_quote(a) for a in c.args)
    if c.op == "setenv":
        return f"set -gx {c.args[0]} {_fish_quote(c.args[1])}"
    if c.op == "setenv_persistent":  # a universal variable: every fish session, now and later
        return f"set -Ux {c.args[0]} {_fish_quote(c.args[1])}"
    if c.op == "mkdir":
        return f"mkdir -p {_fish_quote(c.args[0])}"
    if c.op == "remove":
        return f"rm {_fish_quote(c.args[0])}"
    if c.op == "copyenv":
        return f'set -gx {c.args[0]} "${c.args[1]}"'
    if c.op == "unsetenv":
        return "; ".join(f"set -e {n}" for n in c.args)
    return c.args[0]


def _ps_quote(a: str) -> str:
    rest = _home_rest(a)
    if rest is not None and _plain_rest(rest):
        return f'"$HOME{rest}"'  # PowerShell's automatic $HOME: the user profile folder on every OS
    # `,` makes an array and a leading `@` splats in PowerShell: such words are quoted
    bare = re.sub(r"<[^<>]+>", "x", a)
    if bare and re.fullmatch(r"[A-Za-z0-9_%+=:./\\-]+", bare):
        return a
    return "'" + a.replace("'", "''") + "'"


def _ps_string(a: str) -> str:
    """A double-quoted PowerShell string: `$env:X = "value"` (backtick escapes `$`, `"` and backtick)."""
    rest = _home_rest(a)
    if rest is not None and _plain_rest(rest):
        return f'"$HOME{rest}"'
    return '"' + re.sub(r'([`$"])', r"`\1", a) + '"'


def _powershell(c: Command) -> str:
    if c.op == "run":
        first = _ps_quote(c.args[0])
        prefix = "& " if first.startswith("'") else ""
        return prefix + " ".join([first, *(_ps_quote(a) for a in c.args[1:])])
    if c.op == "setenv":
        return f"$env:{c.args[0]} = {_ps_string(c.args[1])}"
    if c.op == "setenv_persistent":  # this session, and the user's environment for new processes
        name, value = c.args
        return (f"$env:{name} = {_ps_string(value)}; "
                f'[Environment]::SetEnvironmentVariable("{name}", $env:{name}, "User")')
    if c.op == "mkdir":
        return f"New-Item -ItemType Directory -Force -Path {_ps_quote(c.args[0])} | Out-Null"
    if c.op == "remove":
        return f"Remove-Item -LiteralPath {_ps_quote(c.args[0])}"
    if c.op == "copyenv":
        return f"$env:{c.args[0]} = $env:{c.args[1]}"
    if c.op == "unsetenv":
        return "Remove-Item " + ", ".join(f"Env:{n}" for n in c.args)
    return c.args[0]


def _cmd_unsafe(a: str) -> bool:
    # cmd.exe cannot escape `%` on an interactive line, and `"` inside an argument is not portable
    return "%" in a or '"' in a or "\n" in a


def _cmd_home(a: str) -> str | None:
    rest = _home_rest(a)
    if rest is None or not _plain_rest(rest):
        return None
    return "%USERPROFILE%" + rest.replace("/", "\\")


def _cmd_quote(a: str) -> str:
    home = _cmd_home(a)
    if home is not None:
        return f'"{home}"'
    if a and not re.search(r'[\s&|<>^()"]', a):
        return a
    return f'"{a}"'


def _cmd(c: Command) -> str:
    if c.op == "run":
        return " ".join(_cmd_quote(a) for a in c.args)
    if c.op in ("setenv", "setenv_persistent"):
        name, value = c.args
        home = _cmd_home(value)
        if home is not None:
            value = home
        now = f'set "{name}={value}"' if home is not None or re.search(r'[&|<>^()"]', value) else f"set {name}={value}"
        if c.op == "setenv_persistent":  # setx: the user's environment, for new windows
            return f'{now} & setx {name} "{value}"'
        return now
    if c.op == "remove":
        return f"del {_cmd_quote(c.args[0])}"
    if c.op == "copyenv":  # `%NAME%` expands on purpose here
        return f'set "{c.args[0]}=%{c.args[1]}%"'
    if c.op == "mkdir":
        folder = _cmd_quote(c.args[0])
        return f"if not exist {folder} mkdir {folder}"
    if c.op == "setenv":
        name, value = c.args
        if re.search(r'[&|<>^()"]', value):
            return f'set "{name}={value}"'
        return f"set {name}={value}"
    if c.op == "unsetenv":
        return " & ".join(f"set {n}=" for n in c.args)
    return c.args[0]


_RENDER = {"posix": _posix, "fish": _fish, "powershell": _powershell, "cmd": _cmd}


# ---------------------------------------------------------------------------- rule documentation

def render_doc(doc: str, shell: str = DEFAULT_SHELL) -> str:
    """A rule's documentation with the commands of its "How to fix" section in `shell`'s syntax.

    Code lines there (indented by four spaces) are parsed like fix commands: `export`/`unset` and
    plain programs are rendered for the shell; a line only a POSIX shell runs is kept and marked so.
    """
    if _shell_family(shell) == "posix":
        return doc
    out: list[str] = []
    in_fix = False
    for line in doc.splitlines():
        if line.startswith("## "):
            in_fix = line.strip().lower() == "## how to fix"
        body = line[4:]
        if in_fix and line.startswith("    ") and body.strip() and not body.startswith(" "):
            c = parse(body)
            if c.op == "sh":
                out.append(f"{line}   {'REM' if shell == 'cmd' else '#'} POSIX shell (bash/zsh) syntax")
            else:
                out.append("    " + render(c, shell))
            continue
        out.append(line)
    return "\n".join(out)
