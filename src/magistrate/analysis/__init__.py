"""Analyzers that turn action text into facts: shell, SQL, paths, tools, secrets, prose."""

from __future__ import annotations

# Facts the analyzers derive, which constitution rules may require with `facts:`.
KNOWN_FACTS = frozenset(
    {
        "remote-code",  # code fetched from the network is executed
        "decoded-exec",  # decoded or decompressed data is executed (hidden payload)
        "reverse-shell",  # a shell wired to a network socket
        "fork-bomb",
        "dynamic-command",  # a command name held in a variable or substitution ($SHELL)
        "dynamic-command-payload",  # …handed inline code or a piped script
        "secret-env-read",  # a credential-named environment variable is read out (printenv X_KEY)
        "analysis-limit",  # analysis stopped at a depth, size, count or time limit
        "database-destroy",  # a command drops or wipes a whole database (dropdb, db:drop…)
        "nesting-too-deep",  # code nested deeper than the analyzer follows
        "exfiltration",  # secrets (keys, tokens, environment) read and sent out
        "data-exfiltration",  # bulk or personal data read and sent outside the organization
        "data-transfer",  # bulk or personal data read and sent anywhere
        "send-external",  # something sent to a recipient or host outside the organization
        "external-target",  # a tool argument names an outside URL or address
        "unverified-target",  # a tool argument names a URL or address not known to be internal
        "data-mentioned",  # prose names an export, dump or personal-data file
        "personal-data-deletion",  # people's records are deleted (files, tables, tools)
        "sensitive-content",  # content holds secrets or personal data
        "production-target",  # the action names a production environment
        "secret-content",  # content holds a credential (key, token, private key)
        "credential-content",  # …in a format that is a credential beyond doubt (AKIA…, ghp_…)
        "secret-path-mentioned",  # prose names a secret file (~/.ssh/id_rsa, .env, /etc/shadow)
        "outside-recipient",  # a recipient argument outside the organization's domains
        "untrusted-target",  # data sent to a paste site, request bin, tunnel or known drop
    }
)
# Targets that are not paths but stand for sources of secrets or data.
PSEUDO_TARGET_CLASSES = frozenset({"environment", "database-dump", "personal-data"})
