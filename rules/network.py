"""SSO5xx: network probes (online). No credential or token leaves the machine.

Every rule reads the same probe results (`ctx.online.probe_results()`): one probe per URL that a
selected profile needs (its OIDC endpoint, its portal endpoint and its start URL), each walking DNS,
TCP, proxy CONNECT, TLS and one HTTP GET as botocore would. A probe is classified by its first step
that failed or did not finish, so each broken path is reported once, by the rule that names its cause.
"""

from __future__ import annotations

import shlex
from collections import defaultdict
from collections.abc import Iterator

from sso_doctor.context import Context
from sso_doctor.fixes import Edit
from sso_doctor.model import Command, Finding, Location, Rule, Severity, SkipRule, fix, manual, rule
from sso_doctor.text import name_list

NEEDS = ("config", "network")

# Hosts the start URL may redirect to without being suspicious: AWS's own portal and sign-in hosts.
AWS_HOST_SUFFIXES = (".awsapps.com", ".awsapps.cn", ".app.aws", ".signin.aws", ".aws", ".amazonaws.com",
                     ".amazonaws.com.cn", ".amazonaws.eu", ".amazon.com", ".amazoncognito.com")


def _results(ctx: Context) -> list:
    run = ctx.online
    results = run.probe_results()
    if not results:
        why = "; ".join(f'profile "{u.profile}": {u.reason}' for u in run.resolution.unresolved)
        raise SkipRule("no selected SSO profile with a start URL and a region to probe"
                       + (f" ({why})" if why else ""))
    return results


def classify(result) -> tuple[str, object] | None:
    """(rule id, failed step) for a probe's first failed or unfinished step, None when it got through."""
    step = result.failed_step
    if step is None:
        if not result.finished:
            return None
        resp = result.response
        if result.target.role == "start-url" and resp is not None and _start_url_problem(result):
            return "SSO507", step
        return None
    if step.via_proxy or step.name in ("proxy-connect", "proxy-tls"):
        return "SSO503", step
    if step.name == "dns":
        return "SSO501", step
    if step.name == "tls" and step.cause == "verify" and result.tls is not None and result.tls.interception:
        return "SSO504", step
    if step.name == "tls" and step.cause in ("verify", "protocol", "reset", "ca-bundle"):
        return "SSO505", step
    return "SSO502", step


def _failures(ctx: Context, rule_id: str) -> list:
    return [(r, s) for r in _results(ctx) for rid, s in [classify(r) or ("", None)] if rid == rule_id]


def _who(targets) -> str:
    """'the OIDC endpoint of profiles "a" and "b"'"""
    labels = sorted({t.label for t in targets})
    profiles = sorted({p for t in targets for p in t.profiles})
    word = "profile" if len(profiles) == 1 else "profiles"
    return f"the {' and the '.join(labels)} of {word} {name_list(profiles)}"


def _via(target) -> str:
    return f" through the proxy {target.proxy.url}" if target.proxy else ""


def _group(failures, key) -> dict:
    groups: dict = defaultdict(list)
    for r, s in failures:
        groups[key(r, s)].append((r, s))
    return groups


@rule("SSO501", "dns-failure", Severity.ERROR, needs=NEEDS, requires=("parsed_config", "sso_profile"))
def dns_failure(ctx: Context) -> Iterator[Finding]:
    """A host that a selected SSO profile needs does not resolve in DNS.

    ## What it checks
    For every selected SSO profile sso-doctor resolves, with botocore's own machinery, the OIDC
    endpoint (`oidc.<region>.amazonaws.com`), the portal endpoint (`portal.sso.<region>.amazonaws.com`)
    and the start-URL host, honouring `AWS_ENDPOINT_URL_SSO_OIDC` / `AWS_ENDPOINT_URL_SSO`, `[services]`
    sections and `endpoint_url`. When a host is reached directly (no proxy applies, or `NO_PROXY`
    matches it) it must resolve; this rule fires when the lookup fails or does not finish within the
    `--timeout` budget. (When a proxy is used the proxy resolves the host, and a proxy that does not
    resolve is SSO503.)

    ## Why it matters
    `aws sso login` and every SSO credential refresh call these hosts; botocore then fails with
    `Could not connect to the endpoint URL`. Typical causes: a VPN that is down, split DNS that only
    works on the corporate network, a typo in an endpoint override.

    When none of the hosts resolves (two or more), that is one finding, "0 of N hosts resolve": the
    machine is offline or its DNS is broken, not each host.

    ## How to fix
        nslookup oidc.us-east-1.amazonaws.com

    Connect the VPN or fix the resolver (`/etc/resolv.conf`, the VPN's DNS settings); if the name comes
    from an endpoint override, correct or `unset` the variable (see SSO119).

    ## Example
        ✗ SSO501 dns-failure  https://oidc.eu-west-1.amazonaws.com
          "oidc.eu-west-1.amazonaws.com" (the OIDC endpoint of profile "dev") does not resolve: Name or
          service not known.
    """
    failures = _failures(ctx, "SSO501")
    direct = {r.target.host for r in _results(ctx) if r.target.proxy is None}
    failed = {r.target.host for r, _ in failures}
    if len(failed) >= 2 and failed == direct:
        # One cause, one finding: no name resolves at all, so the machine is offline or its resolver is
        # broken; one finding per host would repeat the same VPN advice N times.
        hosts = sorted(failed)
        r, step = failures[0]
        details = sorted({s.detail for _, s in failures if s.detail})
        yield dns_failure.finding(
            f"0 of {len(hosts)} hosts resolve: {name_list(hosts)} ({_who([x.target for x, _ in failures])}) "
            f"{'did not resolve within the time budget' if step.ok is None else 'do not resolve'}"
            f"{': ' + '; '.join(details) if details else ''}. This machine is offline or its DNS is broken.",
            fix("Connect to the network (or the VPN) or fix the resolver, then check again.",
                f"nslookup {shlex.quote(hosts[0])}",
                manual("connect to the network / VPN, or check the resolver (/etc/resolv.conf, the VPN's DNS)")),
            location=Location(endpoint=r.target.url),
            evidence={"hosts": tuple(hosts), "step": step.detail, "seconds": step.seconds},
        )
        return
    for (host,), items in _group(failures, lambda r, s: (r.target.host,)).items():
        r, step = items[0]
        targets = [r.target for r, _ in items]
        what = "did not resolve within the time budget" if step.ok is None else f"does not resolve: {step.detail}"
        yield dns_failure.finding(
            f'"{host}" ({_who(targets)}) {what}.',
            fix("Make the name resolve: connect the VPN or fix DNS; if it comes from an endpoint override, "
                "correct it.", f"nslookup {shlex.quote(host)}",
                manual(f"connect to the VPN / ask IT why {host} does not resolve on this network")),
            location=Location(endpoint=r.target.url),
            evidence={"host": host, "step": step.detail, "seconds": step.seconds},
        )


@rule("SSO502", "connect-failure", Severity.ERROR, needs=NEEDS, requires=("parsed_config", "sso_profile", "resolved"))
def connect_failure(ctx: Context) -> Iterator[Finding]:
    """A host resolves but does not take a connection or never answers (firewall, black hole).

    ## What it checks
    After DNS, each probed host (see SSO501) must accept a TCP connection, answer the TLS handshake and
    answer one plain HTTP GET (no credentials) within the `--timeout` budget. This rule fires when the
    connection is refused, times out, is unreachable, or is accepted but then never answered — the
    signature of a firewall that drops traffic. Through a proxy, it fires when the tunnel opens but the
    host behind it never answers.

    ## Why it matters
    botocore waits 60 s per attempt by default and retries, so a dropped host makes `aws sso login` or
    any SSO-backed command hang for minutes before `Connect timeout on endpoint URL`.

    ## How to fix
        curl -v --max-time 10 https://portal.sso.us-east-1.amazonaws.com/

    Ask the network team to allow outbound HTTPS to the named host, or set `HTTPS_PROXY` if this
    network only lets traffic out through a proxy.

    ## Example
        ✗ SSO502 connect-failure  https://portal.sso.us-east-1.amazonaws.com
          "portal.sso.us-east-1.amazonaws.com:443" (the portal endpoint of profile "dev") accepted the
          connection but did not answer the TLS handshake within 4.6 s.
    """
    for (host, port), items in _group(_failures(ctx, "SSO502"), lambda r, s: (r.target.host, r.target.port)).items():
        r, step = items[0]
        t = r.target
        if step.ok is None:
            what = {"tcp": "did not accept a connection",
                    "tls": "accepted the connection but did not answer the TLS handshake",
                    "http": "did not answer the HTTP request"}.get(step.name, "did not answer")
            what += f" within the time budget ({step.seconds:.1f} s)"
        else:
            what = step.detail
            if step.cause == "timeout" and step.name != "tcp":
                what += f" ({step.seconds:.1f} s)"
        scheme = "https" if t.scheme == "https" else "http"
        yield connect_failure.finding(
            f'"{host}:{port}" ({_who([x.target for x, _ in items])}){_via(t)}: {what}.',
            fix("Allow outbound HTTPS to this host (firewall allow-list), or set HTTPS_PROXY if this network "
                "only lets traffic out through a proxy.",
                f"curl -v --max-time 10 {shlex.quote(f'{scheme}://{host}:{port}/')}",
                manual(f"ask the network team to allow outbound {scheme.upper()} to {host}:{port}")),
            location=Location(endpoint=t.url),
            evidence={"step": step.name, "cause": step.cause, "seconds": step.seconds,
                      "proxy": t.proxy.url if t.proxy else "none"},
        )


@rule("SSO503", "proxy-failure", Severity.ERROR, needs=NEEDS, requires=("parsed_config", "sso_profile", "proxy"))
def proxy_failure(ctx: Context) -> Iterator[Finding]:
    """The proxy botocore uses is unreachable or refuses to open a tunnel (407, 403, 5xx, no answer).

    ## What it checks
    When `HTTPS_PROXY` / `https_proxy` applies to a probed host (and `NO_PROXY` does not exclude it),
    botocore connects to the proxy and asks `CONNECT host:443`, with a Basic `Proxy-Authorization`
    header when the proxy URL carries `user:password@`. This rule fires when the proxy name does not
    resolve, the proxy does not take the connection, or it answers CONNECT with anything but 200:
    407 (authentication required or rejected), 403 (blocked by policy), 5xx (the proxy cannot reach
    the host), or no answer at all within the `--timeout` budget.

    ## Why it matters
    Every SSO call goes through the proxy; botocore reports `Failed to connect to proxy URL` or
    `ProxyConnectionError`, which hides whether the proxy, its password or its policy is at fault.

    ## How to fix
        export HTTPS_PROXY=http://<user>:<password>@proxy.example.com:8080

    Use the proxy address from your IT documentation; for 407 give the proxy credentials (or run a
    local authenticating proxy such as cntlm/px); for 403 ask for the named host to be allowed;
    `export NO_PROXY=...` for hosts that must not use the proxy.

    ## Example
        ✗ SSO503 proxy-failure  $HTTPS_PROXY
          The proxy http://proxy.example.com:8080 answers "HTTP/1.1 407 Proxy Authentication Required" to
          CONNECT oidc.us-east-1.amazonaws.com:443 (the OIDC endpoint of profile "dev").
    """
    groups = _group(_failures(ctx, "SSO503"), lambda r, s: (r.target.proxy.url if r.target.proxy else "", s.name,
                                                             s.cause))
    for (proxy_url, step_name, cause), items in groups.items():
        r, step = items[0]
        proxy = r.target.proxy
        hosts = sorted({f"{x.target.host}:{x.target.port}" for x, _ in items})
        who = _who([x.target for x, _ in items])
        source = f" (from ${proxy.env_var})" if proxy and proxy.env_var else ""
        authed = bool(proxy and proxy.headers)
        summary = "Fix the proxy setting or ask the network team."
        commands: list[str | Command] = []
        if step.ok is None or cause == "timeout":
            what = {"dns": "did not resolve", "tcp": "did not accept a connection"}.get(
                step_name, f"accepted the connection but did not answer CONNECT {name_list(hosts, quote=False)}")
            msg = f"The proxy {proxy_url}{source} {what} within the time budget ({who})."
            commands.append(manual("check the proxy address and port with your IT documentation"))
        elif step_name == "dns":
            msg = f"The proxy host of {proxy_url}{source} does not resolve: {step.detail} ({who})."
            commands.append(manual("correct the proxy host name in the variable, or connect the VPN"))
        elif step_name == "tcp":
            msg = f"Cannot connect to the proxy {proxy_url}{source}: {step.detail} ({who})."
            commands.append(manual("correct the proxy address and port, or start the local proxy"))
        elif cause == "status-407":
            state = "rejects the credentials in" if authed else "demands credentials that are not in"
            msg = (f'The proxy {proxy_url} {state} the proxy URL{source}: it answers "{step.detail}" to CONNECT '
                   f"{name_list(hosts, quote=False)} ({who}).")
            summary = "Give the proxy the credentials it wants."
            var = proxy.env_var if proxy and proxy.env_var else "HTTPS_PROXY"
            host_port = f"{proxy.host}:{proxy.port}" if proxy else "proxy:port"
            commands.append(manual(f"export {var}=http://<user>:<password>@{host_port}"))
            commands.append(manual("or run a local authenticating proxy (cntlm, px) and point the variable at it"))
        elif cause == "status-403":
            msg = (f'The proxy {proxy_url}{source} refuses CONNECT {name_list(hosts, quote=False)}: "{step.detail}" '
                   f"({who}).")
            summary = "Ask the network team to allow these hosts through the proxy."
            commands.append(manual(f"ask the network team to allow CONNECT to {name_list(hosts, quote=False)}"))
        elif cause.startswith("status-5"):
            msg = (f'The proxy {proxy_url}{source} cannot reach {name_list(hosts, quote=False)}: "{step.detail}" '
                   f"({who}).")
            summary = "The proxy itself cannot reach AWS: ask the network team."
            commands.append(manual(f"ask the network team why the proxy cannot reach {name_list(hosts, quote=False)}"))
        else:
            msg = f"The proxy {proxy_url}{source} failed: {step.detail} ({who})."
            commands.append(manual("check the proxy variable against your IT documentation"))
        yield proxy_failure.finding(
            msg, fix(summary, *commands),
            location=Location(env_var=proxy.env_var if proxy else None, endpoint=proxy_url or None),
            evidence={"proxy": proxy_url, "step": step_name, "cause": cause, "detail": step.detail},
        )


# Where the fixes write a rebuilt bundle (a path the user owns; sso-doctor itself writes nothing).
NEW_BUNDLE = "$HOME/.aws/ca-bundle.pem"
CORP_ROOT = "$HOME/.aws/corp-root"  # + .pem (macOS, cmd's certutil -encode) or .cer (certutil -store)


def _bundle_of(ctx: Context, sources: list[str], target: str = NEW_BUNDLE, *, pem: str | None = None,
               safe: bool = True) -> Command:
    """One command, in the user's shell, that writes `sources` (files; `pem`: a certificate given
    inline, last) into `target` (a "$HOME/…" path): cat (POSIX, fish), Get-Content/Set-Content
    (PowerShell), copy /b (cmd)."""
    from sso_doctor import fixes

    shell = ctx.shell
    rest = target[len("$HOME"):]
    if shell == "powershell":
        q = lambda p: "'" + p.replace("'", "''") + "'"
        parts = [f"(Get-Content -Raw {q(p)})" for p in sources]
        if pem is not None:
            parts.append("@'\n" + pem + "\n'@")
        return fixes.native("powershell", f'Set-Content -Encoding ascii -Path "$HOME{rest}" -Value '
                            f"({' + '.join(parts)})", safe=safe)
    if shell == "cmd" and pem is None:
        win_target = "%USERPROFILE%" + rest.replace("/", "\\")
        return fixes.native("cmd", "copy /b " + "+".join(f'"{p}"' for p in sources) + f' "{win_target}"', safe=safe)
    quoted = " ".join(p if p.startswith("<") and p.endswith(">") else shlex.quote(p) for p in sources)
    if pem is not None:
        return fixes.sh(f"cat {quoted} - > \"{target}\" <<'EOF'\n{pem}\nEOF", safe=safe)
    # fish reads '…' like POSIX unless it holds a backslash or a quote
    fish = "" if any(c in "".join(sources) for c in "\\'") else ",fish"
    return fixes.native("bash,zsh" + fish, f'cat {quoted} > "{target}"', safe=safe)


def _os_store_verdict(ctx: Context, diag) -> tuple[str, list[str | Command] | None]:
    """On Windows and macOS: does the OS store (which browsers and curl use) trust the issuer botocore
    rejects? (a sentence for the message, and the commands that export that root into a bundle with
    certifi's, for the user's shell; None when the store does not hold it)."""
    from sso_doctor import fixes
    from sso_doctor.loaders import os_trust

    if not ctx.os.windows and not ctx.os.macos:
        return "", None
    store = ctx.os_trust_store
    if not store.read:
        return f" {store.label[0].upper()}{store.label[1:]} could not be read ({store.problem}).", None
    top_pem = diag.chain[-1].pem if diag.chain else ""
    found = os_trust.issuer_in_store(store, top_pem, diag.root.sha256 if diag.root else None)
    if found is None:
        do = "do" if store.label.endswith("s") else "does"
        return (f" {store.label[0].upper()}{store.label[1:]} {do} not trust it either, so browsers should fail "
                "too: the root must come from IT."), None
    where = f"{found.where} store" if ctx.os.windows else found.where
    verb = "trust" if store.label.endswith("s") else "trusts"
    sentence = (f" {store.label[0].upper()}{store.label[1:]} {verb} it ({where}), which is why browsers and curl "
                "work: botocore uses only its own CA bundle, never the OS store.")
    public = ctx.online.resolution.public_roots
    shell = ctx.shell
    if ctx.os.windows:
        thumb = found.sha1
        ps = [
            fixes.mkdir("$HOME/.aws"),
            fixes.native("powershell", f"$root = Get-ChildItem Cert:\\CurrentUser\\{found.where.title()} | "
                         f"Where-Object Thumbprint -eq '{thumb}' | Select-Object -First 1"),
            fixes.native("powershell", "Set-Content -Encoding ascii -Path \"$HOME\\.aws\\ca-bundle.pem\" -Value "
                         f"((Get-Content -Raw '{public}') + \"-----BEGIN CERTIFICATE-----`n\" + "
                         "[Convert]::ToBase64String($root.RawData, 'InsertLineBreaks') + "
                         "\"`n-----END CERTIFICATE-----`n\")"),
        ]
        cmd = [
            fixes.mkdir("$HOME/.aws"),
            fixes.native("cmd", f'certutil -user -store {found.where.title()} {thumb} "%USERPROFILE%\\.aws\\corp-root.cer"'),
            fixes.native("cmd", 'certutil -f -encode "%USERPROFILE%\\.aws\\corp-root.cer" '
                         '"%USERPROFILE%\\.aws\\corp-root.pem"'),
            fixes.native("cmd", f'copy /b "{public}"+"%USERPROFILE%\\.aws\\corp-root.pem" '
                         '"%USERPROFILE%\\.aws\\ca-bundle.pem"'),
        ]
        steps = cmd if shell == "cmd" else ps
    else:
        # -Z prints each certificate's SHA-1 before its PEM: keep exactly the one with this hash
        pick = ("awk '/^SHA-1 hash:/{keep=($3==\"" + found.sha1 + "\")} /-----BEGIN CERTIFICATE-----/{p=keep} "
                "p{print} /-----END CERTIFICATE-----/{p=0}'")
        steps = [
            fixes.mkdir("$HOME/.aws"),
            fixes.native("bash,zsh,fish", f"security find-certificate -a -Z -p {shlex.quote(found.where)} | {pick} "
                         f'> "{CORP_ROOT}.pem"'),
            fixes.native("bash,zsh,fish", f'cat {shlex.quote(public)} "{CORP_ROOT}.pem" > "{NEW_BUNDLE}"'),
        ]
    steps.append(fixes.setenv_persistent("AWS_CA_BUNDLE", NEW_BUNDLE))
    return sentence, steps


@rule("SSO504", "tls-interception", Severity.ERROR, needs=NEEDS, requires=("parsed_config", "sso_profile", "tls"))
def tls_interception(ctx: Context) -> Iterator[Finding]:
    """TLS to an AWS SSO host is intercepted: the certificate was issued by a CA botocore does not trust.

    ## What it checks
    The TLS handshake with each probed host (see SSO501) is verified exactly as botocore verifies it:
    urllib3's defaults, hostname checking, and the CA bundle botocore really uses (`AWS_CA_BUNDLE`, the
    profile's `ca_bundle`, `REQUESTS_CA_BUNDLE`, else certifi's). When that fails because the chain
    does not lead to a trusted root, sso-doctor connects again with verification off — only to read
    the chain, nothing is sent — and looks at the root it leads to. If that root is not one of
    certifi's public roots, something in the path (a corporate proxy, an antivirus, Zscaler, Netskope)
    re-signs TLS. The finding names that issuer. It then looks for the issuer's root certificate: in
    the chain, or in the trust stores other tools use (`SSL_CERT_FILE`, `SSL_CERT_DIR`,
    `REQUESTS_CA_BUNDLE`, `CURL_CA_BUNDLE`, `NODE_EXTRA_CA_CERTS`, the system store), where IT usually
    installs it.

    ## Why it matters
    botocore only trusts its own bundle, so every SSO call fails with
    `SSL validation failed ... certificate verify failed: unable to get local issuer certificate`
    while browsers and curl (which use the system store) work fine.

    ## How to fix
    When the root was found, the finding carries the exact commands: write certifi's roots plus that
    root into one bundle and point botocore at it:

        cat /path/to/certifi/cacert.pem - > "$HOME/.aws/ca-bundle.pem" <<'EOF'
        -----BEGIN CERTIFICATE-----
        ... the issuer's root, as captured ...
        -----END CERTIFICATE-----
        EOF
        export AWS_CA_BUNDLE="$HOME/.aws/ca-bundle.pem"

    When the proxy did not send its root and no copy is on this machine, get it from IT (or export it
    from a browser) and `cat` it after certifi's bundle the same way. Put the `export` in your shell
    profile to keep it.

    ## Example
        ✗ SSO504 tls-interception  $AWS_CA_BUNDLE
          TLS to "oidc.us-east-1.amazonaws.com" (the OIDC endpoint of profile "dev") through the proxy
          http://127.0.0.1:3128 is intercepted: the certificate was issued by "Zscaler Root CA (Zscaler
          Inc.)", which is not a public CA and not in the CA bundle botocore uses.
    """
    failures = _failures(ctx, "SSO504")
    groups = _group(failures, lambda r, s: (r.tls.root.sha256 if r.tls.root else r.tls.issuer,))
    for items in groups.values():
        r, _step = items[0]
        diag = r.tls
        t = r.target
        hosts = sorted({x.target.host for x, _ in items})
        hosts_text = name_list(hosts)
        public = ctx.online.resolution.public_roots
        bundle_now = f"{t.ca_bundle} ({t.ca_source})" if t.ca_bundle else "none"
        msg = (f"TLS to {hosts_text} ({_who([x.target for x, _ in items])}){_via(t)} is intercepted: the "
               f'certificate was issued by "{diag.issuer}", which is not a public CA and not in the CA bundle '
               f'botocore uses ({bundle_now}); botocore fails with "certificate verify failed: '
               f'{diag.openssl_message}".')
        target_bundle = NEW_BUNDLE
        store_sentence, store_steps = _os_store_verdict(ctx, diag)
        if store_steps is not None:
            msg += (f" Its root certificate was {diag.root_source}." if diag.root is not None else "") + store_sentence
            summary = (f'Export the "{diag.issuer}" root from {ctx.os_trust_store.label} into a CA bundle with '
                       "certifi's public roots, and point botocore at it for good.")
            commands: list[str | Command] = list(store_steps)
        elif diag.root is not None:
            msg += f" Its root certificate was {diag.root_source}.{store_sentence}"
            summary = (f'Build a CA bundle of certifi\'s public roots plus the "{diag.issuer}" root '
                       f"({diag.root_source}) and point botocore at it.")
            pem = diag.root.pem.strip()
            commands = [
                'mkdir -p "$HOME/.aws"',
                _bundle_of(ctx, [public], target_bundle, pem=pem),
                Command("setenv_persistent", ("AWS_CA_BUNDLE", target_bundle)),
            ]
        else:
            top = diag.chain[-1] if diag.chain else None
            sent = (f'the server sent only "{top.subject}" (issued by "{top.issuer}"), not the root'
                    if top else "the server's chain could not be read")
            if top is not None and len(diag.chain) > 1:
                sent += "; a bundle must hold the root itself, an intermediate alone is not enough for botocore"
            searched = "; searched " + ", ".join(diag.searched) if diag.searched else ""
            msg += f" Its root certificate was not found: {sent}{searched}.{store_sentence}"
            summary = (f'Get the "{diag.issuer}" root certificate (PEM) from your IT team or export it from '
                       f"your browser, then add it to certifi's roots and point botocore at the result.")
            commands = [
                'mkdir -p "$HOME/.aws"',
                _bundle_of(ctx, [public, f'<path to the "{diag.issuer}" root .pem>'], target_bundle, safe=False),
                Command("setenv_persistent", ("AWS_CA_BUNDLE", target_bundle)),
            ]
        evidence = {"issuer": diag.issuer, "openssl": diag.openssl_message,
                    "chain": " <- ".join(c.subject for c in diag.chain) or "unknown",
                    "root_sha256": diag.root.sha256 if diag.root else "not found",
                    "root_source": diag.root_source or "not found", "bundle_in_use": bundle_now}
        yield tls_interception.finding(msg, fix(summary, *commands),
                                       location=Location(env_var="AWS_CA_BUNDLE", endpoint=t.url),
                                       evidence=evidence)


@rule("SSO505", "tls-failure", Severity.ERROR, needs=NEEDS, requires=("parsed_config", "sso_profile", "tls"))
def tls_failure(ctx: Context) -> Iterator[Finding]:
    """The TLS handshake with an AWS SSO host fails for a reason other than an intercepting issuer.

    ## What it checks
    The same verified handshake as SSO504, and the cause when it fails otherwise: the certificate is
    not valid for the host name (a captive portal, a DNS hijack, an endpoint override to the wrong
    host), it has expired or is not valid yet (often this machine's clock, see SSO506), the configured
    CA bundle lacks the public root that signs the host (a bundle holding only a corporate CA), the CA
    bundle cannot be loaded, or the handshake breaks (protocol error, connection reset by a firewall).

    ## Why it matters
    botocore reports all of these as `SSL validation failed for https://...` with OpenSSL's terse
    reason; each needs a different fix.

    ## How to fix
    Per cause, as the finding says: for a bundle without public roots,

        cat /path/to/certifi/cacert.pem "$AWS_CA_BUNDLE" > "$HOME/.aws/ca-bundle.pem"
        export AWS_CA_BUNDLE="$HOME/.aws/ca-bundle.pem"

    for a name mismatch, check DNS (`nslookup <host>`) and endpoint overrides; for an expired
    certificate, check the clock (`date -u`).

    ## Example
        ✗ SSO505 tls-failure  https://portal.sso.us-east-1.amazonaws.com
          The certificate of "portal.sso.us-east-1.amazonaws.com" (the portal endpoint of profile "dev")
          is not valid for that name: Hostname mismatch, certificate is not valid for
          'portal.sso.us-east-1.amazonaws.com'.
    """
    public = None
    for r, step in _failures(ctx, "SSO505"):
        t = r.target
        diag = r.tls
        kind = diag.kind if diag else step.cause
        who = _who([t])
        name = f'"{t.host}"'
        detail = (diag.openssl_message if diag else step.detail).rstrip(".")
        loc = Location(endpoint=t.url)
        if kind == "hostname-mismatch":
            leaf = diag.chain[0] if diag and diag.chain else None
            names = name_list(list(leaf.names) or [leaf.subject]) if leaf else '"unknown"'
            msg = (f"The certificate of {name} ({who}){_via(t)} is not valid for that name (it is for "
                   f"{names}): {detail}; a captive portal, a DNS hijack or an endpoint override to the wrong "
                   "host.")
            f = fix("Find out who answers for this name: check DNS and endpoint overrides, log in to any "
                    "captive portal.", f"nslookup {shlex.quote(t.host)}",
                    manual("log in to the network's captive portal, or unset a wrong AWS_ENDPOINT_URL_* override"))
        elif kind in ("expired", "not-yet-valid"):
            leaf = diag.chain[0] if diag and diag.chain else None
            until = f" (valid until {leaf.not_after})" if leaf and leaf.not_after else ""
            state = "has expired" if kind == "expired" else "is not valid yet"
            msg = (f"The certificate of {name} ({who}){_via(t)} {state}{until}: {detail}; check this "
                   "machine's clock, or the proxy that presents it.")
            f = fix("Check the clock first (see SSO506); if it is right, the server or proxy presents a bad "
                    "certificate: report it to the network team.", "date -u",
                    manual("report the expired certificate to whoever runs the proxy or server"))
        elif kind == "missing-public-root":
            public = public or ctx.online.resolution.public_roots
            msg = (f"The CA bundle botocore uses, {t.ca_bundle} ({t.ca_source}), lacks the public root "
                   f'"{diag.issuer}" that signs {name} ({who}): {detail}.')
            f = fix("Add certifi's public roots to the bundle and point botocore at the result.",
                    'mkdir -p "$HOME/.aws"',
                    _bundle_of(ctx, [public, t.ca_bundle or ""]),
                    'export AWS_CA_BUNDLE="$HOME/.aws/ca-bundle.pem"')
            loc = Location(env_var="AWS_CA_BUNDLE" if t.ca_source == "AWS_CA_BUNDLE" else None, endpoint=t.url)
        elif kind == "ca-bundle":
            msg = f"The CA bundle {t.ca_bundle} ({t.ca_source}) cannot be loaded: {detail} ({who})."
            f = fix("Point botocore at a readable PEM bundle, or unset the variable to use certifi's.",
                    manual(f"fix or unset the setting that names {t.ca_bundle} ({t.ca_source})"))
            loc = Location(env_var="AWS_CA_BUNDLE" if t.ca_source == "AWS_CA_BUNDLE" else None, endpoint=t.url)
        else:
            msg = (f"The TLS handshake with {name} ({who}){_via(t)} fails: {detail}; something on the path "
                   "breaks TLS (an inspecting firewall or proxy, or not an HTTPS server).")
            f = fix("Try another network to confirm, then ask the network team to exempt this host from TLS "
                    "inspection.", f"curl -v --max-time 10 {shlex.quote(t.url)}",
                    manual(f"ask the network team to exempt {t.host} from TLS inspection"))
        yield tls_failure.finding(msg, f, location=loc,
                                  evidence={"cause": kind, "openssl": detail,
                                            "chain": " <- ".join(c.subject for c in diag.chain) if diag else ""})


def _platform_clock_fix(platform: str) -> list[str | Command]:
    if platform == "darwin":
        return ["sudo sntp -sS time.apple.com"]
    if platform.startswith("win"):
        return ["w32tm /resync"]
    return ["sudo timedatectl set-ntp true", manual("or, with chrony: sudo chronyc makestep")]


def _span(seconds: float) -> str:
    s = round(abs(seconds))
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60} min"
    if s >= 60:
        return f"{s // 60} min {s % 60} s"
    return f"{s} s"


@rule("SSO506", "clock-skew", Severity.ERROR, needs=NEEDS, requires=("parsed_config", "sso_profile", "http"))
def clock_skew(ctx: Context) -> Iterator[Finding]:
    """This machine's clock differs from AWS's by more than a minute.

    ## What it checks
    Every probe's HTTP answer carries a `Date` header. sso-doctor compares it with this machine's clock
    at the moment the answer arrived, and takes the smallest difference over all probed endpoints (so
    one odd server cannot raise a false alarm). More than 5 minutes is an error, more than 1 minute a
    warning.

    ## Why it matters
    AWS rejects signed requests more than 5 minutes off (`SignatureDoesNotMatch`, `InvalidSignatureException`,
    "Signature expired"), and token expiry is judged with the local clock: a skewed clock makes fresh
    tokens look expired or expired ones look valid.

    ## How to fix
        sudo timedatectl set-ntp true        # Linux (or: sudo chronyc makestep)
        sudo sntp -sS time.apple.com         # macOS
        w32tm /resync                        # Windows

    ## Example
        ✗ SSO506 clock-skew  https://oidc.us-east-1.amazonaws.com
          This machine's clock is 10 min 2 s ahead of "oidc.us-east-1.amazonaws.com" (Date: Thu, 26 Nov
          2026 12:00:00 GMT).
    """
    from sso_doctor.probes.net import parse_http_date

    best = None
    for r in _results(ctx):
        resp = r.response
        server = parse_http_date(resp.date) if resp else None
        if server is None:
            continue
        # The Date header is truncated to the second: a clock that is right reads 0 to 1 s ahead.
        skew = resp.received_at - server
        skew = 0.0 if 0 <= skew < 1 else skew
        if best is None or abs(skew) < abs(best[0]):
            best = (skew, r)
    if best is None:
        raise SkipRule("no probed endpoint answered with a Date header")
    skew, r = best
    if abs(skew) <= 60:
        return
    severity = Severity.ERROR if abs(skew) > 300 else Severity.WARNING
    direction = "ahead of" if skew > 0 else "behind"
    yield clock_skew.finding(
        f'This machine\'s clock is {_span(skew)} {direction} "{r.target.host}" (Date: {r.response.date}); '
        "AWS rejects requests signed more than 5 minutes off and token expiry is judged with this clock.",
        fix("Synchronise the clock with network time.", *_platform_clock_fix(ctx.online.platform)),
        severity=severity, location=Location(endpoint=r.target.url),
        evidence={"skew_seconds": round(skew, 1), "server_date": r.response.date},
    )


def _aws_owned(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host.endswith(AWS_HOST_SUFFIXES) or host in ("identitycenter.amazonaws.com", "aws.amazon.com")


def _start_url_problem(result) -> str | None:
    from urllib.parse import urlsplit

    resp = result.response
    if resp.status >= 400:
        return f"answers HTTP {resp.status} {resp.reason}".rstrip()
    if 300 <= resp.status < 400 and resp.location:
        host = urlsplit(resp.location).hostname
        if host and host != result.target.host and not _aws_owned(host):
            return f"redirects to {host}, which is not an AWS host ({resp.location[:120]})"
    return None


@rule("SSO507", "start-url-unreachable", Severity.WARNING, needs=NEEDS,
      requires=("parsed_config", "sso_profile", "http"))
def start_url_unreachable(ctx: Context) -> Iterator[Finding]:
    """The start URL answers with an error, or redirects somewhere that is not AWS.

    ## What it checks
    The probe of each selected profile's `sso_start_url` (see SSO501) sends one plain GET, with no
    credentials, and looks at the answer: 4xx/5xx, or a redirect to a host outside AWS's own portal and
    sign-in domains (`*.awsapps.com`, `*.app.aws`, `*.signin.aws`, `*.amazonaws.com`, ...). The
    redirect is not followed.

    ## Why it matters
    `aws sso login` opens this URL in the browser; a wrong URL (an old directory alias, a typo that
    still resolves) or a network that rewrites it (a captive portal, a block page) means the login
    cannot start, or lands on a page that is not the AWS access portal.

    ## How to fix
        aws configure sso-session

    Use the AWS access portal URL exactly as shown in the IAM Identity Center console (Settings →
    Identity source → AWS access portal URL).

    ## Example
        ! SSO507 start-url-unreachable  ~/.aws/config:2 [sso-session corp] sso_start_url
          The start URL https://d-1234567890.awsapps.com/start of profile "dev" answers HTTP 404 Not Found.
    """
    where = {s.profile.name: s for s in ctx.selected_sso()}
    for r in _results(ctx):
        if classify(r) is None or classify(r)[0] != "SSO507":
            continue
        problem = _start_url_problem(r)
        t = r.target
        sso = where.get(t.profiles[0])
        v = sso.values.get("sso_start_url") if sso else None
        loc = Location(path=str(v.path), line=v.line, section=v.section, key="sso_start_url") if v else Location(
            endpoint=t.url)
        word = "profile" if len(t.profiles) == 1 else "profiles"
        session = sso.session_name if sso else None
        section = v.section if v else (f"sso-session {session}" if session else f"profile {t.profiles[0]}")
        config = ctx.show_path(v.path) if v else "~/.aws/config"
        cmd = f"edit {config}: in [{section}] set sso_start_url = <the AWS access portal URL>"
        yield start_url_unreachable.finding(
            f"The start URL {t.url} of {word} {name_list(list(t.profiles))}{_via(t)} {problem}.",
            fix("Use the AWS access portal URL exactly as the IAM Identity Center console shows it.",
                manual(cmd)),
            subject=session or t.profiles[0], location=loc,
            evidence={"status": r.response.status, "location": r.response.location},
        )


@rule("SSO508", "sso-region-not-home", Severity.ERROR, needs=NEEDS, requires=("parsed_config", "sso_profile"))
def sso_region_not_home(ctx: Context) -> Iterator[Finding]:
    """`sso_region` is not the region of the IAM Identity Center instance behind the start URL.

    ## What it checks
    For each selected profile whose start URL is an `*.awsapps.com` (or `*.awsapps.cn`) URL, which
    does not name the instance's region, sso-doctor asks the SSO-OIDC endpoint of `sso_region`
    whether it knows the start URL, the only way AWS offers: the first step of the login flow, as
    `aws sso login --use-device-code` takes it. It registers a public OIDC client (RegisterClient, no
    credentials) and calls StartDeviceAuthorization with the start URL. An instance in another region
    makes OIDC answer `InvalidRequestException`. The device code it gets back is never shown and
    expires unused within minutes; no credential is used or created, nothing is written, and nothing
    appears in the access portal or the Identity Center console. A valid cached token for the same
    start URL and region already proves the region right: then no call is made. Only with `check`
    online; `--offline` skips it. Start URLs of the form `https://ssoins-….portal.<region>.app.aws`
    name their region and are checked offline by SSO114.

    ## Why it matters
    A wrong `sso_region` is one of the most reported causes of failing logins: `aws sso login` stops
    with `An error occurred (InvalidRequestException) when calling the StartDeviceAuthorization
    operation`, or the browser shows `invalid_grant: Invalid grant provided` after sign-in. The rest
    of the config can be perfect.

    ## How to fix
    Set `sso_region` to the region of your IAM Identity Center instance: the IAM Identity Center
    console shows it (Settings), and so does the address of the access portal after you sign in
    (`…/start/#/?region=…` or `portal.sso.<region>.amazonaws.com` calls). For an sso-session, in its
    section:

        [sso-session corp]
        sso_region = <the instance's region>

    ## Example
        ✗ SSO508 sso-region-not-home  ~/.aws/config:9 [sso-session corp] sso_region
          The IAM Identity Center instance of https://d-1234567890.awsapps.com/start is not in
          us-east-1 (sso_region of profile "dev"): the OIDC endpoint there does not know the start URL.
    """
    checks = ctx.online.region_results()
    if not checks:
        raise SkipRule("no selected profile has an *.awsapps.com start URL with an sso_region "
                       "(other start URLs name their region: SSO114)")
    bad = [c for c in checks if c.state == "not-home"]
    undecided = [c for c in checks if c.state not in ("home", "token", "not-home")]
    if not bad and undecided:
        c = undecided[0]
        why = {"network": "the OIDC endpoint could not be reached (see SSO501-SSO505)",
               "pending": "the check did not finish within --timeout"}.get(
            c.state, f"OIDC answered {c.call.code if c.call else 'an error'}")
        raise SkipRule(f"could not check the region of {c.start_url}: {why}")
    where = {s.profile.name: s for s in ctx.selected_sso()}
    for c in bad:
        sso = where.get(c.profiles[0])
        v = sso.values.get("sso_region") if sso else None
        loc = (Location(path=str(v.path), line=v.line, section=v.section, key="sso_region") if v
               else Location(endpoint=c.start_url))
        word = "profile" if len(c.profiles) == 1 else "profiles"
        section = v.section if v else None
        yield sso_region_not_home.finding(
            f"The IAM Identity Center instance of {c.start_url} is not in {c.region} (sso_region of {word} "
            f"{name_list(list(c.profiles))}): the OIDC endpoint there answers InvalidRequestException to "
            "StartDeviceAuthorization for this start URL, so `aws sso login` fails the same way.",
            fix("Set sso_region to the region of your IAM Identity Center instance (the Identity Center console "
                "shows it under Settings; ask your administrator).",
                # the right region is the instance's, which only the console (or an administrator) says
                Edit(str(v.path), "set", v.section, "sso_region", old=c.region, new="<the instance's region>",
                     safe=False) if v else
                manual(f"edit ~/.aws/config: in [{section or 'the profile'}] set sso_region = <the instance's region>")),
            subject=(sso.session_name if sso and sso.session_name else c.profiles[0]),
            location=loc,
            evidence={"start_url": c.start_url, "sso_region": c.region,
                      "oidc_error": c.call.code if c.call else ""},
        )


RULES: tuple[Rule, ...] = (dns_failure, connect_failure, proxy_failure, tls_interception, tls_failure,
                           clock_skew, start_url_unreachable, sso_region_not_home)
