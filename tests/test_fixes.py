"""Fix steps as data: POSIX lines written by rules parse into portable ops and render per shell."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sso_doctor import fixes
from sso_doctor.model import fix, manual


def test_export_unset_and_plain_commands_become_ops():
    assert fixes.parse("export AWS_PROFILE=dev") == fixes.setenv("AWS_PROFILE", "dev")
    assert fixes.parse("unset A B") == fixes.unsetenv("A", "B")
    assert fixes.parse("aws sso login --profile 'my prof'") == fixes.run("aws", "sso", "login", "--profile", "my prof")


def test_shell_syntax_stays_a_posix_line_safe_only_in_posix_shells():
    c = fixes.parse('cat "$(python3 -m certifi)" corp.pem > "$HOME/.aws/b.pem"')
    assert c.op == "sh"
    assert c.safe_in("bash") and c.safe_in("zsh")
    assert not c.safe_in("powershell") and not c.safe_in("fish") and not c.safe_in("cmd")


def test_trailing_comment_is_kept_apart():
    c = fixes.parse("export AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true   # keep the override")
    assert c.op == "setenv" and c.comment == "keep the override"
    assert c.render("powershell") == '$env:AWS_IGNORE_CONFIGURED_ENDPOINT_URLS = "true"   # keep the override'


@pytest.mark.parametrize("shell,set_line,unset_line", [
    ("bash", "export AWS_PROFILE=dev", "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY"),
    ("zsh", "export AWS_PROFILE=dev", "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY"),
    ("fish", "set -gx AWS_PROFILE dev", "set -e AWS_ACCESS_KEY_ID; set -e AWS_SECRET_ACCESS_KEY"),
    ("powershell", '$env:AWS_PROFILE = "dev"', "Remove-Item Env:AWS_ACCESS_KEY_ID, Env:AWS_SECRET_ACCESS_KEY"),
    ("cmd", "set AWS_PROFILE=dev", "set AWS_ACCESS_KEY_ID= & set AWS_SECRET_ACCESS_KEY="),
])
def test_variables_render_in_each_shell(shell, set_line, unset_line):
    f = fix("x", "export AWS_PROFILE=dev", "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY")
    assert [c.render(shell) for c in f.commands] == [set_line, unset_line]


def test_powershell_escapes_dollar_and_quotes():
    assert fixes.setenv("X", 'a$b"c').render("powershell") == '$env:X = "a`$b`"c"'
    assert fixes.run("aws", "sso", "login", "--profile", "it's").render("powershell") == "aws sso login --profile 'it''s'"


def test_manual_steps_are_never_safe():
    c = manual("export AWS_CONFIG_FILE=<path to your AWS config file>")
    assert c.op == "setenv" and not any(c.safe_in(s) for s in fixes.SHELLS)


_word = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(_word, min_size=1, max_size=5))
def test_posix_rendering_round_trips_through_shlex(argv):
    c = fixes.run(*argv)
    assert shlex.split(c.render("bash")) == argv or any(a.startswith("<") and a.endswith(">") for a in argv)


@pytest.mark.parametrize("shell,want", [
    ("bash", 'export AWS_CA_BUNDLE="$HOME/.aws/ca-bundle.pem"'),
    ("fish", 'set -gx AWS_CA_BUNDLE "$HOME/.aws/ca-bundle.pem"'),
    ("powershell", '$env:AWS_CA_BUNDLE = "$HOME/.aws/ca-bundle.pem"'),  # PowerShell's own $HOME
    ("cmd", r'set "AWS_CA_BUNDLE=%USERPROFILE%\.aws\ca-bundle.pem"'),
])
def test_home_folder_in_a_value_is_portable(shell, want):
    c = fixes.parse('export AWS_CA_BUNDLE="$HOME/.aws/ca-bundle.pem"')
    assert c.op == "setenv" and c.render(shell) == want and c.safe_in(shell)


@pytest.mark.parametrize("shell,want", [
    ("bash", 'export AWS_CA_BUNDLE="$HOME/b.pem" && echo \'export AWS_CA_BUNDLE="$HOME/b.pem"\' >> ~/.bashrc'),
    ("zsh", 'export AWS_CA_BUNDLE="$HOME/b.pem" && echo \'export AWS_CA_BUNDLE="$HOME/b.pem"\' >> ~/.zshrc'),
    ("fish", 'set -Ux AWS_CA_BUNDLE "$HOME/b.pem"'),
    ("powershell", '$env:AWS_CA_BUNDLE = "$HOME/b.pem"; '
                   '[Environment]::SetEnvironmentVariable("AWS_CA_BUNDLE", $env:AWS_CA_BUNDLE, "User")'),
    ("cmd", r'set "AWS_CA_BUNDLE=%USERPROFILE%\b.pem" & setx AWS_CA_BUNDLE "%USERPROFILE%\b.pem"'),
])
def test_persistent_variable_per_shell(shell, want):
    assert fixes.setenv_persistent("AWS_CA_BUNDLE", "$HOME/b.pem").render(shell) == want


def test_persistent_variable_really_lands_in_the_bash_rc(tmp_path):
    import subprocess

    line = fixes.setenv_persistent("AWS_CA_BUNDLE", "$HOME/b.pem").render("bash")
    subprocess.run(["bash", "-c", line], env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}, check=True)
    rc = (tmp_path / ".bashrc").read_text()
    out = subprocess.run(["bash", "-c", f"source {tmp_path}/.bashrc; echo $AWS_CA_BUNDLE"], capture_output=True,
                         text=True, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}).stdout
    assert rc.count("export AWS_CA_BUNDLE") == 1 and out.strip() == f"{tmp_path}/b.pem"


@pytest.mark.parametrize("line,op", [('mkdir -p "$HOME/.aws"', "mkdir"), ("rm /x/a.json", "remove"),
                                     ('cat "$HOME/x" > y', "sh"), ("rm -r /x", "run")])
def test_mkdir_and_rm_become_portable_ops(line, op):
    assert fixes.parse(line).op == op


def test_posix_only_programs_are_not_offered_as_safe_in_powershell_or_cmd():
    c = fixes.run("chmod", "600", "/x")
    assert c.safe_in("bash") and c.safe_in("fish") and not c.safe_in("powershell") and not c.safe_in("cmd")
    assert fixes.parse("rm /x/a.json").render("powershell") == "Remove-Item -LiteralPath /x/a.json"
    assert fixes.parse("rm /x/a.json").render("cmd") == "del /x/a.json"


def test_native_lines_are_safe_only_in_their_shells():
    c = fixes.native("powershell", "Get-ChildItem Cert:\\CurrentUser\\Root")
    assert c.safe_in("powershell") and not c.safe_in("cmd") and not c.safe_in("bash")
    assert c.render("bash") == "Get-ChildItem Cert:\\CurrentUser\\Root"


def test_doc_commands_render_for_the_shell():
    doc = "x\n\n## How to fix\nDo:\n\n    export AWS_PROFILE=dev\n    cat a | b\n\n## Example\n    export X=1\n"
    out = fixes.render_doc(doc, "powershell")
    assert '    $env:AWS_PROFILE = "dev"' in out and "cat a | b   # POSIX shell" in out
    assert "    export X=1" in out  # examples are output, not commands
    assert fixes.render_doc(doc, "bash") == doc
