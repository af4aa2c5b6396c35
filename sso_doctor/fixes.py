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

Op = Literal["run", "setenv", "unsetenv", "sh"]

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# characters that make a POSIX line more than "a program and its arguments"
_SH_SYNTAX = re.compile(r"[|&;<>()$`*?\[\]{}~!\\]")


@dataclass(frozen=True)
class Command:
    """One command of a fix, as data. `args` by op:

    - run: the argv (program first);
    - setenv: (NAME, value);
    - unsetenv: (NAME, ...);
    - sh: (a POSIX shell line,), for pipelines, redirections and substitutions.
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
        if shell == "cmd":
            return not any(_cmd_unsafe(a) for a in self.args)
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
    skeleton = re.sub(r"'[^']*'", "''", body)
    if _SH_SYNTAX.search(skeleton.replace('"', "")) and not _only_placeholders(skeleton):
        return Command("sh", (body,), safe, comment)
    if words[0] == "export" and len(words) == 2 and "=" in words[1]:
        name, value = words[1].split("=", 1)
        if _ENV_NAME.match(name):
            return Command("setenv", (name, value), safe, comment)
    if words[0] == "unset" and len(words) > 1 and all(_ENV_NAME.match(w) for w in words[1:]):
        return Command("unsetenv", tuple(words[1:]), safe, comment)
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
    text = _RENDER[fam](c) if fam in _RENDER else _RENDER["posix"](c)
    if c.comment:
        text += f"   & REM {c.comment}" if fam == "cmd" else f"   # {c.comment}"
    return text


def _posix(c: Command) -> str:
    if c.op == "run":
        return " ".join(_posix_quote(a) for a in c.args)
    if c.op == "setenv":
        return f"export {c.args[0]}={_posix_quote(c.args[1])}"
    if c.op == "unsetenv":
        return "unset " + " ".join(c.args)
    return c.args[0]


def _has_placeholder(a: str) -> bool:
    return bool(re.search(r"<[^<>]+>", a))


def _posix_quote(a: str) -> str:
    # a value with `<placeholders>` is for a person to fill in (never `$`): quoting it reads worse
    if _has_placeholder(a) and shlex.quote(re.sub(r"<[^<>]+>", "x", a)) == re.sub(r"<[^<>]+>", "x", a):
        return a
    return shlex.quote(a)


def _fish_quote(a: str) -> str:
    if a and re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]+", re.sub(r"<[^<>]+>", "x", a)):
        return a
    return "'" + a.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish(c: Command) -> str:
    if c.op == "run":
        return " ".join(_fish_quote(a) for a in c.args)
    if c.op == "setenv":
        return f"set -gx {c.args[0]} {_fish_quote(c.args[1])}"
    if c.op == "unsetenv":
        return "; ".join(f"set -e {n}" for n in c.args)
    return c.args[0]


def _ps_quote(a: str) -> str:
    # `,` makes an array and a leading `@` splats in PowerShell: such words are quoted
    bare = re.sub(r"<[^<>]+>", "x", a)
    if bare and re.fullmatch(r"[A-Za-z0-9_%+=:./\\-]+", bare):
        return a
    return "'" + a.replace("'", "''") + "'"


def _ps_string(a: str) -> str:
    """A double-quoted PowerShell string: `$env:X = "value"` (backtick escapes `$`, `"` and backtick)."""
    return '"' + re.sub(r'([`$"])', r"`\1", a) + '"'


def _powershell(c: Command) -> str:
    if c.op == "run":
        first = _ps_quote(c.args[0])
        prefix = "& " if first.startswith("'") else ""
        return prefix + " ".join([first, *(_ps_quote(a) for a in c.args[1:])])
    if c.op == "setenv":
        return f"$env:{c.args[0]} = {_ps_string(c.args[1])}"
    if c.op == "unsetenv":
        return "Remove-Item " + ", ".join(f"Env:{n}" for n in c.args)
    return c.args[0]


def _cmd_unsafe(a: str) -> bool:
    # cmd.exe cannot escape `%` on an interactive line, and `"` inside an argument is not portable
    return "%" in a or '"' in a or "\n" in a


def _cmd_quote(a: str) -> str:
    if a and not re.search(r'[\s&|<>^()"]', a):
        return a
    return f'"{a}"'


def _cmd(c: Command) -> str:
    if c.op == "run":
        return " ".join(_cmd_quote(a) for a in c.args)
    if c.op == "setenv":
        name, value = c.args
        if re.search(r'[&|<>^()"]', value):
            return f'set "{name}={value}"'
        return f"set {name}={value}"
    if c.op == "unsetenv":
        return " & ".join(f"set {n}=" for n in c.args)
    return c.args[0]


_RENDER = {"posix": _posix, "fish": _fish, "powershell": _powershell, "cmd": _cmd}
