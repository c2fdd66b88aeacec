"""What an HTTP request carries out: its data options (`-d`, `--data-binary`, `-F`…), the
files it uploads (`-T`, `--post-file=`, `--body-file`), and credentials in its headers.

A vendor's credential (`$GITHUB_TOKEN`) in a header to the vendor's host is use; to any other
host it is sent out (`curl -H "X-Token: $GITHUB_TOKEN" https://collector…`).
"""

from __future__ import annotations

import re

from magistrate.analysis.dynamic import credential_vars

DATA_OPTIONS = frozenset(
    "-d --data --data-binary --data-raw --data-urlencode --data-ascii -F --form --json "
    "--post-data --body-data -T --upload-file".split()
)
# Options whose value is a file the request uploads (curl, wget, HTTPie, aria2…).
# PowerShell's `-InFile` (Invoke-WebRequest, Invoke-RestMethod) is the body of the request.
UPLOAD_OPTIONS = frozenset(
    {"-t", "--upload-file", "--post-file", "--body-file", "--put-file", "-infile"}
)
_HEADER_OPTIONS = frozenset({"-h", "--header", "--headers", "-headers"})
# Vendors whose short names in variables differ from their domains.
_VENDOR_DOMAINS = {"gh": "github", "hf": "huggingface", "cf": "cloudflare", "gl": "gitlab",
                   "do": "digitalocean", "az": "azure", "gcp": "google", "gcloud": "google",
                   "aws": "amazonaws", "sf": "salesforce", "tf": "terraform"}  # fmt: skip
# First words of credential names that name no vendor (`API_KEY`, `ACCESS_TOKEN`).
_GENERIC_WORDS = frozenset(
    "api auth access secret bearer app service client my prod production dev staging ci user"
    " admin token key password pass private public session refresh id master root".split()
)


def foreign_credentials(argv: list[str]) -> str | None:
    """The URL a request sends a vendor-named credential (in a header, or a HTTPie `Name:$X`
    item) to, when that URL is not the vendor's (`$GITHUB_TOKEN` to a collector), else None."""
    urls = [a for a in argv if a.startswith(("http://", "https://"))]
    if not urls:
        return None
    lower = [a.lower() for a in argv]
    carried = [argv[k + 1] for k, a in enumerate(lower[:-1]) if a in _HEADER_OPTIONS]
    carried += [a.split("=", 1)[1] for a in argv if a.lower().startswith("--header=")]
    carried += [a for a in argv if re.match(r"^[\w-]+:=?\S*\$", a)]  # HTTPie `X-Token:$T`
    for value in carried:
        for var in credential_vars(value):
            word = var.lower().removeprefix("env:").split("_", 1)[0]
            vendor = _VENDOR_DOMAINS.get(word, word)
            if word in _GENERIC_WORDS or len(vendor) < 4:
                continue
            host = urls[0].split("://", 1)[1].split("/", 1)[0].lower()
            if vendor not in host:
                return urls[0]
    return None


def secret_var_in(values: list[str]) -> bool:
    """True when a value expands an environment variable named like a secret ($API_KEY)."""
    return any(credential_vars(v) for v in values if "$" in v)


def data_values(argv: list[str]) -> list[str]:
    """Values a request sends as data (`-d VALUE`, `--data=VALUE`) and URLs (query strings)."""
    out: list[str] = []
    for k, a in enumerate(argv):
        if a in DATA_OPTIONS and k + 1 < len(argv):
            out.append(argv[k + 1])
        elif "=" in a and a.split("=", 1)[0] in DATA_OPTIONS:
            out.append(a.split("=", 1)[1])
        elif a.startswith(("http://", "https://")) and "?" in a:
            out.append(a.split("?", 1)[1])
    return out
